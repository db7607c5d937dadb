//! When the engine asks STS again, quietly for CloudTrail: what changed at once (a new
//! credential set has no verdict); a definite verdict (ok, invalid) of a profile in use
//! after `revalidate_in_use`, of an idle one after `revalidate_idle`; an unknown one by
//! its backoff. A profile is in use when a shell asked about it within the in-use
//! interval ([`crate::run::usage`]); `check` and `doctor` ask about every verdict older
//! than that interval themselves.

use super::Engine;
use crate::validate::sts::Outcome;
use crate::validate::{Job, Judged};
use std::collections::{HashMap, HashSet};

impl Engine {
    /// Note the profiles shells asked about: over the socket since the last look, and by
    /// reading their badge files.
    pub(super) fn look_at_usage(&mut self, judged: &[Judged], now: i64) {
        for (p, t) in self.shared.take_asked() {
            self.usage.note(&p, t);
        }
        if let Some(b) = &self.badges {
            let profiles = judged.iter().map(|j| j.diag.verdict.profile.as_str());
            self.usage.look_at_badges(b.dir(), profiles, now);
        }
        self.looked_at = now;
    }

    fn in_use(&self, profile: &str, now: i64) -> bool {
        let window = self.calls.validator.ok_interval;
        self.usage
            .last_asked(profile)
            .is_some_and(|t| now - t < window)
    }

    /// The fingerprints of the profiles in use.
    fn fps_in_use<'a>(&self, judged: &'a [Judged], now: i64) -> HashSet<&'a str> {
        judged
            .iter()
            .filter(|j| self.in_use(&j.diag.verdict.profile, now))
            .flat_map(fingerprints)
            .collect()
    }

    /// When the verdict on `fp` is due again (None: there is none).
    fn due_at(&self, fp: &str, in_use: bool) -> Option<i64> {
        let e = self.cache.entries.get(fp)?;
        let v = &self.calls.validator;
        Some(match e.outcome {
            Outcome::Unknown { .. } => e.fresh_until,
            _ if in_use => e.fresh_until.min(e.checked_at + v.ok_interval),
            _ => e.checked_at + v.idle_interval,
        })
    }

    /// Of `jobs` (the credential sets without a verdict fresh by the in-use interval),
    /// those due: new ones, unknown ones, those in use, and idle ones a day old.
    pub(super) fn due(
        &self,
        judged: &[Judged],
        jobs: HashMap<String, Job>,
        now: i64,
    ) -> HashMap<String, Job> {
        let used = self.fps_in_use(judged, now);
        jobs.into_iter()
            .filter(|(fp, _)| {
                self.due_at(fp, used.contains(fp.as_str()))
                    .is_none_or(|t| t <= now)
            })
            .collect()
    }

    /// The moments a verdict not being fetched falls due; and, while an idle profile's
    /// verdict is older than the in-use interval, the next look at whether a shell uses it.
    pub(super) fn revalidations(&self, now: i64) -> Vec<i64> {
        let used = self.fps_in_use(&self.judged, now);
        let every = self.calls.validator.ok_interval;
        let mut out = Vec::new();
        for fp in self.judged.iter().flat_map(fingerprints) {
            if self.calls.in_flight(fp) {
                continue;
            }
            let in_use = used.contains(fp);
            let Some(due) = self.due_at(fp, in_use) else {
                continue;
            };
            out.push(due);
            if !in_use && let Some(e) = self.cache.entries.get(fp) {
                out.push((e.checked_at + every).max(self.looked_at + every));
            }
        }
        // a shell's environment credentials are in use by that shell
        let env = self.env_subs.values().filter_map(|s| s.fp.as_deref());
        for fp in env.filter(|fp| !self.calls.in_flight(fp)) {
            out.extend(self.cache.entries.get(fp).map(|e| e.fresh_until));
        }
        out.into_iter().map(|t| t.max(now + 1)).collect()
    }
}

/// Every credential set a profile is judged by: its own reading's and each other reader's
/// that differs ([`Judged::others`]).
pub(super) fn fingerprints(j: &Judged) -> impl Iterator<Item = &str> {
    j.fp.as_deref()
        .into_iter()
        .chain(j.others.iter().map(|(_, fp)| fp.as_str()))
}
