//! The outside world the engine reads, injected so tests never touch the real process
//! environment, the real `~/.aws` or the real clock.

use std::collections::BTreeMap;
use std::path::PathBuf;
use time::OffsetDateTime;

#[derive(Clone, Debug)]
pub struct World {
    vars: BTreeMap<String, String>,
    now: OffsetDateTime,
}

impl World {
    /// The process environment and the system clock.
    pub fn from_process() -> Self {
        World {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            now: OffsetDateTime::now_utc(),
        }
    }

    pub fn new<I, K, V>(vars: I, now: OffsetDateTime) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        World {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            now,
        }
    }

    /// A variable as set, even if empty.
    pub fn raw_var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A variable that is set and not empty.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.raw_var(name).filter(|v| !v.is_empty())
    }

    pub fn now(&self) -> OffsetDateTime {
        self.now
    }

    pub fn with_now(mut self, now: OffsetDateTime) -> Self {
        self.now = now;
        self
    }

    pub fn set_var(&mut self, k: &str, v: &str) {
        self.vars.insert(k.to_string(), v.to_string());
    }

    pub fn remove_var(&mut self, k: &str) {
        self.vars.remove(k);
    }

    /// The home directory as the SDK finds it on Linux and macOS: `$HOME`.
    pub fn home(&self) -> Option<PathBuf> {
        self.var("HOME").map(PathBuf::from)
    }

    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The daemon's clock: the wall clock in what users install ([`wall_clock`]); tests inject
/// their own.
pub type Clock = std::sync::Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

pub fn wall_clock() -> Clock {
    std::sync::Arc::new(OffsetDateTime::now_utc)
}
