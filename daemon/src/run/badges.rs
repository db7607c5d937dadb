//! The badge files the prompt hooks read without a process (layout and name encoding:
//! `credguard_client::badgefile`): rewritten atomically when a badge changes, and each
//! minute while one counts down; the liveness record (`.proc` → `/proc/<pid>`, `.exe` → this
//! program, `.live` → `/proc/<pid>/fd/<n>`, an open descriptor of the runtime directory
//! held for it, only while there are no `[guard]` settings) is written once the first
//! badges are in and removed at a clean exit (after a kill -9 the hooks find `.proc/exe`
//! and `.live/badge/…` gone). The pre-command guard's files go in `.guard/`
//! ([`crate::run::guard`]), kept the same way.

use crate::report::badge;
use crate::run::engine::Snapshot;
use crate::run::guard::{self, GuardConfig};
use credguard_client::BadgeState;
use credguard_client::badgefile::{
    self, ASCII_DIR, EXE_LINK, LIVE_LINK, NO_PROFILE_FILE, PROC_LINK,
};
use credguard_client::guardfile::{GUARD_DIR, SETTINGS_FILE};
use std::collections::HashMap;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

pub struct BadgeFiles {
    dir: PathBuf,
    /// What each file holds now (by path), so that only changes are written.
    written: HashMap<PathBuf, String>,
    /// Said once: the directory cannot be written.
    failed: bool,
    /// The liveness record is written.
    alive: bool,
    /// The runtime directory (the badge directory's parent) held open while the liveness
    /// record is: `.live` names this descriptor under `/proc/<pid>/fd`.
    anchor: Option<std::fs::File>,
}

impl BadgeFiles {
    /// Creates `dir` (0700), its ASCII twin and the guard's; stale badges of an earlier daemon are
    /// removed; the liveness record is written last, once the first badges are in.
    pub fn open(dir: PathBuf) -> std::io::Result<BadgeFiles> {
        let mut b = std::fs::DirBuilder::new();
        b.mode(0o700).recursive(true);
        b.create(dir.join(ASCII_DIR))?;
        b.create(dir.join(GUARD_DIR))?;
        for d in [dir.clone(), dir.join(ASCII_DIR), dir.join(GUARD_DIR)] {
            for entry in std::fs::read_dir(&d)?.flatten() {
                if entry
                    .file_type()
                    .is_ok_and(|t| t.is_file() || t.is_symlink())
                {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(BadgeFiles {
            dir,
            written: HashMap::new(),
            failed: false,
            alive: false,
            anchor: None,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write every badge (and guard file, for `guard`) that changed; `true` when one shows
    /// a countdown (so the caller rewrites them each minute).
    pub fn update(&mut self, snap: &Snapshot, now: OffsetDateTime, guard: &GuardConfig) -> bool {
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
        wanted.extend(guard::files(&self.dir, snap, guard));
        self.apply(wanted);
        countdown
    }

    /// Bring the directory to `wanted`: changed files rewritten, vanished profiles removed,
    /// the liveness record written once.
    fn apply(&mut self, wanted: Vec<(PathBuf, String)>) {
        // `.live` only while there are no [guard] settings: the bash and fish hooks take
        // their fast path (which skips the settings) only through it; it goes before the
        // settings file comes
        let settings = self.dir.join(GUARD_DIR).join(SETTINGS_FILE);
        let live = !wanted.iter().any(|(p, _)| *p == settings);
        let mut result = if live { Ok(()) } else { self.set_live(false) };
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
        if result.is_ok() && !self.alive {
            result = self.write_liveness();
            self.alive = result.is_ok();
        }
        if result.is_ok() {
            result = self.set_live(live);
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

    /// `.exe` → this program, then `.proc` → `/proc/<pid>`, each replaced atomically.
    fn write_liveness(&mut self) -> std::io::Result<()> {
        let exe = std::fs::read_link("/proc/self/exe").or_else(|_| std::env::current_exe())?;
        symlink_atomic(&exe, &self.dir.join(EXE_LINK))?;
        let me = PathBuf::from(format!("/proc/{}", std::process::id()));
        symlink_atomic(&me, &self.dir.join(PROC_LINK))
    }

    /// `.live` → `/proc/<pid>/fd/<n>` (the runtime directory, held open) made, or removed
    /// and the directory let go.
    fn set_live(&mut self, on: bool) -> std::io::Result<()> {
        let link = self.dir.join(LIVE_LINK);
        match (on, self.anchor.is_some(), self.dir.parent()) {
            (true, false, Some(parent)) => {
                // a directory opened read-only: nothing is read from it, it is only held
                let anchor = std::fs::File::open(parent)?;
                let fd = anchor.as_raw_fd();
                symlink_atomic(
                    &PathBuf::from(format!("/proc/{}/fd/{fd}", std::process::id())),
                    &link,
                )?;
                self.anchor = Some(anchor);
            }
            (false, true, _) => {
                std::fs::remove_file(&link)?;
                self.anchor = None;
            }
            _ => {}
        }
        Ok(())
    }

    /// At a clean exit: the liveness record and the badges go, so hooks ask the client.
    pub fn remove(&mut self) {
        let _ = std::fs::remove_file(self.dir.join(LIVE_LINK));
        self.anchor = None;
        let _ = std::fs::remove_file(self.dir.join(PROC_LINK));
        let _ = std::fs::remove_file(self.dir.join(EXE_LINK));
        self.alive = false;
        for p in self.written.keys() {
            let _ = std::fs::remove_file(p);
        }
        self.written.clear();
    }
}

/// A symlink `at` → `target`, made beside it and renamed over it.
fn symlink_atomic(target: &Path, at: &Path) -> std::io::Result<()> {
    let tmp = at.with_file_name(format!(".tmp.link.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    let renamed = std::fs::rename(&tmp, at);
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::verdict::{Code, Problem, ProfileVerdict, SourceKind, State};

    fn broken(name: &str) -> ProfileVerdict {
        ProfileVerdict {
            profile: name.into(),
            state: State::Invalid,
            source: SourceKind::Static,
            key_id: None,
            identity: None,
            account: None,
            expected_account: None,
            tools: Default::default(),
            judging: Default::default(),
            expires_at: None,
            problems: vec![Problem::error(
                Code::MissingSecret,
                None,
                "no aws_secret_access_key",
                "add it",
            )],
        }
    }

    fn files_under(root: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap().flatten() {
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path().strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        out.sort();
        out
    }

    /// Profile names that try to leave the directory, or to pass for its own entries, land
    /// in encoded files inside it; a vanished profile's file goes; `remove` empties it.
    #[test]
    fn no_profile_name_writes_outside_the_badge_directory() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("runtime/credguard/badge");
        let mut b = BadgeFiles::open(dir.clone()).unwrap();
        let names = ["../../x", "a\nb", ".proc", ".ascii", "/etc/x", "default"];
        let mut snap = Snapshot::default();
        snap.report.profiles = names.iter().map(|n| broken(n)).collect();
        let now = OffsetDateTime::now_utc();
        assert!(!b.update(&snap, now, &GuardConfig::default()));
        let all = files_under(root.path());
        for f in &all {
            assert!(
                f.starts_with("runtime/credguard/badge/"),
                "{f} outside the badge directory: {all:?}"
            );
        }
        let proc = std::fs::read_link(dir.join(PROC_LINK)).unwrap();
        assert_eq!(proc, PathBuf::from(format!("/proc/{}", std::process::id())));
        assert!(
            badgefile::daemon_alive(&dir),
            "this process is the daemon here"
        );
        let escaped = std::fs::read_to_string(dir.join("~2e2e2f2e2e2f78")).unwrap();
        assert_eq!(escaped, "aws:../../x ✗ no secret");
        assert_eq!(
            std::fs::read_to_string(dir.join(".ascii/default")).unwrap(),
            "aws:default ! no secret"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(".none")).unwrap(),
            "aws:default ✗ no secret"
        );
        // 6 profiles + .none, twice, a guard record per profile but "a\nb" (whose reason
        // would not be one line), and the liveness record's three links
        assert_eq!(all.len(), 2 * 7 + 5 + 3, "{all:?}");
        assert_eq!(
            std::fs::read_to_string(dir.join(".guard/~2e2e2f2e2e2f78")).unwrap(),
            "refuse=profile ../../x is invalid: no aws_secret_access_key; fix: add it\n"
        );

        snap.report.profiles.truncate(1);
        b.update(&snap, now, &GuardConfig::default());
        assert!(!dir.join("default").exists());
        assert_eq!(std::fs::read_to_string(dir.join(".none")).unwrap(), "");
        b.remove();
        assert_eq!(files_under(root.path()), Vec::<String>::new());
    }

    /// `.live/badge/<file>` (what the bash and fish hooks read) is there while this process,
    /// the daemon here, holds its descriptor. The same descriptor number in another process
    /// (what a reused pid would offer) open on another directory leads nowhere, and the
    /// link goes at a clean exit.
    #[test]
    fn the_live_link_leads_to_the_badges_only_through_the_daemon() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("runtime/credguard/badge");
        let mut b = BadgeFiles::open(dir.clone()).unwrap();
        let mut snap = Snapshot::default();
        snap.report.profiles = vec![broken("default")];
        b.update(&snap, OffsetDateTime::now_utc(), &GuardConfig::default());
        let live = dir.join(LIVE_LINK);
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(live.join("badge/default")), "aws:default ✗ no secret");
        assert_eq!(
            read(live.join("badge/.ascii/default")),
            "aws:default ! no secret"
        );

        let target = std::fs::read_link(&live).unwrap();
        let fd = target.file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(
            target.parent().unwrap(),
            Path::new(&format!("/proc/{}/fd", std::process::id()))
        );
        let mut other = std::process::Command::new("bash")
            .args(["-c", &format!("exec {fd}<\"$1\"; exec sleep 30"), "-"])
            .arg(root.path())
            .spawn()
            .unwrap();
        let theirs = PathBuf::from(format!("/proc/{}/fd/{fd}", other.id()));
        let start = std::time::Instant::now();
        while !theirs.is_dir() && start.elapsed() < std::time::Duration::from_secs(5) {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(
            theirs.is_dir(),
            "the other process holds {fd} open on a directory"
        );
        symlink_atomic(&theirs, &live).unwrap();
        let found = live.join("badge/default").exists();
        other.kill().unwrap();
        other.wait().unwrap();
        assert!(!found, "another process's descriptor {fd} led to a badge");

        // config.toml's [guard] table: no `.live` while its settings file is there (the
        // hooks then read the settings the longer way), back when it goes
        let guarded = crate::config::Config::parse("[guard]\nmode = \"block\"\n")
            .unwrap()
            .guard;
        let now = OffsetDateTime::now_utc();
        b.update(&snap, now, &guarded);
        assert!(dir.join(".guard/.settings").is_file());
        assert!(
            std::fs::symlink_metadata(&live).is_err(),
            "no .live with settings"
        );
        assert!(badgefile::daemon_alive(&dir), "the longer record stays");
        b.update(&snap, now, &GuardConfig::default());
        assert!(!dir.join(".guard/.settings").exists());
        assert_eq!(read(live.join("badge/default")), "aws:default ✗ no secret");

        b.remove();
        assert!(
            std::fs::symlink_metadata(&live).is_err(),
            "the link is gone"
        );
    }
}
