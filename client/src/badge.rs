//! The prompt badge: one format shared by the daemon (profiles, submitted environment
//! credentials) and the client (environment credentials it can judge offline itself).
//!
//! Nothing when all is well; `aws:<label> ✗ <reason>` when the credentials in use are
//! invalid or expired; `aws:<label> ⏳ <time left>` when they are expiring; `aws:<label> …`
//! while the first verdict is pending; [`NEUTRAL_MARK`] when nobody can tell.
//! The ASCII mode uses `!`, `~` and `...` instead.

use crate::proto::BadgeState;

/// What the prompt shows when the daemon is down or does not answer in time.
pub const NEUTRAL_MARK: &str = "aws:?";

/// The label used for credentials from the shell's environment.
pub const ENV_LABEL: &str = "env";

/// Badge kinds, also sent as the badge's `state` so hooks can colour it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Invalid or expired: the next AWS command fails.
    Invalid,
    /// Valid for a short while: the detail is the time left.
    Expiring,
    /// Not validated yet.
    Checking,
}

impl Mark {
    pub fn state(self) -> BadgeState {
        match self {
            Mark::Invalid => BadgeState::Invalid,
            Mark::Expiring => BadgeState::Expiring,
            Mark::Checking => BadgeState::Checking,
        }
    }

    fn symbol(self, ascii: bool) -> &'static str {
        match (self, ascii) {
            (Mark::Invalid, false) => "✗",
            (Mark::Invalid, true) => "!",
            (Mark::Expiring, false) => "⏳",
            (Mark::Expiring, true) => "~",
            (Mark::Checking, false) => "…",
            (Mark::Checking, true) => "...",
        }
    }
}

/// `aws:<label> <symbol> <detail>`; control characters and the badge's own separators are
/// removed from the label so that a profile name cannot inject escapes into a prompt.
pub fn format(label: &str, mark: Mark, detail: &str, ascii: bool) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_control())
            .filter(|c| !ascii || c.is_ascii())
            .collect()
    };
    let label = clean(label);
    let detail = clean(detail);
    let mut out = format!("aws:{label} {}", mark.symbol(ascii));
    if !detail.is_empty() {
        out.push(' ');
        out.push_str(&detail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges() {
        assert_eq!(
            format("prod", Mark::Invalid, "invalid key", false),
            "aws:prod ✗ invalid key"
        );
        assert_eq!(format("dev", Mark::Expiring, "12m", true), "aws:dev ~ 12m");
        assert_eq!(
            format("a\x1b[31mb", Mark::Checking, "", false),
            "aws:a[31mb …"
        );
        assert_eq!(format("é", Mark::Invalid, "x", true), "aws: ! x");
    }
}
