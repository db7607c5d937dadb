//! A line scanner for what the SDK's parser hides: raw bytes, line and column numbers,
//! section headers the SDK silently drops. Semantics (which value wins) stay with the SDK.

use crate::aws::locate::FileKind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderKind {
    /// `[profile name]`
    Prefixed,
    /// `[name]`
    Bare,
    /// `[sso-session name]`
    SsoSession,
    /// `[services name]` and other sections that are not profiles
    Other,
}

#[derive(Clone, Debug)]
pub struct Header {
    pub kind: HeaderKind,
    pub name: String,
    pub line: usize,
}

/// Sections the AWS CLI defines for itself in the config file, written bare: `[plugins]`
/// (`cli_legacy_plugin_path` and the plugins to load) and `[preview]` (preview commands
/// switched on). They are no profiles, so never misnamed ones (`[profile plugins]` would
/// switch them off); `[sso-session x]` and `[services x]` are told apart by their prefix.
pub const CLI_SECTIONS: [&str; 2] = ["plugins", "preview"];

impl Header {
    /// Whether this header, in a file of `kind`, names a section of the tools' own.
    pub fn is_tool_section(&self, kind: FileKind) -> bool {
        match self.kind {
            HeaderKind::SsoSession | HeaderKind::Other => true,
            HeaderKind::Bare => {
                kind == FileKind::Config && CLI_SECTIONS.contains(&self.name.as_str())
            }
            HeaderKind::Prefixed => false,
        }
    }
}

#[derive(Clone, Debug)]
pub struct RawProperty {
    /// index into `Scan::headers`
    pub section: usize,
    /// lower case, as the SDK keys it
    pub key: String,
    pub line: usize,
    /// 1-based column (in characters) where the value starts
    pub value_col: usize,
    /// the whole raw line, as in the file (without its line ending)
    pub raw_line: String,
}

#[derive(Clone, Debug, Default)]
pub struct Scan {
    pub headers: Vec<Header>,
    pub props: Vec<RawProperty>,
    /// The file starts with U+FEFF.
    pub bom: bool,
}

const WS: [char; 2] = [' ', '\t'];

/// Splits like `str::lines` (which the SDK uses): on `\n`, dropping one `\r` before it.
pub fn scan(text: &str) -> Scan {
    let mut out = Scan {
        bom: text.starts_with('\u{feff}'),
        ..Scan::default()
    };
    let mut current: Option<usize> = None;
    for (idx, line) in text.lines().enumerate() {
        let line_no = idx + 1;
        let content = if idx == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let trimmed = content.trim_matches(WS);
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.starts_with('[') {
            current = Some(out.headers.len());
            out.headers.push(parse_header(trimmed, line_no));
            continue;
        }
        if content.starts_with(WS) {
            continue; // continuation or sub-property
        }
        let (Some(section), Some(eq)) = (current, content.find('=')) else {
            continue;
        };
        let key = content[..eq].trim_matches(WS).to_ascii_lowercase();
        if key.is_empty() {
            continue;
        }
        let after = &content[eq + 1..];
        let lead = after.len() - after.trim_start_matches(WS).len();
        let value_col =
            content[..eq + 1 + lead].chars().count() + 1 + usize::from(idx == 0 && out.bom);
        out.props.push(RawProperty {
            section,
            key,
            line: line_no,
            value_col,
            raw_line: line.to_string(),
        });
    }
    out
}

fn parse_header(trimmed: &str, line: usize) -> Header {
    // comments may follow the closing bracket
    let inner = trimmed
        .trim_start_matches('[')
        .split(']')
        .next()
        .unwrap_or_default()
        .trim_matches(WS);
    let split = |prefix: &str| -> Option<String> {
        let rest = inner.strip_prefix(prefix)?;
        if rest.starts_with(WS) {
            Some(rest.trim_matches(WS).to_string())
        } else {
            None
        }
    };
    if let Some(name) = split("profile") {
        Header {
            kind: HeaderKind::Prefixed,
            name,
            line,
        }
    } else if let Some(name) = split("sso-session") {
        Header {
            kind: HeaderKind::SsoSession,
            name,
            line,
        }
    } else if let Some(name) = split("services") {
        Header {
            kind: HeaderKind::Other,
            name,
            line,
        }
    } else {
        Header {
            kind: HeaderKind::Bare,
            name: inner.to_string(),
            line,
        }
    }
}

impl Scan {
    /// Does this header define `profile` in a file of `kind`, as the SDK reads it?
    pub fn header_defines(kind: FileKind, h: &Header, profile: &str) -> bool {
        if h.name != profile {
            return false;
        }
        match (kind, &h.kind) {
            (FileKind::Credentials, HeaderKind::Bare) => true,
            (FileKind::Config, HeaderKind::Prefixed) => true,
            (FileKind::Config, HeaderKind::Bare) => profile == "default",
            _ => false,
        }
    }

    /// The last place `key` is set for `profile` in this file.
    pub fn find(&self, kind: FileKind, profile: &str, key: &str) -> Option<&RawProperty> {
        let matches = |p: &&RawProperty| {
            p.key == key && Self::header_defines(kind, &self.headers[p.section], profile)
        };
        // In the config file `[profile default]` wins over `[default]`.
        if kind == FileKind::Config && profile == "default" {
            let prefixed = self
                .props
                .iter()
                .rev()
                .find(|p| matches(p) && self.headers[p.section].kind == HeaderKind::Prefixed);
            if prefixed.is_some() {
                return prefixed;
            }
        }
        self.props.iter().rev().find(matches)
    }

    /// The first header that defines `profile`.
    pub fn header_of(&self, kind: FileKind, profile: &str) -> Option<&Header> {
        self.headers
            .iter()
            .find(|h| Self::header_defines(kind, h, profile))
    }

    /// Every key set in sections that define `profile`.
    pub fn keys_of(&self, kind: FileKind, profile: &str) -> impl Iterator<Item = &str> {
        self.props
            .iter()
            .filter(move |p| Self::header_defines(kind, &self.headers[p.section], profile))
            .map(|p| p.key.as_str())
    }

    /// Every key set in `[sso-session name]`.
    pub fn sso_keys_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.props
            .iter()
            .filter(move |p| {
                let h = &self.headers[p.section];
                h.kind == HeaderKind::SsoSession && h.name == name
            })
            .map(|p| p.key.as_str())
    }
}

impl RawProperty {
    /// Column (1-based) of the `char_index`-th character of the value.
    pub fn col_of(&self, char_index: usize) -> usize {
        self.value_col + char_index
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn finds_lines_and_columns() {
        let s = scan("# c\n[default]\naws_access_key_id = AKIA\r\n[profile x]\nregion=eu-west-1\n");
        assert_eq!(s.headers.len(), 2);
        let p = s
            .find(FileKind::Credentials, "default", "aws_access_key_id")
            .unwrap();
        assert_eq!((p.line, p.value_col), (3, 21));
        let r = s.find(FileKind::Config, "x", "region").unwrap();
        assert_eq!((r.line, r.value_col), (5, 8));
        assert!(s.find(FileKind::Credentials, "x", "region").is_none());
    }

    #[test]
    fn header_with_comment_and_whitespace() {
        let s = scan("[   profile foo    ] ; c\n");
        assert_eq!(s.headers[0].kind, HeaderKind::Prefixed);
        assert_eq!(s.headers[0].name, "foo");
    }
}
