//! What the engine publishes for the socket server: an immutable [`Snapshot`] behind a
//! lock held only to swap an `Arc`, so a prompt never waits for the engine.

use crate::verdict::{ProfileVerdict, Report};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

/// What the socket server reads.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub report: Report,
    /// Profiles (by name) whose first verdict is being fetched.
    pub checking: HashSet<String>,
    /// Environment credentials submitted by shells, by the client's fingerprint.
    pub env: HashMap<String, EnvView>,
    /// Profiles the config says to ignore (the prompt stays quiet for them).
    pub ignored: Vec<String>,
    /// Bumped on every publication.
    pub generation: u64,
}

/// The verdict on one set of environment credentials a shell submitted.
#[derive(Debug, Clone)]
pub struct EnvView {
    pub verdict: ProfileVerdict,
    pub checking: bool,
}

impl Snapshot {
    pub fn profile(&self, name: &str) -> Option<&ProfileVerdict> {
        self.report.profiles.iter().find(|p| p.profile == name)
    }
}

/// The latest snapshot, shared between the engine (writer) and the server (readers).
#[derive(Default)]
pub struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
}

impl Shared {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(super) fn publish(&self, s: Snapshot) {
        let s = Arc::new(s);
        match self.snapshot.write() {
            Ok(mut g) => *g = s,
            Err(poisoned) => *poisoned.into_inner() = s,
        }
    }
}
