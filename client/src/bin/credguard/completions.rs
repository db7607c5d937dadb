//! `credguard completions zsh|bash|fish`: the completion scripts in `shell/completions/`,
//! embedded; `credguard completions --profiles`: the profile names they offer, read from
//! the AWS files here (no daemon). `credguard man`: this program's manual page, made from
//! the help texts in `help.rs`.

use crate::help::{self, HELP_COMPLETIONS, HELP_MAN};
use crate::{command_error, is_help, unknown_option};
use credguard_client::manpage::{self, Page};
use credguard_client::paths::process_env;
use credguard_client::profiles;

pub const ZSH: &str = include_str!("../../../../shell/completions/_credguard");
pub const BASH: &str = include_str!("../../../../shell/completions/credguard.bash");
pub const FISH: &str = include_str!("../../../../shell/completions/credguard.fish");

/// `completions ARGS` or `man ARGS`.
pub fn run(cmd: &str, args: &[String]) -> i32 {
    if cmd == "man" {
        man(args)
    } else {
        completions(args)
    }
}

fn completions(args: &[String]) -> i32 {
    let script = match args {
        [h] if is_help(h) => return crate::help(HELP_COMPLETIONS),
        [p] if p == "--profiles" => {
            let mut text = String::new();
            for name in profiles::list(&process_env) {
                text.push_str(&name);
                text.push('\n');
            }
            credguard_client::usage::out(&text);
            return 0;
        }
        [s] if s == "zsh" => ZSH,
        [s] if s == "bash" => BASH,
        [s] if s == "fish" => FISH,
        [] => {
            return command_error(
                "completions",
                "completions needs a shell: zsh, bash or fish",
            )
            .report();
        }
        [other] => {
            return unknown_option(
                "completions",
                other,
                &["zsh", "bash", "fish", "--profiles", "--help"],
            );
        }
        [_, extra, ..] => {
            return command_error(
                "completions",
                &format!("unexpected argument '{extra}': completions takes one shell"),
            )
            .report();
        }
    };
    credguard_client::usage::out(script);
    0
}

/// The sections of the manual page: every command's help, in the order of `--help`.
const MAN_COMMANDS: &[&str] = &[
    "check",
    "status",
    "doctor",
    "prompt",
    "init",
    "watch",
    "reload",
    "service",
    "completions",
    "man",
];

fn man(args: &[String]) -> i32 {
    match args {
        [] => {}
        [h] if is_help(h) => return crate::help(HELP_MAN),
        [other, ..] => return unknown_option("man", other, &["--help"]),
    }
    let sections: Vec<(String, &str)> = MAN_COMMANDS
        .iter()
        .filter_map(|c| Some((format!("credguard {c}"), help::command_help(c)?)))
        .collect();
    let sections: Vec<(&str, &str)> = sections.iter().map(|(t, h)| (t.as_str(), *h)).collect();
    let page = Page {
        name: "credguard",
        summary: "keep AWS credentials honest: the prompt badge, reports and the daemon's client",
        version: env!("CARGO_PKG_VERSION"),
        usage: help::USAGE,
        commands: &sections,
        see_also: "credguardd(1)",
    };
    credguard_client::usage::out(&manpage::render(&page));
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command of `--help` and every flag in each command's usage line is offered
    /// by each script (the scripts are files, so they are checked against the help here).
    #[test]
    fn the_scripts_cover_every_command_and_flag() {
        for (shell, script) in [("zsh", ZSH), ("bash", BASH), ("fish", FISH)] {
            for cmd in help::COMMANDS {
                let usage = help::usage_line(cmd);
                assert!(script.contains(cmd), "{shell}: command {cmd} missing");
                for flag in usage
                    .split([' ', '[', ']', '|'])
                    .filter(|w| w.starts_with("--"))
                {
                    let flag = flag.trim_end_matches(['=', ',']);
                    let word = if shell == "fish" {
                        format!("-l {}", &flag[2..])
                    } else {
                        flag.to_string()
                    };
                    assert!(script.contains(&word), "{shell}: {cmd} {flag} missing");
                }
            }
        }
    }

    #[test]
    fn the_manual_holds_every_help_text() {
        for c in MAN_COMMANDS {
            assert!(help::command_help(c).is_some(), "no help for {c}");
        }
    }
}
