//! API tokens: named, expiring bearer secrets owned by a user (`DATA/tokens.json`).
//!
//! A secret is 32 random bytes, base64url, shown once at creation. The file keeps only its
//! SHA-256. A slow password hash (argon2) is there to make guessing a *low-entropy* password
//! from its hash expensive; a 256-bit random secret cannot be guessed at any hash speed, so a
//! fast hash loses nothing and lets every request be checked in microseconds (one SHA-256
//! and a compare per stored token), without a per-request argon2 cost that would itself
//! be a DoS lever.

use super::{unix_now, write_private, AuthError, Refusal, Role};
use base64::Engine as _;
use parking_lot::Mutex;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Seconds between writes of `last_used` to disk (kept in memory in between).
const LAST_USED_SAVE_EVERY: i64 = 60;
/// Most tokens the store holds; creating more fails.
const MAX_TOKENS: usize = 10_000;

/// A stored token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// Public identifier (used to revoke it).
    pub id: String,
    /// What the owner called it.
    pub name: String,
    pub owner: String,
    /// The owner's role when it was made; it never acts above the owner's current role.
    pub role: Role,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds; refused from then on.
    pub expires: i64,
    /// Unix seconds of the last request it authenticated.
    pub last_used: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredToken {
    #[serde(flatten)]
    info: TokenInfo,
    /// Hex SHA-256 of the secret.
    sha256: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TokensFile {
    tokens: Vec<StoredToken>,
}

#[derive(Debug)]
struct State {
    file: TokensFile,
    /// When `last_used` values were last written.
    saved_at: i64,
}

/// The API tokens of every user.
#[derive(Debug)]
pub struct TokenStore {
    path: PathBuf,
    state: Mutex<State>,
}

fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl TokenStore {
    /// Loads `DIR/tokens.json` (none yet: empty).
    pub fn open(data_dir: &Path) -> Result<TokenStore, AuthError> {
        let path = data_dir.join("tokens.json");
        let file = match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b).map_err(|source| AuthError::Format {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => TokensFile::default(),
            Err(source) => return Err(AuthError::Io { path, source }),
        };
        Ok(TokenStore {
            path,
            state: Mutex::new(State {
                file,
                saved_at: unix_now(),
            }),
        })
    }

    fn save(&self, st: &mut State) -> Result<(), AuthError> {
        let json = serde_json::to_vec_pretty(&st.file).map_err(|source| AuthError::Format {
            path: self.path.clone(),
            source,
        })?;
        st.saved_at = unix_now();
        write_private(&self.path, &json)
    }

    /// Makes a token for `owner` valid `lifetime_s` seconds; returns it and its secret.
    pub fn create(
        &self,
        owner: &str,
        role: Role,
        name: &str,
        lifetime_s: i64,
    ) -> Result<(TokenInfo, String), AuthError> {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let now = unix_now();
        let info = TokenInfo {
            id: super::random_token(8),
            name: name.to_owned(),
            owner: owner.to_owned(),
            role,
            created: now,
            expires: now.saturating_add(lifetime_s),
            last_used: None,
        };
        let mut st = self.state.lock();
        // Expired tokens are dropped here, so the file does not grow without bound.
        st.file.tokens.retain(|t| t.info.expires > now);
        if st.file.tokens.len() >= MAX_TOKENS {
            return Err(AuthError::Invalid(format!(
                "too many API tokens (at most {MAX_TOKENS}); revoke some"
            )));
        }
        st.file.tokens.push(StoredToken {
            info: info.clone(),
            sha256: digest(&secret),
        });
        self.save(&mut st)?;
        Ok((info, secret))
    }

    /// The token a secret belongs to, stamping its `last_used`.
    pub fn check(&self, secret: &str) -> Result<TokenInfo, Refusal> {
        let d = digest(secret);
        let now = unix_now();
        let mut st = self.state.lock();
        let t = st
            .file
            .tokens
            .iter_mut()
            .find(|t| t.sha256 == d)
            .ok_or(Refusal::Invalid)?;
        if t.info.expires <= now {
            return Err(Refusal::Expired { at: t.info.expires });
        }
        t.info.last_used = Some(now);
        let info = t.info.clone();
        if now - st.saved_at >= LAST_USED_SAVE_EVERY {
            // Best effort: a failed write only loses a last_used stamp.
            if let Err(e) = self.save(&mut st) {
                tracing::warn!(error = %e, "saving API token last_used");
            }
        }
        Ok(info)
    }

    /// Tokens of `owner`, or of everyone for `None`, newest first.
    pub fn list(&self, owner: Option<&str>) -> Vec<TokenInfo> {
        let st = self.state.lock();
        let mut v: Vec<TokenInfo> = st
            .file
            .tokens
            .iter()
            .filter(|t| owner.is_none_or(|o| t.info.owner == o))
            .map(|t| t.info.clone())
            .collect();
        v.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
        v
    }

    /// One token by id.
    pub fn get(&self, id: &str) -> Option<TokenInfo> {
        let st = self.state.lock();
        st.file
            .tokens
            .iter()
            .find(|t| t.info.id == id)
            .map(|t| t.info.clone())
    }

    /// Revokes a token; returns it, or None when no token has that id.
    pub fn revoke(&self, id: &str) -> Result<Option<TokenInfo>, AuthError> {
        let mut st = self.state.lock();
        let Some(pos) = st.file.tokens.iter().position(|t| t.info.id == id) else {
            return Ok(None);
        };
        let t = st.file.tokens.remove(pos);
        self.save(&mut st)?;
        Ok(Some(t.info))
    }

    /// Revokes every token of a user (the user was deleted).
    pub fn remove_owner(&self, owner: &str) -> Result<(), AuthError> {
        let mut st = self.state.lock();
        let before = st.file.tokens.len();
        st.file.tokens.retain(|t| t.info.owner != owner);
        if st.file.tokens.len() != before {
            self.save(&mut st)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_check_expire_revoke() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = TokenStore::open(dir.path()).expect("open");
        let (info, secret) = store.create("bob", Role::User, "ci", 3600).expect("create");
        assert_eq!(secret.len(), 43, "32 bytes base64url without padding");
        assert_eq!(store.check(&secret).map(|t| t.id), Ok(info.id.clone()));
        assert_eq!(store.check("nope"), Err(Refusal::Invalid));
        let on_disk = std::fs::read_to_string(dir.path().join("tokens.json")).expect("read");
        assert!(!on_disk.contains(&secret), "secret stored in clear");
        let (_, old) = store.create("bob", Role::User, "old", -1).expect("create");
        assert!(matches!(store.check(&old), Err(Refusal::Expired { .. })));
        assert!(store.revoke(&info.id).expect("revoke").is_some());
        assert_eq!(store.check(&secret), Err(Refusal::Invalid));
        // Reopened: tokens survive restarts.
        let (_, s2) = store.create("amy", Role::Admin, "x", 60).expect("create");
        let store2 = TokenStore::open(dir.path()).expect("reopen");
        assert!(store2.check(&s2).is_ok());
    }
}
