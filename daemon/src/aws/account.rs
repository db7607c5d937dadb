//! The AWS account of an access key id, offline, and the known canary-token accounts.
//!
//! Access key ids minted since 2019 (`AKIA`/`ASIA` whose fifth character is `Q` or later in
//! the base32 alphabet `A–Z2–7`) carry their account: base32-decode the characters after the
//! four-letter prefix; of the first 48 bits, the top one is set (that is the `Q`) and the 40
//! below it are the 12-digit account id (`(bits & 0x7fff_ffff_ff80) >> 7`). Older ids
//! (`AKIAI…`, `AKIAJ…`) carry no account. Published by Tal Beery ("A short note on AWS
//! KEY ID", 2023) and used by secret scanners: trufflehog's `GetAccountNumFromID` in
//! `pkg/detectors/aws/utils.go` (github.com/trufflesecurity/trufflehog), and moto's
//! `generate_access_key_id_from_account_id` (`moto/iam/utils.py`) encodes the same bits
//! (`account // 2 + 2**39` in five bytes, the account's low bit in the next character).
//!
//! The canary accounts come from `daemon/data/canary-accounts.txt`, which names its source.

/// What an access key id says about its account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyAccount {
    /// The 12-digit account the id encodes.
    Decoded(String),
    /// An access key id of the older form (before 2019): it encodes no account.
    NotEncoded,
    /// Not an `AKIA`/`ASIA` access key id at all.
    NotAKey,
}

impl KeyAccount {
    pub fn account(&self) -> Option<&str> {
        match self {
            KeyAccount::Decoded(a) => Some(a),
            _ => None,
        }
    }
}

/// The value of a base32 character (RFC 4648 alphabet), if it is one.
fn base32(c: u8) -> Option<u64> {
    match c {
        b'A'..=b'Z' => Some(u64::from(c - b'A')),
        b'2'..=b'7' => Some(u64::from(c - b'2') + 26),
        _ => None,
    }
}

/// The account of an access key id (`AKIA…` long-term or `ASIA…` temporary), offline.
pub fn decode(key_id: &str) -> KeyAccount {
    let b = key_id.as_bytes();
    let is_key = (b.starts_with(b"AKIA") || b.starts_with(b"ASIA"))
        && (16..=128).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if !is_key {
        return KeyAccount::NotAKey;
    }
    // 10 base32 characters are 50 bits: the 48 that hold the flag and the account, and 2 more
    let mut bits: u64 = 0;
    for &c in &b[4..14] {
        let Some(v) = base32(c) else {
            return KeyAccount::NotEncoded;
        };
        bits = (bits << 5) | v;
    }
    let first48 = bits >> 2;
    if first48 >> 47 == 0 {
        return KeyAccount::NotEncoded;
    }
    let account = (first48 & 0x7fff_ffff_ff80) >> 7;
    if account > 999_999_999_999 {
        return KeyAccount::NotEncoded;
    }
    KeyAccount::Decoded(format!("{account:012}"))
}

/// Is `s` a 12-digit account id?
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
}

const CANARY_FILE: &str = include_str!("../../data/canary-accounts.txt");

/// The known canary-token accounts, each with its note from the data file.
pub fn canary_accounts() -> impl Iterator<Item = (&'static str, &'static str)> {
    CANARY_FILE.lines().filter_map(|line| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let (account, note) = line.split_once('#').unwrap_or((line, ""));
        Some((account.trim(), note.trim()))
    })
}

/// The note of a known canary-token account (`canarytokens.org (Thinkst)`), if it is one.
pub fn canary(account: &str) -> Option<&'static str> {
    canary_accounts()
        .find(|(a, _)| *a == account)
        .map(|(_, note)| note)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// A new-form key id for `account`, written as AWS lays out the bits (an independent
    /// encoder: flag bit, 40 account bits, then arbitrary bits).
    fn encode(prefix: &str, account: u64, filler: u64) -> String {
        // 80 bits = 16 characters: flag (1), account (40), filler (39)
        let bits: u128 =
            (1u128 << 79) | (u128::from(account) << 39) | u128::from(filler & ((1 << 39) - 1));
        let tail: String = (0..16)
            .map(|i| ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize] as char)
            .collect();
        format!("{prefix}{tail}")
    }

    #[test]
    fn published_examples_decode_to_their_accounts() {
        assert_eq!(
            decode("ASIAY34FZKBOKMUTVV7A"),
            KeyAccount::Decoded("609629065308".into())
        );
        // trufflehog's canary example (pkg/detectors/aws/access_keys/accesskey_test.go)
        assert_eq!(
            decode("AKIASP2TPHJSQH3FJRUX"),
            KeyAccount::Decoded("171436882533".into())
        );
        assert_eq!(canary("171436882533"), Some("canarytokens.org (Thinkst)"));
    }

    #[test]
    fn crafted_ids_round_trip_for_any_account() {
        for (account, filler) in [
            (0u64, 0u64),
            (1, 12345),
            (123_456_789_012, 0x7f_ffff_ffff),
            (999_999_999_999, 42),
            (52_310_077_262, 7),
            (111_122_223_333, 1 << 30),
        ] {
            for prefix in ["AKIA", "ASIA"] {
                let id = encode(prefix, account, filler);
                assert_eq!(id.len(), 20);
                assert!(base32(id.as_bytes()[4]).unwrap() >= 16, "{id}: Q or later");
                assert_eq!(
                    decode(&id),
                    KeyAccount::Decoded(format!("{account:012}")),
                    "{id}"
                );
            }
        }
        // a canary account's key, crafted: found in the list by what it decodes to
        let id = encode("AKIA", 982_842_642_351, 99);
        let account = decode(&id).account().map(str::to_string).unwrap();
        assert_eq!(
            canary(&account),
            Some("look-alike canary service, after canarytokens.org")
        );
    }

    #[test]
    fn old_ids_are_not_encoded_and_other_strings_are_not_keys() {
        for old in [
            "AKIAIOSFODNN7EXAMPLE",
            "AKIAJ5LNVMUGUB2ABCDE",
            "ASIAIOSFODNN7EXAMPLE",
            "AKIAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(decode(old), KeyAccount::NotEncoded, "{old}");
        }
        // flag set but 40 bits beyond 12 digits: no account
        assert_eq!(
            decode(&encode("AKIA", (1 << 40) - 1, 0)),
            KeyAccount::NotEncoded
        );
        // digits outside the base32 alphabet where the account would be
        assert_eq!(decode("AKIAQ0000000000000AB"), KeyAccount::NotEncoded);
        for not_key in [
            "",
            "AKIA",
            "AIDAY34FZKBOKMUTVV7A",
            "akiasp2tphjsqh3fjrux",
            "AKIASP2TPHJSQH3FJRU X",
            "AKIASP2TPHJ",
        ] {
            assert_eq!(decode(not_key), KeyAccount::NotAKey, "{not_key:?}");
        }
    }

    #[test]
    fn the_canary_list_has_both_lists_of_well_formed_accounts() {
        let all: Vec<_> = canary_accounts().collect();
        assert_eq!(all.len(), 26);
        assert_eq!(
            all.iter()
                .filter(|(_, n)| n.starts_with("canarytokens.org"))
                .count(),
            10
        );
        assert!(all.iter().all(|(a, n)| is_account_id(a) && !n.is_empty()));
        assert!(CANARY_FILE.contains("pkg/detectors/aws/access_keys/canary.go"));
        assert_eq!(canary("123456789012"), None);
    }
}
