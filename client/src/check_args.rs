//! `check`'s command line, parsed here once for both binaries: `credguard check …` (which
//! asks the daemon, or without one runs `credguardd check …`) and `credguardd check …`.
//! Each binary prints the error its own way; the flags, the errors and the exit code
//! ([`USAGE_EXIT`]) are the same.

use std::fmt;

use crate::color::{COLOR_VALUES, ColorChoice};
use crate::proto::Validation;
use crate::usage::UsageError;

pub use crate::usage::USAGE_EXIT;

/// Every flag `check` takes (for "did you mean").
pub const FLAGS: &[&str] = &[
    "--profile",
    "--json",
    "--offline",
    "--fresh",
    "--color",
    "--help",
];

/// What `check` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckArgs {
    /// `--profile P` / `--profile=P`: only this profile.
    pub profile: Option<String>,
    /// `--json`: the machine-readable verdicts.
    pub json: bool,
    /// `--offline`, `--fresh`, or neither.
    pub validation: Validation,
    /// `--color auto|always|never` (human output only).
    pub color: ColorChoice,
}

/// A parsed `check` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckCommand {
    Run(CheckArgs),
    /// `-h` / `--help`: print the command's help, exit 0.
    Help,
}

/// Why a `check` command line was refused (exit [`USAGE_EXIT`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckArgsError {
    /// `--profile` was the last argument.
    MissingProfile,
    /// An argument `check` does not know.
    Unknown(String),
    /// `--offline` and `--fresh` together: one says "no STS", the other "STS again".
    OfflineAndFresh,
    /// `--color` was the last argument.
    MissingColor,
    /// `--color` with a value other than auto, always, never.
    BadColor(String),
}

impl fmt::Display for CheckArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckArgsError::MissingProfile => write!(f, "--profile needs a profile name"),
            CheckArgsError::Unknown(a) => write!(f, "unknown argument {a} for check"),
            CheckArgsError::OfflineAndFresh => write!(
                f,
                "--offline and --fresh cannot be used together: --offline asks STS nothing, --fresh asks it again"
            ),
            CheckArgsError::MissingColor => {
                write!(f, "--color needs a value: auto, always or never")
            }
            CheckArgsError::BadColor(v) => {
                write!(f, "invalid value '{v}' for --color: auto, always or never")
            }
        }
    }
}

impl std::error::Error for CheckArgsError {}

impl CheckArgsError {
    /// The error as a usage error of the program whose usage and help are given, with a
    /// "did you mean" for a mistyped flag or colour.
    pub fn to_usage(&self, usage: &str, help: &str) -> UsageError {
        let e = UsageError::new(self.to_string(), usage, help);
        match self {
            CheckArgsError::Unknown(a) => {
                let flag = a.split_once('=').map_or(a.as_str(), |(f, _)| f);
                e.suggest("argument", flag, FLAGS)
            }
            CheckArgsError::BadColor(v) => e.suggest("value", v, &COLOR_VALUES),
            _ => e,
        }
    }
}

/// Parses the arguments after `check`. `--profile` takes the next argument whatever it
/// is; help wins over anything after it, the first error over anything after it.
pub fn parse(args: &[String]) -> Result<CheckCommand, CheckArgsError> {
    let mut out = CheckArgs::default();
    let (mut offline, mut fresh) = (false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--json" => out.json = true,
            "--offline" => offline = true,
            "--fresh" => fresh = true,
            "--profile" => {
                let p = it.next().ok_or(CheckArgsError::MissingProfile)?;
                out.profile = Some(p.clone());
            }
            "--color" => {
                let v = it.next().ok_or(CheckArgsError::MissingColor)?;
                out.color = color(v)?;
            }
            "-h" | "--help" => return Ok(CheckCommand::Help),
            other => {
                if let Some(p) = other.strip_prefix("--profile=") {
                    out.profile = Some(p.to_string());
                } else if let Some(v) = other.strip_prefix("--color=") {
                    out.color = color(v)?;
                } else {
                    return Err(CheckArgsError::Unknown(other.to_string()));
                }
            }
        }
    }
    out.validation = match (offline, fresh) {
        (true, true) => return Err(CheckArgsError::OfflineAndFresh),
        (true, false) => Validation::Offline,
        (false, true) => Validation::Fresh,
        (false, false) => Validation::Cached,
    };
    Ok(CheckCommand::Run(out))
}

fn color(v: &str) -> Result<ColorChoice, CheckArgsError> {
    ColorChoice::parse(v).ok_or_else(|| CheckArgsError::BadColor(v.to_string()))
}

impl CheckArgs {
    /// The command line that [`parse`]s back to these arguments (for `credguardd check`).
    pub fn to_args(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(p) = &self.profile {
            v.push(format!("--profile={p}"));
        }
        if self.json {
            v.push("--json".into());
        }
        match self.validation {
            Validation::Offline => v.push("--offline".into()),
            Validation::Fresh => v.push("--fresh".into()),
            Validation::Cached => {}
        }
        if self.color != ColorChoice::Auto {
            v.push(format!("--color={}", self.color));
        }
        v
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<CheckCommand, CheckArgsError> {
        parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>())
    }

    fn args(profile: Option<&str>, json: bool, validation: Validation) -> CheckCommand {
        CheckCommand::Run(CheckArgs {
            profile: profile.map(str::to_string),
            json,
            validation,
            color: ColorChoice::Auto,
        })
    }

    #[test]
    fn every_flag() {
        assert_eq!(run(&[]).unwrap(), args(None, false, Validation::Cached));
        assert_eq!(
            run(&["--json"]).unwrap(),
            args(None, true, Validation::Cached)
        );
        assert_eq!(
            run(&["--offline"]).unwrap(),
            args(None, false, Validation::Offline)
        );
        assert_eq!(
            run(&["--fresh"]).unwrap(),
            args(None, false, Validation::Fresh)
        );
        assert_eq!(
            run(&["--fresh", "--json", "--profile", "prod", "--fresh"]).unwrap(),
            args(Some("prod"), true, Validation::Fresh)
        );
        assert_eq!(run(&["-h"]).unwrap(), CheckCommand::Help);
        assert_eq!(run(&["--json", "--help"]).unwrap(), CheckCommand::Help);
    }

    #[test]
    fn profile_forms() {
        assert_eq!(
            run(&["--profile=x"]).unwrap(),
            args(Some("x"), false, Validation::Cached)
        );
        // the empty name and a name with '=' are names like any other
        assert_eq!(
            run(&["--profile="]).unwrap(),
            args(Some(""), false, Validation::Cached)
        );
        assert_eq!(
            run(&["--profile=a=b"]).unwrap(),
            args(Some("a=b"), false, Validation::Cached)
        );
        // the separate form takes the next argument, even one that looks like a flag
        assert_eq!(
            run(&["--profile", "--json"]).unwrap(),
            args(Some("--json"), false, Validation::Cached)
        );
        // the last one wins
        assert_eq!(
            run(&["--profile=a", "--profile", "b"]).unwrap(),
            args(Some("b"), false, Validation::Cached)
        );
    }

    #[test]
    fn missing_value() {
        let err = run(&["--json", "--profile"]).unwrap_err();
        assert_eq!(err, CheckArgsError::MissingProfile);
        assert_eq!(err.to_string(), "--profile needs a profile name");
    }

    #[test]
    fn unknown_flag() {
        let err = run(&["--json", "--bogus", "--help"]).unwrap_err();
        assert_eq!(err, CheckArgsError::Unknown("--bogus".into()));
        assert_eq!(err.to_string(), "unknown argument --bogus for check");
        assert_eq!(
            run(&["prod"]).unwrap_err(),
            CheckArgsError::Unknown("prod".into())
        );
        assert_eq!(
            run(&["--profile-x"]).unwrap_err(),
            CheckArgsError::Unknown("--profile-x".into())
        );
    }

    #[test]
    fn offline_and_fresh_together_is_refused() {
        for a in [
            &["--offline", "--fresh"][..],
            &["--fresh", "--json", "--offline"],
        ] {
            let err = run(a).unwrap_err();
            assert_eq!(err, CheckArgsError::OfflineAndFresh, "{a:?}");
            let msg = err.to_string();
            assert!(
                msg.contains("--offline") && msg.contains("--fresh"),
                "{msg}"
            );
        }
        // help still answers
        assert_eq!(
            run(&["--offline", "--fresh", "--help"]).unwrap(),
            CheckCommand::Help
        );
    }

    #[test]
    fn color_forms_and_errors() {
        let with = |c| {
            CheckCommand::Run(CheckArgs {
                color: c,
                ..CheckArgs::default()
            })
        };
        assert_eq!(
            run(&["--color", "never"]).unwrap(),
            with(ColorChoice::Never)
        );
        assert_eq!(run(&["--color=always"]).unwrap(), with(ColorChoice::Always));
        assert_eq!(run(&["--color"]).unwrap_err(), CheckArgsError::MissingColor);
        let err = run(&["--color=alwys"]).unwrap_err();
        assert_eq!(err, CheckArgsError::BadColor("alwys".into()));
        let u = err.to_usage("usage: x", "x --help");
        assert_eq!(u.suggestion.unwrap().word, "always");
        let u = run(&["--jsn"])
            .unwrap_err()
            .to_usage("usage: x", "x --help");
        assert_eq!(u.message, "unknown argument --jsn for check");
        assert_eq!(u.suggestion.unwrap().word, "--json");
        let u = run(&["--profil=x"])
            .unwrap_err()
            .to_usage("usage: x", "x --help");
        assert_eq!(u.suggestion.unwrap().word, "--profile");
    }

    #[test]
    fn to_args_parses_back() {
        for validation in [Validation::Offline, Validation::Cached, Validation::Fresh] {
            for profile in [None, Some("p"), Some(""), Some("a b=c"), Some("--json")] {
                for (json, color) in [
                    (false, ColorChoice::Auto),
                    (true, ColorChoice::Never),
                    (false, ColorChoice::Always),
                ] {
                    let a = CheckArgs {
                        profile: profile.map(str::to_string),
                        json,
                        validation,
                        color,
                    };
                    assert_eq!(parse(&a.to_args()).unwrap(), CheckCommand::Run(a.clone()));
                }
            }
        }
    }
}
