//! Guard records: what the shells' pre-command guard needs to judge a command with
//! builtins, no process. Beside the badge files ([`crate::badgefile`]) the daemon keeps:
//!
//! ```text
//! $XDG_RUNTIME_DIR/credguard/badge/.guard/<name>     the record of profile <name>
//! $XDG_RUNTIME_DIR/credguard/badge/.guard/.settings  config.toml's [guard] table, if set
//! ```
//!
//! `<name>` is encoded as the badges are; a hook reads only plain names, only while the
//! daemon is alive (the badge directory's liveness record), and only when the shell has no
//! environment credentials: anything else is left to `credguard exec --check`. A profile
//! whose first verdict is being fetched has no record (the client waits for it).
//!
//! A record is `key=value` lines, written from [`crate::readiness::judge_state`], the
//! function `exec --check` judges with, so the hook prints the same line:
//!
//! ```text
//! refuse=<reason>        the state stops any command (invalid, expired, not validated)
//! expires=<unix seconds> when the credentials expire (absent: no known expiry)
//! expired=<reason>       with {ago}: said when they expired before the command
//! short=<reason>         with {left} and {need}: said when they expire before it ends
//! ```
//!
//! The hook prints `credguard: before <command>: <reason>`, each placeholder replaced by
//! a [`crate::rules::short_duration`]. The settings file is `mode=<warn|ask|block|off>`
//! and `commands=<prefix>=<minutes>;…`, the format of `CREDGUARD_GUARD_COMMANDS`.

use crate::json::Json;
use crate::readiness::{self, Need};
use crate::rules::short_duration;

/// The subdirectory of the badge directory that holds the records.
pub const GUARD_DIR: &str = ".guard";
/// The settings file in [`GUARD_DIR`] (never a profile's: plain names do not start with `.`).
pub const SETTINGS_FILE: &str = ".settings";
/// Placeholders the hook replaces with durations.
pub const AGO: &str = "{ago}";
pub const LEFT: &str = "{left}";
pub const NEED: &str = "{need}";

/// The record for the verdict `entry` (one element of the contract's `profiles`), or
/// `None` when a reason would not fit on one line (the hook then asks the client).
pub fn record(entry: &Json) -> Option<String> {
    let lines: Vec<(&str, String)> = match readiness::judge_state(entry, false) {
        Err(why) => vec![("refuse", why)],
        Ok(l) => {
            if l.who.contains('{') || l.fix.contains('{') {
                return None;
            }
            let mut lines = Vec::new();
            if let Some(at) = l.expires {
                lines.push(("expires", at.to_string()));
            }
            lines.push(("expired", readiness::expired_reason(&l.who, AGO, &l.fix)));
            lines.push(("short", readiness::short_reason(&l.who, LEFT, NEED, &l.fix)));
            lines
        }
    };
    let mut out = String::new();
    for (key, value) in lines {
        if value.contains(['\n', '\r']) {
            return None;
        }
        out.push_str(&format!("{key}={value}\n"));
    }
    Some(out)
}

/// The settings file for a guard `mode` and the user's `commands` (prefix, minutes).
pub fn settings(mode: &str, commands: &[(String, u32)]) -> String {
    let list: Vec<String> = commands.iter().map(|(c, m)| format!("{c}={m}")).collect();
    format!("mode={mode}\ncommands={}\n", list.join(";"))
}

/// The hook's reading of a record, in Rust: `Ok` when a command that needs `need` may
/// start at `now`, else the reason. What the tests hold the shells' reading to.
pub fn judge(record: &str, now: i64, need: Need) -> Result<(), String> {
    let get = |key: &str| {
        record
            .lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    };
    if let Some(why) = get("refuse") {
        return Err(why.to_string());
    }
    let Some(at) = get("expires").and_then(|e| e.parse::<i64>().ok()) else {
        return Ok(());
    };
    if at <= now {
        let t = get("expired").unwrap_or_default();
        return Err(t.replace(AGO, &short_duration(now - at)));
    }
    if at - now < need.min_remaining {
        let t = get("short").unwrap_or_default();
        return Err(t
            .replace(LEFT, &short_duration(at - now))
            .replace(NEED, &short_duration(need.min_remaining)));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::readiness::{judge_entry, parse_rfc3339};

    fn entry(state: &str, source: &str, expires: &str, problems: &str) -> Json {
        Json::parse(&format!(
            r#"{{"profile":"prod","state":"{state}","source":"{source}","expires_at":{expires},"problems":[{problems}]}}"#
        ))
        .unwrap()
    }

    /// The record read at any time says exactly what `exec --check` says then.
    #[test]
    fn a_record_judges_as_exec_check_does() {
        let base = parse_rfc3339("2026-11-22T10:00:00Z").unwrap();
        let bad = r#"{"code":"unknown-key","severity":"error","message":"STS does not know the key","fix":"create a new key"}"#;
        let net = r#"{"code":"network","severity":"info","message":"cannot reach STS","fix":"check the network"}"#;
        let at = r#""2026-11-22T10:20:00Z""#;
        let entries = [
            entry("ok", "sso", at, ""),
            entry("expiring", "static", at, ""),
            entry("ok", "static", "null", ""),
            entry("invalid", "static", "null", bad),
            entry("unknown", "sso", at, net),
            entry("expired", "sso", at, ""),
        ];
        for e in &entries {
            let rec = record(e).unwrap();
            for offset in [-3600, 0, 59, 61, 1199, 1200, 1201, 90_000] {
                for minutes in [0, 15, 45, 90, 2000] {
                    let need = Need {
                        min_remaining: minutes * 60,
                        allow_unknown: false,
                    };
                    let now = base + offset;
                    assert_eq!(
                        judge(&rec, now, need),
                        judge_entry(e, now, need),
                        "{rec} at +{offset}s for {minutes}m"
                    );
                }
            }
        }
        let rec = record(&entries[0]).unwrap();
        assert_eq!(
            rec,
            format!(
                "expires={}\nexpired=the credentials of profile prod expired {{ago}} ago; fix: aws sso login --profile prod\n\
                 short=the credentials of profile prod expire in {{left}}, before the {{need}} this command needs; fix: aws sso login --profile prod\n",
                base + 1200
            )
        );
    }

    #[test]
    fn a_reason_that_is_not_one_line_has_no_record() {
        let two = r#"{"code":"unknown-key","severity":"error","message":"a\nb","fix":"f"}"#;
        assert_eq!(record(&entry("invalid", "static", "null", two)), None);
        let cr = r#"{"code":"unknown-key","severity":"error","message":"a\rb","fix":"f"}"#;
        assert_eq!(record(&entry("invalid", "static", "null", cr)), None);
        assert_eq!(
            settings("block", &[("helm upgrade".into(), 20), ("make".into(), 5)]),
            "mode=block\ncommands=helm upgrade=20;make=5\n"
        );
    }
}
