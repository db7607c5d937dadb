//! The credential rules both sides apply, in one place: the prompt client judges the
//! shell's environment with them offline, the daemon judges files and environments with
//! them, and a test on the daemon side proves the two answers agree.
//!
//! * hidden characters: which ones the SDK sends and AWS rejects, and their names;
//! * the shapes of access key ids and secret access keys, and the kinds of key;
//! * the environment variables that carry an expiry;
//! * how a time left is written (`45s`, `12m`, `3h05m`, `2d`).

/// Environment variables that carry an expiry time, in the order they are read.
pub const EXPIRATION_VARS: [&str; 4] = [
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "AWSUME_EXPIRATION",
    "AWS_SSO_SESSION_EXPIRATION",
];

/// A character that the SDK sends as is and that breaks the signature: any whitespace
/// or control character, the invisible format characters people paste (soft hyphen,
/// zero-width, direction marks, word joiner and invisible operators, BOM), and quotes.
///
/// Values from the files arrive already trimmed of space and tab at their ends (the SDK
/// does that); environment values arrive as they are.
pub fn is_hidden(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2060}'..='\u{2064}'
                | '\u{feff}'
                | '"'
                | '\''
                | '`'
                | '\u{201c}'
                | '\u{201d}'
                | '\u{2018}'
                | '\u{2019}'
        )
}

/// The name a message gives a hidden character (after its `U+XXXX`).
pub fn char_name(c: char) -> &'static str {
    match c {
        ' ' => "SPACE",
        '\t' => "CHARACTER TABULATION",
        '\r' => "CARRIAGE RETURN",
        '\n' => "LINE FEED",
        '\u{a0}' => "NO-BREAK SPACE",
        '\u{ad}' => "SOFT HYPHEN",
        '\u{200b}' => "ZERO WIDTH SPACE",
        '\u{200c}' => "ZERO WIDTH NON-JOINER",
        '\u{200d}' => "ZERO WIDTH JOINER",
        '\u{200e}' => "LEFT-TO-RIGHT MARK",
        '\u{200f}' => "RIGHT-TO-LEFT MARK",
        '\u{2060}' => "WORD JOINER",
        '\u{2007}' => "FIGURE SPACE",
        '\u{202f}' => "NARROW NO-BREAK SPACE",
        '\u{feff}' => "ZERO WIDTH NO-BREAK SPACE (BOM)",
        '"' => "QUOTATION MARK",
        '\'' => "APOSTROPHE",
        '`' => "GRAVE ACCENT",
        '\u{201c}' | '\u{201d}' => "CURLY QUOTATION MARK",
        '\u{2018}' | '\u{2019}' => "CURLY APOSTROPHE",
        c if c.is_control() => "CONTROL CHARACTER",
        c if c.is_whitespace() => "WHITESPACE",
        _ => "INVISIBLE CHARACTER",
    }
}

/// The first hidden character of a value, where it is and how many the value holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hidden {
    /// 0-based index in characters
    pub index: usize,
    pub ch: char,
    /// how many hidden characters the value holds
    pub count: usize,
    /// the value's length in characters
    pub len: usize,
}

impl Hidden {
    /// `U+00A0 NO-BREAK SPACE`
    pub fn name(&self) -> String {
        format!("U+{:04X} {}", self.ch as u32, char_name(self.ch))
    }

    pub fn place(&self) -> &'static str {
        if self.index == 0 {
            "starts with"
        } else if self.index + 1 == self.len {
            "ends with"
        } else {
            "contains"
        }
    }
}

/// The first character the SDK would send but AWS would reject, if any.
pub fn find_hidden(value: &str) -> Option<Hidden> {
    let len = value.chars().count();
    let mut found: Option<Hidden> = None;
    for (index, ch) in value.chars().enumerate().filter(|(_, c)| is_hidden(*c)) {
        match &mut found {
            Some(h) => h.count += 1,
            None => {
                found = Some(Hidden {
                    index,
                    ch,
                    count: 1,
                    len,
                })
            }
        }
    }
    found
}

/// The value with every hidden character removed: what the user meant to type.
pub fn without_hidden(value: &str) -> String {
    value.chars().filter(|c| !is_hidden(*c)).collect()
}

/// Prefixes of AWS access key ids (IAM unique-id prefixes that are keys).
pub const KEY_PREFIXES: [&str; 4] = ["AKIA", "ASIA", "ABIA", "ACCA"];

/// Unique-id prefixes of other IAM entities, which people paste by mistake.
pub const OTHER_PREFIXES: [(&str, &str); 7] = [
    ("AIDA", "an IAM user's unique id"),
    ("AROA", "an IAM role's unique id"),
    ("AGPA", "an IAM group's unique id"),
    ("ANPA", "a managed policy's unique id"),
    ("ANVA", "a policy version's id"),
    ("APKA", "a CloudFront public key id"),
    ("ASCA", "a certificate id"),
];

/// What a key id's prefix says about the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// AKIA: long-term IAM user key; a session token beside it is a leftover
    LongTerm,
    /// ASIA: temporary (STS) key; it needs its session token
    Temporary,
    Other,
}

pub fn key_kind(id: &str) -> KeyKind {
    if id.starts_with("AKIA") {
        KeyKind::LongTerm
    } else if id.starts_with("ASIA") {
        KeyKind::Temporary
    } else {
        KeyKind::Other
    }
}

/// Why a key id (already without hidden characters) is not one, if it is not: 16 to 128
/// characters of `[A-Z0-9]` with a known prefix.
pub fn key_id_problem(id: &str) -> Option<String> {
    let len = id.chars().count();
    if let Some((p, what)) = OTHER_PREFIXES.iter().find(|(p, _)| id.starts_with(p)) {
        return Some(format!(
            "starts with {p} which is {what}, not an access key id (those start with AKIA or ASIA)"
        ));
    }
    if id.chars().any(|c| c.is_ascii_lowercase()) && id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Some("contains lower-case letters; access key ids are upper case".into());
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("contains characters other than A-Z and 0-9".into());
    }
    if !(16..=128).contains(&len) {
        return Some(format!(
            "is {len} characters long; access key ids are 16 to 128 (usually 20)"
        ));
    }
    if !KEY_PREFIXES.iter().any(|p| id.starts_with(p)) {
        return Some("does not start with a known key prefix (AKIA, ASIA)".into());
    }
    None
}

/// Why a secret access key (already without hidden characters) is not one, if it is not:
/// 40 characters of `[A-Za-z0-9/+]`, and not a key id.
pub fn secret_problem(secret: &str) -> Option<String> {
    let len = secret.chars().count();
    if key_id_problem(secret).is_none() {
        return Some(
            "looks like an access key id: the key id and the secret may be swapped".into(),
        );
    }
    if !secret
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '+')
    {
        return Some("contains characters other than A-Z, a-z, 0-9, / and +".into());
    }
    if len != 40 {
        return Some(format!(
            "is {len} characters long; secret access keys are 40"
        ));
    }
    None
}

/// Time left, short, for badges, messages and notifications: `45s`, `12m`, `3h05m`, `2d`
/// (negative counts as 0).
pub fn short_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_found_with_their_place() {
        let h = find_hidden("AKIAIOSFODNN7EXAMPLE\u{a0}");
        assert_eq!(
            h.as_ref().map(|h| (h.index, h.place())),
            Some((20, "ends with"))
        );
        assert_eq!(h.map(|h| h.name()), Some("U+00A0 NO-BREAK SPACE".into()));
        assert!(find_hidden("AKIAIOSFODNN7EXAMPLE").is_none());
        assert_eq!(find_hidden("\"abc\"").map(|h| h.count), Some(2));
        assert_eq!(
            find_hidden("ab\u{200b}c").map(|h| h.place()),
            Some("contains")
        );
        assert_eq!(
            find_hidden("\u{2062}ab").map(|h| (h.place(), h.name())),
            Some(("starts with", "U+2062 INVISIBLE CHARACTER".into()))
        );
        assert_eq!(without_hidden("a\u{ad}b`c\u{201d}"), "abc");
    }

    #[test]
    fn the_hidden_set() {
        for c in [
            ' ', '\t', '\n', '\r', '\0', '\u{7f}', '\u{85}', '\u{a0}', '\u{ad}', '\u{2007}',
            '\u{200b}', '\u{200f}', '\u{2028}', '\u{202f}', '\u{2060}', '\u{2064}', '\u{3000}',
            '\u{feff}', '"', '\'', '`', '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}',
        ] {
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
        for c in [
            'A', 'z', '0', '/', '+', '=', '-', '\u{e9}', '\u{2010}', '\u{2065}', '\u{201a}',
        ] {
            assert!(!is_hidden(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn key_ids() {
        assert_eq!(key_id_problem("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(key_id_problem("ASIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(
            key_id_problem("AIDAIOSFODNN7EXAMPLE").as_deref(),
            Some(
                "starts with AIDA which is an IAM user's unique id, not an access key id (those start with AKIA or ASIA)"
            )
        );
        assert!(key_id_problem("akiaiosfodnn7example").is_some_and(|m| m.contains("lower")));
        assert!(key_id_problem("AKIAIOSFODNN7").is_some_and(|m| m.contains("13 characters")));
        assert!(key_id_problem("AKIA-OSFODNN7EXAMPLE").is_some_and(|m| m.contains("other than")));
        assert!(key_id_problem("AXYZIOSFODNN7EXAMPLE").is_some_and(|m| m.contains("prefix")));
        assert_eq!(key_kind("AKIAIOSFODNN7EXAMPLE"), KeyKind::LongTerm);
        assert_eq!(key_kind("ASIAIOSFODNN7EXAMPLE"), KeyKind::Temporary);
        assert_eq!(key_kind("ABIAIOSFODNN7EXAMPLE"), KeyKind::Other);
    }

    #[test]
    fn secrets() {
        assert_eq!(
            secret_problem("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            None
        );
        assert!(
            secret_problem("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE")
                .is_some_and(|m| m.contains("39 characters"))
        );
        assert!(secret_problem("AKIAIOSFODNN7EXAMPLE").is_some_and(|m| m.contains("swapped")));
        assert!(
            secret_problem("wJalrXUtnFEMI-K7MDENG/bPxRfiCYEXAMPLEKEY")
                .is_some_and(|m| m.contains("other than"))
        );
    }

    #[test]
    fn durations() {
        assert_eq!(short_duration(-5), "0s");
        assert_eq!(short_duration(59), "59s");
        assert_eq!(short_duration(12 * 60 + 59), "12m");
        assert_eq!(short_duration(125 * 60), "2h05m");
        assert_eq!(short_duration(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(short_duration(2 * 86_400 + 1), "2d");
    }
}
