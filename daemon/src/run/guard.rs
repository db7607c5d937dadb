//! The shells' pre-command guard, the daemon's side: config.toml's `[guard]` table, and
//! the files the hooks judge a command by without a process (layout and format:
//! `credguard_client::guardfile`): a record per profile, written from the same verdict
//! JSON and the same function as `credguard exec --check`, and the effective `[guard]`
//! settings. [`crate::run::badges`] writes them with the badges, only when they change.

use crate::run::engine::Snapshot;
use credguard_client::badgefile;
use credguard_client::guardfile::{self, GUARD_DIR, SETTINGS_FILE};
use credguard_client::json::Json;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `[guard]`: what the hooks do before a guarded command (the environment variables
/// `CREDGUARD_GUARD` and `CREDGUARD_GUARD_COMMANDS` win over it).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GuardConfig {
    pub mode: GuardMode,
    /// The user's guarded commands: a command-line prefix → the minutes it runs.
    pub commands: BTreeMap<CommandPrefix, Minutes>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GuardMode {
    /// One line on stderr before the command.
    #[default]
    Warn,
    /// The line, then y/N.
    Ask,
    /// The line; the command does not run.
    Block,
    /// No guard.
    Off,
}

impl GuardMode {
    pub fn as_str(self) -> &'static str {
        match self {
            GuardMode::Warn => "warn",
            GuardMode::Ask => "ask",
            GuardMode::Block => "block",
            GuardMode::Off => "off",
        }
    }
}

/// A command-line prefix (`helm upgrade`): words of printable characters, single spaces,
/// none of the hooks' separators `;` and `=`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct CommandPrefix(String);

impl TryFrom<String> for CommandPrefix {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let words: Vec<&str> = s.split(' ').collect();
        let ok = !s.is_empty()
            && words.iter().all(|w| !w.is_empty())
            && !s
                .chars()
                .any(|c| c.is_control() || matches!(c, ';' | '=' | '\t'));
        if ok {
            Ok(CommandPrefix(s))
        } else {
            Err(format!(
                "guard.commands: {s:?} is not a command prefix like \"helm upgrade\" (words with single spaces, no ';', '=' or control characters)"
            ))
        }
    }
}

/// The minutes a guarded command is expected to run: 0 (only dead credentials stop it)
/// to 1440 (a day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Minutes(pub u32);

impl TryFrom<i64> for Minutes {
    type Error = String;
    fn try_from(m: i64) -> Result<Self, String> {
        u32::try_from(m)
            .ok()
            .filter(|m| *m <= 1440)
            .map(Minutes)
            .ok_or_else(|| format!("guard.commands: {m} is not a number of minutes from 0 to 1440"))
    }
}

impl GuardConfig {
    /// The settings file's text, or `None` when the table says nothing (the defaults: the
    /// hooks then read no file).
    pub fn settings(&self) -> Option<String> {
        if *self == GuardConfig::default() {
            return None;
        }
        // the longest prefix first: `helm upgrade` before `helm`
        let mut commands: Vec<(String, u32)> = self
            .commands
            .iter()
            .map(|(c, m)| (c.0.clone(), m.0))
            .collect();
        commands.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        Some(guardfile::settings(self.mode.as_str(), &commands))
    }
}

/// The guard files `dir` (the badge directory) should hold for `snap`: a record per
/// profile with a settled verdict, and the settings when `[guard]` says something.
pub fn files(dir: &Path, snap: &Snapshot, guard: &GuardConfig) -> Vec<(PathBuf, String)> {
    let dir = dir.join(GUARD_DIR);
    let mut out = Vec::new();
    for v in &snap.report.profiles {
        if v.profile.starts_with('(') || snap.checking.contains(&v.profile) {
            continue; // `(env)` is the shells' own; a first verdict: the client waits
        }
        let Some(text) = serde_json::to_string(v)
            .ok()
            .and_then(|j| Json::parse(&j).ok())
            .and_then(|entry| guardfile::record(&entry))
        else {
            continue;
        };
        out.push((dir.join(badgefile::file_name(&v.profile)), text));
    }
    if let Some(text) = guard.settings() {
        out.push((dir.join(SETTINGS_FILE), text));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::config::Config;

    #[test]
    fn the_guard_table_is_read_and_checked_with_its_line() {
        let c = Config::parse(
            "[guard]\nmode = \"block\"\ncommands = { \"helm upgrade\" = 20, helm = 5, \"make deploy\" = 30 }\n",
        )
        .unwrap();
        assert_eq!(
            c.guard.settings().unwrap(),
            "mode=block\ncommands=helm upgrade=20;make deploy=30;helm=5\n"
        );
        assert_eq!(Config::parse("").unwrap().guard.settings(), None);
        let c = Config::parse("[guard.commands]\n\"make deploy\" = 0\n").unwrap();
        assert_eq!(
            c.guard.settings().unwrap(),
            "mode=warn\ncommands=make deploy=0\n"
        );
        for (text, line, says) in [
            ("[guard]\nmode = \"blok\"\n", "line 2", "`block`"),
            (
                "\n[guard]\nmodes = \"ask\"\n",
                "line 3",
                "unknown field `modes`",
            ),
            (
                "[guard]\ncommands = { \"helm upgrade\" = -3 }\n",
                "line 2",
                "minutes from 0 to 1440",
            ),
            (
                "[guard]\ncommands = { \"helm upgrade\" = 2000 }\n",
                "line 2",
                "minutes from 0 to 1440",
            ),
            (
                "[guard]\ncommands = { \"helm;rm\" = 20 }\n",
                "line 2",
                "not a command prefix",
            ),
            (
                "[guard]\n\n[guard.commands]\n\"helm  upgrade\" = 20\n",
                "line 4",
                "not a command prefix",
            ),
            (
                "[guard]\ncommands = { \"make\" = \"30\" }\n",
                "line 2",
                "invalid type: string \"30\"",
            ),
        ] {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(line) && e.contains(says), "{text:?}: {e}");
        }
    }
}
