//! Faults of a file's lines rather than of its values: a value wrapped onto the next line,
//! an indented line the SDK appends to the value above, a hidden character inside a
//! property's name, line ends the SDK does not read as line ends (CR only), indented
//! properties. Each is located where the user must edit, and each fix is a command that,
//! followed literally, removes the fault without deleting a line that holds a key or token.

use super::context::Ctx;
use crate::aws::files::LoadedFile;
use crate::aws::scan::{RawProperty, Scan};
use crate::verdict::{Code, Problem};
use credguard_client::rules;

/// Properties whose values are credentials: a line holding one is never to be deleted.
pub const CREDENTIAL_KEYS: [&str; 4] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

/// `sed -i` with `script` on `shown` (a path as messages show it: `~` expands in a shell).
pub fn sed(script: &str, shown: &str) -> String {
    format!("sed -i '{script}' {shown}")
}

impl Ctx<'_> {
    /// The line faults inside the sections that define `profile`.
    pub(super) fn layout(&self, profile: &str) -> Vec<Problem> {
        let mut out = Vec::new();
        for file in [&self.loaded.credentials, &self.loaded.config] {
            let kind = file.located.kind;
            let shown = self.display(file);
            let scan = &file.scan;
            for p in scan
                .props
                .iter()
                .filter(|p| Scan::header_defines(kind, &scan.headers[p.section], profile))
            {
                if let Some(problem) = hidden_in_name(p, &shown) {
                    out.push(problem);
                } else if let Some(above) = wrapped_from(scan, p) {
                    out.push(wrapped(above, p.line, &shown));
                }
            }
        }
        out
    }

    /// An indented line the SDK appended to `key`'s value (`value` holds a line break):
    /// located at that line, fixed by taking its indentation away.
    pub(super) fn continuation(&self, profile: &str, key: &str) -> Option<Problem> {
        let place = self.place(profile, key)?;
        let lines: Vec<&str> = place.file.text.split('\n').collect();
        let line = (place.line..lines.len())
            .find(|&i| lines[i].starts_with([' ', '\t']) && !lines[i].trim().is_empty())?
            + 1;
        let shown = self.display(place.file);
        Some(Problem::error(
            Code::HiddenCharacter,
            Some(format!("{shown}:{line}:1")),
            format!(
                "line {line} is indented, so the SDK reads it as a continuation of {key} (line {}): the value it sends holds a U+000A LINE FEED and line {line}'s text",
                place.line
            ),
            format!(
                "remove the indentation of line {line}: `{}`",
                sed(&format!("{line}s/^[[:space:]]*//"), &shown)
            ),
        ))
    }
}

/// A hidden character inside a property's name (`aws_access_key_id\u{a0}=`): the SDK reads
/// a property of another name, so the profile lacks the one meant.
fn hidden_in_name(p: &RawProperty, shown: &str) -> Option<Problem> {
    let h = rules::find_hidden(&p.key)?;
    let name = rules::without_hidden(&p.key);
    let leading = p
        .raw_line
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .count();
    let col = leading + h.index + 1;
    let bytes: String =
        h.ch.to_string()
            .bytes()
            .map(|b| format!("\\x{b:02x}"))
            .collect();
    Some(Problem::error(
        Code::HiddenCharacter,
        Some(format!("{shown}:{}:{col}", p.line)),
        format!(
            "the property name {name} on line {} holds {}: the SDK reads a property of another name, so the profile has no {name}",
            p.line,
            h.name()
        ),
        format!(
            "delete the {} from the name: `{}`",
            h.name(),
            sed(&format!("{}s/{bytes}//", p.line), shown)
        ),
    ))
}

/// The credential property `p` continues, when `p` is no property at all but the tail of
/// the value on the line above, wrapped (a token's tail holds `=` padding, so the SDK
/// takes it for a property of its own and sends the value cut at the break).
fn wrapped_from<'s>(scan: &'s Scan, p: &RawProperty) -> Option<&'s RawProperty> {
    let above = scan
        .props
        .iter()
        .find(|a| a.line + 1 == p.line && a.section == p.section)?;
    (CREDENTIAL_KEYS.contains(&above.key.as_str()) && is_value_tail(&p.raw_line)).then_some(above)
}

/// Text that can only be the rest of a key, secret or token: base64 characters (not all
/// lower case and `_`, as property names are), then maybe `=` padding.
pub fn is_value_tail(line: &str) -> bool {
    let body = line
        .trim_end_matches(['\r', ' ', '\t'])
        .trim_end_matches('=');
    let base64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    !body.is_empty()
        && !line.starts_with([' ', '\t'])
        && body.chars().all(base64)
        && body
            .chars()
            .any(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '+' || c == '/')
}

/// `above`'s value wrapped onto line `tail`: located at the break, fixed by joining the
/// two lines.
pub fn wrapped(above: &RawProperty, tail: usize, shown: &str) -> Problem {
    let end = above.raw_line.trim_end_matches(['\r', ' ', '\t']);
    let col = end.chars().count() + 1;
    Problem::error(
        Code::WrappedValue,
        Some(format!("{shown}:{}:{col}", above.line)),
        format!(
            "{} is broken over lines {} and {tail}: the SDK reads line {tail} as a line of its own and sends the value cut at the break",
            above.key, above.line
        ),
        format!(
            "join lines {} and {tail}: `{}`",
            above.line,
            sed(&format!("{}{{N;s/[[:space:]]*\\n//}}", above.line), shown)
        ),
    )
}

/// The text of a parse fault at `line` and its fix, as the user must act on it: CR-only
/// line ends, an indented property, a wrapped value; else the SDK's own words, with a fix
/// that never deletes a line holding a key or token.
pub fn parse_fault(file: &LoadedFile, shown: &str, line: usize, sdk: &str) -> (String, String) {
    let lines: Vec<&str> = file.text.split('\n').collect();
    let raw = lines.get(line.wrapping_sub(1)).copied().unwrap_or_default();
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    if raw.contains('\r') {
        let what = if lines.len() == 1 {
            format!("{shown} has CR-only line ends (classic Mac)")
        } else {
            format!("line {line} of {shown} holds CR-only line ends (classic Mac)")
        };
        return (
            format!(
                "{what}: the SDK does not read a lone CR as a line end, so it sees one long line and cannot parse it; every profile fails to load"
            ),
            format!(
                "convert the line ends to LF: `{}` (or `dos2unix -c mac {shown}`)",
                sed("s/\\r/\\n/g", shown)
            ),
        );
    }
    let above = file.scan.props.iter().find(|a| a.line + 1 == line);
    if let Some(above) = above.filter(|a| CREDENTIAL_KEYS.contains(&a.key.as_str()))
        && is_value_tail(raw)
    {
        let p = wrapped(above, line, shown);
        return (p.message, p.fix);
    }
    let indent: String = raw
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    if !indent.is_empty() && raw.contains('=') {
        let what = if indent.contains('\t') {
            "a tab"
        } else {
            "a space"
        };
        return (
            format!(
                "line {line} of {shown} is indented (it starts with {what}): the SDK reads an indented line as the continuation of a property above, and there is none; every profile fails to load"
            ),
            format!(
                "remove the indentation: `{}`",
                sed(&format!("{line}s/^[[:space:]]*//"), shown)
            ),
        );
    }
    let holds_credential = raw
        .split('=')
        .next()
        .is_some_and(|k| CREDENTIAL_KEYS.contains(&k.trim().to_ascii_lowercase().as_str()))
        || is_value_tail(raw);
    let fix = if holds_credential {
        format!("correct line {line} of {shown} (the SDK expects `[section]` or `name = value`)")
    } else {
        format!(
            "correct or delete line {line} of {shown} (the SDK expects `[section]` or `name = value`)"
        )
    };
    (
        format!("the SDK cannot parse line {line} of {shown}: {sdk}; every profile fails to load"),
        fix,
    )
}
