//! Access control of `argos serve`: roles, the users API, API tokens with expiry, the login
//! rate limit, the audit log and HTTPS — against the real binary over real sockets.

mod util;

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::Method;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use util::*;

/// `argos serve` as [`Server::start`] does, with extra environment variables.
fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Server {
    let data = tempfile::tempdir().expect("tempdir");
    let hep_port = free_port();
    let http: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let hep = format!("127.0.0.1:{hep_port}");
    let mut cmd = Command::new(bin());
    cmd.args(["serve", "--data"])
        .arg(data.path())
        .args([
            "--hep-udp",
            &hep,
            "--hep-tcp",
            &hep,
            "--http",
            &http.to_string(),
        ])
        .args(extra)
        .env("ARGOS_ADMIN_PASSWORD", PASSWORD)
        .env("ARGOS_API_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start argos serve");
    let out = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(out).lines();
    let mut banner = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match lines.next() {
            Some(Ok(l)) => {
                let done = l == "ready";
                banner.push(l);
                if done {
                    break;
                }
            }
            _ => panic!("server exited before ready: {banner:?}"),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        data,
        hep_port,
        http,
        banner,
    }
}

/// One API request; returns the status, the JSON body (Null if none) and the headers.
fn call(
    rb: RequestBuilder,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let rb = match bearer {
        Some(t) => rb.bearer_auth(t),
        None => rb,
    };
    let rb = match body {
        Some(b) => rb.json(&b),
        None => rb,
    };
    let r = rb.send().expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        headers,
    )
}

fn api(
    s: &Server,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let (st, v, _) = call(Server::client().request(method, s.url(path)), bearer, body);
    (st, v)
}

/// Logs in; returns the session token.
fn login(s: &Server, user: &str, password: &str) -> String {
    let (st, v) = api(
        s,
        Method::POST,
        "/api/v1/login",
        None,
        Some(json!({ "username": user, "password": password })),
    );
    assert_eq!(st, 200, "login {user}: {v}");
    v["token"].as_str().expect("token").to_owned()
}

fn create_user(s: &Server, name: &str, role: &str) -> String {
    let pw = format!("{name}-password");
    let (st, v) = api(
        s,
        Method::POST,
        "/api/v1/users",
        Some(TOKEN),
        Some(json!({ "name": name, "password": pw, "role": role })),
    );
    assert_eq!(st, 201, "create {name}: {v}");
    pw
}

#[test]
fn roles_decide_who_may_change_what() {
    let s = Server::start(&[]);
    let ro_pw = create_user(&s, "viewer", "read_only");
    let user_pw = create_user(&s, "alice", "user");
    let ro = login(&s, "viewer", &ro_pw);
    let user = login(&s, "alice", &user_pw);

    // read_only reads everything ...
    for path in [
        "/api/v1/calls",
        "/api/v1/status",
        "/api/v1/me",
        "/api/v1/tokens",
    ] {
        let (st, v) = api(&s, Method::GET, path, Some(&ro), None);
        assert_eq!(st, 200, "read_only GET {path}: {v}");
    }
    let (_, me) = api(&s, Method::GET, "/api/v1/me", Some(&ro), None);
    assert_eq!(me["role"], "read_only");
    // ... but changes nothing: users, tokens, passwords (settings are admin-only by the
    // same rule: every non-read route not listed as self-service).
    let changes: [(Method, &str, Value); 5] = [
        (
            Method::POST,
            "/api/v1/users",
            json!({"name":"x1","password":"long-enough","role":"admin"}),
        ),
        (Method::PUT, "/api/v1/users/alice", json!({"role":"admin"})),
        (Method::DELETE, "/api/v1/users/alice", Value::Null),
        (Method::POST, "/api/v1/tokens", json!({"name":"t"})),
        (
            Method::PUT,
            "/api/v1/me/password",
            json!({"current_password": ro_pw, "new_password":"another-one"}),
        ),
    ];
    for (m, path, body) in changes {
        let body = (!body.is_null()).then_some(body);
        let (st, v) = api(&s, m.clone(), path, Some(&ro), body);
        assert_eq!(st, 403, "read_only {m} {path}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| e.contains("role")),
            "{v}"
        );
    }
    let (st, _) = api(&s, Method::GET, "/api/v1/users", Some(&ro), None);
    assert_eq!(st, 403, "read_only lists users");

    // A `user` cannot manage users, but has its own tokens and password.
    let (st, v) = api(
        &s,
        Method::POST,
        "/api/v1/users",
        Some(&user),
        Some(json!({"name":"mallory","password":"long-enough","role":"admin"})),
    );
    assert_eq!(st, 403, "user creates a user: {v}");
    let (st, v) = api(
        &s,
        Method::POST,
        "/api/v1/tokens",
        Some(&user),
        Some(json!({"name":"mine"})),
    );
    assert_eq!(st, 201, "user creates a token: {v}");
    let (st, v) = api(
        &s,
        Method::PUT,
        "/api/v1/me/password",
        Some(&user),
        Some(json!({"current_password": user_pw, "new_password": "alice-new-password"})),
    );
    assert_eq!(st, 200, "user changes own password: {v}");
    login(&s, "alice", "alice-new-password");

    // The admin can; role changes apply to live sessions at once.
    let admin = login(&s, "admin", PASSWORD);
    let (st, v) = api(
        &s,
        Method::PUT,
        "/api/v1/users/viewer",
        Some(&admin),
        Some(json!({"role":"user"})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, _) = api(
        &s,
        Method::POST,
        "/api/v1/tokens",
        Some(&ro),
        Some(json!({"name":"t"})),
    );
    assert_eq!(st, 201, "promoted viewer creates a token");
    let (_, users) = api(&s, Method::GET, "/api/v1/users", Some(&admin), None);
    let names: Vec<&str> = users
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, ["admin", "alice", "viewer"]);
    // Never the last admin.
    let (st, v) = api(
        &s,
        Method::DELETE,
        "/api/v1/users/admin",
        Some(&admin),
        None,
    );
    assert_eq!(st, 409, "last admin deleted: {v}");
    let (st, _) = api(
        &s,
        Method::DELETE,
        "/api/v1/users/viewer",
        Some(&admin),
        None,
    );
    assert_eq!(st, 200);
    let (st, _) = api(&s, Method::GET, "/api/v1/calls", Some(&ro), None);
    assert_eq!(st, 401, "a deleted user's session still works");
}

#[test]
fn api_tokens_work_expire_and_revoke() {
    let s = start_with_env(&[], &[("ARGOS_TEST_SHORT_TOKENS", "1")]);
    let pw = create_user(&s, "bot", "user");
    let session = login(&s, "bot", &pw);
    let (st, long) = api(
        &s,
        Method::POST,
        "/api/v1/tokens",
        Some(&session),
        Some(json!({"name":"ci","expires_in_days":30})),
    );
    assert_eq!(st, 201, "{long}");
    let secret = long["secret"].as_str().expect("secret").to_owned();
    assert_eq!(secret.len(), 43, "32 bytes, base64url");
    assert_eq!(long["role"], "user");
    let (st, me) = api(&s, Method::GET, "/api/v1/me", Some(&secret), None);
    assert_eq!(st, 200);
    assert_eq!(me["name"], "bot");
    let (st, _) = api(&s, Method::GET, "/api/v1/calls", Some(&secret), None);
    assert_eq!(st, 200, "token reads calls");
    let (st, _) = api(
        &s,
        Method::POST,
        "/api/v1/users",
        Some(&secret),
        Some(json!({"name":"x2","password":"long-enough","role":"user"})),
    );
    assert_eq!(st, 403, "a user's token is no admin");
    // Limits: at most 365 days; seconds only in test mode (set here).
    let (st, _) = api(
        &s,
        Method::POST,
        "/api/v1/tokens",
        Some(&session),
        Some(json!({"name":"x","expires_in_days":366})),
    );
    assert_eq!(st, 400);

    // Expiry.
    let (st, short) = api(
        &s,
        Method::POST,
        "/api/v1/tokens",
        Some(&session),
        Some(json!({"name":"short","expires_in_seconds":1})),
    );
    assert_eq!(st, 201, "{short}");
    let short_secret = short["secret"].as_str().expect("secret").to_owned();
    std::thread::sleep(Duration::from_millis(2100));
    let (st, v) = api(&s, Method::GET, "/api/v1/calls", Some(&short_secret), None);
    assert_eq!(st, 401, "expired token: {v}");
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("expired")),
        "{v}"
    );

    // Listing: own tokens (with last_used), never secrets; the admin sees all.
    let (_, mine) = api(&s, Method::GET, "/api/v1/tokens", Some(&session), None);
    let mine = mine.as_array().expect("list").clone();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|t| t.get("secret").is_none()));
    let ci = mine.iter().find(|t| t["name"] == "ci").expect("ci token");
    assert!(ci["last_used"].is_string(), "{ci}");
    let (_, all) = api(&s, Method::GET, "/api/v1/tokens", Some(TOKEN), None);
    assert_eq!(all.as_array().map(Vec::len), Some(2));

    // Another user can neither see nor revoke it.
    let other_pw = create_user(&s, "eve", "user");
    let eve = login(&s, "eve", &other_pw);
    let id = long["id"].as_str().expect("id");
    let (st, _) = api(
        &s,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Some(&eve),
        None,
    );
    assert_eq!(st, 404);
    // Revoke → 401.
    let (st, _) = api(
        &s,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Some(&session),
        None,
    );
    assert_eq!(st, 200);
    let (st, _) = api(&s, Method::GET, "/api/v1/calls", Some(&secret), None);
    assert_eq!(st, 401, "revoked token still works");
    // ARGOS_API_TOKEN stays an admin.
    let (_, me) = api(&s, Method::GET, "/api/v1/me", Some(TOKEN), None);
    assert_eq!(me["role"], "admin");
}

#[test]
fn short_tokens_need_the_test_switch() {
    let s = Server::start(&[]);
    let (st, v) = api(
        &s,
        Method::POST,
        "/api/v1/tokens",
        Some(TOKEN),
        Some(json!({"name":"x","expires_in_seconds":5})),
    );
    // ARGOS_API_TOKEN is not a user: it owns no tokens either way; a real admin session:
    assert!(st == 400, "{v}");
    let admin = login(&s, "admin", PASSWORD);
    let (st, v) = api(
        &s,
        Method::POST,
        "/api/v1/tokens",
        Some(&admin),
        Some(json!({"name":"x","expires_in_seconds":5})),
    );
    assert_eq!(st, 400, "{v}");
    assert!(
        v["error"]
            .as_str()
            .is_some_and(|e| e.contains("tests only")),
        "{v}"
    );
}

/// Every route of the protected router, read from its source: `(method, path)`.
fn protected_routes() -> Vec<(Method, String)> {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../argos-server/src/api/mod.rs"),
    )
    .expect("read api/mod.rs");
    let start = src
        .find("let protected = Router::new()")
        .expect("protected router");
    let end = start + src[start..].find(".route_layer(").expect("route_layer");
    let block = &src[start..end];
    let method_re = regex::Regex::new(r"\b(get|post|put|delete|patch)\(").expect("regex");
    let param_re = regex::Regex::new(r"\{[^}]+\}").expect("regex");
    let mut out = Vec::new();
    for chunk in block.split(".route(").skip(1) {
        let Some(path) = chunk.split('"').nth(1) else {
            continue;
        };
        let concrete = param_re.replace_all(path, "x").into_owned();
        for m in method_re.captures_iter(chunk) {
            let method = Method::from_bytes(m[1].to_uppercase().as_bytes()).expect("method");
            out.push((method, concrete.clone()));
        }
    }
    out
}

#[test]
fn every_api_route_needs_credentials() {
    let s = Server::start(&[]);
    let routes = protected_routes();
    assert!(routes.len() >= 20, "router parse found only {routes:?}");
    for path in [
        "/api/v1/users",
        "/api/v1/tokens/x",
        "/api/v1/audit",
        "/api/v1/me/password",
        "/api/v1/saved-searches",
        "/api/v1/saved-searches/x",
    ] {
        assert!(
            routes.iter().any(|(_, p)| p == path),
            "{path} not in {routes:?}"
        );
    }
    for (m, path) in &routes {
        for bearer in [None, Some("not-a-token")] {
            let body = (m != Method::GET).then(|| json!({}));
            let (st, v) = api(&s, m.clone(), path, bearer, body);
            assert_eq!(st, 401, "{m} {path} with {bearer:?}: {v}");
        }
    }
    eprintln!("{} protected routes checked", routes.len());
}

#[test]
fn login_rate_limit_then_success_after_the_window() {
    // 10 s: five argon2 checks of a debug build must fit in the window.
    let s = Server::start(&["--login-window", "10"]);
    let bad = json!({ "username": "admin", "password": "wrong" });
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(api(&s, Method::POST, "/api/v1/login", None, Some(bad.clone())).0);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429]);
    // Locked: even the right password is refused, with Retry-After.
    let (st, v, h) = call(
        Server::client().post(s.url("/api/v1/login")),
        None,
        Some(json!({ "username": "admin", "password": PASSWORD })),
    );
    assert_eq!(st, 429, "{v}");
    let retry: u64 = h
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    assert_eq!(s.metric("argos_login_failures_total"), 5.0);
    assert_eq!(s.metric("argos_login_rate_limited_total"), 1.0);
    std::thread::sleep(Duration::from_secs(retry) + Duration::from_millis(100));
    login(&s, "admin", PASSWORD);
    // The next lockout is twice as long.
    for _ in 0..5 {
        api(&s, Method::POST, "/api/v1/login", None, Some(bad.clone()));
    }
    let (st, _, h) = call(
        Server::client().post(s.url("/api/v1/login")),
        None,
        Some(bad),
    );
    assert_eq!(st, 429);
    assert_eq!(
        h.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("20")
    );
}

/// Sends the built-in test call to the server's HEP port and waits until it is stored.
fn one_call(s: &Server) -> Option<String> {
    argos(&[
        "gen",
        "--to",
        &format!("udp:127.0.0.1:{}", s.hep_port),
        "--rate",
        "100",
        "--count",
        "7",
    ]);
    s.wait_for(Duration::from_secs(10), |s| {
        let v = s.get_json("/api/v1/calls?limit=1");
        let calls = v.get("calls").cloned().unwrap_or(v);
        calls
            .as_array()
            .and_then(|a| a.first())
            .and_then(|c| c["call_ids"].get(0))
            .and_then(Value::as_str)
            .map(str::to_owned)
    })
}

#[test]
fn audit_log_records_logins_user_changes_and_pcap_downloads() {
    let s = Server::start(&[]);
    let bad = json!({ "username": "admin", "password": "wrong" });
    assert_eq!(
        api(&s, Method::POST, "/api/v1/login", None, Some(bad)).0,
        401
    );
    let admin = login(&s, "admin", PASSWORD);
    create_user(&s, "carol", "read_only");
    let (st, _) = api(
        &s,
        Method::PUT,
        "/api/v1/users/carol",
        Some(&admin),
        Some(json!({"role":"user"})),
    );
    assert_eq!(st, 200);
    let call_id = one_call(&s).expect("the generated call was not stored");
    let r = Server::client()
        .get(s.url(&format!("/api/v1/calls/{}/pcap", urlencode(&call_id))))
        .bearer_auth(&admin)
        .send()
        .expect("pcap");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        api(&s, Method::POST, "/api/v1/logout", Some(&admin), None).0,
        200
    );

    // The file: one JSON object per line, oldest first.
    let text = std::fs::read_to_string(s.data.path().join("audit.log")).expect("audit.log");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let actions: Vec<&str> = lines.iter().filter_map(|l| l["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "login.failed",
            "login.ok",
            "user.create",
            "user.update",
            "export",
            "logout"
        ],
        "{text}"
    );
    let get = |a: &str| lines.iter().find(|l| l["action"] == a).expect("event");
    assert_eq!(get("login.failed")["user"], "admin");
    assert_eq!(get("login.failed")["ip"], "127.0.0.1");
    assert_eq!(get("user.update")["target"], "carol");
    assert_eq!(
        get("user.create")["user"],
        "api",
        "created with ARGOS_API_TOKEN"
    );
    assert_eq!(get("export")["call_id"], call_id.as_str());
    assert_eq!(get("export")["user"], "admin");
    assert!(lines.iter().all(|l| l["ts"].is_string()));

    // The API: admin only, newest first, since/limit.
    let (_, v) = api(&s, Method::GET, "/api/v1/audit?limit=2", Some(TOKEN), None);
    let got: Vec<&str> = v
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|l| l["action"].as_str())
        .collect();
    assert_eq!(got, ["logout", "export"]);
    let (_, v) = api(
        &s,
        Method::GET,
        "/api/v1/audit?since=2999-01-01T00:00:00Z",
        Some(TOKEN),
        None,
    );
    assert_eq!(v.as_array().map(Vec::len), Some(0));
    let carol = login(&s, "carol", "carol-password");
    assert_eq!(
        api(&s, Method::GET, "/api/v1/audit", Some(&carol), None).0,
        403
    );
}

#[test]
fn https_serves_the_api_with_secure_cookies() {
    let dir = tempfile::tempdir().expect("tmp");
    let Some((cert, key)) = make_cert(dir.path()) else {
        return;
    };
    let s = Server::start(&[
        "--http-tls-cert",
        cert.to_str().expect("utf-8"),
        "--http-tls-key",
        key.to_str().expect("utf-8"),
    ]);
    let base = format!("https://localhost:{}", s.http.port());
    assert!(
        s.banner
            .iter()
            .any(|l| l.contains(&format!("https://127.0.0.1:{}/", s.http.port()))),
        "{:?}",
        s.banner
    );
    let pem = std::fs::read(&cert).expect("cert");
    let client = Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
        .resolve("localhost", s.http)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let (st, v, h) = call(
        client.post(format!("{base}/api/v1/login")),
        None,
        Some(json!({ "username": "admin", "password": PASSWORD })),
    );
    assert_eq!(st, 200, "{v}");
    let cookie = h
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .expect("Set-Cookie")
        .to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let session = cookie.split(';').next().expect("cookie pair").to_owned();
    let r = client
        .get(format!("{base}/api/v1/me"))
        .header("cookie", session)
        .send()
        .expect("me");
    assert_eq!(r.status().as_u16(), 200);
    let me: Value = r.json().expect("json");
    assert_eq!(me["name"], "admin");
    // Plain HTTP on the same port gets no API.
    let plain = Server::client()
        .get(s.url("/api/v1/status"))
        .bearer_auth(TOKEN)
        .send();
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
    // The audit log has the HTTPS client's IP.
    let text = std::fs::read_to_string(s.data.path().join("audit.log")).expect("audit.log");
    assert!(text.contains("\"ip\":\"127.0.0.1\""), "{text}");
}

#[test]
fn passwd_sets_roles_and_old_users_files_become_admins() {
    let data = tempfile::tempdir().expect("tmp");
    let d = data.path().to_str().expect("utf-8").to_owned();
    // A users file from before roles: its users were all admins.
    let created = argos(&["passwd", "--data", &d, "ops", "--password", "ops-password"]);
    assert!(
        created.contains("user ops created (role user)"),
        "{created}"
    );
    let path = data.path().join("users.json");
    let mut file: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    for u in file["users"].as_array_mut().expect("users") {
        u.as_object_mut().expect("user").remove("role");
    }
    std::fs::write(&path, file.to_string()).expect("write");
    let out = argos(&[
        "passwd",
        "--data",
        &d,
        "viewer",
        "--role",
        "read_only",
        "--password",
        "viewer-password",
    ]);
    assert!(out.contains("role read_only"), "{out}");
    let s = Server::start_in(data, &[]);
    let ops = login(&s, "ops", "ops-password");
    assert_eq!(
        api(&s, Method::GET, "/api/v1/me", Some(&ops), None).1["role"],
        "admin"
    );
    let viewer = login(&s, "viewer", "viewer-password");
    assert_eq!(
        api(&s, Method::GET, "/api/v1/me", Some(&viewer), None).1["role"],
        "read_only"
    );
    let saved = std::fs::read_to_string(s.data.path().join("users.json")).expect("read");
    assert_eq!(saved.matches("\"role\"").count(), 3, "{saved}");
}

/// A real OpenLDAP `slapd` (Debian package slapd) on a free port with `dc=example` holding
/// `uid=lisa,ou=people` (password `lisa-password`). None (SKIP) without slapd.
struct Slapd {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_slapd() -> Option<Slapd> {
    let have_slapd = ["/usr/sbin/slapd", "/usr/sbin/slapadd"]
        .iter()
        .all(|p| Path::new(p).exists())
        && Path::new("/etc/ldap/schema/inetorgperson.schema").exists();
    if !have_slapd {
        eprintln!("SKIP: slapd not installed (apt-get install slapd)");
        return None;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("db");
    std::fs::create_dir(&db).expect("db dir");
    let conf = dir.path().join("slapd.conf");
    std::fs::write(
        &conf,
        format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             pidfile {pid}\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             database mdb\n\
             suffix \"dc=example\"\n\
             rootdn \"cn=admin,dc=example\"\n\
             rootpw root-secret\n\
             directory {db}\n",
            pid = dir.path().join("slapd.pid").display(),
            db = db.display()
        ),
    )
    .expect("slapd.conf");
    let ldif = dir.path().join("data.ldif");
    std::fs::write(
        &ldif,
        "dn: dc=example\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: ou=people,dc=example\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: uid=lisa,ou=people,dc=example\nobjectClass: inetOrgPerson\nuid: lisa\ncn: Lisa\nsn: L\n\
         userPassword: lisa-password\n",
    )
    .expect("ldif");
    let out = Command::new("/usr/sbin/slapadd")
        .arg("-f")
        .arg(&conf)
        .arg("-l")
        .arg(&ldif)
        .output()
        .expect("slapadd");
    assert!(
        out.status.success(),
        "slapadd: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = free_port();
    let child = Command::new("/usr/sbin/slapd")
        .arg("-f")
        .arg(&conf)
        .args(["-h", &format!("ldap://127.0.0.1:{port}/"), "-d", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start slapd");
    let slapd = Slapd {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "slapd did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(slapd)
}

#[test]
fn ldap_simple_bind_logs_directory_users_in_with_the_default_role() {
    let Some(ldap) = start_slapd() else { return };
    let url = format!("ldap://127.0.0.1:{}", ldap.port);
    let s = Server::start(&[
        "--ldap-url",
        &url,
        "--ldap-user-dn",
        "uid={user},ou=people,dc=example",
        "--ldap-role",
        "read_only",
    ]);
    assert!(
        s.banner.iter().any(|l| l.contains("LDAP logins")),
        "{:?}",
        s.banner
    );
    let lisa = login(&s, "lisa", "lisa-password");
    let (_, me) = api(&s, Method::GET, "/api/v1/me", Some(&lisa), None);
    assert_eq!(me["name"], "lisa");
    assert_eq!(me["role"], "read_only");
    assert_eq!(
        api(&s, Method::GET, "/api/v1/calls", Some(&lisa), None).0,
        200
    );
    let (st, _) = api(
        &s,
        Method::POST,
        "/api/v1/users",
        Some(&lisa),
        Some(json!({"name":"z","password":"long-enough","role":"admin"})),
    );
    assert_eq!(st, 403);
    // Wrong password, an empty one (an anonymous bind in LDAP), a DN-injection attempt.
    for (u, p) in [
        ("lisa", "wrong"),
        ("lisa", ""),
        ("lisa,ou=people", "lisa-password"),
    ] {
        let (st, v) = api(
            &s,
            Method::POST,
            "/api/v1/login",
            None,
            Some(json!({"username": u, "password": p})),
        );
        assert_eq!(st, 401, "{u}/{p}: {v}");
    }
    // Local users are never sent to the directory.
    login(&s, "admin", PASSWORD);
    let text = std::fs::read_to_string(s.data.path().join("audit.log")).expect("audit.log");
    assert!(text.contains("\"source\":\"ldap\""), "{text}");
    // The directory down: 503, and local logins still work.
    drop(ldap);
    let (st, v) = api(
        &s,
        Method::POST,
        "/api/v1/login",
        None,
        Some(json!({"username":"lisa","password":"lisa-password"})),
    );
    assert_eq!(st, 503, "{v}");
    login(&s, "admin", PASSWORD);
}
