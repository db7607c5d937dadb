//! Human-readable reports: `check` without `--json`, `doctor`, `status`.

use crate::verdict::{Report, Severity, State};
use std::fmt::Write;

pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn state_word(style: &Style, s: State) -> String {
    let code = match s {
        State::Ok => "32",
        State::Expiring => "33",
        State::Expired | State::Invalid => "31",
        State::Unknown | State::Skipped => "90",
    };
    style.paint(code, s.as_str())
}

/// One block per profile: state, source, key, account, identity, then each problem with its
/// place and fix.
pub fn report(r: &Report, style: &Style) -> String {
    let mut out = String::new();
    for p in &r.profiles {
        let _ = write!(
            out,
            "{}  {}  ({}",
            style.paint("1", &p.profile),
            state_word(style, p.state),
            p.source.as_str()
        );
        if let Some(k) = &p.key_id {
            let _ = write!(out, ", key {k}");
        }
        out.push(')');
        if let Some(a) = &p.account {
            let _ = write!(out, "  account {a}");
        }
        if let Some(id) = &p.identity {
            let _ = write!(out, "  {}", id.arn);
        }
        if let Some(e) = &p.expires_at {
            let _ = write!(out, "  expires {e}");
        }
        out.push('\n');
        for pr in &p.problems {
            let sev = match pr.severity {
                Severity::Error => style.paint("31", "error"),
                Severity::Warning => style.paint("33", "warning"),
                Severity::Info => style.paint("90", "info"),
            };
            let _ = write!(out, "  {sev}[{}]", pr.code.as_str());
            if let Some(l) = &pr.location {
                let _ = write!(out, " {l}");
            }
            let _ = writeln!(out, ": {}", pr.message);
            if !pr.fix.is_empty() {
                let _ = writeln!(out, "    fix: {}", pr.fix);
            }
        }
    }
    if let Some(skew) = r.clock_skew_seconds {
        let _ = writeln!(out, "clock skew vs STS: {skew:+.1} s");
    }
    let counts = |s: State| r.profiles.iter().filter(|p| p.state == s).count();
    let _ = writeln!(
        out,
        "{} profile{}: {} ok, {} expiring, {} expired, {} invalid, {} unknown, {} skipped",
        r.profiles.len(),
        if r.profiles.len() == 1 { "" } else { "s" },
        counts(State::Ok),
        counts(State::Expiring),
        counts(State::Expired),
        counts(State::Invalid),
        counts(State::Unknown),
        counts(State::Skipped)
    );
    out
}
