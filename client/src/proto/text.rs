//! The payload text: one field per line, `key=value\n`, values escaped (`\\`, `\n`,
//! `\r`) so that no value can break a line; `v=<version>` first, `t=<type>` second.
//! [`Writer`] builds a payload, [`Fields`] takes one apart; which fields each message
//! has is `messages.rs`.

use super::messages::KINDS;
use super::{PROTOCOL_VERSION, ProtoError};

/// Builds a payload: `v=` and `t=` first, then the fields in order.
pub(super) struct Writer(String);

impl Writer {
    pub(super) fn new(kind: &str) -> Self {
        let mut w = Writer(String::with_capacity(64));
        w.field("v", &PROTOCOL_VERSION.to_string());
        w.field("t", kind);
        w
    }

    pub(super) fn field(&mut self, key: &str, value: &str) {
        self.0.push_str(key);
        self.0.push('=');
        for c in value.chars() {
            match c {
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                c => self.0.push(c),
            }
        }
        self.0.push('\n');
    }

    pub(super) fn opt(&mut self, key: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.field(key, v);
        }
    }

    pub(super) fn flag(&mut self, key: &str, value: bool) {
        self.field(key, if value { "1" } else { "0" });
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.0.into_bytes()
    }
}

fn unescape(raw: &str) -> Result<String, ProtoError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => {
                return Err(ProtoError::Malformed(format!(
                    "unknown escape \\{}",
                    other.escape_default()
                )));
            }
            None => {
                return Err(ProtoError::Malformed(
                    "value ends in a lone backslash".into(),
                ));
            }
        }
    }
    Ok(out)
}

/// A decoded payload: its type and its fields (version already checked).
pub(super) struct Fields {
    pub(super) kind: String,
    fields: Vec<(String, String)>,
}

impl Fields {
    pub(super) fn parse(payload: &[u8]) -> Result<Self, ProtoError> {
        let text = std::str::from_utf8(payload).map_err(|_| ProtoError::NotUtf8)?;
        let body = text.strip_suffix('\n').ok_or_else(|| {
            ProtoError::Malformed(if text.is_empty() {
                "empty message".into()
            } else {
                "the last line is not terminated".into()
            })
        })?;
        let mut lines = body.split('\n');
        let mut next_pair = |what: &str| -> Result<Option<(String, String)>, ProtoError> {
            let Some(line) = lines.next() else {
                return Ok(None);
            };
            let (k, v) = line.split_once('=').ok_or_else(|| {
                ProtoError::Malformed(format!("{what}: a line without '=' ({} bytes)", line.len()))
            })?;
            if k.is_empty() {
                return Err(ProtoError::Malformed(format!(
                    "{what}: a line with an empty key"
                )));
            }
            Ok(Some((k.to_string(), unescape(v)?)))
        };
        match next_pair("first line")? {
            Some((k, v)) if k == "v" => {
                let n: u32 = v
                    .parse()
                    .map_err(|_| ProtoError::Malformed(format!("bad version {v:?}")))?;
                if n != PROTOCOL_VERSION {
                    return Err(ProtoError::Version(n));
                }
            }
            _ => {
                return Err(ProtoError::Malformed(
                    "the first line is not v=<version>".into(),
                ));
            }
        }
        let kind = match next_pair("second line")? {
            Some((k, v)) if k == "t" => v,
            _ => {
                return Err(ProtoError::Malformed(
                    "the second line is not t=<type>".into(),
                ));
            }
        };
        let mut fields: Vec<(String, String)> = Vec::new();
        while let Some((k, v)) = next_pair("field")? {
            if k == "v" || k == "t" || fields.iter().any(|(seen, _)| *seen == k) {
                return Err(ProtoError::Malformed(format!("field {k:?} appears twice")));
            }
            fields.push((k, v));
        }
        Ok(Fields { kind, fields })
    }

    pub(super) fn kind(&self) -> &'static str {
        // only used in error messages, after the type was matched
        KINDS
            .iter()
            .find(|k| **k == self.kind)
            .copied()
            .unwrap_or("?")
    }

    pub(super) fn take(&mut self, key: &str) -> Option<String> {
        let i = self.fields.iter().position(|(k, _)| k == key)?;
        Some(self.fields.swap_remove(i).1)
    }

    pub(super) fn req(&mut self, key: &'static str) -> Result<String, ProtoError> {
        let kind = self.kind();
        self.take(key).ok_or(ProtoError::MissingField { kind, key })
    }

    /// An absent flag is false (a peer that predates it never sets it).
    pub(super) fn flag(&mut self, key: &str) -> Result<bool, ProtoError> {
        match self.take(key).as_deref() {
            None | Some("0") => Ok(false),
            Some("1") => Ok(true),
            Some(other) => Err(ProtoError::Malformed(format!(
                "field {key:?} must be 0 or 1, not {other:?}"
            ))),
        }
    }

    pub(super) fn number<T: std::str::FromStr>(
        &mut self,
        key: &'static str,
    ) -> Result<T, ProtoError> {
        let v = self.req(key)?;
        v.parse()
            .map_err(|_| ProtoError::Malformed(format!("field {key:?} is not a number: {v:?}")))
    }
}
