//! credguard's client library (std only), shared with `credguardd`:
//!
//! * [`proto`]: the versioned, framed, size-bounded wire protocol;
//! * [`paths`]: where the daemon's socket lives;
//! * [`client`]: one deadline-bounded request/response exchange;
//! * [`badge`]: the prompt badge's format;
//! * [`badgefile`]: where the daemon keeps each profile's badge for the hooks to read;
//! * [`rules`]: the credential rules both sides apply (hidden characters, key shapes,
//!   expiry variables, durations);
//! * [`selection`]: which profile a shell selects (`AWS_PROFILE=""` included);
//! * [`check_args`]: the `check` command line, shared by `credguard` and `credguardd`;
//! * [`usage`]: usage errors ("did you mean") and console output that never panics, and
//!   [`color`]: `--color`, `NO_COLOR`, `CLICOLOR_FORCE`, for both binaries;
//! * [`envcreds`]: environment credentials, checked offline and fingerprinted;
//! * [`json`], [`readiness`]: reading a verdict back, and whether it lets a command run
//!   (`credguard exec`, the shells' pre-command guard);
//! * [`profiles`]: the profile names in the AWS files (shell completion, no daemon);
//! * [`manpage`]: manual pages in roff, made from the `--help` texts;
//! * [`find_engine`]: where `credguardd` is, for `credguard check` without a daemon.

pub mod badge;
pub mod badgefile;
pub mod check_args;
pub mod client;
pub mod color;
pub mod envcreds;
pub mod guardfile;
pub mod json;
pub mod manpage;
pub mod paths;
pub mod profiles;
pub mod proto;
pub mod readiness;
pub mod rules;
pub mod selection;
#[cfg(target_os = "linux")]
mod sys;
pub mod usage;

pub use client::{ClientError, exchange};
pub use paths::{current_uid, socket_path};
pub use proto::{
    BadgeState, EnvCredentials, MAX_FRAME, PROTOCOL_VERSION, PromptQuery, ProtoError, Request,
    Response, Validation, WatchFormat, WatchQuery, mask_key_id,
};

use std::path::{Path, PathBuf};

/// Whether stdout's reader is gone (a closed pipe), without writing; false where it cannot
/// be told (not Linux).
pub fn stdout_gone() -> bool {
    #[cfg(target_os = "linux")]
    return sys::stdout_gone();
    #[cfg(not(target_os = "linux"))]
    false
}

/// `credguardd` next to this executable (how `cargo install` and packages lay them out),
/// else the first one on `PATH`.
pub fn find_engine(current_exe: Option<&Path>, path_var: Option<&str>) -> Option<PathBuf> {
    let beside = current_exe
        .and_then(Path::parent)
        .map(|d| d.join("credguardd"));
    if let Some(p) = beside.filter(|p| p.is_file()) {
        return Some(p);
    }
    path_var?
        .split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join("credguardd"))
        .find(|p| p.is_file())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn beside_then_path() {
        let dir =
            std::env::temp_dir().join(format!("credguard-client-test-{}", std::process::id()));
        let (a, b) = (dir.join("a"), dir.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("credguardd"), "").unwrap();
        let path = format!("{}:{}", a.display(), b.display());
        assert_eq!(
            find_engine(Some(&a.join("credguard")), Some(&path)),
            Some(b.join("credguardd"))
        );
        std::fs::write(a.join("credguardd"), "").unwrap();
        assert_eq!(
            find_engine(Some(&a.join("credguard")), Some(&path)),
            Some(a.join("credguardd"))
        );
        assert_eq!(find_engine(None, Some("")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
