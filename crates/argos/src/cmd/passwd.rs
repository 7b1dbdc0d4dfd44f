//! `argos passwd [USER] [--role ROLE]`: create a user or change its password and role
//! without starting the server (a running server reads users.json only at start).

use super::DataDir;
use anyhow::Context;
use argos_server::auth::Role;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// User name (default admin).
    #[arg(value_name = "USER", conflicts_with = "user_flag")]
    user: Option<String>,
    /// User name (older spelling of the positional USER).
    #[arg(long = "user", id = "user_flag", hide = true)]
    user_flag: Option<String>,
    /// Role: admin, user or read_only. New users default to user; existing users keep
    /// theirs unless this is given.
    #[arg(long, value_parser = parse_role)]
    role: Option<Role>,
    /// New password (read from ARGOS_NEW_PASSWORD if not given).
    #[arg(long, env = "ARGOS_NEW_PASSWORD", hide_env_values = true)]
    password: String,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: argos_server::auth::AuthError| e.to_string())
}

pub fn run(a: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.data.path)?;
    let user = a.user.or(a.user_flag).unwrap_or_else(|| "admin".into());
    let (auth, _) =
        argos_server::auth::Auth::open(&a.data.path, None, None).context("opening users file")?;
    let existed = auth.role_of(&user).is_some();
    auth.set_password(&user, &a.password, a.role)
        .with_context(|| format!("saving user {user}"))?;
    let role = auth.role_of(&user).map(Role::as_str).unwrap_or("?");
    let what = if existed { "updated" } else { "created" };
    println!("user {user} {what} (role {role}); restart argos serve to apply");
    Ok(())
}
