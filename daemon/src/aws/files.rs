//! Reading the shared files exactly as the SDK would, with the raw facts kept aside for
//! diagnosis: read errors, invalid UTF-8, parse errors with their line, permissions.

use crate::aws::locate::{self, FileKind, Located};
use crate::aws::scan::{self, Scan};
use crate::world::World;
use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::{Env, Fs};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Files larger than this are not read (the SDK would, but no real credentials file is this
/// large and we will not hold it in a long-running daemon).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A problem with a file as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileFault {
    /// Cannot be read: not found (only reported when a variable pointed at it), permission,
    /// a directory, a symlink loop, too large.
    Unreadable { reason: String },
    /// Not UTF-8: the SDK reads it as an empty file.
    NotUtf8 { line: usize, col: usize },
    /// The SDK's parser rejects the file; line is 1-based.
    Parse { line: usize, message: String },
}

#[derive(Clone, Debug)]
pub struct LoadedFile {
    pub located: Located,
    pub exists: bool,
    /// Unix mode bits when the file exists.
    pub mode: Option<u32>,
    pub faults: Vec<FileFault>,
    /// The text as the SDK sees it (empty when unreadable or not UTF-8).
    pub text: String,
    pub scan: Scan,
}

/// One profile as the SDK resolved it (after merging both files), keys lower case.
pub type Properties = BTreeMap<String, String>;

#[derive(Clone, Debug, Default)]
pub struct Profiles {
    pub profiles: BTreeMap<String, Properties>,
    pub sso_sessions: BTreeMap<String, Properties>,
    /// `[services NAME]` sections that set `sts = \n  endpoint_url = …`: NAME → URL.
    pub sts_endpoints: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: LoadedFile,
    pub credentials: LoadedFile,
    pub profiles: Profiles,
}

impl Loaded {
    pub fn file(&self, kind: FileKind) -> &LoadedFile {
        match kind {
            FileKind::Config => &self.config,
            FileKind::Credentials => &self.credentials,
        }
    }
}

/// Read both files and parse them with the SDK's own parser.
pub fn load(world: &World) -> Loaded {
    let mut config = read(world, FileKind::Config);
    let mut credentials = read(world, FileKind::Credentials);
    let config_text = sdk_parsable(&mut config);
    let credentials_text = sdk_parsable(&mut credentials);
    let profiles = parse_with_sdk(&config_text, &credentials_text).unwrap_or_default();
    Loaded {
        config,
        credentials,
        profiles,
    }
}

/// Parse file contents with the SDK, returning the profiles or the SDK's error text.
pub fn parse_with_sdk(config: &str, credentials: &str) -> Result<Profiles, String> {
    let files = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, config)
        .with_contents(EnvConfigFileKind::Credentials, credentials)
        .build();
    let fs = Fs::from_slice(&[]);
    let env = Env::from_slice(&[]);
    let set =
        block_on(aws_config::profile::load(&fs, &env, &files, None)).map_err(|e| error_text(&e))?;
    let config_scan = scan::scan(config);
    let credentials_scan = scan::scan(credentials);
    Ok(convert(&set, &config_scan, &credentials_scan))
}

fn error_text(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

fn convert(set: &ProfileSet, config: &Scan, credentials: &Scan) -> Profiles {
    let mut out = Profiles::default();
    for name in set.profiles() {
        let Some(profile) = set.get_profile(name) else {
            continue;
        };
        let mut props = Properties::new();
        let keys = config
            .keys_of(FileKind::Config, name)
            .chain(credentials.keys_of(FileKind::Credentials, name));
        for key in keys {
            if let Some(v) = profile.get(key) {
                props.insert(key.to_string(), v.to_string());
            }
        }
        out.profiles.insert(name.to_string(), props);
    }
    for name in set.sso_sessions() {
        let Some(session) = set.sso_session(name) else {
            continue;
        };
        let mut props = Properties::new();
        for key in config.sso_keys_of(name) {
            if let Some(v) = session.get(key) {
                props.insert(key.to_string(), v.to_string());
            }
        }
        out.sso_sessions.insert(name.to_string(), props);
    }
    // the services sections the profiles name, read through the SDK's own parse
    let named: Vec<String> = out
        .profiles
        .values()
        .filter_map(|p| p.get("services").cloned())
        .collect();
    for name in named {
        let key = aws_runtime::env_config::property::PropertiesKey::builder()
            .section_key("services")
            .section_name(name.as_str())
            .property_name("sts")
            .sub_property_name("endpoint_url")
            .build();
        if let Some(url) = key.ok().and_then(|k| set.other_sections().get(&k).cloned()) {
            out.sts_endpoints.insert(name, url);
        }
    }
    out
}

/// The SDK's profile loader is async but does no I/O when given file contents: drive it to
/// completion here so the offline engine stays synchronous.
fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

fn read(world: &World, kind: FileKind) -> LoadedFile {
    let located = locate::locate(world, kind);
    let mut file = LoadedFile {
        located,
        exists: false,
        mode: None,
        faults: Vec::new(),
        text: String::new(),
        scan: Scan::default(),
    };
    let path: PathBuf = file.located.path.clone();
    if let Err(fault) = stat(&mut file, kind) {
        file.faults.extend(fault);
        return file;
    }
    let bytes = match crate::aws::fsread::read_limited(&path, MAX_FILE_BYTES) {
        Ok(b) => b,
        Err(e) => {
            file.faults.push(FileFault::Unreadable {
                reason: describe_io(&e),
            });
            return file;
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => {
            file.scan = scan::scan(&text);
            file.text = text;
        }
        Err(e) => {
            let bytes = e.as_bytes();
            let upto = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&bytes[..upto]);
            let line = prefix.matches('\n').count() + 1;
            let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            file.faults.push(FileFault::NotUtf8 { line, col });
            // scan what is readable so the other problems still have a place
            let lossy = String::from_utf8_lossy(bytes).into_owned();
            file.scan = scan::scan(&lossy);
        }
    }
    file
}

/// What the file's metadata says: its mode and existence recorded in `file`; `Err` when it
/// cannot be read as a file (with the fault to report, if any: a missing file that no
/// variable names is no fault).
fn stat(file: &mut LoadedFile, kind: FileKind) -> Result<(), Option<FileFault>> {
    let path = &file.located.path;
    match std::fs::metadata(path) {
        Ok(meta) => {
            use std::os::unix::fs::PermissionsExt;
            file.exists = true;
            file.mode = Some(meta.permissions().mode());
            if meta.is_dir() {
                return Err(Some(FileFault::Unreadable {
                    reason: "is a directory, not a file".into(),
                }));
            }
            if meta.len() > MAX_FILE_BYTES {
                return Err(Some(FileFault::Unreadable {
                    reason: format!(
                        "is {} MiB; credguard reads at most {} MiB",
                        meta.len() >> 20,
                        MAX_FILE_BYTES >> 20
                    ),
                }));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // dangling symlink?
            if std::fs::symlink_metadata(path).is_ok() {
                file.exists = true;
                return Err(Some(FileFault::Unreadable {
                    reason: "is a symbolic link to nothing".into(),
                }));
            }
            if file.located.overridden {
                return Err(Some(FileFault::Unreadable {
                    reason: format!("does not exist, but {} points to it", kind.env_var()),
                }));
            }
            Err(None)
        }
        Err(e) => {
            file.exists = true;
            Err(Some(FileFault::Unreadable {
                reason: describe_io(&e),
            }))
        }
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ELOOP) => "is a symbolic link loop".into(),
        Some(libc::EACCES) | Some(libc::EPERM) => "cannot be read: permission denied".into(),
        Some(libc::EISDIR) => "is a directory, not a file".into(),
        _ => format!("cannot be read: {e}"),
    }
}

/// The text to hand to the SDK's parser for the lenient pass: the real text when the SDK
/// accepts it, otherwise the text with each offending line blanked (every parse error is
/// recorded as a fault) so that the other profiles can still be diagnosed.
fn sdk_parsable(file: &mut LoadedFile) -> String {
    if file.text.is_empty() {
        return String::new();
    }
    let mut lines: Vec<String> = file.text.split('\n').map(str::to_string).collect();
    if let Some(first) = lines.first_mut()
        && first.starts_with('\u{feff}')
    {
        // The SDK fails on the BOM; diagnosis reports it as a hidden character.
        *first = first.trim_start_matches('\u{feff}').to_string();
    }
    for _ in 0..1000 {
        let text = lines.join("\n");
        let (cfg, cred) = match file.located.kind {
            FileKind::Config => (text.as_str(), ""),
            FileKind::Credentials => ("", text.as_str()),
        };
        match parse_with_sdk(cfg, cred) {
            Ok(_) => return text,
            Err(msg) => {
                let Some(line) = parse_error_line(&msg) else {
                    file.faults.push(FileFault::Parse {
                        line: 0,
                        message: msg,
                    });
                    return String::new();
                };
                let message = msg
                    .split_once(':')
                    .map(|(_, m)| m.trim())
                    .unwrap_or(&msg)
                    .to_string();
                file.faults.push(FileFault::Parse { line, message });
                match lines.get_mut(line.saturating_sub(1)) {
                    Some(l) if !l.is_empty() => l.clear(),
                    _ => return String::new(),
                }
            }
        }
    }
    String::new()
}

/// The SDK says "error parsing <path> on line N:\n  <message>".
pub(crate) fn parse_error_line(msg: &str) -> Option<usize> {
    let rest = msg.split(" on line ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
