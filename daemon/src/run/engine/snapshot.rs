//! What the engine publishes for the socket server: an immutable [`Snapshot`] in a tokio
//! `watch` channel (a lock held only to swap an `Arc`), so a prompt never waits for the
//! engine and a live feed ([`crate::run::feed`]) wakes on every publication, seeing only
//! the newest one however slowly it reads.

use crate::verdict::{ProfileVerdict, Report};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Distinct profile names noted between two looks of the engine.
const MAX_ASKED: usize = 1024;

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

/// The latest snapshot, shared between the engine (writer) and the server (readers); and
/// the profiles the server was asked about since the engine last looked.
pub struct Shared {
    snapshot: watch::Sender<Arc<Snapshot>>,
    asked: Mutex<HashMap<String, i64>>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            snapshot: watch::Sender::new(Arc::default()),
            asked: Mutex::default(),
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

    /// A shell asked about `profile` at `at` (unix seconds): it is in use.
    pub fn note_asked(&self, profile: &str, at: i64) {
        // a bound on what a (same-user) client can make the daemon hold between looks
        if let Ok(mut m) = self.asked.lock()
            && (m.len() < MAX_ASKED || m.contains_key(profile))
        {
            m.insert(profile.to_string(), at);
        }
    }

    /// The profiles asked about since the last call, and when.
    pub(super) fn take_asked(&self) -> HashMap<String, i64> {
        self.asked
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }

    pub(super) fn publish(&self, s: Snapshot) {
        self.snapshot.send_replace(Arc::new(s));
    }
}
