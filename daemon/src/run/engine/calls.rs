//! The engine's STS calls in flight: at most `max_concurrent_calls` at once, one per
//! distinct credential set (by fingerprint), answers coming back on a channel; and a count
//! of the calls started in the last 24 hours, by action, for `status --json`.

use crate::config::Config;
use crate::validate::sts::Answer;
use crate::validate::{Job, Validator};
use crate::verdict::{CallCounts, StsCalls};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};

pub(super) struct Calls {
    pub validator: Validator,
    sem: Arc<Semaphore>,
    /// Fingerprints being validated now (or waiting for a permit), with the handle that
    /// cancels the task.
    in_flight: HashMap<String, tokio::task::AbortHandle>,
    tx: mpsc::UnboundedSender<(String, Answer)>,
    rx: mpsc::UnboundedReceiver<(String, Answer)>,
    /// When each validation of the last 24 hours started (unix seconds) and its calls.
    log: VecDeque<(i64, CallCounts)>,
}

const DAY: i64 = 86_400;

impl Calls {
    pub fn new(config: &Config) -> Calls {
        let validator = Validator::from_config(config);
        let (tx, rx) = mpsc::unbounded_channel();
        Calls {
            sem: Arc::new(Semaphore::new(validator.max_concurrent)),
            validator,
            in_flight: HashMap::new(),
            tx,
            rx,
            log: VecDeque::new(),
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

    /// Start the calls not already in flight, at `now` (unix seconds).
    pub fn spawn(&mut self, jobs: impl IntoIterator<Item = (String, Job)>, now: i64) {
        for (fp, job) in jobs {
            if self.in_flight.contains_key(&fp) {
                continue;
            }
            if !self.validator.never_sends(&job.material) {
                // an AssumeRole per hop, else one GetCallerIdentity (a wrong secret's
                // confirmation and the SDK's one retry of a network fault are not counted)
                let hops = job.material.roles.len() as u64;
                let calls = CallCounts {
                    get_caller_identity: u64::from(hops == 0),
                    assume_role: hops,
                };
                self.log.push_back((now, calls));
            }
            tracing::debug!(key_id = ?job.material, "validating");
            let fut = self.validator.call(self.sem.clone(), fp.clone(), job);
            let tx = self.tx.clone();
            let task = tokio::spawn(async move {
                let _ = tx.send(fut.await);
            });
            self.in_flight.insert(fp, task.abort_handle());
        }
    }

    /// The calls started in the 24 hours before `now`, and the validations in flight.
    pub fn counts(&mut self, now: i64) -> StsCalls {
        while self.log.front().is_some_and(|(t, _)| *t <= now - DAY) {
            self.log.pop_front();
        }
        let mut last_24h = CallCounts::default();
        for (_, c) in &self.log {
            last_24h.get_caller_identity += c.get_caller_identity;
            last_24h.assume_role += c.assume_role;
        }
        StsCalls {
            last_24h,
            in_flight: self.in_flight.len(),
        }
    }

    pub fn in_flight(&self, fp: &str) -> bool {
        self.in_flight.contains_key(fp)
    }

    /// Nobody needs the verdict on `fp` any more (a forgotten shell's credentials): its
    /// call, waiting for a permit or under way, is dropped. Without this, shells that
    /// submit new credentials faster than STS answers would queue calls without bound.
    pub fn cancel(&mut self, fp: &str) {
        if let Some(task) = self.in_flight.remove(fp) {
            task.abort();
        }
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
