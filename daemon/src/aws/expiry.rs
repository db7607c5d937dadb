//! Expiry timestamps: RFC 3339 with or without fractions and offsets, plus the forms the
//! tools that write these fields use (`2026-11-22T10:00:00Z`, `...UTC`, `+0000`).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The credentials-file properties that carry an expiry, in the order tools use them.
pub const PROFILE_FIELDS: [&str; 4] = [
    "aws_expiration",
    "x_security_token_expires",
    "expiration",
    "aws_credential_expiration",
];

pub fn parse(raw: &str) -> Option<OffsetDateTime> {
    let s = raw.trim().trim_matches('"');
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    // Forms seen in the wild: a space instead of T, "UTC" suffix, +0000 offsets, no zone.
    let mut norm = s.replacen(' ', "T", 1);
    if let Some(stripped) = norm.strip_suffix("UTC") {
        norm = format!("{}Z", stripped.trim_end());
    }
    if let Some(idx) = norm.rfind(['+', '-']).filter(|&i| i > 10) {
        let off = &norm[idx + 1..];
        if off.len() == 4 && off.chars().all(|c| c.is_ascii_digit()) {
            norm = format!("{}{}:{}", &norm[..idx + 1], &off[..2], &off[2..]);
        }
    }
    if let Ok(t) = OffsetDateTime::parse(&norm, &Rfc3339) {
        return Some(t);
    }
    let with_z = format!("{norm}Z");
    OffsetDateTime::parse(&with_z, &Rfc3339).ok()
}

pub fn format(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_the_forms_in_use() {
        let want = datetime!(2026-11-22 10:00:00 UTC);
        for s in [
            "2026-11-22T10:00:00Z",
            "2026-11-22T10:00:00.000Z",
            "2026-11-22T11:00:00+01:00",
            "2026-11-22T11:00:00+0100",
            "2026-11-22 10:00:00",
            "2026-11-22T10:00:00UTC",
            "\"2026-11-22T10:00:00Z\"",
        ] {
            assert_eq!(parse(s), Some(want), "{s}");
        }
        assert_eq!(parse("tomorrow"), None);
        assert_eq!(parse(""), None);
    }
}
