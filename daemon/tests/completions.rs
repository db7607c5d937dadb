//! Shell completion in the real shells, with profile names read from the AWS files (no
//! daemon runs in these tests): zsh through its completion system in tmux, every match
//! captured from `compadd`; bash by `complete -p` and the function it names filling
//! `COMPREPLY`; fish by `complete -C`. And the manual pages: rendered by `man` without a
//! warning, holding every line of every `--help` text.
#![allow(clippy::unwrap_used)]

use crate::shells::Tmux;
use crate::support;
use crate::support::daemon::{User, credguard, credguardd};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const CONFIG: &str = "[default]\nregion = eu-west-1\n[profile dev]\n[profile prod-admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\n[sso-session corp]\nsso_region = eu-west-1\n";
const CREDENTIALS: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n[ci]\n";
const PROFILES: [&str; 4] = ["ci", "default", "dev", "prod-admin"];

/// A user whose AWS files name the profiles above, with the client on PATH.
fn user() -> User {
    let mut user = User::new("http://127.0.0.1:9");
    std::fs::write(user.aws().join("config"), CONFIG).unwrap();
    std::fs::write(user.credentials(), CREDENTIALS).unwrap();
    let bin = credguard().parent().unwrap().display().to_string();
    for (k, v) in user.vars.iter_mut() {
        if k == "PATH" {
            *v = format!("{bin}:{v}");
        }
    }
    user
}

fn script(shell: &str, user: &User) -> String {
    let out = user.client(&["completions", shell], &[]);
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stdout).unwrap()
}

fn run_shell(user: &User, shell: &str, args: &[&str]) -> String {
    let out = Command::new(shell)
        .args(args)
        .env_clear()
        .envs(user.vars.iter().cloned())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{shell}: {stderr}"
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn profiles_are_listed_from_the_files() {
    let user = user();
    let out = user.client(&["completions", "--profiles"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        PROFILES.join("\n") + "\n"
    );
}

#[test]
fn bash_completes_commands_flags_and_profiles() {
    if !support::tool("bash") {
        return;
    }
    let user = user();
    let file = user.dir.path().join("credguard.bash");
    std::fs::write(&file, script("bash", &user)).unwrap();
    let program = format!(
        r#"source '{}'
complete -p credguard
f=$(complete -p credguard | awk '{{print $3}}')
comp() {{
  COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
  COMP_LINE="$*"; COMP_POINT=${{#COMP_LINE}}; COMPREPLY=()
  "$f" credguard "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
  echo "$* => ${{COMPREPLY[*]}}"
}}
comp credguard st
comp credguard check --profile ''
comp credguard doctor --profile = d
comp credguard check --
comp credguard status --color ''
comp credguard service ''
"#,
        file.display()
    );
    let out = run_shell(&user, "bash", &["--norc", "--noprofile", "-c", &program]);
    let want = "complete -F _credguard credguard\n\
        credguard st => status\n\
        credguard check --profile  => ci default dev prod-admin\n\
        credguard doctor --profile = d => default dev\n\
        credguard check -- => --profile --json --offline --fresh --color --help\n\
        credguard status --color  => auto always never\n\
        credguard service  => install uninstall status --help\n";
    assert_eq!(out, want);
}

#[test]
fn fish_completes_commands_flags_and_profiles() {
    if !support::tool("fish") {
        return;
    }
    let user = user();
    let file = user.dir.path().join("credguard.fish");
    std::fs::write(&file, script("fish", &user)).unwrap();
    let program = format!(
        "source '{}'\nfor line in 'credguard st' 'credguard check --profile ' 'credguard doctor --profile=d' 'credguard status --color ' 'credguard init f'\n\
         echo \"$line =>\" (complete -C $line | string replace -r '\\t.*' '')\nend",
        file.display()
    );
    let out = run_shell(&user, "fish", &["--no-config", "-c", &program]);
    let want = "credguard st => status\n\
        credguard check --profile  => ci default dev prod-admin\n\
        credguard doctor --profile=d => --profile=default --profile=dev\n\
        credguard status --color  => always auto never\n\
        credguard init f => fish\n";
    assert_eq!(out, want);
}

/// zsh's completion system in a real interactive zsh: `compadd` is wrapped to write
/// every match it is given (after zsh's own prefix matching) to a file.
#[test]
fn zsh_completes_commands_flags_and_profiles() {
    if !support::tool("tmux") || !support::tool("zsh") {
        return;
    }
    let user = user();
    let root = user.dir.path();
    let zfunc = root.join("zfunc");
    std::fs::create_dir_all(&zfunc).unwrap();
    std::fs::write(zfunc.join("_credguard"), script("zsh", &user)).unwrap();
    let capture = root.join("matches");
    let zdot = root.join("zdot");
    std::fs::create_dir_all(&zdot).unwrap();
    std::fs::write(
        zdot.join(".zshrc"),
        format!(
            r#"PROMPT='zsh$ '
fpath=('{zfunc}' $fpath)
autoload -Uz compinit && compinit -u -D
compadd() {{
  if [[ ${{@[1,(i)(-|--)]}} == *-[ODA]* ]]; then builtin compadd "$@"; return; fi
  local -a hits
  builtin compadd -A hits "$@"
  (( $#hits )) && print -rl -- $hits >> '{capture}'
  builtin compadd "$@"
}}
"#,
            zfunc = zfunc.display(),
            capture = capture.display()
        ),
    )
    .unwrap();
    let t = Tmux::new(&user);
    t.window("z", &format!("env ZDOTDIR={} zsh -i", zdot.display()));
    t.wait_prompt("z", "the prompt", |l| l.contains("zsh$"));
    let complete = |line: &str| -> Vec<String> {
        let _ = std::fs::remove_file(&capture);
        t.tmux(&["send-keys", "-t", "t:z", "-l", line]);
        t.tmux(&["send-keys", "-t", "t:z", "Tab"]);
        let start = Instant::now();
        let mut got = String::new();
        // the matches come in one write; wait until it is there and quiet
        while start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(200));
            let now = std::fs::read_to_string(&capture).unwrap_or_default();
            if !now.is_empty() && now == got {
                break;
            }
            got = now;
        }
        t.tmux(&["send-keys", "-t", "t:z", "C-c"]);
        std::thread::sleep(Duration::from_millis(200));
        let mut v: Vec<String> = got.lines().map(str::to_string).collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(complete("credguard check --profile "), PROFILES);
    assert_eq!(complete("credguard doctor --profile=prod"), ["prod-admin"]);
    assert_eq!(complete("credguard sta"), ["status"]);
    assert_eq!(
        complete("credguard status --color "),
        ["always", "auto", "never"]
    );
    let flags = complete("credguard check --");
    for f in [
        "--profile",
        "--json",
        "--offline",
        "--fresh",
        "--color",
        "--help",
    ] {
        assert!(
            flags.iter().any(|m| m.starts_with(f)),
            "{f} not in {flags:?}"
        );
    }
}

/// `man` renders both pages without a warning, and every line of every help text (as
/// `--help` prints it) is in the rendered page.
#[test]
fn man_pages_hold_every_help_text() {
    if !support::tool("man") {
        return;
    }
    let user = user();
    for (bin, helps) in [
        (
            credguard(),
            &[
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
            ][..],
        ),
        (credguardd(), &["run", "check", "man"][..]),
    ] {
        let page = user.dir.path().join("page.1");
        let roff = Command::new(&bin).arg("man").output().unwrap();
        assert!(roff.status.success());
        std::fs::write(&page, &roff.stdout).unwrap();
        let shown = render(&page);
        let mut texts = vec![help_of(&bin, &["--help"])];
        texts.extend(helps.iter().map(|c| help_of(&bin, &[c, "--help"])));
        for text in &texts {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                assert!(
                    shown.contains(line.trim_end()),
                    "{}: {line:?} is not in the manual page:\n{shown}",
                    bin.display()
                );
            }
        }
    }
}

fn help_of(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().unwrap();
    assert!(out.status.success(), "{} {args:?}", bin.display());
    String::from_utf8(out.stdout).unwrap()
}

/// The page as `man` shows it (wide enough that no help line wraps); any warning fails.
fn render(page: &Path) -> String {
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env_clear()
        .envs([
            ("LC_ALL", "C.UTF-8"),
            ("MANWIDTH", "120"),
            ("PATH", "/usr/bin:/bin"),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "man: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}
