//! The engine's watch on its clock. The wall clock can jump against the monotonic one: set
//! back or forward, a suspend and resume (the monotonic clock stops while suspended), a VM
//! restored. At each wake the engine compares how far each moved since the last look; a
//! jump makes every cached verdict stale (they are asked of STS again, which measures the
//! skew) and sends the unsigned clock probe ([`crate::validate::probe`]). Without a jump the
//! probe still goes out when no STS answer measured the skew for an hour, so a skew is
//! reported even when every verdict is fresh.

use super::Engine;
use crate::validate::{probe, sts};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The skew is measured at least this often (seconds).
pub(super) const PROBE_EVERY: i64 = 3600;
/// Wall and monotonic time apart by more than this since the last look: a jump.
const JUMP_SECONDS: f64 = 30.0;

pub(super) struct ClockWatch {
    /// The wall clock and the monotonic clock at the last look.
    last: Option<(OffsetDateTime, Instant)>,
    /// The last measurement of the skew, by a call or the probe (wall clock, unix seconds).
    measured_at: Option<i64>,
    probing: bool,
    tx: mpsc::UnboundedSender<Option<f64>>,
    rx: mpsc::UnboundedReceiver<Option<f64>>,
}

impl ClockWatch {
    pub fn new() -> ClockWatch {
        let (tx, rx) = mpsc::unbounded_channel();
        ClockWatch {
            last: None,
            measured_at: None,
            probing: false,
            tx,
            rx,
        }
    }

    /// How far the wall clock moved beyond the monotonic one since the last look (seconds,
    /// negative when set back), if that is a jump.
    fn observe(&mut self, wall: OffsetDateTime, mono: Instant) -> Option<f64> {
        let (last_wall, last_mono) = self.last.replace((wall, mono))?;
        jump(
            (wall - last_wall).as_seconds_f64(),
            (mono - last_mono).as_secs_f64(),
        )
    }

    /// The probe's answer: local time minus STS's (by the system clock), or None.
    pub async fn next(&mut self) -> Option<Option<f64>> {
        self.rx.recv().await
    }

    /// When the skew is next due to be measured (the wall clock, unix seconds).
    pub fn next_probe(&self) -> Option<i64> {
        self.measured_at.map(|t| t + PROBE_EVERY)
    }
}

/// Under the FAKE clock of tests (cargo feature `fake-clock`, never in release builds),
/// `CREDGUARD_FAKE_CLOCK_STEADY=1` says the FAKE offset is simulated time passing (a day
/// of timers in a minute), not a clock set wrong: it is neither a jump nor a skew.
#[cfg(feature = "fake-clock")]
fn steady_fake_clock() -> bool {
    static STEADY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STEADY.get_or_init(|| std::env::var_os("CREDGUARD_FAKE_CLOCK_STEADY").is_some())
}

#[cfg(not(feature = "fake-clock"))]
fn steady_fake_clock() -> bool {
    false
}

/// A jump: the wall clock moved `wall` seconds while the monotonic clock moved `mono`.
pub fn jump(wall: f64, mono: f64) -> Option<f64> {
    let d = wall - mono;
    (d.abs() > JUMP_SECONDS).then_some(d)
}

impl Engine {
    /// Seconds the daemon's clock is ahead of the system clock: zero in what users run, a
    /// FAKE offset in tests of the binary. Skews measured by the system clock (the SDK's
    /// `Date` capture) are the daemon clock's once this is added.
    pub(super) fn clock_offset(&self) -> f64 {
        if steady_fake_clock() {
            return 0.0;
        }
        ((self.clock)() - OffsetDateTime::now_utc()).as_seconds_f64()
    }

    /// A look at the clock at each wake: true when it jumped (every verdict is stale now,
    /// the probe is out: the caller refreshes). Sends the probe when the skew is due.
    pub(super) fn look_at_clock(&mut self) -> bool {
        let wall = (self.clock)();
        let now = wall.unix_timestamp();
        if self.clock_watch.measured_at.is_none_or(|t| t > now) {
            // first look, or measured "in the future" (the clock went back): from now
            self.clock_watch.measured_at = Some(now);
        }
        let seen = if steady_fake_clock() {
            OffsetDateTime::now_utc()
        } else {
            wall
        };
        let jumped = self.clock_watch.observe(seen, Instant::now());
        if let Some(by) = jumped {
            tracing::warn!(
                seconds = by,
                "the wall clock jumped against the monotonic clock (set, suspended or restored): every verdict is checked again and the skew measured again"
            );
            for e in self.cache.entries.values_mut() {
                e.fresh_until = e.fresh_until.min(now);
            }
        }
        let due = self.clock_watch.next_probe().is_some_and(|t| now >= t);
        if jumped.is_some() || due {
            self.start_probe(now);
        }
        jumped.is_some()
    }

    /// The unsigned probe to where a call without a profile goes (the environment's and the
    /// default profile's endpoint settings).
    fn start_probe(&mut self, now: i64) {
        if self.clock_watch.probing {
            return;
        }
        self.clock_watch.probing = true;
        self.clock_watch.measured_at = Some(now);
        let world = self.world();
        let profiles = self.loaded.as_ref().map(|l| l.profiles.clone());
        let target = sts::target(&world, &profiles.unwrap_or_default(), None);
        let settings = self.calls.validator.settings.clone();
        let tx = self.clock_watch.tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(probe::skew(&target, &settings).await);
        });
    }

    /// The probe's answer: the skew now measured is every cached verdict's (the clock is
    /// the machine's, whichever call measured it), so each reports it.
    pub(super) fn take_probe(&mut self, skew: Option<f64>) {
        self.clock_watch.probing = false;
        let Some(skew) = skew.map(|s| s + self.clock_offset()) else {
            return;
        };
        tracing::info!(skew_seconds = skew, "clock skew measured (unsigned probe)");
        for e in self.cache.entries.values_mut() {
            if e.skew_seconds.is_some() {
                e.skew_seconds = Some(skew);
            }
        }
        self.save_cache();
        self.publish();
    }

    /// An STS answer measured the skew: the probe is not due for another hour.
    pub(super) fn skew_measured(&mut self) {
        self.clock_watch.measured_at = Some((self.clock)().unix_timestamp());
    }
}

#[cfg(test)]
mod tests {
    use super::jump;

    #[test]
    fn a_jump_is_wall_time_apart_from_monotonic_time() {
        // a timer that fired on time, a little late, or with a second of NTP slew: no jump
        assert_eq!(jump(300.0, 300.0), None);
        assert_eq!(jump(301.0, 300.0), None);
        assert_eq!(jump(0.0, 0.0), None);
        // the clock set back 25 minutes between two wakes 5 minutes apart
        assert_eq!(jump(300.0 - 1500.0, 300.0), Some(-1500.0));
        // a suspend of an hour: the monotonic clock stood still
        assert_eq!(jump(3600.0 + 5.0, 5.0), Some(3600.0));
    }
}
