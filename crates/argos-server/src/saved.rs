//! Saved searches (`DATA/saved-searches.json`): named search links a user keeps, and may
//! share with every other user of the server (a support team's common searches).
//!
//! A search is the UI's search hash (`#/search?from_user=1001`), kept as an opaque string:
//! the server stores and lists it, the UI and scripts interpret it. Each change rewrites
//! the whole file atomically (temp file, then rename), so a crash leaves the old or the new
//! list, never a torn one. The list is bounded per user and in total, so one account
//! cannot grow the file without end.
//!
//! ```
//! use argos_server::saved::{SavedSearchStore, NewSearch};
//! let dir = tempfile::tempdir().expect("tempdir");
//! let store = SavedSearchStore::open(dir.path()).expect("open");
//! let s = store
//!     .save("alice", NewSearch { name: "busy", query: "#/search?status=486", shared: true })
//!     .expect("save");
//! assert_eq!(store.visible_to("bob").len(), 1);
//! assert!(store.delete(&s.id, "bob", false).is_err());
//! ```

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The file's name in the data directory.
pub const FILE_NAME: &str = "saved-searches.json";
/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest query, in bytes (the UI's hash of a search with many fields fits easily).
pub const MAX_QUERY_BYTES: usize = 4096;
/// Searches one user may keep.
pub const MAX_PER_USER: usize = 1_000;
/// Searches the server keeps in all.
pub const MAX_TOTAL: usize = 10_000;

/// Why a saved search was not stored, found or removed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SavedError {
    /// The name is empty (after trimming) or longer than `max` characters.
    #[error("name: 1 to {max} characters")]
    NameLength { max: usize },
    /// The query is empty or longer than `max` bytes.
    #[error("query: 1 to {max} bytes")]
    QueryLength { max: usize },
    /// `owner` keeps `max` searches already.
    #[error("{owner} has {max} saved searches already: delete one first")]
    UserFull { owner: String, max: usize },
    /// The server keeps `max` searches already.
    #[error("the server holds {max} saved searches already: delete some first")]
    StoreFull { max: usize },
    /// No search has this id.
    #[error("no such saved search")]
    NotFound,
    /// Only its owner (or an admin) may change it.
    #[error("the saved search belongs to {owner}")]
    NotOwner { owner: String },
    /// The file could not be read or written.
    #[error("reading or writing {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The list could not be written as JSON (an unreadable file is kept aside at open).
    #[error("{path}: cannot encode the saved-search list")]
    Format {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

/// One stored search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSearch {
    /// Random hex id, stable when the search is saved again under the same name.
    pub id: String,
    pub name: String,
    /// The UI's search hash, e.g. `#/search?from_user=1001`.
    pub query: String,
    /// Listed to every user, not only the owner.
    pub shared: bool,
    /// The user who saved it.
    pub owner: String,
    /// Unix seconds of the last save.
    pub created: i64,
}

/// What a user asks to save.
#[derive(Debug, Clone, Copy)]
pub struct NewSearch<'a> {
    /// 1 to [`MAX_NAME_CHARS`] characters once trimmed.
    pub name: &'a str,
    /// 1 to [`MAX_QUERY_BYTES`] bytes, stored as given.
    pub query: &'a str,
    /// Listed to every user.
    pub shared: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SavedFile {
    searches: Vec<SavedSearch>,
}

/// Every saved search of the server, loaded at start and written on each change.
#[derive(Debug)]
pub struct SavedSearchStore {
    path: PathBuf,
    searches: Mutex<Vec<SavedSearch>>,
    max_per_user: usize,
    max_total: usize,
}

impl SavedSearchStore {
    /// Loads `DIR/saved-searches.json` (none yet: an empty list; unreadable: renamed to
    /// `saved-searches.json.unreadable-<unix time>`, a warning logged, an empty list).
    pub fn open(data_dir: &Path) -> Result<SavedSearchStore, SavedError> {
        Self::open_with_limits(data_dir, MAX_PER_USER, MAX_TOTAL)
    }

    /// [`open`](Self::open) with other bounds (tests reach them with a few items).
    pub fn open_with_limits(
        data_dir: &Path,
        max_per_user: usize,
        max_total: usize,
    ) -> Result<SavedSearchStore, SavedError> {
        let path = data_dir.join(FILE_NAME);
        let file: SavedFile = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(file) => file,
                // Saved searches are a convenience: a damaged file must not keep the
                // collector from starting. It is kept aside for a person to look at.
                Err(e) => {
                    let aside =
                        path.with_extension(format!("json.unreadable-{}", crate::auth::unix_now()));
                    std::fs::rename(&path, &aside).map_err(|source| SavedError::Io {
                        path: path.clone(),
                        source,
                    })?;
                    tracing::warn!(
                        file = %path.display(),
                        kept_as = %aside.display(),
                        error = %e,
                        "saved searches unreadable: starting with none"
                    );
                    SavedFile::default()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SavedFile::default(),
            Err(source) => return Err(SavedError::Io { path, source }),
        };
        Ok(SavedSearchStore {
            path,
            searches: Mutex::new(file.searches),
            max_per_user,
            max_total,
        })
    }

    /// The searches `user` sees: its own and every shared one, by name then owner.
    pub fn visible_to(&self, user: &str) -> Vec<SavedSearch> {
        let mut out: Vec<SavedSearch> = self
            .searches
            .lock()
            .iter()
            .filter(|s| s.owner == user || s.shared)
            .cloned()
            .collect();
        out.sort_by(|a, b| (&a.name, &a.owner).cmp(&(&b.name, &b.owner)));
        out
    }

    /// Saves `new` for `owner`; a search of the same owner and name is replaced (keeping
    /// its id). Writes the file before answering.
    pub fn save(&self, owner: &str, new: NewSearch<'_>) -> Result<SavedSearch, SavedError> {
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(SavedError::NameLength {
                max: MAX_NAME_CHARS,
            });
        }
        if new.query.is_empty() || new.query.len() > MAX_QUERY_BYTES {
            return Err(SavedError::QueryLength {
                max: MAX_QUERY_BYTES,
            });
        }
        let mut searches = self.searches.lock();
        let mut next = searches.clone();
        let existing = next.iter().position(|s| s.owner == owner && s.name == name);
        let id = match existing {
            Some(i) => next.remove(i).id,
            None => {
                if next.iter().filter(|s| s.owner == owner).count() >= self.max_per_user {
                    return Err(SavedError::UserFull {
                        owner: owner.to_owned(),
                        max: self.max_per_user,
                    });
                }
                if next.len() >= self.max_total {
                    return Err(SavedError::StoreFull {
                        max: self.max_total,
                    });
                }
                new_id()
            }
        };
        let saved = SavedSearch {
            id,
            name: name.to_owned(),
            query: new.query.to_owned(),
            shared: new.shared,
            owner: owner.to_owned(),
            created: crate::auth::unix_now(),
        };
        next.push(saved.clone());
        // The file first: memory changes only once the change is durable.
        self.write(&next)?;
        *searches = next;
        Ok(saved)
    }

    /// Removes search `id`: its owner may, an admin may remove any.
    pub fn delete(&self, id: &str, by: &str, admin: bool) -> Result<SavedSearch, SavedError> {
        let mut searches = self.searches.lock();
        let i = searches
            .iter()
            .position(|s| s.id == id)
            .ok_or(SavedError::NotFound)?;
        let found = searches.get(i).ok_or(SavedError::NotFound)?;
        if found.owner != by && !admin {
            return Err(SavedError::NotOwner {
                owner: found.owner.clone(),
            });
        }
        let mut next = searches.clone();
        let removed = next.remove(i);
        self.write(&next)?;
        *searches = next;
        Ok(removed)
    }

    /// Writes `searches` to the file atomically: a temp file beside it, synced, renamed
    /// over it.
    fn write(&self, searches: &[SavedSearch]) -> Result<(), SavedError> {
        let file = SavedFile {
            searches: searches.to_vec(),
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|source| SavedError::Format {
            path: self.path.clone(),
            source,
        })?;
        crate::files::replace_atomically(&self.path, &bytes, false).map_err(|source| {
            SavedError::Io {
                path: self.path.clone(),
                source,
            }
        })
    }
}

/// 16 random hex digits: unguessable enough for an id that grants nothing by itself.
fn new_id() -> String {
    crate::auth::random_token(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search<'a>(name: &'a str, shared: bool) -> NewSearch<'a> {
        NewSearch {
            name,
            query: "#/search?from_user=1001",
            shared,
        }
    }

    #[test]
    fn own_and_shared_are_listed_and_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SavedSearchStore::open(dir.path()).expect("open");
        let mine = store.save("alice", search("mine", false)).expect("save");
        store.save("alice", search("team", true)).expect("save");
        store.save("bob", search("bobs", false)).expect("save");
        let names = |v: Vec<SavedSearch>| v.into_iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(names(store.visible_to("alice")), ["mine", "team"]);
        assert_eq!(names(store.visible_to("bob")), ["bobs", "team"]);
        drop(store);
        let again = SavedSearchStore::open(dir.path()).expect("reopen");
        assert_eq!(names(again.visible_to("alice")), ["mine", "team"]);
        assert_eq!(again.visible_to("alice")[0], mine);
        assert!(!dir.path().join("saved-searches.json.tmp").exists());
    }

    #[test]
    fn an_unreadable_file_is_kept_aside_and_the_store_starts_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(FILE_NAME), b"{\"searches\": [tru").expect("write");
        let store = SavedSearchStore::open(dir.path()).expect("opens anyway");
        assert!(store.visible_to("alice").is_empty());
        let aside: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("saved-searches.json.unreadable-"))
            .collect();
        assert_eq!(aside.len(), 1, "the damaged file is kept: {aside:?}");
        store
            .save("alice", search("new", false))
            .expect("save after");
        assert_eq!(
            SavedSearchStore::open(dir.path())
                .expect("reopen")
                .visible_to("alice")
                .len(),
            1
        );
    }

    #[test]
    fn same_owner_and_name_replaces_keeping_the_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SavedSearchStore::open(dir.path()).expect("open");
        let first = store.save("alice", search("x", false)).expect("save");
        let second = store
            .save(
                "alice",
                NewSearch {
                    name: " x ",
                    query: "#/search?to_user=2",
                    shared: true,
                },
            )
            .expect("save");
        assert_eq!(first.id, second.id);
        let all = store.visible_to("alice");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].query, "#/search?to_user=2");
        assert!(all[0].shared);
        // Another owner's search of the same name is a different one.
        let other = store.save("bob", search("x", true)).expect("save");
        assert_ne!(other.id, first.id);
        assert_eq!(store.visible_to("alice").len(), 2);
    }

    #[test]
    fn only_the_owner_or_an_admin_deletes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SavedSearchStore::open(dir.path()).expect("open");
        let s = store.save("alice", search("x", true)).expect("save");
        assert!(matches!(
            store.delete(&s.id, "bob", false),
            Err(SavedError::NotOwner { .. })
        ));
        assert!(matches!(
            store.delete("nope", "alice", false),
            Err(SavedError::NotFound)
        ));
        store.delete(&s.id, "admin", true).expect("admin deletes");
        assert!(store.visible_to("alice").is_empty());
        let s = store.save("alice", search("y", false)).expect("save");
        store.delete(&s.id, "alice", false).expect("owner deletes");
        let again = SavedSearchStore::open(dir.path()).expect("reopen");
        assert!(again.visible_to("alice").is_empty());
    }

    #[test]
    fn names_queries_and_counts_are_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SavedSearchStore::open_with_limits(dir.path(), 2, 3).expect("open");
        let long_name = "n".repeat(MAX_NAME_CHARS + 1);
        assert!(matches!(
            store.save("a", search(&long_name, false)),
            Err(SavedError::NameLength { .. })
        ));
        assert!(matches!(
            store.save("a", search("  ", false)),
            Err(SavedError::NameLength { .. })
        ));
        let huge = "q".repeat(MAX_QUERY_BYTES + 1);
        let too_long = NewSearch {
            name: "q",
            query: &huge,
            shared: false,
        };
        assert!(matches!(
            store.save("a", too_long),
            Err(SavedError::QueryLength { .. })
        ));
        let exact = "q".repeat(MAX_QUERY_BYTES);
        let fits = NewSearch {
            name: &"n".repeat(MAX_NAME_CHARS),
            query: &exact,
            shared: false,
        };
        store.save("a", fits).expect("limits are inclusive");
        store.save("a", search("2", false)).expect("second");
        assert!(matches!(
            store.save("a", search("3", false)),
            Err(SavedError::UserFull { .. })
        ));
        // Replacing is no new item, so it works at the limit.
        store
            .save("a", search("2", true))
            .expect("replace at limit");
        store.save("b", search("1", false)).expect("third in all");
        assert!(matches!(
            store.save("c", search("1", false)),
            Err(SavedError::StoreFull { .. })
        ));
    }
}
