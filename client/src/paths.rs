//! Where the daemon's socket lives. Shared by `credguard` and `credguardd` so that both
//! always agree.
//!
//! 1. `CREDGUARD_SOCKET`, if set and not empty;
//! 2. `$XDG_RUNTIME_DIR/credguard/credguard.sock` (an absolute `XDG_RUNTIME_DIR` only, as
//!    the XDG spec says relative ones are invalid);
//! 3. `${TMPDIR:-/tmp}/credguard-<uid>/credguard.sock`, a per-user directory the daemon
//!    creates (0700) and owns.
//!
//! Every function takes the environment as a lookup function so tests never touch the
//! process's own environment.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Directory and file names under the runtime directory.
pub const SOCKET_DIR_NAME: &str = "credguard";
pub const SOCKET_FILE_NAME: &str = "credguard.sock";

/// Looks a variable up in this process's environment (non-UTF-8 values count as unset).
pub fn process_env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// Which rule chose the socket path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketOrigin {
    /// `CREDGUARD_SOCKET`: the user's own path; its directory is not ours to create or
    /// chmod.
    Override,
    /// Under `$XDG_RUNTIME_DIR`: the daemon creates `credguard/` with mode 0700.
    RuntimeDir,
    /// Under `${TMPDIR:-/tmp}`: the daemon creates `credguard-<uid>/` with mode 0700 and
    /// must refuse it if another user owns it.
    TempDir,
}

/// The socket path and the rule that chose it.
pub fn resolve_socket(env: &dyn Fn(&str) -> Option<String>) -> (PathBuf, SocketOrigin) {
    let set = |key: &str| env(key).filter(|v| !v.is_empty());
    if let Some(p) = set("CREDGUARD_SOCKET") {
        return (PathBuf::from(p), SocketOrigin::Override);
    }
    if let Some(dir) = set("XDG_RUNTIME_DIR").filter(|d| Path::new(d).is_absolute()) {
        return (
            Path::new(&dir).join(SOCKET_DIR_NAME).join(SOCKET_FILE_NAME),
            SocketOrigin::RuntimeDir,
        );
    }
    let tmp = set("TMPDIR").unwrap_or_else(|| "/tmp".to_string());
    let dir = match current_uid_with(env) {
        Some(uid) => format!("{SOCKET_DIR_NAME}-{uid}"),
        None => format!("{SOCKET_DIR_NAME}-unknown-user"),
    };
    (
        Path::new(&tmp).join(dir).join(SOCKET_FILE_NAME),
        SocketOrigin::TempDir,
    )
}

/// The daemon's socket path (see the module documentation for the rules).
pub fn socket_path(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    resolve_socket(env).0
}

/// This process's user id: the owner of `/proc/self` (Linux), else the owner of `$HOME`.
pub fn current_uid() -> Option<u32> {
    current_uid_with(&process_env)
}

/// [`current_uid`] with `HOME` looked up through `env`.
pub fn current_uid_with(env: &dyn Fn(&str) -> Option<String>) -> Option<u32> {
    uid_from(
        Path::new("/proc/self"),
        env("HOME")
            .filter(|h| !h.is_empty())
            .as_deref()
            .map(Path::new),
    )
}

fn uid_from(proc_self: &Path, home: Option<&Path>) -> Option<u32> {
    std::fs::metadata(proc_self)
        .or_else(|_| std::fs::metadata(home.ok_or(std::io::ErrorKind::NotFound)?))
        .ok()
        .map(|m| m.uid())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn my_uid() -> u32 {
        std::fs::metadata("/proc/self").unwrap().uid()
    }

    #[test]
    fn credguard_socket_wins_when_set() {
        let env = env_of(&[
            ("CREDGUARD_SOCKET", "/x/y.sock"),
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
        ]);
        assert_eq!(
            resolve_socket(&env),
            (PathBuf::from("/x/y.sock"), SocketOrigin::Override)
        );
        assert_eq!(socket_path(&env), PathBuf::from("/x/y.sock"));
    }

    #[test]
    fn empty_credguard_socket_is_unset() {
        let env = env_of(&[
            ("CREDGUARD_SOCKET", ""),
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
        ]);
        assert_eq!(
            resolve_socket(&env),
            (
                PathBuf::from("/run/user/1000/credguard/credguard.sock"),
                SocketOrigin::RuntimeDir
            )
        );
    }

    #[test]
    fn runtime_dir_when_no_override() {
        let env = env_of(&[
            ("XDG_RUNTIME_DIR", "/run/user/1000"),
            ("TMPDIR", "/var/tmp"),
        ]);
        assert_eq!(
            socket_path(&env),
            PathBuf::from("/run/user/1000/credguard/credguard.sock")
        );
    }

    #[test]
    fn empty_or_relative_runtime_dir_falls_back_to_tmp() {
        let uid = my_uid();
        for bad in ["", "run/user/1000"] {
            let env = env_of(&[("XDG_RUNTIME_DIR", bad)]);
            assert_eq!(
                resolve_socket(&env),
                (
                    PathBuf::from(format!("/tmp/credguard-{uid}/credguard.sock")),
                    SocketOrigin::TempDir
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn tmpdir_fallback_is_per_user() {
        let uid = my_uid();
        let env = env_of(&[("TMPDIR", "/var/tmp")]);
        assert_eq!(
            socket_path(&env),
            PathBuf::from(format!("/var/tmp/credguard-{uid}/credguard.sock"))
        );
        let env = env_of(&[("TMPDIR", "")]);
        assert_eq!(
            socket_path(&env),
            PathBuf::from(format!("/tmp/credguard-{uid}/credguard.sock"))
        );
        let env = env_of(&[]);
        assert_eq!(
            socket_path(&env),
            PathBuf::from(format!("/tmp/credguard-{uid}/credguard.sock"))
        );
    }

    #[test]
    fn uid_is_the_owner_of_proc_self_then_of_home() {
        let uid = my_uid();
        assert_eq!(current_uid(), Some(uid));
        assert_eq!(current_uid_with(&env_of(&[])), Some(uid));
        let dir = std::env::temp_dir().join(format!("credguard-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("no-proc");
        assert_eq!(uid_from(&missing, Some(&dir)), Some(uid));
        assert_eq!(uid_from(&missing, None), None);
        assert_eq!(uid_from(&missing, Some(&dir.join("no-home"))), None);
        // a HOME owned by someone else (root's `/`) is believed when /proc is absent
        assert_eq!(uid_from(&missing, Some(Path::new("/"))), Some(0));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
