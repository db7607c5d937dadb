//! Usage errors and console output, shared by `credguard` and `credguardd` so that both
//! answer a bad command line the same way, in the style people know from clap-based tools
//! (ripgrep, starship, zoxide): one `error:` line, a "did you mean" tip for a near miss,
//! the usage of the command that was meant, a pointer to its `--help`, exit code 2.
//!
//! Output never panics: a closed pipe or a full disk on stdout ends the program quietly
//! with [`WRITE_FAILED_EXIT`]; on stderr it is ignored (the exit code still says what
//! happened).

use std::io::Write;

/// The exit code of a usage error (DESIGN.md: 2, usage or internal error).
pub const USAGE_EXIT: i32 = 2;
/// The exit code when stdout cannot be written (closed pipe, full disk): an internal error.
pub const WRITE_FAILED_EXIT: i32 = 2;

/// A refused command line, rendered by [`UsageError::render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// What was wrong, without the `error:` prefix.
    pub message: String,
    /// `Some("status")`: "a similar … exists: 'status'".
    pub suggestion: Option<Suggestion>,
    /// The usage of the command (or program) concerned: `usage: credguard status [--json]`.
    pub usage: String,
    /// How to ask for help, e.g. `credguard status --help`.
    pub help: String,
}

/// A near miss and what kind of word it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// "command", "argument", "shell"…
    pub kind: &'static str,
    pub word: String,
}

impl UsageError {
    pub fn new(message: impl Into<String>, usage: &str, help: &str) -> Self {
        UsageError {
            message: message.into(),
            suggestion: None,
            usage: usage.to_string(),
            help: help.to_string(),
        }
    }

    /// Adds the nearest of `candidates` to `given`, if one is near.
    pub fn suggest(mut self, kind: &'static str, given: &str, candidates: &[&str]) -> Self {
        self.suggestion = nearest(given, candidates).map(|w| Suggestion {
            kind,
            word: w.to_string(),
        });
        self
    }

    /// The text for stderr: `error: …`, the tip, the usage, the pointer to help.
    pub fn render(&self) -> String {
        let mut s = format!("error: {}\n", self.message);
        if let Some(t) = &self.suggestion {
            s += &format!("\n  tip: a similar {} exists: '{}'\n", t.kind, t.word);
        }
        s += &format!(
            "\n{}\n\nFor more information, try '{}'.\n",
            self.usage, self.help
        );
        s
    }

    /// Prints the error on stderr and returns [`USAGE_EXIT`].
    pub fn report(&self) -> i32 {
        err(&self.render());
        USAGE_EXIT
    }
}

/// Edit distance in characters, a swap of two neighbours counting as one edit (optimal
/// string alignment): `zhs` is one edit from `zsh`, `stauts` one from `status`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut cur = vec![i + 1; b.len() + 1];
        for j in 0..b.len() {
            let mut d = (prev[j] + usize::from(a[i] != b[j]))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        before = std::mem::replace(&mut prev, cur);
    }
    prev[b.len()]
}

/// The candidate nearest to `given` when it is a likely typo: at most a third of the
/// longer word's characters differ (at least one edit allowed), or `given` is a prefix of
/// at least three characters. Ties go to the earlier candidate.
pub fn nearest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let given_len = given.chars().count();
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = edit_distance(given, c);
        let limit = (given_len.max(c.chars().count()) / 3).max(1);
        let prefix = given_len >= 3 && c.starts_with(given);
        let score = if prefix { 0 } else { d };
        if (d <= limit || prefix) && d > 0 && best.is_none_or(|(b, _)| score < b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// Writes to stdout; when that fails (closed pipe, full disk) the program ends at once,
/// quietly, with [`WRITE_FAILED_EXIT`]. Not for the prompt, which always exits 0.
pub fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    if o.write_all(text.as_bytes())
        .and_then(|()| o.flush())
        .is_err()
    {
        std::process::exit(WRITE_FAILED_EXIT);
    }
}

/// Writes to stderr, ignoring failure: the exit code still tells.
pub fn err(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("stauts", "status"), 1);
        assert_eq!(edit_distance("zhs", "zsh"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("chek", "check"), 1);
        assert_eq!(edit_distance("doctor", "doctor"), 0);
        assert_eq!(edit_distance("ünï", "uni"), 2);
        assert_eq!(edit_distance("abc", ""), 3);
    }

    #[test]
    fn near_misses_and_far_ones() {
        let cmds = ["check", "status", "doctor", "prompt", "init", "reload"];
        assert_eq!(nearest("stauts", &cmds), Some("status"));
        assert_eq!(nearest("chek", &cmds), Some("check"));
        assert_eq!(nearest("docter", &cmds), Some("doctor"));
        assert_eq!(nearest("stat", &cmds), Some("status"));
        assert_eq!(nearest("frobnicate", &cmds), None);
        assert_eq!(nearest("x", &cmds), None);
        assert_eq!(nearest("status", &cmds), None);
        let flags = ["--json", "--profile", "--offline", "--fresh", "--color"];
        assert_eq!(nearest("--jsn", &flags), Some("--json"));
        assert_eq!(nearest("--profil", &flags), Some("--profile"));
        assert_eq!(nearest("--colour", &flags), Some("--color"));
        assert_eq!(nearest("--bogus", &flags), None);
    }

    #[test]
    fn rendered_like_clap() {
        let e = UsageError::new(
            "unknown command 'stauts'",
            "usage: credguard <command> [options]",
            "credguard --help",
        )
        .suggest("command", "stauts", &["check", "status"]);
        assert_eq!(
            e.render(),
            "error: unknown command 'stauts'\n\n  tip: a similar command exists: 'status'\n\n\
             usage: credguard <command> [options]\n\nFor more information, try 'credguard --help'.\n"
        );
    }
}
