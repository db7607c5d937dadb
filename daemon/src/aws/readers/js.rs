//! The JS SDK v3's reading (`@smithy/shared-ini-file-loader`, CDK, Serverless): `parseIni`
//! splits on `\r?\n` (a lone `\r` is no line end), cuts a comment at `#` or `;` at the
//! start or after any whitespace (so ` # note` after a value is dropped), trims with
//! JavaScript's `trim()` (Unicode spaces and U+FEFF), keeps keys as written (case
//! matters), lets a later duplicate win, treats `key =` (empty) as the start of a
//! sub-section, reads `[prefix name]` only for `profile`, `sso-session` and `services`
//! with a name of `[\w-@+.%:/]`, optionally quoted, and never fails (a file it cannot
//! read counts as empty). `loadSharedConfigFiles` then keeps the config file's
//! `profile.`/`sso-session.`/`services.` sections and `default`, and the credential chain
//! merges the two files, the credentials file's keys winning.

use super::{Entry, FileParse, split_lines};
use crate::aws::locate::FileKind;
use std::collections::BTreeMap;

/// JavaScript's `\s` and `trim()`: WhiteSpace and LineTerminator, U+FEFF included.
pub fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

fn js_trim(s: &str) -> &str {
    s.trim_matches(js_space)
}

/// Names `map[name]` finds on `Object.prototype`: a section so named is lost.
const PROTOTYPE: [&str; 12] = [
    "constructor",
    "__defineGetter__",
    "__defineSetter__",
    "hasOwnProperty",
    "__lookupGetter__",
    "__lookupSetter__",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toString",
    "valueOf",
    "__proto__",
    "toLocaleString",
];

const SECTION_TYPES: [&str; 3] = ["profile", "sso-session", "services"];

/// `parseIni` then, for the config file, `getConfigData`.
pub fn parse(kind: FileKind, bytes: &[u8]) -> FileParse {
    let text = String::from_utf8_lossy(bytes);
    let map = match parse_ini(&text) {
        Ok(map) => map,
        Err(refused) => return refused,
    };
    let mut out = FileParse::default();
    match kind {
        FileKind::Credentials => out.profiles = map,
        FileKind::Config => {
            if let Some(d) = map.get("default") {
                out.profiles.insert("default".into(), d.clone());
            }
            for (name, section) in map {
                let Some((prefix, rest)) = name.split_once('.') else {
                    continue;
                };
                if prefix == "profile" {
                    out.profiles.insert(rest.to_string(), section);
                } else if SECTION_TYPES.contains(&prefix) {
                    out.profiles.insert(name.clone(), section);
                }
            }
        }
    }
    out
}

fn parse_ini(text: &str) -> Result<BTreeMap<String, super::Section>, FileParse> {
    let mut map: BTreeMap<String, super::Section> = BTreeMap::new();
    let mut section: Option<String> = None;
    let mut sub: Option<String> = None;
    for (idx, line) in split_lines(text, false).into_iter().enumerate() {
        let trimmed = js_trim(&line[..comment_start(line)]);
        if trimmed.starts_with('[') && trimmed.ends_with(']') && trimmed.len() >= 2 {
            sub = None;
            let name = &trimmed[1..trimmed.len() - 1];
            section = match prefixed(name) {
                Some((prefix, n)) => SECTION_TYPES
                    .contains(&prefix)
                    .then(|| format!("{prefix}.{n}")),
                None => Some(name.to_string()),
            };
            if name == "__proto__" || name == "profile __proto__" {
                return Err(FileParse::refused(
                    idx + 1,
                    format!("invalid profile name {name}"),
                ));
            }
            continue;
        }
        let Some(current) = section.as_deref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let Some(eq) = trimmed.find('=').filter(|&i| i > 0) else {
            continue;
        };
        let (key, value) = (js_trim(&trimmed[..eq]), js_trim(&trimmed[eq + 1..]));
        if value.is_empty() {
            sub = Some(key.to_string());
            continue;
        }
        if sub.is_some() && line.trim_start_matches(js_space).len() == line.len() {
            sub = None;
        }
        let key = match &sub {
            Some(s) => format!("{s}.{key}"),
            None => key.to_string(),
        };
        if PROTOTYPE.contains(&current) || key == "__proto__" {
            continue; // the property lands on Object.prototype, not in the map
        }
        map.entry(current.to_string()).or_default().insert(
            key,
            Entry {
                value: value.to_string(),
                line: idx + 1,
            },
        );
    }
    Ok(map)
}

/// `line.split(/(^|\s)[;#]/)[0]`: where the first comment starts.
fn comment_start(line: &str) -> usize {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if (c == '#' || c == ';') && prev_space {
            return i;
        }
        prev_space = js_space(c);
    }
    line.len()
}

/// `/^([\w-]+)\s(["'])?([\w-@+.%:/]+)\2$/`: the prefix and the name.
fn prefixed(name: &str) -> Option<(&str, &str)> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let plen = name.find(|c: char| !(word(c) || c == '-'))?;
    if plen == 0 {
        return None;
    }
    let (prefix, rest) = name.split_at(plen);
    let sep = rest.chars().next().filter(|c| js_space(*c))?;
    let rest = &rest[sep.len_utf8()..];
    let name_char = |c: char| word(c) || "-@+.%:/".contains(c);
    let all = |s: &str| !s.is_empty() && s.chars().all(name_char);
    for q in ['"', '\''] {
        if let Some(inner) = rest.strip_prefix(q).and_then(|r| r.strip_suffix(q))
            && all(inner)
        {
            return Some((prefix, inner));
        }
    }
    all(rest).then_some((prefix, rest))
}
