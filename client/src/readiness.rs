//! Whether the credentials a command would use are ready for it: usable now and for at
//! least the time it needs. `credguard exec` and the shells' pre-command guard judge a
//! profile's verdict (an entry of `check --json`, DESIGN.md's contract) or the daemon's
//! badge for environment credentials here, and say why not in one line: the profile,
//! the cause and the fix.

use crate::json::Json;
use crate::proto::BadgeState;
use crate::rules::short_duration;

/// What the command needs of its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// Seconds the credentials must still be valid when the command starts.
    pub min_remaining: i64,
    /// Credentials that could not be validated (offline, throttled…) are let through.
    pub allow_unknown: bool,
}

/// `45m`, `1h`, `1h30m`, `90s`, `2d`, or a bare number of minutes, in seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(m) = t.parse::<i64>() {
        return (m >= 0).then_some(m * 60);
    }
    let (mut total, mut num, mut any) = (0i64, String::new(), false);
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(num.parse::<i64>().ok()?.checked_mul(unit)?)?;
        num.clear();
        any = true;
    }
    (any && num.is_empty()).then_some(total)
}

/// An RFC 3339 time (`2026-11-22T10:00:00Z`, fractions and offsets allowed) as Unix
/// seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = std::str::from_utf8(b.get(r)?).ok()?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let o = num(i + 1..i + 3)? * 3600 + num(i + 4..i + 6)? * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    // days from civil (Howard Hinnant's algorithm)
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if mo > 2 { mo - 3 } else { mo + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

fn field<'a>(v: &'a Json, key: &str) -> &'a str {
    v.get(key).and_then(Json::as_str).unwrap_or("")
}

/// The problem that explains the state: the first error; for an unknown state, the info
/// that says why it could not be validated.
fn cause(entry: &Json) -> Option<&Json> {
    let problems = entry.get("problems").map(Json::as_array).unwrap_or(&[]);
    let order: &[&str] = match field(entry, "state") {
        "unknown" | "skipped" => &["info", "error"],
        _ => &["error", "warning"],
    };
    order
        .iter()
        .find_map(|sev| problems.iter().find(|p| field(p, "severity") == *sev))
}

/// The fix for credentials that run out: the SSO login for SSO, else a refresh.
fn refresh_fix(name: &str, source: &str) -> String {
    match source {
        "sso" => format!("aws sso login --profile {name}"),
        "env" => {
            "export fresh credentials in this shell (or unset AWS_ACCESS_KEY_ID to use a profile)"
                .into()
        }
        _ => format!(
            "refresh the credentials of profile {name}, then `credguard check --profile {name} --fresh`"
        ),
    }
}

/// What a verdict leaves to the clock once its state lets a command run: whose
/// credentials, when they expire (Unix seconds, if known), and the fix when they run out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lasting {
    pub who: String,
    pub expires: Option<i64>,
    pub fix: String,
}

/// The part of [`judge_entry`] that does not depend on the time: the one-line reason when
/// the state of the verdict `entry` (one element of the contract's `profiles`) stops the
/// command, else what the clock decides on. The shells' guard records
/// ([`crate::guardfile`]) are written from this, so they say what `exec --check` says.
pub fn judge_state(entry: &Json, allow_unknown: bool) -> Result<Lasting, String> {
    let name = field(entry, "profile");
    let source = field(entry, "source");
    let who = if source == "env" {
        "the environment's credentials".to_string()
    } else {
        format!("profile {name}")
    };
    let explained = |what: &str| match cause(entry) {
        Some(p) => format!(
            "{who} {what}: {}; fix: {}",
            field(p, "message"),
            field(p, "fix")
        ),
        None => format!("{who} {what}; fix: `credguard doctor --profile {name}`"),
    };
    match field(entry, "state") {
        "invalid" => return Err(explained("is invalid")),
        "expired" => return Err(explained("has expired")),
        "unknown" | "skipped" if !allow_unknown => {
            return Err(explained("could not be validated"));
        }
        "ok" | "expiring" | "unknown" | "skipped" => {}
        other => return Err(format!("{who}: unexpected state {other:?}")),
    }
    let expires = entry
        .get("expires_at")
        .and_then(Json::as_str)
        .and_then(parse_rfc3339);
    let who = if source == "env" {
        who
    } else {
        format!("the credentials of profile {name}")
    };
    Ok(Lasting {
        who,
        expires,
        fix: refresh_fix(name, source),
    })
}

/// `Ok` when the verdict `entry` (one element of the contract's `profiles`) lets a
/// command that needs `need` run at Unix time `now`; else the one-line reason.
pub fn judge_entry(entry: &Json, now: i64, need: Need) -> Result<(), String> {
    let l = judge_state(entry, need.allow_unknown)?;
    check_remaining(&l.who, l.expires, now, need, &l.fix)
}

/// The reason for credentials that expired `ago` (a [`short_duration`]) ago.
pub fn expired_reason(who: &str, ago: &str, fix: &str) -> String {
    format!("{who} expired {ago} ago; fix: {fix}")
}

/// The reason for credentials that expire in `left`, before the `need` the command needs.
pub fn short_reason(who: &str, left: &str, need: &str, fix: &str) -> String {
    format!("{who} expire in {left}, before the {need} this command needs; fix: {fix}")
}

fn check_remaining(
    who: &str,
    expires: Option<i64>,
    now: i64,
    need: Need,
    fix: &str,
) -> Result<(), String> {
    match expires {
        Some(at) if at <= now => Err(expired_reason(who, &short_duration(now - at), fix)),
        Some(at) if at - now < need.min_remaining => Err(short_reason(
            who,
            &short_duration(at - now),
            &short_duration(need.min_remaining),
            fix,
        )),
        _ => Ok(()),
    }
}

/// For environment credentials the daemon judged: its badge `state` and `text`, and the
/// expiry the environment states (one of [`crate::rules::EXPIRATION_VARS`]).
pub fn judge_badge(
    state: BadgeState,
    text: &str,
    expiration: Option<&str>,
    now: i64,
    need: Need,
) -> Result<(), String> {
    let who = "the environment's credentials";
    let fix = refresh_fix("", "env");
    let shown = if text.is_empty() {
        state.as_str()
    } else {
        text
    };
    match state {
        BadgeState::Invalid | BadgeState::Expired => {
            return Err(format!(
                "{who} are not usable ({shown}); fix: {fix}, or see `credguard doctor`"
            ));
        }
        BadgeState::Unknown
        | BadgeState::Skipped
        | BadgeState::Checking
        | BadgeState::NeedEnv
        | BadgeState::Submitted
            if !need.allow_unknown =>
        {
            return Err(format!(
                "{who} could not be validated ({shown}); fix: see `credguard doctor`, or allow it with --allow-unknown"
            ));
        }
        _ => {}
    }
    let expires = expiration.and_then(parse_rfc3339);
    check_remaining(who, expires, now, need, &fix)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NEED: Need = Need {
        min_remaining: 45 * 60,
        allow_unknown: false,
    };

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("45m"), Some(2700));
        assert_eq!(parse_duration("45"), Some(2700));
        assert_eq!(parse_duration("1h30m"), Some(5400));
        assert_eq!(parse_duration("90s"), Some(90));
        for bad in ["", "m", "45x", "1h30", "-5"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-22T10:00:00Z"), Some(1_795_341_600));
        assert_eq!(
            parse_rfc3339("2026-11-22T12:00:00.250+02:00"),
            Some(1_795_341_600)
        );
        assert_eq!(
            parse_rfc3339("2000-02-29T00:00:00-00:30"),
            Some(951_784_200)
        );
        for bad in [
            "2026-11-22",
            "2026-13-01T00:00:00Z",
            "2026-11-22T10:00:00",
            "x",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    fn entry(state: &str, expires: &str, problems: &str) -> Json {
        Json::parse(&format!(
            r#"{{"profile":"prod","state":"{state}","source":"sso","expires_at":{expires},"problems":[{problems}]}}"#
        ))
        .unwrap()
    }

    #[test]
    fn verdicts_are_judged_with_cause_and_fix() {
        let now = parse_rfc3339("2026-11-22T10:00:00Z").unwrap();
        let bad = r#"{"code":"x","severity":"info","message":"m0","fix":"f0"},{"code":"unknown-key","severity":"error","message":"STS does not know the key","fix":"create a new key"}"#;
        assert_eq!(
            judge_entry(&entry("invalid", "null", bad), now, NEED),
            Err("profile prod is invalid: STS does not know the key; fix: create a new key".into())
        );
        let soon = r#""2026-11-22T10:12:00Z""#;
        assert_eq!(
            judge_entry(&entry("expiring", soon, ""), now, NEED),
            Err("the credentials of profile prod expire in 12m, before the 45m this command needs; fix: aws sso login --profile prod".into())
        );
        assert_eq!(
            judge_entry(&entry("ok", r#""2026-11-22T11:00:00Z""#, ""), now, NEED),
            Ok(())
        );
        assert_eq!(judge_entry(&entry("ok", "null", ""), now, NEED), Ok(()));
        let net = r#"{"code":"insecure-permissions","severity":"warning","message":"w","fix":"chmod"},{"code":"network","severity":"info","message":"cannot reach STS","fix":"check the network"}"#;
        assert_eq!(
            judge_entry(&entry("unknown", "null", net), now, NEED),
            Err(
                "profile prod could not be validated: cannot reach STS; fix: check the network"
                    .into()
            )
        );
        let lax = Need {
            allow_unknown: true,
            ..NEED
        };
        assert_eq!(
            judge_entry(&entry("unknown", "null", net), now, lax),
            Ok(())
        );
        assert!(judge_entry(&entry("unknown", soon, net), now, lax).is_err());
    }

    #[test]
    fn environment_badges() {
        let now = parse_rfc3339("2026-11-22T10:00:00Z").unwrap();
        let r = judge_badge(
            BadgeState::Invalid,
            "aws:env ✗ invalid key",
            None,
            now,
            NEED,
        );
        assert!(r.unwrap_err().contains("(aws:env ✗ invalid key)"));
        assert_eq!(
            judge_badge(BadgeState::Ok, "", Some("2026-11-22T12:00:00Z"), now, NEED),
            Ok(())
        );
        let r = judge_badge(BadgeState::Ok, "", Some("2026-11-22T10:30:00Z"), now, NEED);
        assert!(r.unwrap_err().contains("expire in 30m, before the 45m"));
        assert!(judge_badge(BadgeState::Unknown, "", None, now, NEED).is_err());
    }
}
