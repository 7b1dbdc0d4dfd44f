//! `GET /api/v1/openapi.json` and `/api/docs` against the real binary: the document is
//! OpenAPI 3.1, names every route of the router (read from the router's source), and every
//! documented GET answers, on a store holding the lab capture, with a documented status and
//! a body of the documented shape.

mod util;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use util::*;

const LAB: &str = "lab/lab-calls.pcap";
const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// `path → methods` of every `.route("...", ...)` in the router's source. The `/api/{*rest}`
/// catch-all (a JSON 404 for unknown API paths) is not an operation and is left out.
fn router_routes() -> BTreeMap<String, BTreeSet<String>> {
    let src_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../argos-server/src/api/mod.rs"
    );
    let src = std::fs::read_to_string(src_path).expect("read api/mod.rs");
    let mut routes = BTreeMap::new();
    let mut rest = src.as_str();
    while let Some(at) = rest.find(".route(") {
        let args = call_args(&rest[at + ".route(".len()..]);
        rest = &rest[at + ".route(".len()..];
        let Some(path) = args.split('"').nth(1) else {
            continue;
        };
        if path.contains("{*") {
            continue;
        }
        let methods = routes.entry(path.to_owned()).or_insert_with(BTreeSet::new);
        for m in METHODS {
            // `get(`, `.post(`, `routing::delete(`: a method router, not a handler named so.
            let needle = format!("{m}(");
            let mut from = 0;
            while let Some(i) = args[from..].find(&needle) {
                let start = from + i;
                let before = args[..start].chars().next_back().unwrap_or(' ');
                if !(before.is_alphanumeric() || before == '_') {
                    methods.insert((*m).to_owned());
                }
                from = start + needle.len();
            }
        }
    }
    routes
}

/// The text up to the `)` closing a call whose `(` was just consumed.
fn call_args(s: &str) -> &str {
    let mut depth = 1;
    let mut in_str = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return &s[..i];
                }
            }
            _ => {}
        }
    }
    s
}

/// Follows `#/...` references within the document.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    let mut v = v;
    for _ in 0..10 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        let ptr = r.strip_prefix('#').expect("local $ref");
        v = doc
            .pointer(ptr)
            .unwrap_or_else(|| panic!("dangling $ref {r}"));
    }
    v
}

/// Checks `value` against the subset of JSON Schema the document uses (type, required,
/// properties, items, additionalProperties, enum, const, oneOf); returns every mismatch.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(alts) = schema.get("oneOf").and_then(Value::as_array) {
        let fits = alts.iter().any(|alt| {
            let mut e = Vec::new();
            check(doc, alt, value, at, &mut e);
            e.is_empty()
        });
        if !fits {
            errors.push(format!("{at}: matches no oneOf alternative: {value}"));
        }
        return;
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: expected {types:?}, got {value}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} not in {allowed:?}"));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            errors.push(format!("{at}: {value} is not {c}"));
        }
    }
    if let Some(obj) = value.as_object() {
        for req in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(req) {
                errors.push(format!("{at}: required property {req} missing"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(doc, s, v, &format!("{at}.{k}"), errors),
                None => match schema.get("additionalProperties") {
                    Some(s) if s.is_object() => check(doc, s, v, &format!("{at}.{k}"), errors),
                    Some(Value::Bool(true)) => {}
                    Some(Value::Bool(false)) => errors.push(format!("{at}: unexpected {k}")),
                    // Open objects: a property the document does not list is an omission
                    // worth fixing, so it is reported too.
                    _ if props.is_some() => {
                        errors.push(format!("{at}: property {k} not documented"))
                    }
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate().take(50) {
            check(doc, items, v, &format!("{at}[{i}]"), errors);
        }
    }
}

fn document(s: &Server) -> Value {
    // No credentials: the document is public.
    let r = Server::client()
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .expect("GET openapi.json");
    assert_eq!(r.status().as_u16(), 200);
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("application/json"), "content-type {ct}");
    serde_json::from_slice(&r.bytes().expect("body")).expect("openapi.json parses")
}

#[test]
fn document_names_every_route_of_the_router() {
    let s = Server::start(&[]);
    let doc = document(&s);
    let version = doc["openapi"].as_str().expect("openapi field");
    assert!(version.starts_with("3.1."), "openapi {version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["cookieAuth"]["in"], "cookie");
    assert_eq!(schemes["cookieAuth"]["name"], "argos_session");

    let routes = router_routes();
    assert!(
        routes.len() >= 17,
        "router parse found too few routes: {routes:?}"
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut missing = Vec::new();
    for (path, methods) in &routes {
        for m in methods {
            if paths.get(path).and_then(|p| p.get(m)).is_none() {
                missing.push(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes not in openapi.json: {missing:?}"
    );
    // And nothing documented that the router does not serve.
    for (path, item) in paths {
        for m in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            assert!(
                routes.get(path).is_some_and(|ms| ms.contains(*m)),
                "openapi.json documents {} {path}, the router has no such route",
                m.to_uppercase()
            );
        }
    }
    // Every operation: an id, a summary, responses; every reference resolves.
    let mut ids = BTreeSet::new();
    for (path, item) in paths {
        for m in METHODS {
            let Some(op) = item.get(*m) else { continue };
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            assert!(op["summary"].is_string(), "{m} {path}: summary");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{m} {path}: no 2xx answer"
            );
            for r in responses.values() {
                let r = resolve(&doc, r);
                assert!(r["description"].is_string(), "{m} {path}: response text");
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                let p = resolve(&doc, p);
                assert!(p["name"].is_string() && p["in"].is_string(), "{p}");
            }
        }
    }
    println!(
        "openapi.json: {} paths, {} operations, router: {} routes",
        paths.len(),
        ids.len(),
        routes.len()
    );
}

#[test]
fn docs_page_and_script_are_served_under_the_csp() {
    let s = Server::start(&[]);
    let c = Server::client();
    let page = c.get(s.url("/api/docs")).send().expect("GET /api/docs");
    assert_eq!(page.status().as_u16(), 200);
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "CSP {csp}");
    let html = page.text().expect("html");
    assert!(html.contains(r#"src="/apidocs.js""#), "{html}");
    // The CSP forbids inline script: the page may hold none.
    assert!(!html.contains("<script>") && !html.contains("onclick"));
    let js = c.get(s.url("/apidocs.js")).send().expect("GET js");
    assert_eq!(js.status().as_u16(), 200);
    let ct = js
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("text/javascript"), "{ct}");
    assert!(js.text().expect("js").contains("/api/v1/openapi.json"));
}

/// Fills a path template: `{call_id}` with a call of the capture, others with the
/// parameter's documented example.
fn fill_path(doc: &Value, path: &str, op: &Value, call_key: &str) -> String {
    let mut out = path.to_owned();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let p = resolve(doc, p);
        if p["in"] != "path" {
            continue;
        }
        let name = p["name"].as_str().expect("name");
        let value = if name == "call_id" {
            call_key.to_owned()
        } else {
            p["example"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| p["example"].to_string())
        };
        out = out.replace(&format!("{{{name}}}"), &urlencode(&value));
    }
    out
}

/// Checks one answer against the operation's responses; returns the problems.
fn check_answer(
    doc: &Value,
    label: &str,
    op: &Value,
    status: u16,
    ct: &str,
    body: &[u8],
) -> Vec<String> {
    let Some(resp) = op["responses"].get(status.to_string()) else {
        return vec![format!(
            "{label}: status {status} not documented ({})",
            String::from_utf8_lossy(body)
        )];
    };
    let resp = resolve(doc, resp);
    let Some(content) = resp["content"].as_object() else {
        return vec![];
    };
    let mime = ct.split(';').next().unwrap_or("").trim();
    let Some(media) = content.get(mime) else {
        return vec![format!(
            "{label}: {status} content-type {ct} not documented"
        )];
    };
    if mime != "application/json" {
        return vec![];
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return vec![format!("{label}: body is not JSON: {e}")],
    };
    let mut errors = Vec::new();
    check(doc, &media["schema"], &value, label, &mut errors);
    errors
}

/// GET `url` with the API token and checks the answer against the operation at `template`;
/// returns the problems and the body.
fn get_checked(s: &Server, doc: &Value, template: &str, url: &str) -> (Vec<String>, Value) {
    let op = &doc["paths"][template]["get"];
    let r = Server::client()
        .get(s.url(url))
        .bearer_auth(TOKEN)
        .send()
        .expect("GET");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = r.bytes().expect("body");
    let problems = check_answer(doc, &format!("GET {url}"), op, status, &ct, &body);
    (
        problems,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

#[test]
fn every_get_answers_as_documented_on_the_lab_capture() {
    let Some(pcap) = testdata(LAB) else { return };
    let data = tempfile::tempdir().expect("tempdir");
    // With RTP stream reports, so the QoS answers have streams to check.
    let data_dir = data.path().to_str().expect("utf-8 path");
    let pcap_path = pcap.to_str().expect("utf-8 path");
    argos(&[
        "import", "-q", "--rtp", "--rtcp", "--data", data_dir, pcap_path,
    ]);
    let s = Server::start_in(data, &[]);
    let doc = document(&s);
    let calls = s.get_json("/api/v1/calls?since=0&limit=1");
    let call_key = calls["calls"][0]["call_key"]
        .as_str()
        .expect("a call in the lab capture")
        .to_owned();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(op) = item.get("get") else { continue };
        let has_since = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| resolve(&doc, p)["name"] == "since");
        let mut url = fill_path(&doc, path, op, &call_key);
        if has_since {
            // The capture is from the past: the default window (the last day) is empty.
            url.push_str("?since=0");
        }
        problems.extend(get_checked(&s, &doc, path, &url).0);
        checked += 1;
    }
    // The search extras (match=any, a regex, a transaction type) answer as documented.
    let extras =
        "/api/v1/messages?since=0&from_user=sipp&to_user=1001&match=any&type=call&ruri_user~=%5E10";
    let (p, found) = get_checked(&s, &doc, "/api/v1/messages", extras);
    problems.extend(p);
    assert!(
        found["count"].as_u64().unwrap_or(0) > 0,
        "{extras}: nothing found"
    );
    // Every message (SIP and RTP reports, with raw), and every call's detail and QoS.
    let (p, _) = get_checked(
        &s,
        &doc,
        "/api/v1/messages",
        "/api/v1/messages?since=0&limit=10000&raw=1",
    );
    problems.extend(p);
    let (p, records) = get_checked(
        &s,
        &doc,
        "/api/v1/call-records",
        "/api/v1/call-records?since=0&limit=10000",
    );
    problems.extend(p);
    let mut streams = 0;
    let keys: Vec<String> = records["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["call_key"].as_str().map(str::to_owned))
        .collect();
    for key in &keys {
        let id = urlencode(key);
        let (p, _) = get_checked(
            &s,
            &doc,
            "/api/v1/calls/{call_id}",
            &format!("/api/v1/calls/{id}"),
        );
        problems.extend(p);
        let (p, qos) = get_checked(
            &s,
            &doc,
            "/api/v1/calls/{call_id}/qos",
            &format!("/api/v1/calls/{id}/qos"),
        );
        problems.extend(p);
        streams += qos["streams"].as_array().map_or(0, Vec::len);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        streams > 0,
        "no QoS stream in the lab capture's calls: nothing checked"
    );
    println!(
        "{checked} GET operations answered as documented; {} calls' detail and QoS ({streams} streams) too",
        keys.len()
    );
}

#[test]
fn errors_have_the_documented_shapes() {
    let s = Server::start(&[]);
    let doc = document(&s);
    let client = Server::client();
    let mut problems = Vec::new();
    let mut checked = 0;
    // Without credentials, every operation that needs a login answers 401 as documented.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            let Some(op) = item.get(*m) else { continue };
            let public = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty);
            if public {
                continue;
            }
            let url = fill_path(&doc, path, op, "no-such-call@example");
            let method = reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).expect("method");
            let r = client.request(method, s.url(&url)).send().expect("request");
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let body = r.bytes().expect("body");
            let label = format!("{} {url} (no login)", m.to_uppercase());
            if status != 401 {
                problems.push(format!("{label}: {status}, not 401"));
            }
            problems.extend(check_answer(&doc, &label, op, status, &ct, &body));
            checked += 1;
        }
    }
    // With a login: an unknown call is a documented 404, a bad parameter a documented 400.
    for (template, url, status) in [
        ("/api/v1/calls/{call_id}", "/api/v1/calls/no-such-call", 404),
        (
            "/api/v1/calls/{call_id}/qos",
            "/api/v1/calls/no-such-call/qos",
            404,
        ),
        ("/api/v1/messages", "/api/v1/messages?from_usr=1", 400),
        ("/api/v1/call-records", "/api/v1/call-records?limit=0", 400),
    ] {
        let op = &doc["paths"][template]["get"];
        let r = client
            .get(s.url(url))
            .bearer_auth(TOKEN)
            .send()
            .expect("GET");
        let got = r.status().as_u16();
        let body = r.bytes().expect("body");
        assert_eq!(got, status, "GET {url}");
        problems.extend(check_answer(&doc, url, op, got, "application/json", &body));
        checked += 1;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    println!("{checked} error answers as documented");
}

/// What [`send_checked`] gives: the status, the problems and the body.
type Checked = (u16, Vec<String>, Value);

/// Sends one request and checks the answer against the documented operation.
fn send_checked(
    doc: &Value,
    req: reqwest::blocking::RequestBuilder,
    template: &str,
    method: &str,
) -> Checked {
    let op = &doc["paths"][template][method];
    let r = req.send().expect("request");
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let retry_after = r.headers().contains_key("retry-after");
    let body = r.bytes().expect("body");
    let label = format!("{} {template} ({status})", method.to_uppercase());
    let mut problems = check_answer(doc, &label, op, status, &ct, &body);
    if status == 429 && !retry_after {
        problems.push(format!("{label}: 429 without Retry-After"));
    }
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    (status, problems, value)
}

/// The read_only user the role tests create: (users body, login body).
struct Viewer(serde_json::Value, serde_json::Value);

static VIEWER: std::sync::LazyLock<Viewer> = std::sync::LazyLock::new(|| {
    Viewer(
        serde_json::json!({"name": "viewer", "password": "viewer-password", "role": "read_only"}),
        serde_json::json!({"username": "viewer", "password": "viewer-password"}),
    )
});

/// Creates the read_only user `viewer` and logs it in, both answers checked against the
/// document by `expect`; returns its session token.
fn viewer_session(
    s: &Server,
    doc: &Value,
    expect: &mut dyn FnMut(Checked, u16, &str) -> Value,
) -> String {
    let c = Server::client();
    let req = c
        .post(s.url("/api/v1/users"))
        .bearer_auth(TOKEN)
        .json(&VIEWER.0);
    expect(
        send_checked(doc, req, "/api/v1/users", "post"),
        201,
        "admin creates a user",
    );
    let req = c.post(s.url("/api/v1/login")).json(&VIEWER.1);
    let session = expect(
        send_checked(doc, req, "/api/v1/login", "post"),
        200,
        "login",
    );
    session["token"].as_str().expect("token").to_owned()
}

#[test]
fn roles_rate_limit_and_body_errors_are_documented() {
    let s = Server::start(&[]);
    let doc = document(&s);
    let c = Server::client();
    let mut problems = Vec::new();
    let mut expect = |got: (u16, Vec<String>, Value), want: u16, what: &str| -> Value {
        assert_eq!(got.0, want, "{what}: {}", got.2);
        problems.extend(got.1);
        got.2
    };
    let token = viewer_session(&s, &doc, &mut expect);
    let req = c
        .post(s.url("/api/v1/users"))
        .bearer_auth(TOKEN)
        .json(&VIEWER.0);
    expect(
        send_checked(&doc, req, "/api/v1/users", "post"),
        409,
        "the name is taken",
    );
    let req = c.get(s.url("/api/v1/me")).bearer_auth(&token);
    expect(send_checked(&doc, req, "/api/v1/me", "get"), 200, "me");
    // read_only: reads, but user management is refused with a documented 403.
    let req = c.get(s.url("/api/v1/users")).bearer_auth(&token);
    expect(
        send_checked(&doc, req, "/api/v1/users", "get"),
        403,
        "read_only lists users",
    );
    let req = c.delete(s.url("/api/v1/users/admin")).bearer_auth(&token);
    expect(
        send_checked(&doc, req, "/api/v1/users/{name}", "delete"),
        403,
        "read_only deletes",
    );
    // Bodies that are not the JSON expected: axum's plain-text rejections, documented.
    let req = c.post(s.url("/api/v1/login")).body("{}");
    expect(
        send_checked(&doc, req, "/api/v1/login", "post"),
        415,
        "no content type",
    );
    let req = c
        .post(s.url("/api/v1/login"))
        .header("content-type", "application/json")
        .body("{");
    expect(
        send_checked(&doc, req, "/api/v1/login", "post"),
        400,
        "broken JSON",
    );
    let req = c
        .post(s.url("/api/v1/login"))
        .json(&serde_json::json!({"username": "x"}));
    expect(
        send_checked(&doc, req, "/api/v1/login", "post"),
        422,
        "no password",
    );
    // Failed logins until the limiter answers 429 (with Retry-After).
    let mut limited = false;
    for _ in 0..20 {
        let wrong = serde_json::json!({"username": "nobody", "password": "wrong-password"});
        let req = c.post(s.url("/api/v1/login")).json(&wrong);
        let (status, p, _) = send_checked(&doc, req, "/api/v1/login", "post");
        problems.extend(p);
        if status == 429 {
            limited = true;
            break;
        }
        assert_eq!(status, 401, "wrong password");
    }
    assert!(limited, "20 failed logins were never limited");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Headless Chromium loads `/api/docs` under the CSP and the script renders one entry per
/// operation of the document, with no error shown.
#[test]
fn docs_page_renders_every_operation_in_chromium() {
    let browser = "chromium";
    if !have(browser) {
        return;
    }
    let s = Server::start(&[]);
    let doc = document(&s);
    let operations = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| METHODS.iter().filter(|m| item.get(**m).is_some()).count())
        .sum::<usize>();
    let profile = tempfile::tempdir().expect("profile dir");
    let out = std::process::Command::new("timeout")
        .args(["60", browser, "--headless", "--no-sandbox", "--disable-gpu"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=5000", "--dump-dom"])
        .arg(s.url("/api/docs"))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let rendered = dom.matches(r#"<details class="op""#).count();
    assert_eq!(
        rendered,
        operations,
        "operations rendered by /api/docs (stderr: {})",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dom.contains(r#"id="error" role="alert" hidden"#),
        "the page shows an error"
    );
    println!("/api/docs rendered {rendered} operations in {browser}");
}

/// Saved searches: every answer of the three operations (201, 400, 403, 404, 200 and the
/// list) has a documented status and shape.
#[test]
fn saved_searches_answer_as_documented() {
    let s = Server::start(&[]);
    let doc = document(&s);
    let c = Server::client();
    let mut problems = Vec::new();
    let mut expect = |got: (u16, Vec<String>, Value), want: u16, what: &str| -> Value {
        assert_eq!(got.0, want, "{what}: {}", got.2);
        problems.extend(got.1);
        got.2
    };
    let viewer = viewer_session(&s, &doc, &mut expect);
    let list = "/api/v1/saved-searches";
    let one = "/api/v1/saved-searches/{id}";
    let body = serde_json::json!({"name": "busy", "query": "#/search?status=486", "shared": true});
    let req = c.post(s.url(list)).bearer_auth(TOKEN).json(&body);
    let saved = expect(send_checked(&doc, req, list, "post"), 201, "save");
    let req = c
        .post(s.url(list))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"name": "", "query": "#/search"}));
    expect(send_checked(&doc, req, list, "post"), 400, "empty name");
    let req = c.post(s.url(list)).bearer_auth(&viewer).json(&body);
    expect(
        send_checked(&doc, req, list, "post"),
        403,
        "read_only saves",
    );
    let req = c.get(s.url(list)).bearer_auth(&viewer);
    let listed = expect(send_checked(&doc, req, list, "get"), 200, "list");
    assert_eq!(listed["items"][0], saved, "the shared search, as saved");
    let id = saved["id"].as_str().expect("id");
    let req = c
        .delete(s.url(&format!("{list}/{id}")))
        .bearer_auth(&viewer);
    expect(
        send_checked(&doc, req, one, "delete"),
        403,
        "read_only deletes",
    );
    let req = c.delete(s.url(&format!("{list}/{id}"))).bearer_auth(TOKEN);
    expect(send_checked(&doc, req, one, "delete"), 200, "delete");
    let req = c.delete(s.url(&format!("{list}/{id}"))).bearer_auth(TOKEN);
    expect(send_checked(&doc, req, one, "delete"), 404, "deleted again");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
