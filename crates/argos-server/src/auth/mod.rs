//! Users, roles, passwords, sessions, API tokens, the login limiter and the audit log.
//!
//! Users live in `DATA/users.json` with argon2id password hashes and a [`Role`]. The first
//! start creates `admin` with a random password that the banner prints once;
//! `ARGOS_ADMIN_PASSWORD` sets it at any start. Sessions are random 256-bit tokens held in
//! memory (valid 7 days), given to browsers as an HttpOnly cookie and to scripts as a bearer
//! token. Long-lived API tokens are in [`tokens`]; `ARGOS_API_TOKEN` is an admin token.
//!
//! Sessions and tokens name their user, never a copy of its role: a role change or a deleted
//! user takes effect on the next request.

pub mod audit;
pub mod ldap;
pub mod limit;
pub mod tokens;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use parking_lot::Mutex;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
const MAX_SESSIONS: usize = 10_000;
/// Shortest password the API and `argos passwd` accept.
pub const MIN_PASSWORD_LEN: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("reading or writing {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON")]
    Format {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("hashing a password failed: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("no such user: {0}")]
    NoSuchUser(String),
    #[error("user {0} exists already")]
    UserExists(String),
    #[error("the last admin cannot be removed or demoted")]
    LastAdmin,
    #[error("{0}")]
    Invalid(String),
}

/// What a user may do. Ordered: each role may do everything the ones before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads everything (calls, messages, stats); changes nothing.
    ReadOnly,
    /// Reads, and manages its own password and API tokens.
    User,
    /// Everything, including users, all tokens and the audit log.
    Admin,
}

impl Role {
    /// The name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReadOnly => "read_only",
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = AuthError;
    fn from_str(s: &str) -> Result<Role, AuthError> {
        match s {
            "read_only" | "read-only" | "readonly" => Ok(Role::ReadOnly),
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            other => Err(AuthError::Invalid(format!(
                "unknown role {other:?}: use admin, user or read_only"
            ))),
        }
    }
}

/// Users files written before roles existed have no `role`: their users were all admins.
fn legacy_role() -> Role {
    Role::Admin
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct User {
    username: String,
    hash: String,
    #[serde(default = "legacy_role", deserialize_with = "role_lenient")]
    role: Role,
}

/// Accepts any role string an older file may hold; unknown ones become admin (the only
/// role older versions knew).
fn role_lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Role, D::Error> {
    let s = String::deserialize(d)?;
    Ok(s.parse().unwrap_or(Role::Admin))
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct UsersFile {
    users: Vec<User>,
}

/// A user as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
}

/// What happened to the admin account at start, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminSetup {
    /// First start: a new admin with this generated password.
    Created { password: String },
    /// The password was set from `ARGOS_ADMIN_PASSWORD`.
    FromEnv,
    /// The admin existed already; nothing changed.
    Existing,
}

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// A login session (cookie or bearer).
    Session,
    /// An API token with this id.
    Token(String),
    /// The `ARGOS_API_TOKEN` of the server's environment.
    EnvToken,
}

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: String,
    pub role: Role,
    pub credential: Credential,
}

/// Why a presented credential was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, revoked or logged-out.
    Invalid,
    /// An API token past its expiry (unix seconds).
    Expired { at: i64 },
}

/// A login session. Local users' roles are looked up on each request; a directory (LDAP)
/// login has no local entry and carries the role it was given at login.
#[derive(Debug, Clone)]
struct LiveSession {
    username: String,
    expires: Instant,
    external_role: Option<Role>,
}

/// Users, live sessions and API tokens.
#[derive(Debug)]
pub struct Auth {
    path: PathBuf,
    users: Mutex<UsersFile>,
    /// Session token → session.
    sessions: Mutex<HashMap<String, LiveSession>>,
    /// A long-lived admin token for scripts (`ARGOS_API_TOKEN`), if configured.
    api_token: Option<String>,
    /// API tokens (`DATA/tokens.json`).
    pub tokens: tokens::TokenStore,
}

/// An argon2id PHC string of `pw` with a fresh salt. Slow by design: call off async threads.
pub fn hash_password(pw: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AuthError::Hash)
}

fn verify_password(hash: &str, pw: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// Verified against when the user is unknown, so timing does not tell which names exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1c6Iu0aOvhGl4g8c8aTSCVa3i1mF3p/5m9UYD1hYd8s";

/// A random hex token of `bytes` bytes.
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Checks a user name: 1–64 characters of letters, digits and `._@-`.
pub fn valid_username(name: &str) -> Result<(), AuthError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AuthError::Invalid(
            "user name: 1 to 64 letters, digits or . _ @ -".into(),
        ))
    }
}

/// Checks a new password's length.
pub fn valid_password(pw: &str) -> Result<(), AuthError> {
    if pw.chars().count() >= MIN_PASSWORD_LEN {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "password must have at least {MIN_PASSWORD_LEN} characters"
        )))
    }
}

impl Auth {
    /// Loads `DIR/users.json` and `DIR/tokens.json`, creating the admin account when
    /// missing. Users without a role (older files) become admins.
    pub fn open(
        data_dir: &Path,
        admin_password: Option<&str>,
        api_token: Option<String>,
    ) -> Result<(Auth, AdminSetup), AuthError> {
        let path = data_dir.join("users.json");
        let (mut file, migrate): (UsersFile, bool) = match std::fs::read(&path) {
            Ok(bytes) => {
                let file = serde_json::from_slice(&bytes).map_err(|source| AuthError::Format {
                    path: path.clone(),
                    source,
                })?;
                let had_roles = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v.get("users").and_then(|u| u.as_array()).cloned())
                    .is_some_and(|us| {
                        us.iter().all(|u| {
                            u.get("role")
                                .and_then(|r| r.as_str())
                                .is_some_and(|r| r.parse::<Role>().is_ok())
                        })
                    });
                (file, !had_roles)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (UsersFile::default(), false),
            Err(source) => return Err(AuthError::Io { path, source }),
        };
        let has_admin = file.users.iter().any(|u| u.username == "admin");
        let setup = match (admin_password, has_admin) {
            (Some(pw), _) => {
                let hash = hash_password(pw)?;
                file.users.retain(|u| u.username != "admin");
                file.users.push(User {
                    username: "admin".into(),
                    hash,
                    role: Role::Admin,
                });
                AdminSetup::FromEnv
            }
            (None, true) => AdminSetup::Existing,
            (None, false) => {
                let password = random_token(9);
                file.users.push(User {
                    username: "admin".into(),
                    hash: hash_password(&password)?,
                    role: Role::Admin,
                });
                AdminSetup::Created { password }
            }
        };
        let auth = Auth {
            path,
            users: Mutex::new(file),
            sessions: Mutex::new(HashMap::new()),
            api_token: api_token.filter(|t| !t.is_empty()),
            tokens: tokens::TokenStore::open(data_dir)?,
        };
        if setup != AdminSetup::Existing || migrate {
            auth.save()?;
        }
        Ok((auth, setup))
    }

    fn save(&self) -> Result<(), AuthError> {
        let json =
            serde_json::to_vec_pretty(&*self.users.lock()).map_err(|source| AuthError::Format {
                path: self.path.clone(),
                source,
            })?;
        write_private(&self.path, &json)
    }

    /// Every user, by name.
    pub fn users(&self) -> Vec<UserInfo> {
        let mut v: Vec<UserInfo> = self
            .users
            .lock()
            .users
            .iter()
            .map(|u| UserInfo {
                name: u.username.clone(),
                role: u.role,
            })
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// A user's current role, if the user exists.
    pub fn role_of(&self, username: &str) -> Option<Role> {
        self.users
            .lock()
            .users
            .iter()
            .find(|u| u.username == username)
            .map(|u| u.role)
    }

    /// Creates a user; fails when the name is taken. Hashes: call off async threads.
    pub fn create_user(&self, username: &str, password: &str, role: Role) -> Result<(), AuthError> {
        valid_username(username)?;
        valid_password(password)?;
        let hash = hash_password(password)?;
        {
            let mut f = self.users.lock();
            if f.users.iter().any(|u| u.username == username) {
                return Err(AuthError::UserExists(username.into()));
            }
            f.users.push(User {
                username: username.into(),
                hash,
                role,
            });
        }
        self.save()
    }

    /// Changes a user's password and/or role. Refuses to demote the last admin.
    pub fn update_user(
        &self,
        username: &str,
        password: Option<&str>,
        role: Option<Role>,
    ) -> Result<(), AuthError> {
        let hash = match password {
            Some(pw) => {
                valid_password(pw)?;
                Some(hash_password(pw)?)
            }
            None => None,
        };
        {
            let mut f = self.users.lock();
            let admins = f.users.iter().filter(|u| u.role == Role::Admin).count();
            let u = f
                .users
                .iter_mut()
                .find(|u| u.username == username)
                .ok_or_else(|| AuthError::NoSuchUser(username.into()))?;
            if let Some(r) = role {
                if u.role == Role::Admin && r != Role::Admin && admins <= 1 {
                    return Err(AuthError::LastAdmin);
                }
                u.role = r;
            }
            if let Some(h) = hash {
                u.hash = h;
            }
        }
        self.save()
    }

    /// Deletes a user with its sessions and API tokens. Refuses the last admin.
    pub fn delete_user(&self, username: &str) -> Result<(), AuthError> {
        {
            let mut f = self.users.lock();
            let admins = f.users.iter().filter(|u| u.role == Role::Admin).count();
            let pos = f
                .users
                .iter()
                .position(|u| u.username == username)
                .ok_or_else(|| AuthError::NoSuchUser(username.into()))?;
            if f.users.get(pos).is_some_and(|u| u.role == Role::Admin) && admins <= 1 {
                return Err(AuthError::LastAdmin);
            }
            f.users.remove(pos);
        }
        self.save()?;
        self.sessions.lock().retain(|_, l| l.username != username);
        self.tokens.remove_owner(username)?;
        Ok(())
    }

    /// Sets (or creates, with `role`) a user's password; `role` also updates an existing
    /// user when given. For `argos passwd`.
    pub fn set_password(
        &self,
        username: &str,
        password: &str,
        role: Option<Role>,
    ) -> Result<(), AuthError> {
        if self.role_of(username).is_some() {
            self.update_user(username, Some(password), role)
        } else {
            self.create_user(username, password, role.unwrap_or(Role::User))
        }
    }

    /// Checks a user's password (argon2: slow, call off async threads).
    pub fn verify(&self, username: &str, password: &str) -> bool {
        let hash = self
            .users
            .lock()
            .users
            .iter()
            .find(|u| u.username == username)
            .map(|u| u.hash.clone());
        let known = hash.is_some();
        let ok = verify_password(hash.as_deref().unwrap_or(DUMMY_HASH), password);
        known && ok
    }

    /// Checks a password; on success opens a session and returns its token.
    pub fn login(&self, username: &str, password: &str) -> Option<String> {
        if !self.verify(username, password) {
            return None;
        }
        Some(self.open_session(username, None))
    }

    /// Opens a session for a user already authenticated; `external_role` for a user from a
    /// directory (not in the users file). Returns the session token.
    pub fn open_session(&self, username: &str, external_role: Option<Role>) -> String {
        let token = random_token(32);
        let mut s = self.sessions.lock();
        if s.len() >= MAX_SESSIONS {
            let now = Instant::now();
            s.retain(|_, l| l.expires > now);
        }
        s.insert(
            token.clone(),
            LiveSession {
                username: username.to_owned(),
                expires: Instant::now() + SESSION_TTL,
                external_role,
            },
        );
        token
    }

    /// Who a bearer token or session cookie value acts as.
    pub fn authenticate(&self, token: &str) -> Result<Principal, Refusal> {
        if let Some(api) = &self.api_token {
            if constant_time_eq(api.as_bytes(), token.as_bytes()) {
                return Ok(Principal {
                    username: "api".into(),
                    role: Role::Admin,
                    credential: Credential::EnvToken,
                });
            }
        }
        let session = {
            let mut s = self.sessions.lock();
            match s.get(token) {
                Some(l) if l.expires > Instant::now() => Some(l.clone()),
                Some(_) => {
                    s.remove(token);
                    None
                }
                None => None,
            }
        };
        if let Some(l) = session {
            // A local user's current role; a directory login's role from its login.
            let role = match self.role_of(&l.username) {
                Some(r) => r,
                None => l.external_role.ok_or(Refusal::Invalid)?,
            };
            return Ok(Principal {
                username: l.username,
                role,
                credential: Credential::Session,
            });
        }
        let t = self.tokens.check(token)?;
        // A token never does more than its owner may do now.
        let owner_role = self.role_of(&t.owner).ok_or(Refusal::Invalid)?;
        Ok(Principal {
            username: t.owner,
            role: t.role.min(owner_role),
            credential: Credential::Token(t.id),
        })
    }

    /// The session a token opens, if it is valid (any credential kind).
    pub fn check(&self, token: &str) -> Option<Principal> {
        self.authenticate(token).ok()
    }

    pub fn logout(&self, token: &str) {
        self.sessions.lock().remove(token);
    }
}

/// Writes `bytes` to `path` atomically, readable by the owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AuthError> {
    crate::files::replace_atomically(path, bytes, true).map_err(|source| AuthError::Io {
        path: path.to_owned(),
        source,
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_admin_and_login_works() {
        let dir = tempfile::tempdir().expect("tmp");
        let (auth, setup) = Auth::open(dir.path(), None, None).expect("open");
        let AdminSetup::Created { password } = setup else {
            panic!("admin not created")
        };
        assert!(auth.login("admin", "wrong").is_none());
        let tok = auth.login("admin", &password).expect("login");
        assert_eq!(auth.check(&tok).map(|s| s.role), Some(Role::Admin));
        auth.logout(&tok);
        assert!(auth.check(&tok).is_none());
        // Second start keeps the password.
        let (auth2, setup2) = Auth::open(dir.path(), None, None).expect("reopen");
        assert_eq!(setup2, AdminSetup::Existing);
        assert!(auth2.login("admin", &password).is_some());
    }

    #[test]
    fn env_password_and_api_token() {
        let dir = tempfile::tempdir().expect("tmp");
        let (auth, setup) =
            Auth::open(dir.path(), Some("s3cret"), Some("tok123".into())).expect("open");
        assert_eq!(setup, AdminSetup::FromEnv);
        assert!(auth.login("admin", "s3cret").is_some());
        assert!(auth.check("tok123").is_some());
        assert!(auth.check("tok124").is_none());
    }

    #[test]
    fn users_without_role_become_admins() {
        let dir = tempfile::tempdir().expect("tmp");
        let hash = hash_password("old-password").expect("hash");
        let old = serde_json::json!({ "users": [
            { "username": "admin", "hash": hash },
            { "username": "ops", "hash": hash, "role": "something-old" },
        ]});
        std::fs::write(dir.path().join("users.json"), old.to_string()).expect("write");
        let (auth, _) = Auth::open(dir.path(), None, None).expect("open");
        assert_eq!(auth.role_of("admin"), Some(Role::Admin));
        assert_eq!(auth.role_of("ops"), Some(Role::Admin));
        let saved = std::fs::read_to_string(dir.path().join("users.json")).expect("read");
        assert!(saved.contains("\"role\": \"admin\""), "{saved}");
    }

    #[test]
    fn last_admin_is_kept_and_role_changes_apply_to_sessions() {
        let dir = tempfile::tempdir().expect("tmp");
        let (auth, _) = Auth::open(dir.path(), Some("admin-pass"), None).expect("open");
        assert!(matches!(
            auth.delete_user("admin"),
            Err(AuthError::LastAdmin)
        ));
        assert!(matches!(
            auth.update_user("admin", None, Some(Role::User)),
            Err(AuthError::LastAdmin)
        ));
        auth.create_user("bob", "bob-password", Role::Admin)
            .expect("create");
        let tok = auth.login("bob", "bob-password").expect("login");
        auth.update_user("bob", None, Some(Role::ReadOnly))
            .expect("demote");
        assert_eq!(auth.check(&tok).map(|p| p.role), Some(Role::ReadOnly));
        auth.delete_user("bob").expect("delete");
        assert!(auth.check(&tok).is_none());
        assert!(auth.create_user("x", "short", Role::User).is_err());
        assert!(auth
            .create_user("bad name", "long-enough", Role::User)
            .is_err());
    }
}
