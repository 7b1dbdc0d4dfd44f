//! API completeness (issue #7) against the real binary over real sockets: token expiry as
//! whole JSON numbers, repeated and empty query parameters on every route, the search
//! extras on `/api/v1/calls` checked against tshark on the lab capture, and saved
//! searches (CRUD, roles, persistence across a restart, limits).

mod util;

use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use util::*;

const LAB: &str = "lab/lab-calls.pcap";

/// One API request; returns the status and the JSON body (Null if none).
fn api(s: &Server, method: Method, path: &str, bearer: &str, body: Option<Value>) -> (u16, Value) {
    let rb = Server::client()
        .request(method, s.url(path))
        .bearer_auth(bearer);
    let rb = match body {
        Some(b) => rb.json(&b),
        None => rb,
    };
    let r = rb.send().expect("request");
    let status = r.status().as_u16();
    let bytes = r.bytes().expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn error_of(v: &Value) -> &str {
    v["error"].as_str().unwrap_or("")
}

/// Creates `name` with `role` (as the server's admin token) and logs it in.
fn user_session(s: &Server, name: &str, role: &str) -> String {
    let pw = format!("{name}-password");
    let (st, v) = api(
        s,
        Method::POST,
        "/api/v1/users",
        TOKEN,
        Some(json!({ "name": name, "password": pw, "role": role })),
    );
    assert!(st == 201 || st == 409, "create {name}: {st} {v}");
    login(s, name, &pw)
}

fn login(s: &Server, name: &str, password: &str) -> String {
    let r = Server::client()
        .post(s.url("/api/v1/login"))
        .json(&json!({ "username": name, "password": password }))
        .send()
        .expect("login");
    assert_eq!(r.status().as_u16(), 200, "login {name}");
    let v: Value = r.json().expect("login json");
    v["token"].as_str().expect("token").to_owned()
}

#[test]
fn token_expiry_takes_whole_json_numbers_only() {
    let s = Server::start(&[]);
    let admin = login(&s, "admin", PASSWORD);
    let day_s = 24 * 3600;
    for (days, want) in [("30", 30), ("30.0", 30), ("3e1", 30), ("365.0", 365)] {
        let body: Value =
            serde_json::from_str(&format!(r#"{{"name":"t{days}","expires_in_days":{days}}}"#))
                .expect("body");
        let (st, v) = api(&s, Method::POST, "/api/v1/tokens", &admin, Some(body));
        assert_eq!(st, 201, "expires_in_days {days}: {v}");
        let created = time_of(&v["created"]);
        let expires = time_of(&v["expires"]);
        assert_eq!(
            expires - created,
            want * day_s,
            "expires_in_days {days}: {v}"
        );
    }
    for (days, says) in [
        ("30.5", "whole number"),
        ("0.5", "whole number"),
        ("-1", "from 1 to 365"),
        ("-30.0", "from 1 to 365"),
        ("0", "from 1 to 365"),
        ("366", "from 1 to 365"),
        ("1e300", "from 1 to 365"),
        ("18446744073709551616", "from 1 to 365"),
    ] {
        let text = format!(r#"{{"name":"bad","expires_in_days":{days}}}"#);
        let r = Server::client()
            .post(s.url("/api/v1/tokens"))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(text)
            .send()
            .expect("POST");
        let st = r.status().as_u16();
        let v: Value = r.json().unwrap_or(Value::Null);
        assert_eq!(st, 400, "expires_in_days {days}: {v}");
        assert!(
            error_of(&v).contains("expires_in_days") && error_of(&v).contains(says),
            "expires_in_days {days}: {v}"
        );
    }
}

/// Unix seconds of an RFC 3339 time in a JSON answer.
fn time_of(v: &Value) -> i64 {
    let text = v.as_str().expect("a time string");
    let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    t.unix_timestamp()
}

/// Every route that reads query parameters, with one parameter it takes.
const QUERY_ROUTES: &[(&str, &str)] = &[
    ("/api/v1/messages", "from_user"),
    ("/api/v1/calls", "from_user"),
    ("/api/v1/calls/no-such-call", "since"),
    ("/api/v1/calls/no-such-call/pcap", "since"),
    ("/api/v1/calls/no-such-call/qos", "since"),
    ("/api/v1/call-records", "from_user"),
    ("/api/v1/registrations", "aor"),
    ("/api/v1/alarms", "kind"),
    ("/api/v1/stats/kpi", "by"),
    ("/api/v1/stats/messages", "prefix"),
    ("/api/v1/stats/top", "what"),
    ("/api/v1/audit", "since"),
];

#[test]
fn repeated_parameters_are_refused_and_empty_ones_are_absent() {
    let s = Server::start(&[]);
    for (path, param) in QUERY_ROUTES {
        for query in [
            "limit=1&limit=5".to_owned(),
            format!("{param}=a&{param}=b"),
            format!("{param}=&{param}=1"),
        ] {
            let url = format!("{path}?{query}");
            let (st, v) = api(&s, Method::GET, &url, TOKEN, None);
            assert_eq!(st, 400, "GET {url}: {v}");
            let name = query.split('=').next().unwrap_or_default();
            assert!(
                error_of(&v).contains(name) && error_of(&v).contains("more than once"),
                "GET {url}: {v}"
            );
        }
        // Blank values are the defaults: never a 400 (unknown calls are still 404).
        let mut url = format!("{path}?since=&until=&limit=");
        if !["since", "until", "limit"].contains(param) {
            url.push_str(&format!("&{param}="));
        }
        let (st, v) = api(&s, Method::GET, &url, TOKEN, None);
        let want = if path.contains("no-such-call") {
            404
        } else {
            200
        };
        assert_eq!(st, want, "GET {url}: {v}");
    }
    // The schemathesis finding, exactly.
    let (st, v) = api(&s, Method::GET, "/api/v1/audit?since=", TOKEN, None);
    assert_eq!(st, 200, "{v}");
    println!(
        "{} routes refuse repeats and take blanks",
        QUERY_ROUTES.len()
    );
}

/// tshark's view of the capture: per Call-ID, its From user, To user, R-URI users and
/// CSeq methods.
#[derive(Default, Debug)]
struct TsharkCall {
    from: BTreeSet<String>,
    to: BTreeSet<String>,
    methods: BTreeSet<String>,
}

fn tshark_calls(pcap: &Path) -> std::collections::BTreeMap<String, TsharkCall> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(pcap)
        .args(["-Y", "sip", "-T", "fields", "-E", "occurrence=f"])
        .args([
            "-e",
            "sip.Call-ID",
            "-e",
            "sip.from.user",
            "-e",
            "sip.to.user",
        ])
        .args(["-e", "sip.CSeq.method"])
        .output()
        .expect("tshark");
    let mut calls = std::collections::BTreeMap::<String, TsharkCall>::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let [cid, from, to, method] = cols[..] else {
            continue;
        };
        let c = calls.entry(cid.to_owned()).or_default();
        c.from.insert(from.to_owned());
        c.to.insert(to.to_owned());
        c.methods.insert(method.to_owned());
    }
    calls
}

fn call_keys(v: &Value) -> BTreeSet<String> {
    v["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["call_key"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn calls_take_the_search_extras_on_the_lab_capture() {
    let Some(pcap) = testdata(LAB) else { return };
    if !have("tshark") {
        return;
    }
    let truth = tshark_calls(&pcap);
    let ids = |keep: &dyn Fn(&TsharkCall) -> bool| -> BTreeSet<String> {
        truth
            .iter()
            .filter(|(_, c)| keep(c))
            .map(|(id, _)| id.clone())
            .collect()
    };
    let data = tempfile::tempdir().expect("tempdir");
    import(data.path(), &pcap);
    let s = Server::start_in(data, &[]);

    // Plain /calls: every Call-ID of the capture is one call (the proxy keeps Call-IDs).
    let all = s.get_json("/api/v1/calls?since=0&limit=10000");
    assert_eq!(call_keys(&all), ids(&|_| true), "plain /calls");

    let cases: Vec<(&str, BTreeSet<String>)> = vec![
        (
            "from_user=alice&to_user=4861&match=any",
            ids(&|c| c.from.contains("alice") || c.to.contains("4861")),
        ),
        (
            "from_user=sipp&to_user=4861",
            ids(&|c| c.from.contains("sipp") && c.to.contains("4861")),
        ),
        (
            "to_user~=%5E48[67]1%24",
            ids(&|c| c.to.contains("4861") || c.to.contains("4871")),
        ),
        (
            "type=registration",
            ids(&|c| c.methods.contains("REGISTER")),
        ),
        (
            "type=other",
            ids(&|c| {
                c.methods
                    .iter()
                    .any(|m| !["INVITE", "ACK", "BYE", "CANCEL", "REGISTER"].contains(&m.as_str()))
            }),
        ),
        (
            "type=call&from_user~=%5Esip&match=any&to_user=1001&from_user=alice",
            ids(&|c| {
                c.methods.contains("INVITE")
                    && c.from.iter().any(|f| f.starts_with("sip"))
                    && (c.to.contains("1001") || c.from.contains("alice"))
            }),
        ),
    ];
    for (query, want) in &cases {
        assert!(!want.is_empty(), "{query}: the oracle selects nothing");
        let url = format!("/api/v1/calls?since=0&limit=10000&{query}");
        let got = s.get_json(&url);
        assert_eq!(&call_keys(&got), want, "GET {url}");
        assert_eq!(got["count"].as_u64(), Some(want.len() as u64), "{url}");
        assert!(got.get("candidates_truncated").is_none(), "{url}");
        println!("{query}: {} calls, as tshark", want.len());
    }
    // A row found through the extras is the row plain /calls gives for that call.
    let any = s.get_json("/api/v1/calls?since=0&from_user=alice&to_user=4861&match=any");
    for row in any["calls"].as_array().into_iter().flatten() {
        let key = row["call_key"].as_str().expect("call_key");
        let plain = s.get_json(&format!(
            "/api/v1/calls?since=0&call_key={}",
            urlencode(key)
        ));
        assert_eq!(&plain["calls"][0], row, "{key}");
    }
    // limit cuts the calls, oldest first as plain /calls does.
    let two = s.get_json("/api/v1/calls?since=0&type=registration&limit=2");
    let firsts: Vec<i64> = two["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["first_ts_us"].as_i64())
        .collect();
    assert_eq!(firsts.len(), 2);
    assert!(firsts[0] <= firsts[1]);
    // /call-records takes every filter of the UI's Calls page (calls.js FILTERS and status).
    let busy =
        s.get_json("/api/v1/call-records?since=0&limit=1000&status=busy,rejected&from_user=sip*");
    assert_eq!(
        call_keys(&busy),
        ids(&|c| c.to.contains("4861")),
        "busy calls by status and from_user pattern"
    );
    for filter in [
        "to_user=4871",
        "ruri_user=4871",
        "src_ip=127.0.0.1",
        "dst_ip=127.*",
        "node=*",
        "call_key=x",
    ] {
        let url = format!("/api/v1/call-records?since=0&status=cancelled&{filter}");
        let (st, v) = api(&s, Method::GET, &url, TOKEN, None);
        assert_eq!(st, 200, "{url}: {v}");
    }
    // Bad extras are 400 with a reason.
    for (url, says) in [
        ("/api/v1/calls?type=fax", "type must be"),
        ("/api/v1/calls?match=some", "match must be"),
        ("/api/v1/calls?from_user~=(", "from_user~"),
        ("/api/v1/calls?from_usr~=x", "unknown regex filter"),
    ] {
        let (st, v) = api(&s, Method::GET, url, TOKEN, None);
        assert_eq!(st, 400, "{url}: {v}");
        assert!(error_of(&v).contains(says), "{url}: {v}");
    }
}

/// The names of the saved searches `bearer` sees.
fn saved_names(s: &Server, bearer: &str) -> Vec<String> {
    let (st, v) = api(s, Method::GET, "/api/v1/saved-searches", bearer, None);
    assert_eq!(st, 200, "{v}");
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["name"].as_str().expect("name").to_owned())
        .collect()
}

fn save(s: &Server, bearer: &str, name: &str, query: &str, shared: bool) -> (u16, Value) {
    api(
        s,
        Method::POST,
        "/api/v1/saved-searches",
        bearer,
        Some(json!({ "name": name, "query": query, "shared": shared })),
    )
}

#[test]
fn saved_searches_crud_roles_and_restart() {
    let s = Server::start(&[]);
    let alice = user_session(&s, "alice", "user");
    let bob = user_session(&s, "bob", "user");
    let viewer = user_session(&s, "viewer", "read_only");
    let admin = login(&s, "admin", PASSWORD);

    let (st, busy) = save(&s, &alice, "busy", "#/search?status=486", true);
    assert_eq!(st, 201, "{busy}");
    assert_eq!(busy["owner"], "alice");
    assert_eq!(busy["shared"], true);
    assert_eq!(busy["query"], "#/search?status=486");
    let keys: BTreeSet<&str> = busy
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["id", "name", "query", "shared", "owner", "created"])
    );
    time_of(&busy["created"]);
    let busy_id = busy["id"].as_str().expect("id").to_owned();
    assert_eq!(
        save(&s, &alice, "mine", "#/search?from_user=1001", false).0,
        201
    );
    let (_, bobs) = save(&s, &bob, "bobs", "#/search?to_user=1002", false);
    let bobs_id = bobs["id"].as_str().expect("id").to_owned();

    // Own plus shared, by name.
    assert_eq!(saved_names(&s, &alice), ["busy", "mine"]);
    assert_eq!(saved_names(&s, &bob), ["bobs", "busy"]);
    assert_eq!(saved_names(&s, &viewer), ["busy"]);

    // read_only lists only.
    let (st, v) = save(&s, &viewer, "nope", "#/search", false);
    assert_eq!(st, 403, "{v}");
    let del = |who: &str, id: &str| {
        api(
            &s,
            Method::DELETE,
            &format!("/api/v1/saved-searches/{id}"),
            who,
            None,
        )
    };
    assert_eq!(del(&viewer, &busy_id).0, 403);
    // A user deletes only its own: someone else's is 403, an unknown id 404.
    let (st, v) = del(&bob, &busy_id);
    assert_eq!(st, 403, "{v}");
    assert_eq!(del(&bob, "no-such-search").0, 404);

    // Saving the same name again replaces it, keeping the id; unsharing hides it.
    let (st, again) = save(
        &s,
        &alice,
        "busy",
        "#/search?status=486&to_user=1001",
        false,
    );
    assert_eq!(st, 201, "{again}");
    assert_eq!(again["id"], busy_id.as_str());
    assert_eq!(saved_names(&s, &bob), ["bobs"]);
    assert_eq!(saved_names(&s, &alice), ["busy", "mine"]);

    // Bounds of one item.
    for (name, query, says) in [
        ("", "#/search", "name"),
        (&"n".repeat(81)[..], "#/search", "name"),
        ("q", &"q".repeat(4097)[..], "query"),
        ("q", "", "query"),
    ] {
        let (st, v) = save(&s, &alice, name, query, false);
        assert_eq!(st, 400, "{name:?}/{} bytes: {v}", query.len());
        assert!(error_of(&v).contains(says), "{v}");
    }
    assert_eq!(
        save(&s, &alice, &"n".repeat(80), &"q".repeat(4096), false).0,
        201
    );

    // An admin deletes anyone's; the owner its own.
    assert_eq!(del(&admin, &bobs_id).0, 200);
    assert_eq!(del(&bob, &bobs_id).0, 404);
    let (_, mine) = api(&s, Method::GET, "/api/v1/saved-searches", &alice, None);
    let long_id = mine["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["name"].as_str().is_some_and(|n| n.len() == 80))
        .and_then(|i| i["id"].as_str())
        .expect("the 80-character one")
        .to_owned();
    assert_eq!(del(&alice, &long_id).0, 200);

    // Changes are in the audit log, with who made them.
    let audit = std::fs::read_to_string(s.data.path().join("audit.log")).expect("audit.log");
    let events: Vec<Value> = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| {
            e["action"]
                .as_str()
                .is_some_and(|a| a.starts_with("search."))
        })
        .collect();
    assert_eq!(events.len(), 7, "five saves, two deletes: {audit}");
    assert!(events
        .iter()
        .any(|e| e["action"] == "search.delete" && e["user"] == "admin" && e["owner"] == "bob"));

    // Survives a restart, even a SIGKILL: each change is on disk before the answer.
    let data = s.kill_9();
    let s = Server::start_in(data, &[]);
    let alice = login(&s, "alice", "alice-password");
    let (_, after) = api(&s, Method::GET, "/api/v1/saved-searches", &alice, None);
    let items = after["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{after}");
    assert_eq!(items[0]["id"], busy_id.as_str());
    assert_eq!(items[0]["query"], "#/search?status=486&to_user=1001");
    assert_eq!(items[1]["name"], "mine");
}

#[test]
fn saved_searches_are_bounded_per_user_and_in_total() {
    // Seed the file with 999 of alice's and 9,000 of others' (10,000 requests would only
    // test patience), then reach both bounds through the API.
    let data = tempfile::tempdir().expect("tempdir");
    let item = |i: usize, owner: &str| {
        json!({"id": format!("{owner}-{i}"), "name": format!("s{i}"), "query": "#/search",
               "shared": false, "owner": owner, "created": 1_764_064_800})
    };
    let mut searches: Vec<Value> = (0..999).map(|i| item(i, "alice")).collect();
    for u in 0..9 {
        let owner = format!("other{u}");
        searches.extend((0..1000).map(|i| item(i, &owner)));
    }
    std::fs::write(
        data.path().join("saved-searches.json"),
        serde_json::to_vec(&json!({ "searches": searches })).expect("json"),
    )
    .expect("seed");
    let s = Server::start_in(data, &[]);
    let alice = user_session(&s, "alice", "user");
    let bob = user_session(&s, "bob", "user");
    assert_eq!(saved_names(&s, &alice).len(), 999);

    let started = std::time::Instant::now();
    let (st, v) = save(&s, &alice, "the 1000th", "#/search?x=1", false);
    assert_eq!(st, 201, "{v}");
    let bytes = std::fs::metadata(s.data.path().join("saved-searches.json")).map_or(0, |m| m.len());
    println!(
        "save with 10,000 searches held: {:?} ({bytes} bytes rewritten and synced)",
        started.elapsed()
    );
    let (st, v) = save(&s, &alice, "the 1001st", "#/search?x=1", false);
    assert_eq!(st, 400, "{v}");
    assert!(error_of(&v).contains("1000"), "{v}");
    // Replacing one is no new item: allowed at the bound.
    assert_eq!(save(&s, &alice, "s1", "#/search?x=2", true).0, 201);
    // 10,000 in all now: nobody may add.
    let (st, v) = save(&s, &bob, "first", "#/search", false);
    assert_eq!(st, 400, "{v}");
    assert!(error_of(&v).contains("10000"), "{v}");
    assert_eq!(saved_names(&s, &bob), ["s1"], "alice's shared one");
}
