//! How each reader takes credentials and a profile from the environment (issue 17): the
//! same variables, three readings, each taken from that family's own source and proved
//! against it in `tests/env_readers.rs` (botocore run by Python, the JS SDK's
//! `defaultProvider` run by node, `aws-config`'s own provider):
//!
//! | | `cli` (botocore `EnvProvider`) | `sdk` (`aws-config`) | `js` (`defaultProvider`) |
//! |---|---|---|---|
//! | key id | non-empty, else the env is skipped | not blank after trim, else skipped | non-empty, else skipped |
//! | secret | non-empty, else it fails: "Partial credentials found in env" | not blank, else `SECRET_ACCESS_KEY`, else skipped | non-empty, else skipped |
//! | token | `AWS_SECURITY_TOKEN`, then `AWS_SESSION_TOKEN` (first non-empty), as is | `AWS_SESSION_TOKEN`, trimmed | `AWS_SESSION_TOKEN`, as is |
//! | profile | `AWS_DEFAULT_PROFILE`, then `AWS_PROFILE` (set, even empty) | `AWS_PROFILE` (set, even empty) | `AWS_PROFILE` when non-empty |
//! | env keys and `AWS_PROFILE` both set | the env keys | the env keys | the profile (with a warning on stderr) |
//! | a variable names a profile the files lack | it fails before reading the keys | the env keys | (the profile when `AWS_PROFILE` names it) |
//!
//! No reader strips the key id or the secret: a stray character in them is sent.

use super::Reader;

/// The variable the SDKs standardised on, and the older one botocore prefers.
pub const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
pub const SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";

/// What a reader takes from the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvTaken {
    /// These keys, exactly as that tool sends them.
    Creds {
        key_id: String,
        secret: String,
        token: Option<String>,
        /// Where the token came from (or would: the variable that tool reads first).
        token_var: &'static str,
    },
    /// The environment holds no credentials for this tool: it goes on to the profile.
    Skips,
    /// The tool stops with an error: botocore's "Partial credentials found in env,
    /// missing: AWS_SECRET_ACCESS_KEY".
    Refuses { missing: &'static str },
    /// botocore stops before it reads the environment: the profile a variable names
    /// (AWS_DEFAULT_PROFILE, else AWS_PROFILE; set, even empty) is not defined.
    NoProfile { name: String, var: &'static str },
}

/// What `reader` takes from the environment `get`, where `exists` says which profiles the
/// files define: [`taken`], except that botocore first loads the profile a variable names.
pub fn taken_with_profiles(
    reader: Reader,
    get: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&str) -> bool,
) -> EnvTaken {
    if reader == Reader::Cli
        && let (name, Some(var)) = profile(reader, get)
        && !exists(&name)
    {
        return EnvTaken::NoProfile { name, var };
    }
    taken(reader, get)
}

/// What `reader` takes from the environment `get` (a variable set but empty is `Some("")`).
pub fn taken(reader: Reader, get: &dyn Fn(&str) -> Option<String>) -> EnvTaken {
    let non_empty = |k: &str| get(k).filter(|v| !v.is_empty());
    let not_blank = |k: &str| get(k).filter(|v| !v.trim().is_empty());
    match reader {
        Reader::Cli => {
            let Some(key_id) = non_empty("AWS_ACCESS_KEY_ID") else {
                return EnvTaken::Skips;
            };
            let Some(secret) = non_empty("AWS_SECRET_ACCESS_KEY") else {
                return EnvTaken::Refuses {
                    missing: "AWS_SECRET_ACCESS_KEY",
                };
            };
            let (token, token_var) = [SECURITY_TOKEN, SESSION_TOKEN]
                .into_iter()
                .find_map(|var| Some((Some(non_empty(var)?), var)))
                .unwrap_or((None, SESSION_TOKEN));
            EnvTaken::Creds {
                key_id,
                secret,
                token,
                token_var,
            }
        }
        Reader::Sdk => {
            let key_id = not_blank("AWS_ACCESS_KEY_ID");
            let secret =
                not_blank("AWS_SECRET_ACCESS_KEY").or_else(|| not_blank("SECRET_ACCESS_KEY"));
            let (Some(key_id), Some(secret)) = (key_id, secret) else {
                return EnvTaken::Skips;
            };
            let token = get(SESSION_TOKEN)
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty());
            EnvTaken::Creds {
                key_id,
                secret,
                token,
                token_var: SESSION_TOKEN,
            }
        }
        Reader::Js => {
            let key_id = non_empty("AWS_ACCESS_KEY_ID");
            let secret = non_empty("AWS_SECRET_ACCESS_KEY");
            let (Some(key_id), Some(secret)) = (key_id, secret) else {
                return EnvTaken::Skips;
            };
            if non_empty("AWS_PROFILE").is_some() {
                return EnvTaken::Skips;
            }
            EnvTaken::Creds {
                key_id,
                secret,
                token: non_empty(SESSION_TOKEN),
                token_var: SESSION_TOKEN,
            }
        }
    }
}

/// The profile `reader` uses when the environment gives it no credentials, and the
/// variable that names it (None: `default`, named by nobody).
pub fn profile(
    reader: Reader,
    get: &dyn Fn(&str) -> Option<String>,
) -> (String, Option<&'static str>) {
    let vars: &[&'static str] = match reader {
        Reader::Cli => &["AWS_DEFAULT_PROFILE", "AWS_PROFILE"],
        Reader::Sdk | Reader::Js => &["AWS_PROFILE"],
    };
    let found = vars.iter().find_map(|var| {
        let value = get(var)?;
        let counts = reader != Reader::Js || !value.is_empty();
        counts.then_some((value, Some(*var)))
    });
    found.unwrap_or(("default".to_string(), None))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn creds(t: &EnvTaken) -> (&str, Option<&str>, &str) {
        match t {
            EnvTaken::Creds {
                key_id,
                token,
                token_var,
                ..
            } => (key_id, token.as_deref(), token_var),
            other => panic!("not credentials: {other:?}"),
        }
    }

    const KEYS: [(&str, &str); 2] = [
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLEEXAMPLE01"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
    ];

    #[test]
    fn security_token_only_botocore_reads_it() {
        let e = env(&[KEYS[0], KEYS[1], (SECURITY_TOKEN, "old")]);
        assert_eq!(creds(&taken(Reader::Cli, &e)).1, Some("old"));
        assert_eq!(creds(&taken(Reader::Cli, &e)).2, SECURITY_TOKEN);
        assert_eq!(creds(&taken(Reader::Sdk, &e)).1, None);
        assert_eq!(creds(&taken(Reader::Js, &e)).1, None);
        let both = env(&[
            KEYS[0],
            KEYS[1],
            (SECURITY_TOKEN, "old"),
            (SESSION_TOKEN, "new"),
        ]);
        assert_eq!(creds(&taken(Reader::Cli, &both)).1, Some("old"));
        assert_eq!(creds(&taken(Reader::Sdk, &both)).1, Some("new"));
    }

    #[test]
    fn empty_secret_fails_the_cli_and_is_skipped_by_the_sdks() {
        let e = env(&[KEYS[0], ("AWS_SECRET_ACCESS_KEY", "")]);
        assert_eq!(
            taken(Reader::Cli, &e),
            EnvTaken::Refuses {
                missing: "AWS_SECRET_ACCESS_KEY"
            }
        );
        assert_eq!(taken(Reader::Sdk, &e), EnvTaken::Skips);
        assert_eq!(taken(Reader::Js, &e), EnvTaken::Skips);
    }

    #[test]
    fn token_newline_only_the_rust_sdk_trims() {
        let e = env(&[KEYS[0], KEYS[1], (SESSION_TOKEN, "tok\n")]);
        assert_eq!(creds(&taken(Reader::Cli, &e)).1, Some("tok\n"));
        assert_eq!(creds(&taken(Reader::Sdk, &e)).1, Some("tok"));
        assert_eq!(creds(&taken(Reader::Js, &e)).1, Some("tok\n"));
    }

    #[test]
    fn profiles_per_reader() {
        let e = env(&[("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]);
        assert_eq!(profile(Reader::Cli, &e).0, "b");
        assert_eq!(profile(Reader::Sdk, &e).0, "a");
        let e = env(&[("AWS_DEFAULT_PROFILE", "b")]);
        assert_eq!(profile(Reader::Sdk, &e), ("default".into(), None));
        let e = env(&[("AWS_PROFILE", "")]);
        assert_eq!(profile(Reader::Sdk, &e).0, "");
        assert_eq!(profile(Reader::Js, &e).0, "default");
        let e = env(&[KEYS[0], KEYS[1], ("AWS_PROFILE", "a")]);
        assert_eq!(taken(Reader::Js, &e), EnvTaken::Skips);
        assert_eq!(creds(&taken(Reader::Cli, &e)).0, KEYS[0].1);
    }
}
