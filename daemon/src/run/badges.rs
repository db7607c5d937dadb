//! The badge files the prompt hooks read without a process (layout and name encoding:
//! `credguard_client::badgefile`): rewritten atomically when a badge changes, and each
//! minute while one counts down; the liveness record holds this process's pid and is
//! removed at a clean exit (after kill -9, the hooks find `/proc/<pid>` gone).

use crate::report::badge;
use crate::run::engine::Snapshot;
use credguard_client::BadgeState;
use credguard_client::badgefile::{self, ASCII_DIR, NO_PROFILE_FILE, PID_FILE};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

pub struct BadgeFiles {
    dir: PathBuf,
    /// What each file holds now (by path), so that only changes are written.
    written: HashMap<PathBuf, String>,
    /// Said once: the directory cannot be written.
    failed: bool,
}

impl BadgeFiles {
    /// Creates `dir` (0700) and its ASCII twin; stale badges of an earlier daemon are
    /// removed; the liveness record is written last, once the first badges are in.
    pub fn open(dir: PathBuf) -> std::io::Result<BadgeFiles> {
        let mut b = std::fs::DirBuilder::new();
        b.mode(0o700).recursive(true);
        b.create(dir.join(ASCII_DIR))?;
        for d in [dir.clone(), dir.join(ASCII_DIR)] {
            for entry in std::fs::read_dir(&d)?.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_file()) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(BadgeFiles {
            dir,
            written: HashMap::new(),
            failed: false,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write every badge that changed; `true` when one shows a countdown (so the caller
    /// rewrites them each minute).
    pub fn update(&mut self, snap: &Snapshot, now: OffsetDateTime) -> bool {
        let mut countdown = false;
        let mut wanted: Vec<(PathBuf, String)> = Vec::new();
        for ascii in [false, true] {
            let dir = if ascii {
                self.dir.join(ASCII_DIR)
            } else {
                self.dir.clone()
            };
            for v in &snap.report.profiles {
                if v.profile.starts_with('(') {
                    continue; // `(env)`: the shells' own, never a profile name
                }
                let checking = snap.checking.contains(&v.profile);
                let (text, state) = badge::for_verdict(v, &v.profile, checking, now, ascii);
                countdown |= state == BadgeState::Expiring;
                wanted.push((dir.join(badgefile::file_name(&v.profile)), text));
            }
            for p in snap.ignored.iter().filter(|p| snap.profile(p).is_none()) {
                wanted.push((dir.join(badgefile::file_name(p)), String::new()));
            }
            let none = match snap.profile("default") {
                Some(v) => {
                    badge::for_verdict(v, "default", snap.checking.contains("default"), now, ascii)
                        .0
                }
                None => String::new(),
            };
            wanted.push((dir.join(NO_PROFILE_FILE), none));
        }
        self.apply(wanted);
        countdown
    }

    /// Bring the directory to `wanted`: changed files rewritten, vanished profiles removed,
    /// the liveness record written once.
    fn apply(&mut self, wanted: Vec<(PathBuf, String)>) {
        let keep: std::collections::HashSet<&PathBuf> = wanted.iter().map(|(p, _)| p).collect();
        let gone: Vec<PathBuf> = self
            .written
            .keys()
            .filter(|p| !keep.contains(p))
            .cloned()
            .collect();
        for p in gone {
            let _ = std::fs::remove_file(&p);
            self.written.remove(&p);
        }
        let mut result = Ok(());
        for (path, text) in wanted {
            if self.written.get(&path) == Some(&text) {
                continue;
            }
            match write_atomic(&path, text.as_bytes()) {
                Ok(()) => {
                    self.written.insert(path, text);
                }
                Err(e) => result = Err(e),
            }
        }
        let pid = self.dir.join(PID_FILE);
        if result.is_ok() && !self.written.contains_key(&pid) {
            let me = std::process::id().to_string();
            result = write_atomic(&pid, me.as_bytes());
            if result.is_ok() {
                self.written.insert(pid, me);
            }
        }
        match result {
            Err(e) if !self.failed => {
                self.failed = true;
                tracing::warn!(dir = %self.dir.display(), error = %e, "badge files not written; prompts ask the daemon instead (said once)");
            }
            Ok(()) => self.failed = false,
            Err(_) => {}
        }
    }

    /// At a clean exit: the liveness record and the badges go, so hooks ask the client.
    pub fn remove(&mut self) {
        let _ = std::fs::remove_file(self.dir.join(PID_FILE));
        for p in self.written.keys() {
            let _ = std::fs::remove_file(p);
        }
        self.written.clear();
    }
}

/// A temporary file beside `path`, renamed over it: a reader sees the old text or the new,
/// never half. No fsync: the runtime directory is memory and the files are rebuilt at start.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_file_name(format!(".tmp.{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    let written = f.write_all(bytes);
    drop(f);
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
}
