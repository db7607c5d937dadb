//! Badge files: the daemon keeps the prompt text of every profile in a file of its own, so
//! that a prompt hook reads it with a shell builtin, with no process and no round trip.
//!
//! Layout (beside the default socket, in the daemon's private runtime directory):
//!
//! ```text
//! $XDG_RUNTIME_DIR/credguard/badge/.proc       a symlink to /proc/<the daemon's pid>
//! $XDG_RUNTIME_DIR/credguard/badge/.exe        a symlink to the daemon's program
//! $XDG_RUNTIME_DIR/credguard/badge/.live       a symlink to /proc/<pid>/fd/<n>: the daemon's
//!                                              open descriptor of $XDG_RUNTIME_DIR/credguard
//! $XDG_RUNTIME_DIR/credguard/badge/<name>      the badge text for profile <name>
//! $XDG_RUNTIME_DIR/credguard/badge/.none       the badge of a shell that names no profile
//! $XDG_RUNTIME_DIR/credguard/badge/.ascii/…    the same in plain ASCII
//! $XDG_RUNTIME_DIR/credguard/badge/.guard/…    the pre-command guard's (crate::guardfile)
//! ```
//!
//! The daemon is alive when `.proc/exe` and `.exe` are the same file (`[[ a -ef b ]]` in
//! a shell: two `stat`s, no read): after a `kill -9` the pid is gone, a zombie has no
//! `exe`, and a pid reused by another program names another file.
//!
//! The bash and fish hooks go one step shorter: they read `.live/badge/<name>` (or
//! `.live/badge/.ascii/<name>`), a path that exists only while the daemon's process holds
//! its descriptor of the credguard runtime directory. After a `kill -9` the pid is gone
//! from `/proc` and a zombie has closed its descriptors; a pid reused by another process
//! would need that process to hold, at the same descriptor number, a directory with a
//! `badge/<name>` file in it: only credguard's own runtime directory has one. So the test
//! that the file exists is the liveness test too (one `stat`). `.live` is there only while
//! config.toml has no `[guard]` table (no `.guard/.settings`), which those hooks then
//! read at each prompt the longer way.
//!
//! A file holds the exact text `credguard prompt` would print (empty when all is well), with
//! no newline. A profile without a file (one that does not exist, say) is asked of the
//! daemon as before. Names are encoded so that no profile name can leave the directory:
//! a name of `[A-Za-z0-9_][A-Za-z0-9._-]*` is its own file name (what the shell hooks test
//! with a pattern before reading), any other is `~` and the hex of its UTF-8 bytes (a
//! hook never reads those; `credguard prompt` does).

use std::path::{Path, PathBuf};

/// The liveness record: a symlink to `/proc/<pid>` of the daemon.
pub const PROC_LINK: &str = ".proc";
/// A symlink to the daemon's program, for `PROC_LINK/exe` to be compared with.
pub const EXE_LINK: &str = ".exe";
/// A symlink to `/proc/<pid>/fd/<n>`, the daemon's descriptor of the badge directory's
/// parent: `LIVE_LINK/badge/<file>` exists only while the daemon runs.
pub const LIVE_LINK: &str = ".live";
/// The file of a shell that names no profile.
pub const NO_PROFILE_FILE: &str = ".none";
/// The subdirectory of the plain-ASCII badges.
pub const ASCII_DIR: &str = ".ascii";

/// Whether `name` is its own file name (the shell hooks' pattern).
pub fn is_plain(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The file name of profile `name`'s badge: never empty, never `.`/`..`, never a `/`.
pub fn file_name(name: &str) -> String {
    if is_plain(name) {
        return name.to_string();
    }
    let mut out = String::with_capacity(1 + 2 * name.len());
    out.push('~');
    for b in name.bytes() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The badge directory beside a socket in its default place (`$XDG_RUNTIME_DIR`), else
/// `None`: an overridden socket may sit in a directory credguard does not own.
pub fn dir_for(socket: &Path, origin: crate::paths::SocketOrigin) -> Option<PathBuf> {
    (origin == crate::paths::SocketOrigin::RuntimeDir)
        .then(|| socket.parent().map(|d| d.join("badge")))?
}

/// The file for `profile` (`None`: the shell names none) in `dir`.
pub fn path(dir: &Path, profile: Option<&str>, ascii: bool) -> PathBuf {
    let dir = if ascii {
        dir.join(ASCII_DIR)
    } else {
        dir.to_path_buf()
    };
    match profile {
        Some(p) => dir.join(file_name(p)),
        None => dir.join(NO_PROFILE_FILE),
    }
}

/// Whether the daemon that keeps `dir` is alive (Linux: `/proc`): `.proc/exe` and `.exe`
/// are the same file.
pub fn daemon_alive(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(running), Ok(program)) = (
        std::fs::metadata(dir.join(PROC_LINK).join("exe")),
        std::fs::metadata(dir.join(EXE_LINK)),
    ) else {
        return false;
    };
    (running.dev(), running.ino()) == (program.dev(), program.ino())
}

/// The badge text for `profile`, if the daemon is alive and keeps a file for it.
pub fn read(dir: &Path, profile: Option<&str>, ascii: bool) -> Option<String> {
    if !daemon_alive(dir) {
        return None;
    }
    std::fs::read_to_string(path(dir, profile, ascii)).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn no_name_leaves_the_directory() {
        for name in [
            "../../x",
            "..",
            ".",
            "",
            "a/b",
            "x\ny",
            "/etc/passwd",
            ".proc",
            ".exe",
            ".none",
            "ascii/..",
            "-x",
            "~7e",
        ] {
            let f = file_name(name);
            assert!(
                !f.is_empty() && !f.contains('/') && f != "." && f != "..",
                "{name:?} → {f:?}"
            );
            assert!(
                !f.starts_with('.'),
                "{name:?} → {f:?} could clash with the liveness record"
            );
        }
        assert_eq!(file_name("../../x"), "~2e2e2f2e2e2f78");
        assert_eq!(file_name("x\ny"), "~780a79");
    }

    #[test]
    fn plain_names_are_themselves_and_encodings_never_collide_with_them() {
        for name in ["default", "prod-eu.1", "_x", "A9"] {
            assert!(is_plain(name));
            assert_eq!(file_name(name), name);
        }
        for name in ["-x", ".x", "my profile", "é", "a~b"] {
            assert!(!is_plain(name));
            assert!(file_name(name).starts_with('~'));
        }
        // '~' is never plain, so an encoded name is never some plain profile's name
        assert!(!is_plain("~41"));
        // and no plain name is one of the directory's own entries
        for own in [
            PROC_LINK,
            EXE_LINK,
            NO_PROFILE_FILE,
            ASCII_DIR,
            crate::guardfile::GUARD_DIR,
        ] {
            assert!(!is_plain(own), "{own}");
        }
    }

    /// Liveness from `/proc`: a running daemon is alive; the same program killed and not
    /// yet reaped (a zombie), another program at the pid, or a pid that is gone is not.
    #[cfg(target_os = "linux")]
    #[test]
    fn liveness_is_the_daemons_program_running_at_its_pid() {
        use std::os::unix::fs::symlink;
        let dir = std::env::temp_dir().join(format!("credguard-badgefile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("credguardd");
        std::fs::copy("/bin/sleep", &fake).unwrap();
        symlink(&fake, dir.join(EXE_LINK)).unwrap();
        let record = |pid: u32| {
            let _ = std::fs::remove_file(dir.join(PROC_LINK));
            symlink(format!("/proc/{pid}"), dir.join(PROC_LINK)).unwrap();
        };
        let mut running = std::process::Command::new(&fake).arg("30").spawn().unwrap();
        record(running.id());
        assert!(daemon_alive(&dir));
        running.kill().unwrap();
        // killed, not reaped: a zombie until wait()
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(!daemon_alive(&dir), "a zombie is not alive");
        running.wait().unwrap();
        assert!(!daemon_alive(&dir), "a pid that is gone");
        record(std::process::id());
        assert!(!daemon_alive(&dir), "another program");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
