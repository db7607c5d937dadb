//! The readers: how each family of AWS tools reads the shared files, emulated in Rust and
//! proved equal to the real parsers in tests (`tests/readers.rs` against botocore and
//! `@smithy/shared-ini-file-loader`).
//!
//! * [`cli`]: botocore (AWS CLI v1 and v2, boto3): Python's `configparser` as botocore
//!   configures it, then botocore's profile map;
//! * [`sdk`]: the SDKs of the shared conformance suite (Rust, Java v2): `aws_config::profile`;
//! * [`js`]: the JS SDK v3 (CDK, Serverless): `parseIni` and `loadSharedConfigFiles`.
//!
//! Each returns the same shape, a [`FileParse`]: profiles → key → value (with its line),
//! or what the reader refuses. [`Reader::credentials`] then says which key id, secret and
//! token that tool takes for a profile, from which file.

pub mod cli;
pub mod env;
pub mod js;
pub mod sdk;

use crate::aws::locate::FileKind;
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// A family of tools that read the files the same way (`cli`, `sdk`, `js` in the JSON and
/// in config `tools`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Reader {
    Cli,
    Sdk,
    Js,
}

impl Reader {
    pub const ALL: [Reader; 3] = [Reader::Cli, Reader::Sdk, Reader::Js];

    pub fn as_str(self) -> &'static str {
        match self {
            Reader::Cli => "cli",
            Reader::Sdk => "sdk",
            Reader::Js => "js",
        }
    }

    /// The tools of several readers, as a message names them (`the AWS CLI (and boto3) and
    /// the JS SDK (CDK, Serverless)`).
    pub fn names(readers: &[Reader]) -> String {
        let names: Vec<&str> = readers.iter().map(|r| r.tools()).collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }

    /// The tools this reader stands for, as a message names them.
    pub fn tools(self) -> &'static str {
        match self {
            Reader::Cli => "the AWS CLI (and boto3)",
            Reader::Sdk => "the Rust and Java SDKs",
            Reader::Js => "the JS SDK (CDK, Serverless)",
        }
    }

    pub fn parse_name(s: &str) -> Option<Reader> {
        Reader::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Parse one file's bytes as this reader does.
    pub fn parse(self, kind: FileKind, bytes: &[u8]) -> FileParse {
        match self {
            Reader::Cli => cli::parse(kind, bytes),
            Reader::Sdk => sdk::parse(kind, bytes),
            Reader::Js => js::parse(kind, bytes),
        }
    }

    /// The credentials this reader takes for `profile` from the two parsed files.
    pub fn credentials(self, config: &FileParse, credentials: &FileParse, profile: &str) -> Taken {
        match self {
            Reader::Cli => cli::credentials(config, credentials, profile),
            Reader::Sdk | Reader::Js => merged_credentials(config, credentials, profile, self),
        }
    }
}

/// One value as a reader holds it, with the line (1-based) where its key is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub value: String,
    pub line: usize,
}

pub type Section = BTreeMap<String, Entry>;

/// What a reader refuses in a file: the whole file is unusable to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based; 0 when the reader names no line (a decoding error).
    pub line: usize,
    pub message: String,
}

/// One file as a reader sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileParse {
    /// Profile name (as that reader names it) → key → value.
    pub profiles: BTreeMap<String, Section>,
    pub refused: Option<Refusal>,
}

impl FileParse {
    pub fn refused(line: usize, message: impl Into<String>) -> FileParse {
        FileParse {
            profiles: BTreeMap::new(),
            refused: Some(Refusal {
                line,
                message: message.into(),
            }),
        }
    }

    /// The canonical JSON the oracles print: `{"error": line|null, "profiles": {…}}`, keys
    /// sorted. `nested` turns a value that starts with a newline into botocore's sub-map.
    pub fn canonical(&self, nested: bool) -> String {
        let mut profiles = Map::new();
        for (name, section) in &self.profiles {
            let mut keys = Map::new();
            for (k, e) in section {
                let v = match nested.then(|| cli::nested(&e.value)).flatten() {
                    Some(sub) => {
                        Json::Object(sub.into_iter().map(|(k, v)| (k, Json::String(v))).collect())
                    }
                    None => Json::String(e.value.clone()),
                };
                keys.insert(k.clone(), v);
            }
            profiles.insert(name.clone(), Json::Object(keys));
        }
        let mut out = Map::new();
        out.insert(
            "error".into(),
            self.refused
                .as_ref()
                .map_or(Json::Null, |r| Json::from(r.line)),
        );
        out.insert("profiles".into(), Json::Object(profiles));
        Json::Object(out).to_string()
    }
}

/// A value a reader takes, and the file it takes it from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub value: String,
    pub file: FileKind,
    pub line: usize,
    /// The key it was read under (`aws_security_token` for the CLI's legacy name).
    pub key: &'static str,
}

/// The static credentials a reader takes for a profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Creds {
    pub key_id: Option<Found>,
    pub secret: Option<Found>,
    /// botocore sends no empty token; the Rust SDK sends `aws_session_token =` as an empty
    /// `X-Amz-Security-Token`; the JS reader never holds an empty value.
    pub token: Option<Found>,
}

/// What a reader makes of a profile's static credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taken {
    /// The reader refuses a file, so the tool fails before it looks at any profile.
    Refused {
        file: FileKind,
        refusal: Refusal,
    },
    Creds(Creds),
}

/// The SDK and JS readers merge a profile's keys over both files (credentials win).
fn merged_credentials(
    config: &FileParse,
    credentials: &FileParse,
    profile: &str,
    reader: Reader,
) -> Taken {
    if reader == Reader::Sdk {
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
    }
    let get = |key: &'static str| {
        [
            (FileKind::Credentials, credentials),
            (FileKind::Config, config),
        ]
        .into_iter()
        .find_map(|(file, parse)| {
            let e = parse.profiles.get(profile)?.get(key)?;
            Some(Found {
                value: e.value.clone(),
                file,
                line: e.line,
                key,
            })
        })
    };
    Taken::Creds(Creds {
        key_id: get("aws_access_key_id"),
        secret: get("aws_secret_access_key"),
        token: get("aws_session_token"),
    })
}

/// Split text into lines on the given terminators, giving each line without its ending.
fn split_lines(text: &str, cr_ends: bool) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                let end = if !cr_ends && i > start && bytes[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                out.push(&text[start..end]);
                i += 1;
                start = i;
            }
            b'\r' if cr_ends => {
                out.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        out.push(&text[start..]);
    }
    out
}
