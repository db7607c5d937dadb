//! The prompt badge for a verdict (format shared with the client: `credguard_client::badge`).

use crate::aws::expiry;
use crate::verdict::{Code, ProfileVerdict, Severity, State};
use credguard_client::BadgeState;
use credguard_client::badge::{self, Mark};
use credguard_client::rules::short_duration;
use time::OffsetDateTime;

/// A short reason for the first error of a verdict, for the badge.
pub fn reason(code: Code) -> &'static str {
    match code {
        Code::HiddenCharacter => "hidden char",
        Code::MalformedKeyId => "bad key id",
        Code::MalformedSecret => "bad secret",
        Code::MissingKeyId => "no key id",
        Code::MissingSecret => "no secret",
        Code::MissingSessionToken => "no session token",
        Code::StraySessionToken => "stray token",
        Code::ProfileNotFound => "no such profile",
        Code::MisnamedSection => "misnamed section",
        Code::ParseError => "parse error",
        Code::UnreadableFile => "unreadable file",
        Code::PartialEnvCredentials => "partial env",
        Code::EnvOverridesProfile => "env overrides",
        Code::Expired | Code::ExpiredToken => "expired",
        Code::Expiring => "expiring",
        Code::SsoLoginRequired => "sso login",
        Code::LoginRequired => "login",
        Code::RoleNotAssumable => "role denied",
        Code::UnknownKey => "invalid key",
        Code::InvalidSessionToken => "invalid token",
        Code::BadSecret => "wrong secret",
        Code::ClockSkew => "clock skew",
        Code::RegionNotEnabled => "region",
        Code::Network => "network",
        Code::Throttled => "throttled",
        Code::EndpointError => "endpoint",
        Code::NotValidated => "not validated",
        Code::InsecurePermissions => "permissions",
        Code::InvalidProfileConfig => "bad config",
        Code::SkippedByPolicy => "skipped",
        Code::WrongAccount => "other account",
        Code::CanaryToken => "canary",
        Code::AccountMismatch => "account mismatch",
        Code::NoCredentials => "no credentials",
        Code::RoleNotAssumed => "role not assumed",
        Code::NeedsMfa => "needs mfa",
        Code::StaleExpiryMetadata => "stale expiry",
        Code::WrappedValue => "wrapped value",
        Code::EnvNotRead => "env not read",
        Code::ProfileSelectionDiffers => "profile differs",
    }
}

/// The badge state for a verdict state (one for one).
pub fn state(s: State) -> BadgeState {
    match s {
        State::Ok => BadgeState::Ok,
        State::Expiring => BadgeState::Expiring,
        State::Expired => BadgeState::Expired,
        State::Invalid => BadgeState::Invalid,
        State::Unknown => BadgeState::Unknown,
        State::Skipped => BadgeState::Skipped,
    }
}

/// The badge text and its state (`""` text when all is well).
pub fn for_verdict(
    v: &ProfileVerdict,
    label: &str,
    checking: bool,
    now: OffsetDateTime,
    ascii: bool,
) -> (String, BadgeState) {
    match v.state {
        State::Invalid | State::Expired => {
            let why = v
                .problems
                .iter()
                .find(|p| p.severity == Severity::Error)
                .map(|p| reason(p.code))
                .unwrap_or(if v.state == State::Expired {
                    "expired"
                } else {
                    "invalid"
                });
            (
                badge::format(label, Mark::Invalid, why, ascii),
                state(v.state),
            )
        }
        State::Expiring => {
            let left = v
                .expires_at
                .as_deref()
                .and_then(expiry::parse)
                .map(|t| short_duration((t - now).whole_seconds()))
                .unwrap_or_default();
            (
                badge::format(label, Mark::Expiring, &left, ascii),
                state(v.state),
            )
        }
        State::Unknown if checking => (
            badge::format(label, Mark::Checking, "checking", ascii),
            Mark::Checking.state(),
        ),
        s => (String::new(), state(s)),
    }
}

/// The badge for a profile that does not exist (named by AWS_PROFILE in the shell).
/// A name that is empty or has whitespace at an end is shown quoted: `aws:"dev " ✗ …`.
pub fn not_found(label: &str, ascii: bool) -> String {
    let quoted;
    let label = if label.is_empty() || label.trim() != label {
        quoted = format!("{label:?}");
        &quoted
    } else {
        label
    };
    badge::format(label, Mark::Invalid, reason(Code::ProfileNotFound), ascii)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::verdict::{Problem, SourceKind};

    fn verdict(state: State, problems: Vec<Problem>, expires_at: Option<&str>) -> ProfileVerdict {
        ProfileVerdict {
            profile: "p".into(),
            state,
            source: SourceKind::Static,
            key_id: None,
            account: None,
            expected_account: None,
            tools: Default::default(),
            judging: Default::default(),
            identity: None,
            expires_at: expires_at.map(str::to_string),
            problems,
        }
    }

    fn problem(code: Code, severity: Severity) -> Problem {
        Problem::new(code, severity, None, "", "")
    }

    #[test]
    fn badge_per_state() {
        let now = expiry::parse("2026-11-22T10:00:00Z").unwrap();
        let invalid = verdict(
            State::Invalid,
            vec![
                problem(Code::InsecurePermissions, Severity::Warning),
                problem(Code::UnknownKey, Severity::Error),
            ],
            None,
        );
        assert_eq!(
            for_verdict(&invalid, "prod", false, now, false),
            ("aws:prod ✗ invalid key".to_string(), BadgeState::Invalid)
        );
        let expiring = verdict(State::Expiring, vec![], Some("2026-11-22T10:12:30Z"));
        assert_eq!(
            for_verdict(&expiring, "dev", false, now, true).0,
            "aws:dev ~ 12m"
        );
        let ok = verdict(State::Ok, vec![], None);
        assert_eq!(
            for_verdict(&ok, "p", false, now, false),
            (String::new(), BadgeState::Ok)
        );
        let unknown = verdict(State::Unknown, vec![], None);
        assert_eq!(for_verdict(&unknown, "p", false, now, false).0, "");
        let wrong = verdict(
            State::Invalid,
            vec![problem(Code::WrongAccount, Severity::Error)],
            None,
        );
        assert_eq!(
            for_verdict(&wrong, "prod", false, now, false),
            ("aws:prod ✗ other account".to_string(), BadgeState::Invalid)
        );
        let canary = verdict(
            State::Skipped,
            vec![problem(Code::CanaryToken, Severity::Info)],
            None,
        );
        assert_eq!(
            for_verdict(&canary, "trap", false, now, false),
            (String::new(), BadgeState::Skipped),
            "a canary key is no error in the prompt"
        );
        assert_eq!(
            for_verdict(&unknown, "env", true, now, false),
            ("aws:env … checking".to_string(), BadgeState::Checking)
        );
    }
}
