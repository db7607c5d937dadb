//! Quiet hours: a daily window of local time (`quiet_hours = "22:00-07:00"`) in which
//! desktop notifications are held, not dropped: when the window closes, each profile that
//! is still expiring, expired or invalid gets one notification for where it stands then.
//!
//! Local time is the system time zone as jiff reads it (`TZ`, else `/etc/localtime`), so a
//! window follows daylight saving time and travel. The `time` crate's local offset is not
//! usable here: it refuses to answer in a multi-threaded process on Linux.

use jiff::tz::TimeZone;
use std::fmt;
use time::OffsetDateTime;

/// A daily window `[start, end)` in minutes after local midnight; `start > end` spans
/// midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct QuietHours {
    start: u16,
    end: u16,
}

impl TryFrom<String> for QuietHours {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl std::str::FromStr for QuietHours {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("quiet_hours {s:?} is not a window like \"22:00-07:00\" (24-hour local time)")
        };
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let minute = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once(':')?;
            if h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60).then_some(h * 60 + m)
        };
        let (start, end) = (minute(a).ok_or_else(bad)?, minute(b).ok_or_else(bad)?);
        if start == end {
            return Err(format!(
                "quiet_hours {s:?} starts where it ends; leave it out for no quiet hours"
            ));
        }
        Ok(QuietHours { start, end })
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.start), hm(self.end))
    }
}

fn local(now: OffsetDateTime, tz: &TimeZone) -> Option<jiff::Zoned> {
    Some(
        jiff::Timestamp::from_second(now.unix_timestamp())
            .ok()?
            .to_zoned(tz.clone()),
    )
}

impl QuietHours {
    /// Whether `now` falls in the window, in time zone `tz`.
    pub fn contains(&self, now: OffsetDateTime, tz: &TimeZone) -> bool {
        let Some(z) = local(now, tz) else {
            return false;
        };
        let m = u16::try_from(z.hour()).unwrap_or(0) * 60 + u16::try_from(z.minute()).unwrap_or(0);
        if self.start < self.end {
            self.start <= m && m < self.end
        } else {
            m >= self.start || m < self.end
        }
    }

    /// The next moment after `now` at which the window closes.
    pub fn next_end(&self, now: OffsetDateTime, tz: &TimeZone) -> Option<OffsetDateTime> {
        let z = local(now, tz)?;
        let (h, m) = (
            i8::try_from(self.end / 60).ok()?,
            i8::try_from(self.end % 60).ok()?,
        );
        let mut day = z.date();
        for _ in 0..3 {
            // a wall time skipped by a DST jump resolves to the instant after the gap
            let end = day.at(h, m, 0, 0).to_zoned(tz.clone()).ok()?;
            if end.timestamp() > z.timestamp() {
                return OffsetDateTime::from_unix_timestamp(end.timestamp().as_second()).ok();
            }
            day = day.tomorrow().ok()?;
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn q(s: &str) -> QuietHours {
        s.parse().unwrap()
    }

    #[test]
    fn parses_windows_and_says_what_is_wrong() {
        assert_eq!(q("22:00-07:00").to_string(), "22:00-07:00");
        assert_eq!(q("9:30 - 17:05").to_string(), "09:30-17:05");
        for bad in [
            "22:00",
            "24:00-07:00",
            "22:60-07:00",
            "22-07",
            "ab:cd-07:00",
            "22:00-07:0",
        ] {
            let e = bad.parse::<QuietHours>().unwrap_err();
            assert!(e.contains("\"22:00-07:00\""), "{bad}: {e}");
        }
        assert!(
            "08:00-08:00"
                .parse::<QuietHours>()
                .unwrap_err()
                .contains("starts where it ends")
        );
    }

    #[test]
    fn windows_across_midnight_in_local_time() {
        let utc = TimeZone::UTC;
        let night = q("22:00-07:00");
        assert!(night.contains(datetime!(2026-11-22 23:30 UTC), &utc));
        assert!(night.contains(datetime!(2026-11-22 06:59 UTC), &utc));
        assert!(!night.contains(datetime!(2026-11-22 07:00 UTC), &utc));
        assert!(!night.contains(datetime!(2026-11-22 12:00 UTC), &utc));
        assert_eq!(
            night.next_end(datetime!(2026-11-22 23:30 UTC), &utc),
            Some(datetime!(2026-11-23 07:00 UTC))
        );
        assert_eq!(
            night.next_end(datetime!(2026-11-22 03:00 UTC), &utc),
            Some(datetime!(2026-11-22 07:00 UTC))
        );
        // the same instant is 23:30 in UTC+01:00 but 22:30 in UTC: local time decides
        let plus1 = TimeZone::fixed(jiff::tz::offset(1));
        let lunch = q("12:00-13:00");
        assert!(lunch.contains(datetime!(2026-11-22 11:30 UTC), &plus1));
        assert!(!lunch.contains(datetime!(2026-11-22 11:30 UTC), &utc));
        assert_eq!(
            lunch.next_end(datetime!(2026-11-22 11:30 UTC), &plus1),
            Some(datetime!(2026-11-22 12:00 UTC))
        );
    }

    #[test]
    fn daylight_saving_time_moves_the_window_with_the_clock() {
        // POSIX rule for central Europe: summer time from the last Sunday of March
        let tz = TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let night = q("22:00-07:00");
        // 07:00 local is 06:00 UTC in winter and 05:00 UTC in summer
        assert_eq!(
            night.next_end(datetime!(2026-01-10 03:00 UTC), &tz),
            Some(datetime!(2026-01-10 06:00 UTC))
        );
        assert_eq!(
            night.next_end(datetime!(2026-07-10 03:00 UTC), &tz),
            Some(datetime!(2026-07-10 05:00 UTC))
        );
    }
}
