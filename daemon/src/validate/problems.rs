//! The text of every STS answer: the problem a rejection or an unknown answer becomes, with
//! its fix, and the clock-skew problem.

use super::sts::Outcome;
use crate::diagnose::RoleStep;
use crate::verdict::{Code, Problem, Severity};

/// The problem a rejection or an unknown answer becomes, with the fix: the text of every
/// STS answer lives here and in [`skew_problem`]. `roles`: the roles assumed on the way
/// (a refused hop is named and located by them).
pub fn problem_for(
    outcome: &Outcome,
    profile: Option<&str>,
    roles: &[RoleStep],
) -> Option<Problem> {
    if let Outcome::Rejected {
        code: Code::RoleNotAssumable,
        aws_code,
        message,
        hop: Some(i),
    } = outcome
        && let Some(step) = roles.get(*i)
    {
        return Some(refused_hop(
            roles,
            *i,
            step,
            &format!("{aws_code}: {message}"),
        ));
    }
    let configure = match profile {
        Some(p) => format!("aws configure --profile {p}"),
        None => "export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY again".into(),
    };
    match outcome {
        Outcome::Valid(_) => None,
        Outcome::Rejected {
            code,
            aws_code,
            message,
            ..
        } => {
            let (what, fix) = match code {
                Code::UnknownKey => (
                    "STS does not know this access key id: deleted, deactivated, mistyped, or from another partition",
                    format!("check the key in the IAM console (Users → Security credentials), create a new one if it is gone, then `{configure}`"),
                ),
                Code::InvalidSessionToken => (
                    "STS rejects the session token: it is missing, truncated or belongs to other credentials",
                    "fetch new temporary credentials (aws sso login / aws sts assume-role) and replace key id, secret and token together".into(),
                ),
                Code::BadSecret => (
                    "the secret access key does not match the key id (confirmed by a second call)",
                    format!("copy the secret again (it is shown only once at creation; create a new key if lost), then `{configure}`"),
                ),
                Code::ExpiredToken => (
                    "STS says the credentials have expired",
                    "fetch new temporary credentials (aws sso login / aws sts assume-role / your credential tool)".into(),
                ),
                Code::ClockSkew => (
                    "STS rejects the signature's time: this machine's clock is off",
                    SYNC_CLOCK.into(),
                ),
                Code::RoleNotAssumable => (
                    "the credentials are valid, but sts:AssumeRole is refused",
                    "allow sts:AssumeRole on the role in the source identity's IAM policy, and trust the source in the role's trust policy".into(),
                ),
                Code::RegionNotEnabled => (
                    "the credentials are rejected in this opt-in region (a global-endpoint session token is not valid there)",
                    "use the regional STS endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) or enable the region for the account".into(),
                ),
                _ => ("STS rejected the credentials", configure.clone()),
            };
            Some(Problem::error(
                *code,
                None,
                format!("{what} ({aws_code}: {message})"),
                fix,
            ))
        }
        Outcome::Unknown { code, message } => Some(Problem::info(
            *code,
            None,
            format!("could not validate: {message}"),
            "check the network, the proxy and the STS endpoint, then run `credguard check` again (a running credguardd also retries by itself, with backoff)",
        )),
    }
}

/// sts:AssumeRole refused at hop `i` of a chain: which profile's role, assumed with what.
fn refused_hop(roles: &[RoleStep], i: usize, step: &RoleStep, answer: &str) -> Problem {
    let with = match i.checked_sub(1).and_then(|p| roles.get(p)) {
        Some(prev) => format!(
            "the session of role {} (profile {})",
            prev.role_arn, prev.profile
        ),
        None => "its source credentials".to_string(),
    };
    Problem::error(
        Code::RoleNotAssumable,
        step.location.clone(),
        format!(
            "profile {} cannot assume {} with {with}: sts:AssumeRole is refused ({answer})",
            step.profile, step.role_arn
        ),
        format!(
            "trust {with} in the trust policy of {} and allow it sts:AssumeRole on that role",
            step.role_arn
        ),
    )
}

/// Skew thresholds (DESIGN.md): warning from 60 s, error from 5 min.
const SKEW_WARN: f64 = 60.0;
const SKEW_ERROR: f64 = 300.0;

const SYNC_CLOCK: &str = "sync the clock: `sudo timedatectl set-ntp true` (Linux) or `sudo sntp -sS time.apple.com` (macOS)";

/// The problem a clock `skew` (local minus STS time, seconds) is, if it is one.
pub fn skew_problem(skew: f64) -> Option<Problem> {
    (skew.abs() >= SKEW_WARN).then(|| {
        Problem::new(
            Code::ClockSkew,
            if skew.abs() >= SKEW_ERROR {
                Severity::Error
            } else {
                Severity::Warning
            },
            None,
            format!(
                "this machine's clock is {:.0} s {} STS's time",
                skew.abs(),
                if skew > 0.0 { "ahead of" } else { "behind" }
            ),
            SYNC_CLOCK,
        )
    })
}
