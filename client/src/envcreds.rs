//! Credentials in the shell's environment, as the prompt client sees them.
//!
//! The client judges them offline itself (the checks that need no file, no clock parsing
//! and no network), and otherwise identifies them to the daemon by a fingerprint so that
//! the secret crosses the socket at most once per credential set.

use crate::proto::EnvCredentials;
use crate::rules::{self, EXPIRATION_VARS, KeyKind};
use std::hash::Hasher;

/// What the environment holds, read through `env` (unset and empty are the same, as for
/// the SDK). `None` when neither half of a key pair is set.
pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Option<EnvCredentials> {
    let get = |k: &str| env(k).filter(|v| !v.is_empty());
    let key = get("AWS_ACCESS_KEY_ID");
    let secret = get("AWS_SECRET_ACCESS_KEY");
    if key.is_none() && secret.is_none() {
        return None;
    }
    Some(EnvCredentials {
        access_key_id: key.unwrap_or_default(),
        secret_access_key: secret.unwrap_or_default(),
        session_token: get("AWS_SESSION_TOKEN"),
        expiration: EXPIRATION_VARS.iter().find_map(|v| get(v)),
        region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")),
        profile: crate::selection::selected(env).map(|(p, _)| p),
        security_token: get("AWS_SECURITY_TOKEN"),
        aws_profile: env("AWS_PROFILE"),
        aws_default_profile: env("AWS_DEFAULT_PROFILE"),
    })
}

/// A value's shape check, and the badge reason when it fails.
type Shape = (fn(&str) -> Option<String>, &'static str);

/// The badge reason for a problem visible without the daemon, if any: these are errors
/// whatever STS would say, so the prompt need not ask. The rules are the daemon's
/// ([`crate::rules`]), checked in the order the daemon reports them, so the reason is the
/// one the daemon's badge would show.
pub fn offline_problem(c: &EnvCredentials) -> Option<&'static str> {
    if c.access_key_id.is_empty() || c.secret_access_key.is_empty() {
        return Some("partial env");
    }
    let token = c.token().unwrap_or("");
    let shapes: [(&str, Shape); 3] = [
        (&c.access_key_id, (rules::key_id_problem, "bad key id")),
        (&c.secret_access_key, (rules::secret_problem, "bad secret")),
        (token, (|_| None, "")),
    ];
    for (value, (shape, reason)) in shapes {
        if rules::find_hidden(value).is_some() {
            return Some("hidden char");
        }
        if shape(&rules::without_hidden(value)).is_some() {
            return Some(reason);
        }
    }
    match (rules::key_kind(&c.access_key_id), c.token()) {
        (KeyKind::Temporary, None) => Some("no session token"),
        (KeyKind::LongTerm, Some(_)) => Some("stray token"),
        _ => None,
    }
}

/// A 128-bit fingerprint of everything that decides STS's answer, as 32 hex digits.
///
/// It identifies a credential set to the daemon over the user-only socket and is kept in
/// the daemon's memory only (never written, never logged). Two SipHash-2-4 passes with
/// fixed, distinct keys: stable across processes, and as hard to invert as guessing the
/// 40-character secret itself.
pub fn fingerprint(c: &EnvCredentials) -> String {
    let mut out = String::with_capacity(32);
    for (k0, k1) in [
        (0x6372_6564_6775_6172_u64, 0x6431_656e_7631_0000_u64),
        (0x7072_6f6d_7074_2d66_u64, 0x7032_656e_7632_0000_u64),
    ] {
        #[allow(deprecated)] // SipHasher is std's only keyed hash; stable and sufficient here
        let mut h = std::hash::SipHasher::new_with_keys(k0, k1);
        for part in [
            c.access_key_id.as_str(),
            c.secret_access_key.as_str(),
            c.session_token.as_deref().unwrap_or(""),
            c.region.as_deref().unwrap_or(""),
            c.expiration.as_deref().unwrap_or(""),
            c.profile.as_deref().unwrap_or(""),
            c.security_token.as_deref().unwrap_or(""),
            c.aws_profile.as_deref().unwrap_or("\u{0}unset"),
            c.aws_default_profile.as_deref().unwrap_or("\u{0}unset"),
        ] {
            h.write(part.as_bytes());
            h.write_u8(0xff);
        }
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn reads_the_environment_like_the_sdk() {
        assert!(from_env(&env(&[])).is_none());
        assert!(from_env(&env(&[("AWS_ACCESS_KEY_ID", "")])).is_none());
        let c = from_env(&env(&[
            ("AWS_ACCESS_KEY_ID", KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SECURITY_TOKEN", "tok"),
            ("AWSUME_EXPIRATION", "2026-11-22T10:00:00Z"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
        ]))
        .expect("set");
        // the token some tool sends, and the variable it is in: the SDKs do not read this one
        assert_eq!(c.token(), Some("tok"));
        assert_eq!(c.session_token, None);
        assert_eq!(c.security_token.as_deref(), Some("tok"));
        assert_eq!(c.expiration.as_deref(), Some("2026-11-22T10:00:00Z"));
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn offline_problems() {
        let ok = EnvCredentials {
            access_key_id: KEY.into(),
            secret_access_key: SECRET.into(),
            ..Default::default()
        };
        assert_eq!(offline_problem(&ok), None);
        let with = |f: &dyn Fn(&mut EnvCredentials)| {
            let mut c = ok.clone();
            f(&mut c);
            offline_problem(&c)
        };
        assert_eq!(with(&|c| c.secret_access_key.clear()), Some("partial env"));
        assert_eq!(
            with(&|c| c.access_key_id.push('\u{a0}')),
            Some("hidden char")
        );
        assert_eq!(
            with(&|c| c.secret_access_key.push('\n')),
            Some("hidden char")
        );
        assert_eq!(
            with(&|c| c.access_key_id = "akiaiosfodnn7example".into()),
            Some("bad key id")
        );
        // the daemon's rules, not a looser copy: prefixes, secret shapes, every hidden char
        assert_eq!(
            with(&|c| c.access_key_id = "AIDAIOSFODNN7EXAMPLE".into()),
            Some("bad key id")
        );
        assert_eq!(
            with(&|c| {
                c.secret_access_key.pop();
            }),
            Some("bad secret")
        );
        for hidden in ['\u{ad}', '\u{2062}', '`', '\u{201c}', '\u{2019}'] {
            assert_eq!(
                with(&|c| c.secret_access_key.insert(5, hidden)),
                Some("hidden char")
            );
        }
        assert_eq!(
            with(&|c| c.access_key_id = "ASIAIOSFODNN7EXAMPLE".into()),
            Some("no session token")
        );
        assert_eq!(
            with(&|c| c.session_token = Some("t".into())),
            Some("stray token")
        );
    }

    #[test]
    fn fingerprint_covers_every_part_and_hides_them() {
        let a = EnvCredentials {
            access_key_id: KEY.into(),
            secret_access_key: SECRET.into(),
            ..Default::default()
        };
        let fa = fingerprint(&a);
        assert_eq!(fa.len(), 32);
        assert_eq!(fa, fingerprint(&a.clone()));
        assert!(!fa.contains("AKIA"));
        let mut b = a.clone();
        b.secret_access_key.push('x');
        assert_ne!(fa, fingerprint(&b));
        let mut c = a.clone();
        c.region = Some("us-east-1".into());
        assert_ne!(fa, fingerprint(&c));
        let mut p = a.clone();
        p.profile = Some("dev".into());
        assert_ne!(fa, fingerprint(&p), "another profile: another endpoint");
        // field boundaries count: moving a character from one field to the next changes it
        let d = EnvCredentials {
            access_key_id: format!("{KEY}w"),
            secret_access_key: SECRET[1..].into(),
            ..Default::default()
        };
        assert_ne!(fa, fingerprint(&d));
    }
}
