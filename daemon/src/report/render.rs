//! Human-readable reports: `check` without `--json`, `doctor`, `status`. One block per
//! profile with its columns aligned over the report (and, where the readers of the files
//! disagree, each one's state: `[cli ok, sdk invalid, js ok]`, and `(sdk only)` on a
//! problem that breaks only some); `doctor` leads with the profile the
//! asking shell uses, then groups the rest (broken, expiring, not validated, fine); causes
//! that many profiles share (offline, DNS, throttling) are said once in the summary
//! ([`super::summary`]), with a fix true for the command that printed the report.
//!
//! Colour is SGR sequences only; every text that comes from a file or a peer (profile
//! names, messages, locations) has its control characters escaped, so that the only
//! escapes in a report are these, and a client can take them out (`color::strip_sgr`).

use super::summary;
use crate::aws::readers::Reader;
use crate::verdict::{Code, ProfileVerdict, Report, Severity, State};
use std::fmt::Write;

/// Whether to colour.
pub struct Style {
    pub color: bool,
}

impl Style {
    pub(super) fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// Which command prints the report: it decides the order and the fixes of shared causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View<'a> {
    /// `check`, run once: nothing retries after it.
    Check,
    /// `status`: the daemon's cached verdicts; the daemon retries.
    Status,
    /// `doctor`: led by the profile the asking shell uses, the rest grouped.
    Doctor { shell_profile: Option<&'a str> },
}

/// Problems said once in the summary instead of under each profile.
pub(super) fn is_shared(code: Code) -> bool {
    matches!(code, Code::Network | Code::Throttled | Code::EndpointError)
}

/// `s` with control characters escaped (`\u{1b}`): nothing from a file or a peer can
/// move the cursor or colour the terminal.
pub(super) fn clean(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub(super) fn state_word(style: &Style, s: State) -> String {
    let code = match s {
        State::Ok => "32",
        State::Expiring => "33",
        State::Expired | State::Invalid => "1;31",
        State::Unknown | State::Skipped => "90",
    };
    style.paint(code, s.as_str())
}

/// Column widths over every profile of a report.
struct Columns {
    name: usize,
    state: usize,
}

impl Columns {
    fn of(r: &Report) -> Self {
        Columns {
            name: r
                .profiles
                .iter()
                .map(|p| clean(&p.profile).chars().count())
                .max()
                .unwrap_or(0),
            state: r
                .profiles
                .iter()
                .map(|p| p.state.as_str().len())
                .max()
                .unwrap_or(0),
        }
    }
}

fn pad(painted: String, plain_len: usize, width: usize) -> String {
    painted + &" ".repeat(width.saturating_sub(plain_len))
}

/// The report as `view`'s command prints it.
pub fn report(r: &Report, view: View, style: &Style) -> String {
    let cols = Columns::of(r);
    let mut out = String::new();
    match view {
        View::Doctor { shell_profile } if r.profiles.len() > 1 => {
            doctor_body(&mut out, r, shell_profile, &cols, style);
        }
        _ => {
            for p in &r.profiles {
                block(&mut out, p, &cols, style);
            }
        }
    }
    if let Some(skew) = r.clock_skew_seconds {
        let _ = writeln!(out, "clock skew vs STS: {skew:+.1} s");
    }
    summary::write(&mut out, r, view, style);
    if let View::Doctor { .. } = view {
        out.push_str(&judged_tools(r));
    }
    out
}

/// `doctor`'s last line: the readers config `tools` chose, whose failures make a profile
/// invalid; the others' are warnings.
fn judged_tools(r: &Report) -> String {
    let chosen = r
        .profiles
        .first()
        .map(|p| p.judging.chosen.clone())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| Reader::ALL.to_vec());
    let names = |rs: &[Reader]| rs.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
    let left: Vec<Reader> = Reader::ALL
        .into_iter()
        .filter(|r| !chosen.contains(r))
        .collect();
    let mut line = format!("tools judged (config `tools`): {}", names(&chosen));
    if !left.is_empty() {
        let _ = write!(
            line,
            "; what breaks only {} ({}) is a warning",
            names(&left),
            Reader::names(&left)
        );
    }
    line + "\n"
}

/// `doctor` over several profiles: the shell's first, then the others by group.
fn doctor_body(out: &mut String, r: &Report, shell: Option<&str>, cols: &Columns, style: &Style) {
    let shell = shell.and_then(|s| r.profiles.iter().find(|p| p.profile == s));
    if let Some(p) = shell {
        let _ = writeln!(out, "{}", style.paint("1", "Used by this shell"));
        block(out, p, cols, style);
        out.push('\n');
    }
    let groups: [(&str, &[State]); 4] = [
        ("Broken", &[State::Invalid, State::Expired]),
        ("Expiring", &[State::Expiring]),
        ("Not validated", &[State::Unknown]),
        ("Fine", &[State::Ok, State::Skipped]),
    ];
    let others = || {
        r.profiles
            .iter()
            .filter(move |p| shell.is_none_or(|s| s.profile != p.profile))
    };
    for (title, states) in groups {
        let members: Vec<&ProfileVerdict> =
            others().filter(|p| states.contains(&p.state)).collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{} ({})", style.paint("1", title), members.len());
        for p in members {
            block(out, p, cols, style);
        }
        out.push('\n');
    }
}

/// One profile: the aligned header line, then each problem with its place and fix.
fn block(out: &mut String, p: &ProfileVerdict, cols: &Columns, style: &Style) {
    let name = clean(&p.profile);
    let name_len = name.chars().count();
    out.push_str(&pad(style.paint("1", &name), name_len, cols.name));
    out.push_str("  ");
    let state_len = p.state.as_str().len();
    out.push_str(&pad(state_word(style, p.state), state_len, cols.state));
    let _ = write!(out, "  ({}", p.source.as_str());
    if let Some(k) = &p.key_id {
        let _ = write!(out, ", key {}", clean(k));
    }
    out.push(')');
    if let Some(a) = &p.account {
        let _ = write!(out, "  account {}", clean(a));
    }
    if let Some(id) = &p.identity {
        let _ = write!(out, "  {}", clean(&id.arn));
    }
    if let Some(e) = &p.expires_at {
        let _ = write!(out, "  expires {}", clean(e));
    }
    if !p.tools.agree() {
        // the readers disagree: each one's state, as the tools would fare
        let each: Vec<String> = Reader::ALL
            .iter()
            .map(|r| format!("{} {}", r.as_str(), state_word(style, p.tools.get(*r))))
            .collect();
        let _ = write!(out, "  [{}]", each.join(", "));
    }
    out.push('\n');
    for pr in &p.problems {
        let sev = match pr.severity {
            Severity::Error => style.paint("31", "error"),
            Severity::Warning => style.paint("33", "warning"),
            Severity::Info => style.paint("90", "info"),
        };
        let _ = write!(out, "  {sev}[{}]", pr.code.as_str());
        if let Some(a) = &pr.affects {
            let names: Vec<&str> = a.iter().map(|r| r.as_str()).collect();
            let _ = write!(out, " ({} only)", names.join(", "));
        }
        if let Some(l) = &pr.location {
            let _ = write!(out, " {}", clean(l));
        }
        if is_shared(pr.code) {
            // the cause and its fix are in the summary, once for every profile
            let _ = writeln!(out, ": not validated (see below)");
            continue;
        }
        let _ = writeln!(out, ": {}", clean(&pr.message));
        if !pr.fix.is_empty() {
            let _ = writeln!(out, "    fix: {}", clean(&pr.fix));
        }
    }
}
