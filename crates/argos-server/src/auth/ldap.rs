//! Login by LDAP simple bind (`argos serve --ldap-url … --ldap-user-dn …`).
//!
//! A login name that is not a local user is bound to the directory as the DN made from the
//! template (`uid={user},ou=people,dc=example`, the name escaped per RFC 4514). A successful
//! bind opens a session with the configured default role. Local users never fall through
//! to LDAP, so a directory outage cannot lock out the local admin. An empty password is
//! refused before any bind: LDAP treats a simple bind without password as an anonymous
//! (unauthenticated) bind, which most servers accept.

use crate::auth::Role;
use std::time::Duration;

/// Longest a connect plus bind may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how to bind.
#[derive(Debug, Clone)]
pub struct LdapConfig {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    pub url: String,
    /// Bind DN with `{user}` where the escaped login name goes.
    pub user_dn: String,
    /// Role of every LDAP login.
    pub default_role: Role,
    /// Upgrade `ldap://` with StartTLS before binding.
    pub starttls: bool,
}

/// Why a bind did not log the user in.
#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    #[error("wrong user name or password")]
    Rejected,
    #[error("LDAP server unreachable or failing: {0}")]
    Unavailable(String),
}

impl LdapConfig {
    /// Checks the settings once, at start.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.url.starts_with("ldap://") || self.url.starts_with("ldaps://")) {
            return Err(format!(
                "--ldap-url must be ldap://… or ldaps://…, not {:?}",
                self.url
            ));
        }
        if self.user_dn.matches("{user}").count() != 1 {
            return Err(
                "--ldap-user-dn must hold {user} once, e.g. uid={user},ou=people,dc=example".into(),
            );
        }
        Ok(())
    }

    /// The bind DN of a login name.
    pub fn dn_of(&self, username: &str) -> String {
        self.user_dn.replace("{user}", &ldap3::dn_escape(username))
    }

    /// Simple bind as `username`; Ok when the directory accepts the password.
    pub async fn bind(&self, username: &str, password: &str) -> Result<(), LdapError> {
        if username.is_empty() || password.is_empty() {
            return Err(LdapError::Rejected);
        }
        let dn = self.dn_of(username);
        let run = async {
            let settings = ldap3::LdapConnSettings::new()
                .set_conn_timeout(TIMEOUT)
                .set_starttls(self.starttls);
            let (conn, mut ldap) = ldap3::LdapConnAsync::with_settings(settings, &self.url)
                .await
                .map_err(|e| LdapError::Unavailable(e.to_string()))?;
            ldap3::drive!(conn);
            let res = ldap
                .simple_bind(&dn, password)
                .await
                .map_err(|e| LdapError::Unavailable(e.to_string()))?;
            let _ = ldap.unbind().await;
            match res.rc {
                0 => Ok(()),
                // invalidCredentials, or a DN the server refuses outright.
                49 | 32 | 34 | 50 | 53 => Err(LdapError::Rejected),
                rc => Err(LdapError::Unavailable(format!(
                    "bind result {rc}: {}",
                    res.text
                ))),
            }
        };
        tokio::time::timeout(TIMEOUT, run)
            .await
            .map_err(|_| LdapError::Unavailable("timed out".into()))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dn_template_escapes_the_name() {
        let c = LdapConfig {
            url: "ldap://127.0.0.1".into(),
            user_dn: "uid={user},ou=people,dc=example".into(),
            default_role: Role::ReadOnly,
            starttls: false,
        };
        assert!(c.validate().is_ok());
        assert_eq!(c.dn_of("lisa"), "uid=lisa,ou=people,dc=example");
        assert_eq!(c.dn_of("a,ou=x"), "uid=a\\2cou\\3dx,ou=people,dc=example");
    }
}
