//! `argos passwd`: set a user's password without starting the server.

use super::DataDir;
use anyhow::Context;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    data: DataDir,
    /// User name.
    #[arg(long, default_value = "admin")]
    user: String,
    /// New password (read from ARGOS_NEW_PASSWORD if not given).
    #[arg(long, env = "ARGOS_NEW_PASSWORD", hide_env_values = true)]
    password: String,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    std::fs::create_dir_all(&a.data.path)?;
    let (auth, _) =
        argos_server::auth::Auth::open(&a.data.path, None, None).context("opening users file")?;
    let role = if a.user == "admin" { "admin" } else { "user" };
    auth.set_password(&a.user, &a.password, role)
        .context("saving password")?;
    println!("password of {} set", a.user);
    Ok(())
}
