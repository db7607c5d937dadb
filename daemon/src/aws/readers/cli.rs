//! botocore's reading (AWS CLI v1/v2, boto3): `configloader.raw_config_parse` runs
//! Python's `configparser.RawConfigParser` with its defaults (no inline comments, strict:
//! duplicate sections and keys refuse the file, `=` or `:` delimits, indented lines
//! continue a value, `[DEFAULT]` feeds every section), on text decoded as UTF-8 with
//! universal newlines (`\r` alone ends a line). Python's `str.strip()` removes every
//! Unicode space (NBSP, U+2028, U+3000…). The config file's headers are then split like a
//! shell (`[profile "qa"]` is profile `qa`; `[ default ]` is no profile). The credential
//! providers read each file on its own: the credentials file's key, secret and token
//! (`aws_security_token` before `aws_session_token`), else the config file's.

use super::{Creds, Entry, FileParse, Found, Section, Taken, split_lines};
use crate::aws::locate::FileKind;
use std::collections::BTreeMap;

/// Python's `str.isspace()`: Unicode White_Space plus the separators U+001C..U+001F.
pub fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn py_strip(s: &str) -> &str {
    s.trim_matches(py_space)
}

/// The value under construction: its lines, joined with `\n` at the end.
struct Opt {
    name: String,
    lines: Vec<String>,
    line: usize,
}

#[derive(Default)]
struct Parser {
    /// Sections in the order they appear (the DEFAULT section is kept apart).
    sections: Vec<(String, Vec<Opt>)>,
    defaults: Vec<Opt>,
    /// Index into `sections`, or None for `[DEFAULT]`; outer None: no header yet.
    current: Option<Option<usize>>,
    /// The option that indented lines continue.
    option: Option<usize>,
    seen_default_opts: Vec<String>,
    first_error: Option<usize>,
}

impl Parser {
    fn opts(&mut self, sect: Option<usize>) -> &mut Vec<Opt> {
        match sect {
            Some(i) => &mut self.sections[i].1,
            None => &mut self.defaults,
        }
    }
}

/// Parse one file as `raw_config_parse` (and, for the config file, `build_profile_map`).
pub fn parse(kind: FileKind, bytes: &[u8]) -> FileParse {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return FileParse::refused(0, "not UTF-8: botocore cannot decode the file");
    };
    let raw = match raw_parse(text) {
        Ok(raw) => raw,
        Err(refused) => return refused,
    };
    // every value that starts with a newline must parse as a sub-section
    for section in raw.iter().map(|(_, s)| s) {
        for e in section.values() {
            if e.value.starts_with('\n') && nested(&e.value).is_none() {
                return FileParse::refused(
                    0,
                    format!(
                        "line {}: an indented line without '=' in a nested value",
                        e.line
                    ),
                );
            }
        }
    }
    let mut out = FileParse::default();
    for (name, section) in raw {
        match kind {
            FileKind::Credentials => {
                out.profiles.insert(name, section);
            }
            FileKind::Config => {
                if name.starts_with("profile") {
                    if let Some(parts) = shlex_split(&name)
                        && parts.len() == 2
                    {
                        out.profiles.insert(parts[1].clone(), section);
                    }
                } else if name == "default" {
                    out.profiles.insert(name, section);
                }
            }
        }
    }
    out
}

/// configparser's `_read` on decoded text: sections in file order with `[DEFAULT]` merged in.
fn raw_parse(text: &str) -> Result<Vec<(String, Section)>, FileParse> {
    let mut p = Parser::default();
    let mut indent_level = 0usize;
    for (idx, line) in split_lines(text, true).into_iter().enumerate() {
        let lineno = idx + 1;
        let value = py_strip(line);
        if value.is_empty() || value.starts_with('#') || value.starts_with(';') {
            // a blank line (not a comment) joins the value being continued
            if value.is_empty()
                && let (Some(sect), Some(o)) = (p.current, p.option)
            {
                p.opts(sect)[o].lines.push(String::new());
            }
            continue;
        }
        let cur_indent = line.chars().take_while(|c| py_space(*c)).count();
        if let (Some(sect), Some(o)) = (p.current, p.option)
            && cur_indent > indent_level
        {
            p.opts(sect)[o].lines.push(value.to_string());
            continue;
        }
        indent_level = cur_indent;
        if let Some(name) = header(value) {
            p.option = None;
            if name == "DEFAULT" {
                p.current = Some(None);
            } else if p.sections.iter().any(|(n, _)| n == name) {
                return Err(FileParse::refused(
                    lineno,
                    format!("section [{name}] appears twice"),
                ));
            } else {
                p.sections.push((name.to_string(), Vec::new()));
                p.current = Some(Some(p.sections.len() - 1));
            }
            continue;
        }
        let Some(sect) = p.current else {
            return Err(FileParse::refused(
                lineno,
                "a line before the first [section] header",
            ));
        };
        option_line(&mut p, sect, value, lineno)?;
    }
    if let Some(line) = p.first_error {
        return Err(FileParse::refused(
            line,
            "a line that is neither a section, a key = value, nor a comment",
        ));
    }
    Ok(finish(p))
}

fn option_line(
    p: &mut Parser,
    sect: Option<usize>,
    value: &str,
    lineno: usize,
) -> Result<(), FileParse> {
    let Some(delim) = value.find(['=', ':']) else {
        p.first_error.get_or_insert(lineno);
        return Ok(());
    };
    let name = value[..delim].trim_end_matches(py_space);
    if name.is_empty() {
        p.first_error.get_or_insert(lineno);
    }
    let name = name.to_lowercase();
    let val = py_strip(&value[delim + 1..]).to_string();
    let dup = match sect {
        Some(_) => p.opts(sect).iter().any(|o| o.name == name),
        None => p.seen_default_opts.contains(&name),
    };
    if dup {
        return Err(FileParse::refused(
            lineno,
            format!("key {name} appears twice in one section"),
        ));
    }
    if sect.is_none() {
        p.seen_default_opts.push(name.clone());
    }
    let opts = p.opts(sect);
    opts.push(Opt {
        name,
        lines: vec![val],
        line: lineno,
    });
    p.option = Some(opts.len() - 1);
    Ok(())
}

/// `\[(?P<header>.+)\]` matched at the start: the name runs to the last `]`.
fn header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

fn finish(p: Parser) -> Vec<(String, Section)> {
    let join = |o: &Opt| Entry {
        value: o.lines.join("\n").trim_end_matches(py_space).to_string(),
        line: o.line,
    };
    let defaults: Section = p
        .defaults
        .iter()
        .map(|o| (o.name.clone(), join(o)))
        .collect();
    p.sections
        .iter()
        .map(|(name, opts)| {
            let mut section = defaults.clone();
            section.extend(opts.iter().map(|o| (o.name.clone(), join(o))));
            (name.clone(), section)
        })
        .collect()
}

/// botocore's `_parse_nested`: the indented `key = value` lines of a value that starts
/// with a newline. None when such a value has a line without `=` (botocore refuses the
/// file) or the value does not start with a newline.
pub fn nested(value: &str) -> Option<BTreeMap<String, String>> {
    if !value.starts_with('\n') {
        return None;
    }
    let mut out = BTreeMap::new();
    for line in py_splitlines(value) {
        let line = py_strip(line);
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=')?;
        out.insert(py_strip(k).to_string(), py_strip(v).to_string());
    }
    Some(out)
}

/// `str.splitlines()`: every line boundary Python knows, `\r\n` as one.
fn py_splitlines(s: &str) -> Vec<&str> {
    let is_break = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if is_break(c) {
            out.push(&s[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' && iter.peek().is_some_and(|(_, n)| *n == '\n') {
                iter.next();
                next += 1;
            }
            start = next;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Lex {
    Space,
    Word,
    Quote(char),
    Escape(Option<char>),
}

/// `shlex.split(s)` (POSIX mode, no comments); None where Python raises ValueError.
pub fn shlex_split(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let (mut token, mut quoted, mut state) = (String::new(), false, Lex::Space);
    let mut chars = s.chars();
    loop {
        let c = chars.next();
        match (state, c) {
            (Lex::Space, None) => return Some(out),
            (Lex::Space, Some(' ' | '\t' | '\r' | '\n')) => {}
            (Lex::Space | Lex::Word, Some('\\')) => state = Lex::Escape(None),
            (Lex::Space | Lex::Word, Some(q @ ('\'' | '"'))) => state = Lex::Quote(q),
            (Lex::Space | Lex::Word, Some(c)) if !matches!(c, ' ' | '\t' | '\r' | '\n') => {
                token.push(c);
                state = Lex::Word;
            }
            (Lex::Word, _) => {
                if !token.is_empty() || quoted {
                    out.push(std::mem::take(&mut token));
                }
                quoted = false;
                state = Lex::Space;
                if c.is_none() {
                    return Some(out);
                }
            }
            (Lex::Quote(_), None) | (Lex::Escape(_), None) => return None,
            (Lex::Quote(q), Some(c)) => {
                quoted = true;
                if c == q {
                    state = Lex::Word;
                } else if c == '\\' && q == '"' {
                    state = Lex::Escape(Some(q));
                } else {
                    token.push(c);
                }
            }
            (Lex::Escape(back), Some(c)) => {
                if let Some(q) = back
                    && c != '\\'
                    && c != q
                {
                    token.push('\\');
                }
                token.push(c);
                state = back.map_or(Lex::Word, Lex::Quote);
            }
            (Lex::Space, Some(_)) => {} // every other character starts a word above
        }
    }
}

/// What botocore's providers take: the credentials file's profile when it sets a key id
/// (SharedCredentialProvider), else the config file's (ConfigProvider), each on its own.
pub fn credentials(config: &FileParse, credentials: &FileParse, profile: &str) -> Taken {
    // botocore reads the config file first (the session) and fails on either file
    for (file, parse) in [
        (FileKind::Config, config),
        (FileKind::Credentials, credentials),
    ] {
        if let Some(refusal) = &parse.refused {
            return Taken::Refused {
                file,
                refusal: refusal.clone(),
            };
        }
    }
    for (file, parse) in [
        (FileKind::Credentials, credentials),
        (FileKind::Config, config),
    ] {
        let Some(section) = parse.profiles.get(profile) else {
            continue;
        };
        if section.contains_key("aws_access_key_id") {
            let found = |key: &'static str| {
                section.get(key).map(|e| Found {
                    value: e.value.clone(),
                    file,
                    line: e.line,
                    key,
                })
            };
            return Taken::Creds(Creds {
                key_id: found("aws_access_key_id"),
                secret: found("aws_secret_access_key"),
                token: found("aws_security_token")
                    .or_else(|| found("aws_session_token"))
                    .filter(|t| !t.value.is_empty()),
            });
        }
    }
    Taken::Creds(Creds::default())
}
