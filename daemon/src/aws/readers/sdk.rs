//! The conformance-suite SDKs' reading (Rust `aws-config`, Java v2): the SDK's own parser
//! (`aws_config::profile`, through [`crate::aws::files::parse_with_sdk`]) on one file,
//! with each value's line from the raw scanner. Text that is not UTF-8 reads as an empty
//! file, as the SDK reads it; a parse error refuses the file.

use super::{Entry, FileParse};
use crate::aws::files::{self, parse_error_line};
use crate::aws::locate::FileKind;
use crate::aws::scan;

pub fn parse(kind: FileKind, bytes: &[u8]) -> FileParse {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return FileParse::default();
    };
    let (config, credentials) = match kind {
        FileKind::Config => (text, ""),
        FileKind::Credentials => ("", text),
    };
    let profiles = match files::parse_with_sdk(config, credentials) {
        Ok(p) => p,
        Err(msg) => return FileParse::refused(parse_error_line(&msg).unwrap_or(0), msg),
    };
    let raw = scan::scan(text);
    let mut out = FileParse::default();
    for (name, props) in profiles.profiles {
        let section = props
            .into_iter()
            .map(|(key, value)| {
                let line = raw.find(kind, &name, &key).map_or(0, |p| p.line);
                (key, Entry { value, line })
            })
            .collect();
        out.profiles.insert(name, section);
    }
    out
}
