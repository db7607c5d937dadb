//! The engine's configuration: `config.toml` as last loaded, re-read when its bytes change
//! (a file event) or on request (SIGHUP, `credguard reload`). A broken file keeps the
//! previous configuration.

use crate::aws::fsread;
use crate::config::Config;
use std::path::{Path, PathBuf};

pub(super) struct Settings {
    pub path: Option<PathBuf>,
    pub config: Config,
    /// The file's bytes when last read, to tell whether an event changed it.
    bytes: Option<Vec<u8>>,
}

impl Settings {
    pub fn new(path: Option<PathBuf>, config: Config) -> Settings {
        let bytes = path.as_deref().and_then(read_bytes);
        Settings {
            path,
            config,
            bytes,
        }
    }

    /// Re-read the file if its bytes changed: `Some(message)` when it was re-read.
    pub fn reload_if_changed(&mut self) -> Option<String> {
        let path = self.path.as_deref()?;
        if read_bytes(path) == self.bytes {
            return None;
        }
        Some(self.reload())
    }

    /// Re-read the file; a broken one keeps the previous configuration. Says what happened.
    pub fn reload(&mut self) -> String {
        let Some(path) = self.path.clone() else {
            return "no config file path; defaults in use".into();
        };
        self.bytes = read_bytes(&path);
        if !path.exists() {
            // say so instead of claiming a file that is not there was read
            self.config = Config::default();
            return format!(
                "no config file at {}: the defaults are in use (create it to change them)",
                path.display()
            );
        }
        match Config::load(&path) {
            Ok(c) => {
                self.config = c;
                format!("configuration reloaded from {}", path.display())
            }
            Err(e) => {
                tracing::error!(error = %e, "config not reloaded; keeping the previous one");
                format!("config error, kept the previous configuration: {e}")
            }
        }
    }
}

/// The config file's bytes (bounded like every read).
fn read_bytes(path: &Path) -> Option<Vec<u8>> {
    fsread::read_limited(path, fsread::MAX_SMALL_FILE).ok()
}
