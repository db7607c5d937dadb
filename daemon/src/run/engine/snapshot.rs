//! What the engine publishes for the socket server: an immutable [`Snapshot`] in a tokio
//! `watch` channel (a lock held only to swap an `Arc`), so a prompt never waits for the
//! engine and a live feed ([`crate::run::feed`]) wakes on every publication, seeing only
//! the newest one however slowly it reads.

use crate::verdict::{ProfileVerdict, Report};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::watch;

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
pub struct Shared {
    snapshot: watch::Sender<Arc<Snapshot>>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            snapshot: watch::Sender::new(Arc::default()),
        }
    }
}

impl Shared {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.borrow().clone()
    }

    /// Wakes on every publication (the newest snapshot only, however slow the reader).
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.snapshot.subscribe()
    }

    pub(super) fn publish(&self, s: Snapshot) {
        self.snapshot.send_replace(Arc::new(s));
    }
}
