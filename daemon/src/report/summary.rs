//! The end of a human report: causes many profiles share (offline, DNS, throttling, an
//! endpoint's errors) said once with a fix true for the command that printed them, the
//! counts by state, and the one thing to do first.

use super::render::{Style, View, clean, is_shared, state_word};
use crate::verdict::{Code, ProfileVerdict, Report, Severity, State};
use std::fmt::Write;

/// States in the order the count line lists them: the worst first.
const ORDER: [State; 6] = [
    State::Invalid,
    State::Expired,
    State::Expiring,
    State::Unknown,
    State::Skipped,
    State::Ok,
];

pub(super) fn write(out: &mut String, r: &Report, view: View, style: &Style) {
    for code in [Code::Network, Code::Throttled, Code::EndpointError] {
        shared_cause(out, r, code, view, style);
    }
    let n = r.profiles.len();
    let mut counts = Vec::new();
    for s in ORDER {
        let k = r.profiles.iter().filter(|p| p.state == s).count();
        if k > 0 {
            counts.push(format!("{k} {}", state_word(style, s)));
        }
    }
    let plural = if n == 1 { "" } else { "s" };
    let _ = write!(out, "{} profile{plural}", style.paint("1", &n.to_string()));
    if counts.is_empty() {
        out.push('\n');
    } else {
        let _ = writeln!(out, ": {}", counts.join(", "));
    }
    if let Some(first) = first_step(r, view) {
        let _ = writeln!(out, "{} {first}", style.paint("1", "first:"));
    }
}

/// What the cause is called, and its fix for this command.
fn cause_text(code: Code, view: View) -> (&'static str, &'static str) {
    let once = matches!(view, View::Check);
    match (code, once) {
        (Code::Network, true) => (
            "STS could not be reached",
            "check the network (or the STS endpoint's name), then run `credguard check` again",
        ),
        (Code::Network, false) => (
            "STS could not be reached",
            "credguardd tries again with backoff; check the network, or ask now with `credguard check --fresh`",
        ),
        (Code::Throttled, true) => (
            "STS throttled the requests",
            "wait a minute, then run `credguard check` again",
        ),
        (Code::Throttled, false) => (
            "STS throttled the requests",
            "credguardd tries again with backoff; nothing to do unless it lasts",
        ),
        (_, true) => (
            "the STS endpoint answered with errors",
            "check the endpoint (AWS_ENDPOINT_URL_STS, endpoint_url), then run `credguard check` again",
        ),
        (_, false) => (
            "the STS endpoint answered with errors",
            "credguardd tries again with backoff; check the endpoint (AWS_ENDPOINT_URL_STS, endpoint_url) if it lasts",
        ),
    }
}

/// One paragraph for every profile that `code` left unvalidated.
fn shared_cause(out: &mut String, r: &Report, code: Code, view: View, style: &Style) {
    let hit: Vec<&ProfileVerdict> = r
        .profiles
        .iter()
        .filter(|p| p.problems.iter().any(|pr| pr.code == code))
        .collect();
    if hit.is_empty() {
        return;
    }
    let mut messages: Vec<String> = Vec::new();
    for pr in hit
        .iter()
        .flat_map(|p| &p.problems)
        .filter(|pr| pr.code == code)
    {
        let m = clean(pr.message.trim_start_matches("could not validate: "));
        if !messages.contains(&m) {
            messages.push(m);
        }
    }
    let (what, fix) = cause_text(code, view);
    let names: Vec<String> = hit.iter().map(|p| clean(&p.profile)).collect();
    let _ = writeln!(
        out,
        "{} {what} [{}], for {}: {}",
        style.paint("90", "not validated:"),
        code.as_str(),
        if hit.len() == 1 {
            "1 profile".to_string()
        } else {
            format!("{} profiles", hit.len())
        },
        names.join(", ")
    );
    for m in messages.iter().take(3) {
        let _ = writeln!(out, "  {m}");
    }
    if messages.len() > 3 {
        let _ = writeln!(out, "  … and {} more", messages.len() - 3);
    }
    let _ = writeln!(out, "  fix: {fix}");
}

/// The first thing to do: the shell's own profile when it is broken, else the worst
/// profile's first error (or warning); a shared cause when that is all there is.
fn first_step(r: &Report, view: View) -> Option<String> {
    let rank = |p: &ProfileVerdict| ORDER.iter().position(|s| *s == p.state).unwrap_or(0);
    let shell = match view {
        View::Doctor { shell_profile } => shell_profile,
        _ => None,
    };
    let mut candidates: Vec<&ProfileVerdict> = r
        .profiles
        .iter()
        .filter(|p| matches!(p.state, State::Invalid | State::Expired | State::Expiring))
        .collect();
    candidates.sort_by_key(|p| (shell != Some(p.profile.as_str()), rank(p)));
    for p in candidates {
        let worst = p
            .problems
            .iter()
            .filter(|pr| !is_shared(pr.code) && !pr.fix.is_empty())
            .max_by_key(|pr| match pr.severity {
                Severity::Error => 2,
                Severity::Warning => 1,
                Severity::Info => 0,
            });
        if let Some(pr) = worst {
            return Some(format!(
                "{} ({}): {}",
                clean(&p.profile),
                p.state.as_str(),
                clean(&pr.fix)
            ));
        }
    }
    let shared = [Code::Network, Code::Throttled, Code::EndpointError]
        .into_iter()
        .find(|c| {
            r.profiles
                .iter()
                .any(|p| p.problems.iter().any(|pr| pr.code == *c))
        })?;
    Some(cause_text(shared, view).1.to_string())
}
