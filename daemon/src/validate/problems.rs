//! The text of every STS answer: the problem a rejection or an unknown answer becomes, with
//! its fix, and the clock-skew problem.

use super::sts::Outcome;
use crate::diagnose::{Material, RoleStep, Written};
use crate::verdict::{Code, Problem, Severity};

/// The problem a rejection or an unknown answer about `m` becomes, with the fix: the text
/// of every STS answer lives here and in [`skew_problem`]. A refused hop is named and
/// located by `m.roles`; a rejected key at the line that holds it, in the profile that
/// holds it (a role's source, not the role), with a fix that names that profile.
pub fn problem_for(outcome: &Outcome, m: &Material) -> Option<Problem> {
    if let Outcome::Rejected {
        code: Code::RoleNotAssumable,
        aws_code,
        message,
        hop: Some(i),
    } = outcome
        && let Some(step) = m.roles.get(*i)
    {
        return Some(refused_hop(
            &m.roles,
            *i,
            step,
            &format!("{aws_code}: {message}"),
        ));
    }
    match outcome {
        Outcome::Valid(_) => None,
        Outcome::Rejected {
            code,
            aws_code,
            message,
            ..
        } => {
            let (what, fix) = rejection(*code, m);
            Some(Problem::error(
                *code,
                location(*code, &m.written),
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

/// Where the user edits for a rejection: the line of the part STS refused.
fn location(code: Code, written: &Written) -> Option<String> {
    match written {
        Written::Profile {
            key_id,
            secret,
            token,
            ..
        } => match code {
            Code::BadSecret => secret.clone(),
            Code::InvalidSessionToken | Code::ExpiredToken => token.clone().or(key_id.clone()),
            _ => key_id.clone(),
        },
        Written::Env => Some(
            match code {
                Code::BadSecret => "env AWS_SECRET_ACCESS_KEY",
                Code::InvalidSessionToken | Code::ExpiredToken => "env AWS_SESSION_TOKEN",
                _ => "env AWS_ACCESS_KEY_ID",
            }
            .to_string(),
        ),
        Written::Elsewhere => None,
    }
}

/// What a rejection means and its fix: commands that set the new values where the keys are.
fn rejection(code: Code, m: &Material) -> (String, String) {
    // `(whose) (set key id and secret) (set the secret)`
    let (whose, set_pair, set_secret) = match &m.written {
        Written::Profile { profile, .. } => {
            let set = |k: &str, v: &str| format!("`aws configure set {k} {v} --profile {profile}`");
            let whose = match m.profile.as_deref() {
                Some(p) if p != profile => {
                    format!("the key of profile {profile} (the source of {p})")
                }
                _ => format!("the key of profile {profile}"),
            };
            (
                whose,
                format!(
                    "set it in profile {profile}: {} and {}",
                    set("aws_access_key_id", "<new key id>"),
                    set("aws_secret_access_key", "<new secret>")
                ),
                set("aws_secret_access_key", "<secret>"),
            )
        }
        Written::Env => (
            "the environment's key".to_string(),
            "export it: `export AWS_ACCESS_KEY_ID=<new key id> AWS_SECRET_ACCESS_KEY=<new secret>`"
                .to_string(),
            "`export AWS_SECRET_ACCESS_KEY=<secret>`".to_string(),
        ),
        Written::Elsewhere => {
            let p = m.profile.as_deref().unwrap_or("default");
            (
                "this access key".to_string(),
                format!("get new credentials for profile {p} from their source"),
                format!("get new credentials for profile {p} from their source"),
            )
        }
    };
    let temporary = "fetch new temporary credentials (aws sso login / aws sts assume-role / your credential tool) and replace key id, secret and token together";
    match code {
        Code::UnknownKey => (
            format!("STS does not know {whose}: deleted, deactivated, mistyped, or from another partition"),
            format!("check the key in the IAM console (Users → Security credentials); if it is gone, create a new one and {set_pair}"),
        ),
        Code::InvalidSessionToken => (
            format!("STS rejects the session token of {whose}: it is missing, truncated or belongs to other credentials"),
            temporary.to_string(),
        ),
        Code::BadSecret => (
            format!("the secret access key does not match {whose} (confirmed by a second call)"),
            format!("copy the secret again (it is shown only once at creation; create a new key if lost), then {set_secret}"),
        ),
        Code::ExpiredToken => (
            "STS says the credentials have expired".to_string(),
            temporary.to_string(),
        ),
        Code::ClockSkew => (
            "STS rejects the signature's time: this machine's clock is off".to_string(),
            SYNC_CLOCK.to_string(),
        ),
        Code::RoleNotAssumable => (
            "the credentials are valid, but sts:AssumeRole is refused".to_string(),
            "allow sts:AssumeRole on the role in the source identity's IAM policy, and trust the source in the role's trust policy".to_string(),
        ),
        Code::RegionNotEnabled => (
            "the credentials are rejected in this opt-in region (a global-endpoint session token is not valid there)".to_string(),
            "use the regional STS endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) or enable the region for the account".to_string(),
        ),
        _ => ("STS rejected the credentials".to_string(), format!("create a new key and {set_pair}")),
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
