//! Whether a human report is coloured: `--color auto|always|never`, then `NO_COLOR`
//! (<https://no-color.org>: set and not empty, no colour), then `CLICOLOR_FORCE` (set and
//! not `0`, colour even into a pipe), then whether stdout is a terminal.

use std::fmt;

/// `--color`'s value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// The values `--color` takes, in the order help lists them.
pub const COLOR_VALUES: [&str; 3] = ["auto", "always", "never"];

impl ColorChoice {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(ColorChoice::Auto),
            "always" => Some(ColorChoice::Always),
            "never" => Some(ColorChoice::Never),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ColorChoice::Auto => "auto",
            ColorChoice::Always => "always",
            ColorChoice::Never => "never",
        }
    }

    /// Colour or not, for output to a terminal or not, with the process's variables.
    pub fn resolve(self, terminal: bool, env: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                    false
                } else if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                    true
                } else {
                    terminal
                }
            }
        }
    }
}

impl fmt::Display for ColorChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `s` without its SGR sequences (`ESC [ digits and ; m`), the only escapes a report
/// carries (the renderer takes control characters out of everything else).
pub fn strip_sgr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\x1b[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after.find(|c: char| !(c.is_ascii_digit() || c == ';'));
        match end {
            Some(e) if after[e..].starts_with('m') => rest = &after[e + 1..],
            _ => {
                out.push_str("\x1b[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn sgr_is_stripped() {
        assert_eq!(strip_sgr("\x1b[1;31minvalid\x1b[0m ok"), "invalid ok");
        assert_eq!(strip_sgr("plain"), "plain");
        assert_eq!(strip_sgr("\x1b[2J x"), "\x1b[2J x");
        assert_eq!(strip_sgr("a\x1b["), "a\x1b[");
    }

    #[test]
    fn precedence() {
        use ColorChoice::*;
        assert!(Auto.resolve(true, &env(&[])));
        assert!(!Auto.resolve(false, &env(&[])));
        assert!(!Auto.resolve(true, &env(&[("NO_COLOR", "1")])));
        // an empty NO_COLOR is unset, as no-color.org says
        assert!(Auto.resolve(true, &env(&[("NO_COLOR", "")])));
        assert!(Auto.resolve(false, &env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!Auto.resolve(false, &env(&[("CLICOLOR_FORCE", "0")])));
        assert!(!Auto.resolve(false, &env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])));
        assert!(Always.resolve(false, &env(&[("NO_COLOR", "1")])));
        assert!(!Never.resolve(true, &env(&[("CLICOLOR_FORCE", "1")])));
        for v in COLOR_VALUES {
            assert_eq!(ColorChoice::parse(v).map(ColorChoice::as_str), Some(v));
        }
        assert_eq!(ColorChoice::parse("yes"), None);
    }
}
