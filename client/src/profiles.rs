//! Profile names as the AWS CLI lists them (`aws configure list-profiles`): `[default]`
//! and `[profile NAME]` in the config file, `[NAME]` in the credentials file, at the
//! paths the SDK uses. For shell completion: std only, no daemon, no full parse (a
//! section the SDK would reject still names a profile the user may want to type).

use std::path::PathBuf;

/// The config and credentials files: `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`
/// (a leading `~/` expanded), else `~/.aws/config` and `~/.aws/credentials`.
pub fn aws_files(env: &dyn Fn(&str) -> Option<String>) -> (Option<PathBuf>, Option<PathBuf>) {
    let home = env("HOME").filter(|h| !h.is_empty());
    let pick = |var: &str, default: &str| -> Option<PathBuf> {
        match env(var).filter(|v| !v.is_empty()) {
            Some(v) => match (v.strip_prefix("~/"), &home) {
                (Some(rest), Some(h)) => Some(PathBuf::from(h).join(rest)),
                _ => Some(PathBuf::from(v)),
            },
            None => home.as_ref().map(|h| PathBuf::from(h).join(default)),
        }
    };
    (
        pick("AWS_CONFIG_FILE", ".aws/config"),
        pick("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
    )
}

/// The profile a section header names, if any: `config` says which file it is in.
fn section_profile(line: &str, config: bool) -> Option<String> {
    let inner = line.trim().strip_prefix('[')?;
    let inner = inner[..inner.find(']')?].trim();
    let name = if config {
        match inner.strip_prefix("profile") {
            Some(rest) if rest.starts_with([' ', '\t']) => rest.trim(),
            _ if inner == "default" => inner,
            _ => return None,
        }
    } else {
        inner
    };
    (!name.is_empty()).then(|| name.to_string())
}

/// The profile names in the texts of a config and a credentials file, sorted, once each.
pub fn names(config: &str, credentials: &str) -> Vec<String> {
    let mut all: Vec<String> = config
        .lines()
        .filter_map(|l| section_profile(l, true))
        .chain(
            credentials
                .lines()
                .filter_map(|l| section_profile(l, false)),
        )
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The profile names in this user's AWS files (a missing or unreadable file names none).
pub fn list(env: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let (config, credentials) = aws_files(env);
    let read = |p: Option<PathBuf>| {
        p.and_then(|p| std::fs::read(p).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    };
    names(&read(config), &read(credentials))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_name_profiles_as_the_cli_lists_them() {
        let config = "[default]\nregion = x\n[profile dev]\n[profile\tqa ]\n[sso-session s]\n[services x]\n[prod]\n[profilex]\n  [ profile   ops ] # note\n";
        let credentials = "[default]\n[prod]\n[ ci ]\n# [commented]\n[]\n";
        assert_eq!(
            names(config, credentials),
            ["ci", "default", "dev", "ops", "prod", "qa"]
        );
    }

    #[test]
    fn files_follow_the_sdk_variables() {
        let env = |k: &str| match k {
            "HOME" => Some("/h".to_string()),
            "AWS_CONFIG_FILE" => Some("~/cfg".to_string()),
            _ => None,
        };
        assert_eq!(
            aws_files(&env),
            (
                Some(PathBuf::from("/h/cfg")),
                Some(PathBuf::from("/h/.aws/credentials"))
            )
        );
    }
}
