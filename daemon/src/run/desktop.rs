//! Desktop notifications: one per profile per threshold, replacing the previous one for
//! that profile, closed when the credentials are fine again.
//!
//! [`Policy`] decides (pure, tested without a desktop); [`Desktop`] delivers through
//! notify-rust (freedesktop D-Bus on Linux, the native backend on macOS) on a thread of its
//! own, so a slow or missing notification server never holds up the engine. Without a
//! session bus it logs once and keeps running.

use crate::aws::expiry;
use crate::verdict::{Code, ProfileVerdict, Severity, State};
use credguard_client::rules::short_duration;
use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc;
use time::OffsetDateTime;

/// How bad a profile is, as far as notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Fine,
    /// Not known to be valid, but nothing about expiry or validity to warn of (STS
    /// unreachable): closes an open notification, does not count as "was valid".
    Quiet,
    /// Within this threshold (minutes) of expiry.
    Expiring(u32),
    Expired,
    Invalid,
}

/// What to do for one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    Show {
        profile: String,
        summary: String,
        body: String,
        critical: bool,
    },
    Close {
        profile: String,
    },
}

/// Whether a profile's notification may be shown now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hush {
    Speak,
    /// Quiet hours: hold it, and show where the profile stands once they end.
    Hold,
    /// A muted profile: never.
    Mute,
}

/// The notification decisions: remembers each profile's last level.
#[derive(Default)]
pub struct Policy {
    last: HashMap<String, Level>,
    open: HashMap<String, bool>,
    /// Seen valid since it was last invalid.
    was_valid: HashMap<String, bool>,
    /// Profiles with a notification held back by quiet hours.
    held: BTreeSet<String>,
}

impl Policy {
    /// Notes for the transitions in `verdicts` (states `unknown`/`skipped` change nothing),
    /// and for profiles held by quiet hours that may speak again and still have something
    /// to say. Closing a notification is never held: it makes no noise.
    pub fn update(
        &mut self,
        verdicts: &[ProfileVerdict],
        thresholds: &[u32],
        now: OffsetDateTime,
        hush: &dyn Fn(&str) -> Hush,
    ) -> Vec<Note> {
        let mut notes = Vec::new();
        for v in verdicts {
            let Some(level) = level_of(v, thresholds, now) else {
                continue;
            };
            let hush = hush(&v.profile);
            let changed = self.last.insert(v.profile.clone(), level) != Some(level);
            let released = hush != Hush::Hold && self.held.remove(&v.profile);
            if !changed && !released {
                continue;
            }
            let open = self.open.get(&v.profile).copied().unwrap_or(false);
            let was_valid = self.was_valid.get(&v.profile).copied().unwrap_or(false);
            if level == Level::Fine {
                self.was_valid.insert(v.profile.clone(), true);
            }
            if level == Level::Invalid {
                self.was_valid.insert(v.profile.clone(), false);
            }
            let show = match level {
                Level::Fine | Level::Quiet => {
                    self.held.remove(&v.profile);
                    if open {
                        self.open.insert(v.profile.clone(), false);
                        notes.push(Note::Close {
                            profile: v.profile.clone(),
                        });
                    }
                    false
                }
                Level::Expiring(_) | Level::Expired => true,
                // "valid turned invalid": not for a profile that was never seen valid
                // (a held one was, before quiet hours); another account's key always
                // (its account was valid, or [accounts] names the one it is meant for)
                Level::Invalid => was_valid || released || wrong_account(v),
            };
            match (show, hush) {
                (true, Hush::Speak) => {
                    self.open.insert(v.profile.clone(), true);
                    notes.push(note_for(v, level, now));
                }
                (true, Hush::Hold) => {
                    self.held.insert(v.profile.clone());
                }
                _ => {}
            }
        }
        notes
    }

    /// Whether quiet hours hold back a notification (the engine then wakes when they end).
    pub fn holding(&self) -> bool {
        !self.held.is_empty()
    }
}

fn wrong_account(v: &ProfileVerdict) -> bool {
    v.problems.iter().any(|p| p.code == Code::WrongAccount)
}

fn level_of(v: &ProfileVerdict, thresholds: &[u32], now: OffsetDateTime) -> Option<Level> {
    Some(match v.state {
        State::Ok => Level::Fine,
        State::Invalid => Level::Invalid,
        State::Expired => Level::Expired,
        State::Expiring => {
            let left = v
                .expires_at
                .as_deref()
                .and_then(expiry::parse)
                .map(|t| (t - now).whole_seconds())?;
            let m = thresholds
                .iter()
                .copied()
                .filter(|m| left <= i64::from(*m) * 60)
                .min()?;
            Level::Expiring(m)
        }
        State::Unknown => Level::Quiet,
        State::Skipped => return None,
    })
}

fn note_for(v: &ProfileVerdict, level: Level, now: OffsetDateTime) -> Note {
    let p = &v.profile;
    let key = |c: Code| v.problems.iter().find(|x| x.code == c);
    let problem = match level {
        Level::Expiring(_) => key(Code::Expiring),
        Level::Expired => key(Code::Expired)
            .or_else(|| key(Code::ExpiredToken))
            .or_else(|| key(Code::SsoLoginRequired))
            .or_else(|| key(Code::LoginRequired)),
        _ => None,
    }
    .or_else(|| v.problems.iter().find(|x| x.severity == Severity::Error));
    let summary = match level {
        Level::Expiring(_) => {
            let left = v
                .expires_at
                .as_deref()
                .and_then(expiry::parse)
                .map(|t| short_duration((t - now).whole_seconds()))
                .unwrap_or_default();
            format!("AWS profile {p} expires in {left}")
        }
        Level::Expired => format!("AWS profile {p} has expired"),
        _ => format!(
            "AWS profile {p}: {}",
            problem.map_or("invalid credentials", |x| crate::report::badge::reason(
                x.code
            ))
        ),
    };
    let body = match problem {
        Some(x) if !x.fix.is_empty() => format!("{}\nFix: {}", x.message, x.fix),
        Some(x) => x.message.clone(),
        None => String::new(),
    };
    Note::Show {
        profile: p.clone(),
        summary,
        body,
        critical: !matches!(level, Level::Expiring(_)),
    }
}

/// The delivery thread's mailbox.
#[derive(Clone)]
pub struct Desktop {
    tx: mpsc::Sender<Note>,
}

impl Desktop {
    pub fn start() -> Desktop {
        let (tx, rx) = mpsc::channel::<Note>();
        let spawned = std::thread::Builder::new()
            .name("credguard-notify".into())
            .spawn(move || deliver(rx));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "no desktop notifications: cannot start their thread");
        }
        Desktop { tx }
    }

    pub fn send(&self, note: Note) {
        let _ = self.tx.send(note);
    }
}

fn deliver(rx: mpsc::Receiver<Note>) {
    let mut handles: HashMap<String, notify_rust::NotificationHandle> = HashMap::new();
    let mut failed_once = false;
    while let Ok(note) = rx.recv() {
        match note {
            Note::Show {
                profile,
                summary,
                body,
                critical,
            } => {
                let mut n = notify_rust::Notification::new();
                n.appname("credguard")
                    .summary(&summary)
                    .body(&body)
                    .icon("dialog-warning");
                #[cfg(all(unix, not(target_os = "macos")))]
                n.urgency(if critical {
                    notify_rust::Urgency::Critical
                } else {
                    notify_rust::Urgency::Normal
                });
                #[cfg(target_os = "macos")]
                let _ = critical;
                #[cfg(all(unix, not(target_os = "macos")))]
                if let Some(prev) = handles.get(&profile) {
                    n.id(prev.id());
                }
                match n.show() {
                    Ok(h) => {
                        tracing::info!(%profile, %summary, "notified");
                        handles.insert(profile, h);
                    }
                    Err(e) if !failed_once => {
                        failed_once = true;
                        tracing::warn!(error = %e, "no desktop notifications (is there a session bus and a notification server?); credguard keeps running without them");
                    }
                    Err(e) => tracing::debug!(error = %e, "notification not shown"),
                }
            }
            Note::Close { profile } => {
                if let Some(h) = handles.remove(&profile) {
                    #[cfg(all(unix, not(target_os = "macos")))]
                    h.close();
                    #[cfg(target_os = "macos")]
                    drop(h);
                    tracing::info!(%profile, "notification closed: credentials fine again");
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::verdict::{Problem, SourceKind};

    fn v(profile: &str, state: State, expires_at: Option<&str>) -> ProfileVerdict {
        ProfileVerdict {
            profile: profile.into(),
            state,
            source: SourceKind::Session,
            key_id: None,
            account: None,
            expected_account: None,
            tools: Default::default(),
            judging: Default::default(),
            identity: None,
            expires_at: expires_at.map(str::to_string),
            problems: vec![Problem::error(
                if state == State::Expiring {
                    Code::Expiring
                } else {
                    Code::UnknownKey
                },
                None,
                "m",
                "aws configure",
            )],
        }
    }

    #[test]
    fn one_note_per_threshold_and_a_close_when_fine() {
        let t0 = expiry::parse("2026-11-22T10:00:00Z").unwrap();
        let exp = "2026-11-22T10:16:00Z";
        let mut p = Policy::default();
        let th = [15, 5];
        let none = |_: &str| Hush::Speak;
        let at = |m: i64| t0 + time::Duration::minutes(m);
        // 16 minutes left: state ok, nothing
        assert!(
            p.update(&[v("a", State::Ok, Some(exp))], &th, at(0), &none)
                .is_empty()
        );
        let n = p.update(&[v("a", State::Expiring, Some(exp))], &th, at(1), &none);
        assert!(
            matches!(&n[..], [Note::Show { summary, critical: false, .. }] if summary == "AWS profile a expires in 15m"),
            "{n:?}"
        );
        // nothing changed: nothing
        assert!(
            p.update(&[v("a", State::Expiring, Some(exp))], &th, at(2), &none)
                .is_empty()
        );
        let n = p.update(&[v("a", State::Expiring, Some(exp))], &th, at(11), &none);
        assert!(
            matches!(&n[..], [Note::Show { summary, .. }] if summary == "AWS profile a expires in 5m"),
            "{n:?}"
        );
        let n = p.update(&[v("a", State::Expired, Some(exp))], &th, at(16), &none);
        assert!(
            matches!(&n[..], [Note::Show { summary, critical: true, body, .. }] if summary == "AWS profile a has expired" && body.contains("Fix: aws configure")),
            "{n:?}"
        );
        let n = p.update(&[v("a", State::Ok, None)], &th, at(17), &none);
        assert_eq!(
            n,
            vec![Note::Close {
                profile: "a".into()
            }]
        );
        // unknown (STS unreachable) after fine: nothing to close, nothing to say
        assert!(
            p.update(&[v("a", State::Unknown, None)], &th, at(18), &none)
                .is_empty()
        );
        // an expiry warning closed by a refresh even when STS cannot be reached
        let n = p.update(&[v("a", State::Expiring, Some(exp))], &th, at(12), &none);
        assert_eq!(n.len(), 1);
        let n = p.update(&[v("a", State::Unknown, None)], &th, at(13), &none);
        assert_eq!(
            n,
            vec![Note::Close {
                profile: "a".into()
            }]
        );
    }

    #[test]
    fn invalid_only_after_valid_and_muted_profiles_stay_quiet() {
        let now = expiry::parse("2026-11-22T10:00:00Z").unwrap();
        let mut p = Policy::default();
        let none = |_: &str| Hush::Speak;
        assert!(
            p.update(&[v("b", State::Invalid, None)], &[15], now, &none)
                .is_empty()
        );
        // unknown is not valid: still nothing
        p.update(&[v("b", State::Unknown, None)], &[15], now, &none);
        assert!(
            p.update(&[v("b", State::Invalid, None)], &[15], now, &none)
                .is_empty()
        );
        p.update(&[v("c", State::Ok, None)], &[15], now, &none);
        let n = p.update(&[v("c", State::Invalid, None)], &[15], now, &none);
        assert!(
            matches!(&n[..], [Note::Show { summary, .. }] if summary == "AWS profile c: invalid key"),
            "{n:?}"
        );
        // another account's key: said once, though never seen valid here
        let mut wrong = v("e", State::Invalid, None);
        wrong.problems[0].code = Code::WrongAccount;
        let n = p.update(std::slice::from_ref(&wrong), &[15], now, &none);
        assert!(
            matches!(&n[..], [Note::Show { summary, critical: true, .. }] if summary == "AWS profile e: other account"),
            "{n:?}"
        );
        assert!(p.update(&[wrong], &[15], now, &none).is_empty(), "once");
        let muted = |p: &str| if p == "d" { Hush::Mute } else { Hush::Speak };
        p.update(&[v("d", State::Ok, None)], &[15], now, &muted);
        assert!(
            p.update(&[v("d", State::Invalid, None)], &[15], now, &muted)
                .is_empty()
        );
    }

    #[test]
    fn quiet_hours_hold_notes_and_release_one_for_where_things_stand() {
        let t0 = expiry::parse("2026-11-22T06:40:00Z").unwrap();
        let exp = "2026-11-22T06:56:00Z";
        let at = |m: i64| t0 + time::Duration::minutes(m);
        let th = [15, 5];
        let hold = |_: &str| Hush::Hold;
        let speak = |_: &str| Hush::Speak;
        let mut p = Policy::default();
        p.update(&[v("a", State::Ok, Some(exp))], &th, at(0), &hold);
        // 15 minutes, 5 minutes, expired: all inside quiet hours, nothing shown
        for (m, state) in [
            (2, State::Expiring),
            (12, State::Expiring),
            (17, State::Expired),
        ] {
            assert!(
                p.update(&[v("a", state, Some(exp))], &th, at(m), &hold)
                    .is_empty()
            );
            assert!(p.holding());
        }
        // quiet hours over: one note, for the state now, not the three missed
        let n = p.update(&[v("a", State::Expired, Some(exp))], &th, at(20), &speak);
        assert!(
            matches!(&n[..], [Note::Show { summary, .. }] if summary == "AWS profile a has expired"),
            "{n:?}"
        );
        assert!(!p.holding());
        assert!(
            p.update(&[v("a", State::Expired, Some(exp))], &th, at(21), &speak)
                .is_empty()
        );
        // refreshed during quiet hours: the open note is closed (silently), nothing held
        let n = p.update(&[v("a", State::Ok, None)], &th, at(22), &hold);
        assert_eq!(
            n,
            vec![Note::Close {
                profile: "a".into()
            }]
        );
        // fixed before the morning: nothing to say then
        p.update(&[v("b", State::Ok, None)], &th, at(0), &speak);
        assert!(
            p.update(&[v("b", State::Invalid, None)], &th, at(1), &hold)
                .is_empty()
        );
        assert!(p.holding());
        assert!(
            p.update(&[v("b", State::Ok, None)], &th, at(2), &hold)
                .is_empty()
        );
        assert!(!p.holding());
        assert!(
            p.update(&[v("b", State::Ok, None)], &th, at(3), &speak)
                .is_empty()
        );
        // invalid through the night: said in the morning, though no longer "was valid"
        assert!(
            p.update(&[v("b", State::Invalid, None)], &th, at(4), &hold)
                .is_empty()
        );
        let n = p.update(&[v("b", State::Invalid, None)], &th, at(5), &speak);
        assert!(
            matches!(&n[..], [Note::Show { summary, .. }] if summary == "AWS profile b: invalid key"),
            "{n:?}"
        );
        // a muted profile stays muted, held or not
        let mut p = Policy::default();
        p.update(&[v("c", State::Ok, None)], &th, at(0), &speak);
        p.update(&[v("c", State::Invalid, None)], &th, at(1), &hold);
        let mute = |_: &str| Hush::Mute;
        assert!(
            p.update(&[v("c", State::Invalid, None)], &th, at(2), &mute)
                .is_empty()
        );
        assert!(!p.holding());
    }
}
