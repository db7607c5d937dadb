//! Which profiles shells use, so that only those are revalidated often (the rest at most
//! once a day: every GetCallerIdentity and AssumeRole is a CloudTrail event).
//!
//! A shell asks about its profile in two ways: over the socket (a prompt without badge
//! files, `check`/`doctor --profile`), which the server notes in
//! [`crate::run::engine::Shared`], or, far more often, by reading the profile's badge file
//! with shell builtins, which the daemon never sees. For those it looks at the files'
//! access times: on a `relatime` mount (the default, tmpfs included) the kernel updates
//! `atime` on a read only when it is not after `mtime`; so after each look the daemon sets
//! `atime` back to 1970, and the next read by any shell moves it past `mtime` again. A
//! file whose `atime` is after its `mtime` was read since the daemon last looked (or last
//! rewrote it). On a `noatime` mount no read shows, and profiles count as idle unless
//! they are asked about over the socket.

use credguard_client::badgefile::{self, ASCII_DIR, NO_PROFILE_FILE};
use std::collections::HashMap;
use std::fs::{File, FileTimes};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// When each profile was last asked about (unix seconds, the daemon's clock).
#[derive(Debug, Default)]
pub struct Usage {
    asked: HashMap<String, i64>,
}

impl Usage {
    pub fn note(&mut self, profile: &str, at: i64) {
        let t = self.asked.entry(profile.to_string()).or_insert(at);
        *t = (*t).max(at);
    }

    pub fn last_asked(&self, profile: &str) -> Option<i64> {
        self.asked.get(profile).copied()
    }

    /// Note, at `now`, every profile of `profiles` whose badge file in `dir` (or its ASCII
    /// twin; for `default` also the file of shells naming no profile) was read since the
    /// last look, and set those files' access time back for the next look.
    pub fn look_at_badges<'a>(
        &mut self,
        dir: &Path,
        profiles: impl IntoIterator<Item = &'a str>,
        now: i64,
    ) {
        for p in profiles {
            let name = badgefile::file_name(p);
            let mut files: Vec<PathBuf> = vec![dir.join(&name), dir.join(ASCII_DIR).join(&name)];
            if p == "default" {
                files.push(dir.join(NO_PROFILE_FILE));
                files.push(dir.join(ASCII_DIR).join(NO_PROFILE_FILE));
            }
            let mut read = false;
            for f in &files {
                read |= read_since_look(f);
            }
            if read {
                self.note(p, now);
            }
        }
    }
}

/// Whether `path` was read since it was written or last looked at; its access time is set
/// back to 1970 so that the next read shows.
fn read_since_look(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    let Ok(meta) = file.metadata() else {
        return false;
    };
    let read = match (meta.accessed(), meta.modified()) {
        (Ok(a), Ok(m)) => a > m,
        _ => false,
    };
    if read {
        let _ = file.set_times(FileTimes::new().set_accessed(UNIX_EPOCH));
    }
    read
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Read;

    fn read(path: &Path) {
        let mut s = String::new();
        File::open(path).unwrap().read_to_string(&mut s).unwrap();
    }

    #[test]
    fn a_read_badge_file_marks_its_profile_once_per_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(ASCII_DIR)).unwrap();
        for p in ["prod", "dev", NO_PROFILE_FILE] {
            std::fs::write(dir.path().join(p), "").unwrap();
            std::fs::write(dir.path().join(ASCII_DIR).join(p), "").unwrap();
        }
        let set_back = |p: &str| {
            File::open(dir.path().join(p))
                .unwrap()
                .set_times(
                    FileTimes::new()
                        .set_accessed(UNIX_EPOCH)
                        .set_modified(UNIX_EPOCH + std::time::Duration::from_secs(1000)),
                )
                .unwrap();
        };
        // written, never read
        for p in ["prod", "dev", NO_PROFILE_FILE] {
            set_back(p);
            set_back(&format!("{ASCII_DIR}/{p}"));
        }
        let mut u = Usage::default();
        let all = ["prod", "dev", "default"];
        u.look_at_badges(dir.path(), all, 100);
        assert_eq!(u.last_asked("prod"), None);
        read(&dir.path().join("prod"));
        read(&dir.path().join(NO_PROFILE_FILE));
        u.look_at_badges(dir.path(), all, 200);
        assert_eq!(u.last_asked("prod"), Some(200));
        assert_eq!(u.last_asked("default"), Some(200), "the no-profile file");
        assert_eq!(u.last_asked("dev"), None);
        // no read since: nothing new
        u.look_at_badges(dir.path(), all, 300);
        assert_eq!(u.last_asked("prod"), Some(200));
        // read again (the ASCII twin counts too)
        read(&dir.path().join(ASCII_DIR).join("dev"));
        u.look_at_badges(dir.path(), all, 400);
        assert_eq!(u.last_asked("dev"), Some(400));
        assert_eq!(u.last_asked("prod"), Some(200));
    }
}
