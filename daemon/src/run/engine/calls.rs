//! The engine's STS calls in flight: at most `max_concurrent_calls` at once, one per
//! distinct credential set (by fingerprint), answers coming back on a channel.

use crate::config::Config;
use crate::validate::sts::Answer;
use crate::validate::{Job, Validator};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};

pub(super) struct Calls {
    pub validator: Validator,
    sem: Arc<Semaphore>,
    /// Fingerprints being validated now.
    in_flight: HashSet<String>,
    tx: mpsc::UnboundedSender<(String, Answer)>,
    rx: mpsc::UnboundedReceiver<(String, Answer)>,
}

impl Calls {
    pub fn new(config: &Config) -> Calls {
        let validator = Validator::from_config(config);
        let (tx, rx) = mpsc::unbounded_channel();
        Calls {
            sem: Arc::new(Semaphore::new(validator.max_concurrent)),
            validator,
            in_flight: HashSet::new(),
            tx,
            rx,
        }
    }

    /// New settings; the concurrency bound applies to calls started from now on.
    pub fn reconfigure(&mut self, config: &Config) {
        let v = Validator::from_config(config);
        if v.max_concurrent != self.validator.max_concurrent {
            self.sem = Arc::new(Semaphore::new(v.max_concurrent));
        }
        self.validator = v;
    }

    /// Start the calls not already in flight.
    pub fn spawn(&mut self, jobs: impl IntoIterator<Item = (String, Job)>) {
        for (fp, job) in jobs {
            if !self.in_flight.insert(fp.clone()) {
                continue;
            }
            tracing::debug!(key_id = ?job.material, "validating");
            let fut = self.validator.call(self.sem.clone(), fp, job);
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(fut.await);
            });
        }
    }

    pub fn in_flight(&self, fp: &str) -> bool {
        self.in_flight.contains(fp)
    }

    /// The next answer (never `None`: the engine holds a sender).
    pub async fn next(&mut self) -> Option<(String, Answer)> {
        self.rx.recv().await
    }

    /// `first` and every other answer already waiting, each no longer in flight.
    pub fn drain(&mut self, first: (String, Answer)) -> Vec<(String, Answer)> {
        let mut out = vec![first];
        while let Ok(a) = self.rx.try_recv() {
            out.push(a);
        }
        for (fp, _) in &out {
            self.in_flight.remove(fp);
        }
        out
    }
}
