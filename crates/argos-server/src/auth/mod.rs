//! Users, passwords and sessions.
//!
//! Users live in `DATA/users.json` with argon2id password hashes. The first start creates
//! `admin` with a random password that the banner prints once; `ARGOS_ADMIN_PASSWORD` sets
//! it at any start. Sessions are random 256-bit tokens held in memory (valid 7 days), given
//! to browsers as an HttpOnly cookie and to scripts as a bearer token.

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

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("reading or writing users file {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("users file {path} is not valid JSON")]
    Format {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("hashing a password failed: {0}")]
    Hash(argon2::password_hash::Error),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct User {
    username: String,
    hash: String,
    role: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct UsersFile {
    users: Vec<User>,
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

/// Who a valid session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub username: String,
    pub role: String,
}

/// Users and live sessions.
#[derive(Debug)]
pub struct Auth {
    path: PathBuf,
    users: Mutex<UsersFile>,
    sessions: Mutex<HashMap<String, (Session, Instant)>>,
    /// A long-lived token for scripts (`ARGOS_API_TOKEN`), if configured.
    api_token: Option<String>,
}

fn hash_password(pw: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AuthError::Hash)
}

/// A random hex token of `bytes` bytes.
pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

impl Auth {
    /// Loads `DIR/users.json`, creating the admin account when missing.
    pub fn open(
        data_dir: &Path,
        admin_password: Option<&str>,
        api_token: Option<String>,
    ) -> Result<(Auth, AdminSetup), AuthError> {
        let path = data_dir.join("users.json");
        let mut file: UsersFile = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| AuthError::Format {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => UsersFile::default(),
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
                    role: "admin".into(),
                });
                AdminSetup::FromEnv
            }
            (None, true) => AdminSetup::Existing,
            (None, false) => {
                let password = random_token(9);
                file.users.push(User {
                    username: "admin".into(),
                    hash: hash_password(&password)?,
                    role: "admin".into(),
                });
                AdminSetup::Created { password }
            }
        };
        let auth = Auth {
            path,
            users: Mutex::new(file),
            sessions: Mutex::new(HashMap::new()),
            api_token: api_token.filter(|t| !t.is_empty()),
        };
        if setup != AdminSetup::Existing {
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
        let tmp = self.path.with_extension("json.tmp");
        let io = |source| AuthError::Io {
            path: self.path.clone(),
            source,
        };
        std::fs::write(&tmp, json).map_err(io)?;
        restrict_permissions(&tmp);
        std::fs::rename(&tmp, &self.path).map_err(io)
    }

    /// Sets (or creates) a user's password.
    pub fn set_password(
        &self,
        username: &str,
        password: &str,
        role: &str,
    ) -> Result<(), AuthError> {
        let hash = hash_password(password)?;
        {
            let mut f = self.users.lock();
            if let Some(u) = f.users.iter_mut().find(|u| u.username == username) {
                u.hash = hash;
            } else {
                f.users.push(User {
                    username: username.into(),
                    hash,
                    role: role.into(),
                });
            }
        }
        self.save()
    }

    /// Checks a password; on success opens a session and returns its token.
    pub fn login(&self, username: &str, password: &str) -> Option<String> {
        let user = self
            .users
            .lock()
            .users
            .iter()
            .find(|u| u.username == username)
            .cloned();
        // Verify against a dummy hash when the user is unknown, so timing does not tell.
        let hash = user.as_ref().map(|u| u.hash.clone()).unwrap_or_else(|| {
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1c6Iu0aOvhGl4g8c8aTSCVa3i1mF3p/5m9UYD1hYd8s".into()
        });
        let ok = PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        let user = user.filter(|_| ok)?;
        let token = random_token(32);
        let mut s = self.sessions.lock();
        if s.len() >= MAX_SESSIONS {
            let now = Instant::now();
            s.retain(|_, (_, exp)| *exp > now);
        }
        s.insert(
            token.clone(),
            (
                Session {
                    username: user.username,
                    role: user.role,
                },
                Instant::now() + SESSION_TTL,
            ),
        );
        Some(token)
    }

    /// The session a token opens, if it is valid.
    pub fn check(&self, token: &str) -> Option<Session> {
        if let Some(api) = &self.api_token {
            if constant_time_eq(api.as_bytes(), token.as_bytes()) {
                return Some(Session {
                    username: "api".into(),
                    role: "admin".into(),
                });
            }
        }
        let mut s = self.sessions.lock();
        match s.get(token) {
            Some((sess, exp)) if *exp > Instant::now() => Some(sess.clone()),
            Some(_) => {
                s.remove(token);
                None
            }
            None => None,
        }
    }

    pub fn logout(&self, token: &str) {
        self.sessions.lock().remove(token);
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(unix)]
fn restrict_permissions(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600));
}
#[cfg(not(unix))]
fn restrict_permissions(_: &Path) {}

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
        assert_eq!(auth.check(&tok).map(|s| s.role), Some("admin".into()));
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
}
