//! Live feeds (`credguard watch`): on a [`Request::Watch`](credguard_client::Request), the
//! connection stays open and the daemon pushes one [`Response::Event`] per changed line,
//! first the current state. A feed follows the engine's `watch` channel, which keeps only
//! the newest snapshot: a slow reader skips intermediate states and gets the newest one
//! (never a queue that grows), a reader that stops reading is dropped after
//! [`WRITE_TIMEOUT`], and the engine never waits for any of them. At most
//! [`MAX_FEEDS`](super::serve::MAX_FEEDS) feeds are open at once.

use crate::report::badge;
use crate::run::engine::Snapshot;
use crate::run::serve::Ctx;
use crate::verdict::{ProfileVerdict, Severity, State};
use credguard_client::proto::{self, Response, WatchFormat, WatchQuery, encode_response};
use std::collections::BTreeMap;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// A feed whose reader takes longer than this to accept a line is closed.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serve one feed until the client hangs up, stops reading, or the daemon stops.
pub async fn serve(mut stream: UnixStream, ctx: &Ctx, q: WatchQuery) {
    let Ok(_slot) = ctx.feeds.try_acquire() else {
        let busy = Response::Error {
            message: "too many live feeds open; close one and retry".into(),
        };
        let _ = send(&mut stream, &busy).await;
        return;
    };
    let mut rx = ctx.shared.subscribe();
    let mut sent: BTreeMap<String, String> = BTreeMap::new();
    let mut scratch = [0u8; 64];
    loop {
        let snap = rx.borrow_and_update().clone();
        for line in changed_lines(&snap, &q, (ctx.clock)(), &mut sent) {
            if !send(&mut stream, &Response::Event { line }).await {
                return;
            }
        }
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { return },
            // the client never sends again: a read returns only when it hangs up
            read = stream.read(&mut scratch) => if matches!(read, Ok(0) | Err(_)) { return },
        }
    }
}

/// Write one frame within [`WRITE_TIMEOUT`]; false when the feed is over.
async fn send(stream: &mut UnixStream, r: &Response) -> bool {
    let Ok(frame) = proto::encode_frame(&encode_response(r)) else {
        return false;
    };
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, stream.write_all(&frame)).await,
        Ok(Ok(()))
    )
}

/// The lines of `snap` that differ from what was `sent` (which is updated): one per
/// profile, in name order; a profile that vanished says so once.
pub fn changed_lines(
    snap: &Snapshot,
    q: &WatchQuery,
    now: OffsetDateTime,
    sent: &mut BTreeMap<String, String>,
) -> Vec<String> {
    let wanted =
        |name: &str| !name.starts_with('(') && q.profile.as_deref().is_none_or(|p| p == name);
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    for v in snap.report.profiles.iter().filter(|v| wanted(&v.profile)) {
        let checking = snap.checking.contains(&v.profile);
        current.insert(v.profile.clone(), line(v, q, checking, now));
    }
    if let Some(p) = &q.profile
        && !current.contains_key(p)
    {
        current.insert(p.clone(), missing_line(p, q));
    }
    let mut out = Vec::new();
    for (name, l) in &current {
        if sent.get(name) != Some(l) {
            out.push(l.clone());
        }
    }
    for name in sent.keys().filter(|n| !current.contains_key(*n)) {
        out.push(missing_line(name, q));
    }
    *sent = current;
    out
}

fn line(v: &ProfileVerdict, q: &WatchQuery, checking: bool, now: OffsetDateTime) -> String {
    let (text, _) = badge::for_verdict(v, &v.profile, checking, now, q.ascii);
    match q.format {
        WatchFormat::Text if text.is_empty() && q.profile.is_none() => {
            format!("aws:{} {}", v.profile, v.state.as_str())
        }
        WatchFormat::Text => text,
        WatchFormat::Json => serde_json::to_string(v).unwrap_or_default(),
        WatchFormat::Waybar => {
            let tooltip = v
                .problems
                .iter()
                .filter(|p| p.severity != Severity::Info || v.state != State::Ok)
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("\n");
            let tooltip = if tooltip.is_empty() {
                format!("aws:{}: {}", v.profile, v.state.as_str())
            } else {
                tooltip
            };
            serde_json::json!({"text": text, "class": v.state.as_str(), "tooltip": tooltip})
                .to_string()
        }
    }
}

/// A profile the daemon does not know (or no longer knows).
fn missing_line(name: &str, q: &WatchQuery) -> String {
    let text = badge::not_found(name, q.ascii);
    match q.format {
        WatchFormat::Text => text,
        WatchFormat::Json => serde_json::json!({"profile": name, "state": null}).to_string(),
        WatchFormat::Waybar => {
            serde_json::json!({"text": text, "class": "missing", "tooltip": format!("profile {name} is not defined")})
                .to_string()
        }
    }
}
