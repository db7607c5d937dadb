//! Checks on one credential value, independent of where it came from.

/// Which credential field a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    KeyId,
    Secret,
    Token,
}

/// A character that the SDK keeps and AWS rejects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hidden {
    /// 0-based index in characters
    pub index: usize,
    pub ch: char,
    /// how many such characters the value holds
    pub count: usize,
    pub len: usize,
}

impl Hidden {
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

fn is_hidden(c: char) -> bool {
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

/// The first character the SDK would send but AWS would reject. Values from the files
/// arrive already trimmed of space and tab at their ends (the SDK does that); env values
/// arrive as they are.
pub fn find_hidden(value: &str) -> Option<Hidden> {
    let len = value.chars().count();
    let mut found: Option<Hidden> = None;
    for (index, ch) in value.chars().enumerate() {
        if is_hidden(ch) {
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
    }
    found
}

/// The value with every hidden character removed: what the user meant to type.
pub fn without_hidden(value: &str) -> String {
    value.chars().filter(|c| !is_hidden(*c)).collect()
}

/// Prefixes of AWS access key ids (IAM unique-id prefixes that are keys).
const KEY_PREFIXES: [&str; 4] = ["AKIA", "ASIA", "ABIA", "ACCA"];
/// Unique-id prefixes of other IAM entities, which people paste by mistake.
const OTHER_PREFIXES: [(&str, &str); 7] = [
    ("AIDA", "an IAM user's unique id"),
    ("AROA", "an IAM role's unique id"),
    ("AGPA", "an IAM group's unique id"),
    ("ANPA", "a managed policy's unique id"),
    ("ANVA", "a policy version's id"),
    ("APKA", "a CloudFront public key id"),
    ("ASCA", "a certificate id"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// AKIA: long-term IAM user key
    LongTerm,
    /// ASIA: temporary (STS) key
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

/// Why a key id (already without hidden characters) is not one, if it is not.
pub fn key_id_problem(id: &str) -> Option<String> {
    let len = id.chars().count();
    if let Some((_, what)) = OTHER_PREFIXES.iter().find(|(p, _)| id.starts_with(p)) {
        return Some(format!(
            "starts with {} which is {what}, not an access key id (those start with AKIA or ASIA)",
            &id[..4]
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

/// Why a secret access key (already without hidden characters) is not one, if it is not.
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
    }

    #[test]
    fn key_ids() {
        assert_eq!(key_id_problem("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(key_id_problem("ASIAIOSFODNN7EXAMPLE"), None);
        assert!(key_id_problem("AIDAIOSFODNN7EXAMPLE").is_some_and(|m| m.contains("user")));
        assert!(key_id_problem("akiaiosfodnn7example").is_some_and(|m| m.contains("lower")));
        assert!(key_id_problem("AKIAIOSFODNN7").is_some_and(|m| m.contains("13 characters")));
        assert!(key_id_problem("AKIA-OSFODNN7EXAMPLE").is_some());
    }

    #[test]
    fn secrets() {
        assert_eq!(
            secret_problem("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            None
        );
        assert!(secret_problem("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE").is_some());
        assert!(secret_problem("AKIAIOSFODNN7EXAMPLE").is_some_and(|m| m.contains("swapped")));
    }
}
