//! Small state files of the data directory (users, API tokens, saved searches) replaced
//! whole, so a crash leaves either the old or the new file, never a torn one.

use std::io::Write as _;
use std::path::Path;

/// Writes `bytes` to `path` through `<path>.tmp` (synced, then renamed over `path`);
/// `private` makes the file readable by its owner only, before anything is written to it.
pub(crate) fn replace_atomically(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = Path::new(&tmp_name);
    let mut f = std::fs::File::create(tmp)?;
    if private {
        restrict_permissions(tmp);
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(tmp, path)
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
    use super::replace_atomically;

    #[test]
    fn replaces_the_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        replace_atomically(&path, b"old", false).expect("first");
        replace_atomically(&path, b"new", true).expect("second");
        assert_eq!(std::fs::read(&path).expect("read"), b"new");
        assert!(!dir.path().join("state.json.tmp").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
