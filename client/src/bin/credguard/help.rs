//! The help texts of `credguard` and each of its commands (what `--help` prints).

/// The commands, for "did you mean".
pub const COMMANDS: &[&str] = &[
    "check",
    "status",
    "doctor",
    "prompt",
    "init",
    "exec",
    "reload",
    "service",
    "watch",
    "completions",
    "man",
    "help",
];

/// What a usage error of the program as a whole shows.
pub const SHORT_USAGE: &str = "\
usage: credguard <command> [options]
commands: check, status, doctor, prompt, init, exec, reload, service, watch, completions, man, help";

pub const USAGE: &str = "\
usage: credguard <command> [options]

commands:
  check [--profile P] [--json] [--offline] [--fresh] [--color WHEN]
                      diagnose every profile (or one) and validate it against STS;
                      works with or without the daemon
  status [--json] [--color WHEN]
                      the daemon's cached verdicts for all profiles
  doctor [--profile P] [--color WHEN]
                      the full report: what the SDK would use in this shell, every
                      problem with file:line and the exact fix
  prompt [--ascii]    the badge for this shell (for prompt hooks); never blocks
  init zsh|bash|fish  print the prompt hook: eval \"$(credguard init zsh)\"
  init starship|p10k|tmux|waybar|i3blocks|polybar|swiftbar
                      print a snippet for that prompt or status bar
  watch [--json|--waybar] [--ascii] [--profile P]
                      a live feed: a line per change of any verdict (status bars)
  exec [--profile P] [--min-remaining D] [--allow-unknown] -- CMD ARGS…
                      run CMD only if its credentials are usable (and last D);
                      else say why and exit 4
  reload              the daemon re-reads its config and the AWS files
  service install|uninstall|status
                      run credguardd as a systemd user service
  completions zsh|bash|fish
                      print the shell's completion script (commands, flags, profiles)
  man                 print this manual page (roff), for packagers
  help [command]      this text, or a command's

options:
  -h, --help          help (also after a command)
  -V, --version       the version

colour: --color auto|always|never on check, status, doctor; auto colours a terminal,
honouring NO_COLOR and CLICOLOR_FORCE.

exit codes: 0 all usable, 1 some invalid or expired, 3 some unknown and none invalid,
2 usage or internal error";

pub const HELP_CHECK: &str = "\
usage: credguard check [--profile P] [--json] [--offline] [--fresh] [--color WHEN]

Diagnose every profile (or only P) as the AWS SDK reads them and validate the
credentials against STS (GetCallerIdentity). Asks the running daemon; without one,
runs the engine here (`credguardd check`).

  --profile P   only this profile (also --profile=P)
  --json        the machine-readable verdicts (DESIGN.md's contract)
  --offline     no network: diagnose the files only
  --fresh       ignore cached verdicts, ask STS again
  --color WHEN  auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE forces), always, never

exit codes: 0 all usable, 1 some invalid or expired, 3 some unknown and none invalid,
2 usage or internal error";

pub const HELP_STATUS: &str = "\
usage: credguard status [--json] [--color WHEN]

The daemon's cached verdicts for all profiles (no STS call).

  --json        the machine-readable verdicts (DESIGN.md's contract)
  --color WHEN  auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE forces), always, never

Needs the daemon (socket: CREDGUARD_SOCKET, else $XDG_RUNTIME_DIR/credguard/
credguard.sock); exits 2 without one. Waits up to 10 s (CREDGUARD_TIMEOUT_MS).";

pub const HELP_DOCTOR: &str = "\
usage: credguard doctor [--profile P] [--color WHEN]

The full human report: which credentials the SDK would use in this shell and why,
then every other profile, broken first, each problem with its file:line and the
exact fix.

  --profile P   only this profile (also --profile=P)
  --color WHEN  auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE forces), always, never

Needs the daemon; exits 2 without one. Waits up to 10 s (CREDGUARD_TIMEOUT_MS).";

pub const HELP_PROMPT: &str = "\
usage: credguard prompt [--ascii]

The badge for this shell's credentials (AWS_PROFILE, else AWS_DEFAULT_PROFILE),
printed without a newline; nothing when all is well; `aws:?` when the daemon cannot
tell in time. Never prints an error, always exits 0. Gives up after 50 ms
(CREDGUARD_PROMPT_TIMEOUT_MS).

  --ascii       plain ASCII badge";

pub const HELP_EXEC: &str = "\
usage: credguard exec [--profile P] [--min-remaining D] [--allow-unknown] -- CMD ARGS…

Run CMD in place of this process (same pid, stdin, signals and exit code) only when
the credentials it would use are usable: the environment's AWS_ACCESS_KEY_ID when set
(as the SDK and the prompt judge them), else profile P, AWS_PROFILE,
AWS_DEFAULT_PROFILE or default. Otherwise print why (the profile, the cause, the fix)
and exit 4 without running it. Asks the daemon; without one, runs the engine here.

  --profile P          judge this profile (also --profile=P)
  --min-remaining D    the credentials must last at least D more: 45m, 1h30m, 90s
                       (a bare number is minutes; default 0)
  --allow-unknown      run even when the credentials could not be validated
                       (offline, throttled); invalid or expired still refuse
  --check              run nothing: exit 0, or print why and exit 4 (the shell
                       hooks' pre-command guard)

For Makefiles, CI jobs and wrappers: credguard exec --min-remaining 45m -- terraform apply";

pub const HELP_RELOAD: &str = "\
usage: credguard reload

Ask the daemon to re-read its config file and the AWS files now (like SIGHUP). A
broken config is reported and the previous one kept.";

pub const HELP_SERVICE: &str = "\
usage: credguard service install|uninstall|status

Run credguardd as a systemd user service (socket-activated):

  install     write ~/.config/systemd/user/credguard.service (ExecStart: the
              credguardd next to this program, else on PATH) and credguard.socket,
              then `systemctl --user daemon-reload` and `enable --now` both
  uninstall   disable and stop them, remove the units
  status      are the units installed, are they running

Without a systemd user manager, install writes the units and prints how to start the
daemon from your shell instead (exit 1). On macOS the same commands manage a launchd
agent: ~/Library/LaunchAgents/dev.credguard.credguardd.plist, loaded with
`launchctl bootstrap gui/<uid>`, logging to ~/Library/Logs/credguard.log.";

pub const HELP_INIT: &str = "\
usage: credguard init zsh|bash|fish|starship|p10k|tmux

Print the prompt hook for the shell. Add to your shell's start-up file:

  zsh   (~/.zshrc):                   eval \"$(credguard init zsh)\"
  bash  (~/.bashrc):                  eval \"$(credguard init bash)\"
  fish  (~/.config/fish/config.fish): credguard init fish | source

Snippets for other prompts: `credguard init starship` (a custom module),
`credguard init p10k` (a powerlevel10k segment), `credguard init tmux` (status line).

Settings, read at every prompt: CREDGUARD_BADGE_POSITION (zsh, fish: right|left|none;
bash: left|none), CREDGUARD_ASCII=1, CREDGUARD_COLOR (a colour name or none),
CREDGUARD_PROMPT_TIMEOUT_MS. The badge is also in $CREDGUARD_BADGE to place anywhere.

The hooks also guard long commands (terraform apply, cdk deploy…): one line before
them when the credentials are dead or expire before the command's expected minutes.
Set it in config.toml's [guard] table (mode = \"warn\"|\"ask\"|\"block\"|\"off\",
commands = { \"helm upgrade\" = 20 }), which the daemon hands to the hooks, or per
shell with CREDGUARD_GUARD and CREDGUARD_GUARD_COMMANDS ('helm upgrade=20'), which win.

Status bars: `credguard init waybar|i3blocks|polybar|swiftbar` print a module fed by
`credguard watch`, pushed by the daemon.";

pub const HELP_WATCH: &str = "\
usage: credguard watch [--json|--waybar] [--ascii] [--profile P]

A live feed from the daemon for status bars and editors: the current state, then one line
per change of any verdict (or of profile P), pushed by the daemon, never polled.

  (default)  the badge text (`aws:prod ✗ expired`); with --profile, an empty line when
             the profile is fine; without, `aws:<profile> ok`
  --json     the verdict contract's profile object, one JSON object per line
  --waybar   waybar's custom-module JSON (`return-type: json`): text, class (the state),
             tooltip (the problems)
  --ascii    badges in plain ASCII

While the daemon is down it prints `aws:?` once and reconnects (100 ms to 5 s backoff),
then prints the full state again. It runs until its reader goes away.";

pub const HELP_COMPLETIONS: &str = "\
usage: credguard completions zsh|bash|fish|--profiles

Print the completion script for the shell: commands, their flags, and profile names
(read from the AWS files at each completion, no daemon needed). scripts/install.sh
and the .deb install them; by hand:

  zsh   credguard completions zsh > ~/.zfunc/_credguard  (with ~/.zfunc in $fpath,
        before compinit)
  bash  credguard completions bash > ~/.local/share/bash-completion/completions/credguard
  fish  credguard completions fish > ~/.config/fish/completions/credguard.fish

  --profiles    the profile names the scripts offer, one a line";

pub const HELP_MAN: &str = "\
usage: credguard man

Print credguard's manual page (roff), made from these help texts; `credguardd man`
prints the daemon's. scripts/install.sh and the .deb install both.";

/// The first line of `cmd`'s help: its usage (the program's for an unknown command).
pub fn usage_line(cmd: &str) -> &'static str {
    let text = command_help(cmd).unwrap_or(SHORT_USAGE);
    text.lines().next().unwrap_or(text)
}

/// The help of `cmd`, if there is such a command.
pub fn command_help(cmd: &str) -> Option<&'static str> {
    Some(match cmd {
        "check" => HELP_CHECK,
        "status" => HELP_STATUS,
        "doctor" => HELP_DOCTOR,
        "prompt" => HELP_PROMPT,
        "init" => HELP_INIT,
        "exec" => HELP_EXEC,
        "reload" => HELP_RELOAD,
        "watch" => HELP_WATCH,
        "service" => HELP_SERVICE,
        "completions" => HELP_COMPLETIONS,
        "man" => HELP_MAN,
        "help" => USAGE,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_help() {
        for c in [
            "check", "status", "doctor", "prompt", "init", "exec", "reload", "watch", "help",
        ] {
            assert!(command_help(c).is_some_and(|h| h.starts_with("usage: credguard")));
        }
        assert!(command_help("bogus").is_none());
        for c in COMMANDS {
            assert!(usage_line(c).starts_with("usage: credguard"), "{c}");
        }
        assert_eq!(
            usage_line("status"),
            "usage: credguard status [--json] [--color WHEN]"
        );
    }
}
