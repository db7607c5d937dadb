//! The engine's only timer: the next moment something changes without a file event.

use super::Engine;
use crate::aws::expiry;
use std::time::Duration;
use tokio::time::Instant;

/// Longest sleep while a deadline is armed: a sleep does not count time suspended, so a
/// long one is cut to notice a resume (then the wall clock decides).
const MAX_SLEEP: Duration = Duration::from_secs(300);

impl Engine {
    /// When a verdict goes stale, a credential crosses an expiry threshold, or quiet
    /// hours end with notifications held; `None` when nothing is due.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        let now = (self.clock)();
        let now_unix = now.unix_timestamp();
        let mut next: Option<i64> = None;
        let mut consider = |t: i64| {
            if t > now_unix {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        for t in self.revalidations(now_unix) {
            consider(t);
        }
        for t in self.expiry_thresholds() {
            consider(t);
        }
        if self.countdown {
            consider(self.next_countdown_minute(now_unix));
        }
        if self.policy.holding()
            && let Some(end) = self
                .settings
                .config
                .quiet_hours
                .and_then(|q| q.next_end(now, &jiff::tz::TimeZone::system()))
        {
            consider(end.unix_timestamp());
        }
        let secs = u64::try_from(next? - now_unix).unwrap_or(0);
        Some(Instant::now() + Duration::from_secs(secs).min(MAX_SLEEP))
    }

    /// When each cached verdict not being fetched goes stale.
    fn revalidations(&self, now_unix: i64) -> Vec<i64> {
        let fps = self
            .judged
            .iter()
            .flat_map(|j| j.fp.iter().chain(j.others.iter().map(|(_, fp)| fp)))
            .chain(self.env_subs.values().filter_map(|s| s.fp.as_ref()));
        fps.filter(|fp| !self.calls.in_flight(fp))
            .filter_map(|fp| self.cache.entries.get(fp))
            .map(|e| e.fresh_until.max(now_unix + 1))
            .collect()
    }

    /// The next moment a countdown in a badge file changes: a whole number of minutes before
    /// the soonest expiry still ahead (at most a minute from now).
    fn next_countdown_minute(&self, now_unix: i64) -> i64 {
        let soonest = self
            .judged
            .iter()
            .filter_map(|j| j.diag.verdict.expires_at.as_deref().and_then(expiry::parse))
            .map(|t| t.unix_timestamp())
            .filter(|&t| t > now_unix)
            .min();
        match soonest {
            Some(t) => now_unix + ((t - now_unix) % 60).max(1),
            None => now_unix + 60,
        }
    }

    /// Every expiry, and every notification threshold before it.
    fn expiry_thresholds(&self) -> Vec<i64> {
        let verdicts = self
            .judged
            .iter()
            .map(|j| &j.diag.verdict)
            .chain(self.env_subs.values().map(|s| &s.diag.verdict));
        let mut out = Vec::new();
        for v in verdicts {
            let Some(exp) = v.expires_at.as_deref().and_then(expiry::parse) else {
                continue;
            };
            let exp = exp.unix_timestamp();
            out.push(exp);
            for m in &self.settings.config.expiring_minutes {
                out.push(exp - i64::from(*m) * 60);
            }
        }
        out
    }
}
