//! Real zsh, bash and fish in tmux with the hook loaded (twice) and a running daemon:
//! the badge appears when the credentials file breaks and goes when it is fixed,
//! AWS_PROFILE switched in one shell changes only that shell's badge, and with the
//! daemon killed the prompt still comes back at once, with the neutral mark. With the
//! client binary and the socket out of reach, the hooks follow the daemon's badge files
//! alone (builtins, no process).
#![allow(clippy::unwrap_used)]

use crate::support;

use crate::support::daemon::{User, credguard};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const GOOD: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";
const BROKEN: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";

pub(crate) struct Tmux {
    sock: PathBuf,
    vars: Vec<(String, String)>,
}

impl Tmux {
    pub(crate) fn new(user: &User) -> Tmux {
        let mut vars = user.vars.clone();
        vars.push(("TERM".into(), "xterm-256color".into()));
        vars.push(("LANG".into(), "C.UTF-8".into()));
        vars.retain(|(k, _)| k != "CREDGUARD_LOG");
        Tmux {
            sock: user.dir.path().join("tmux.sock"),
            vars,
        }
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .args(args)
            .env_clear()
            .envs(self.vars.iter().cloned())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn window(&self, name: &str, cmd: &str) {
        let has_server = Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .args(["has-session"])
            .env_clear()
            .envs(self.vars.iter().cloned())
            .output()
            .is_ok_and(|o| o.status.success());
        if has_server {
            self.tmux(&["new-window", "-d", "-n", name, cmd]);
        } else {
            self.tmux(&[
                "new-session",
                "-d",
                "-x",
                "160",
                "-y",
                "40",
                "-s",
                "t",
                "-n",
                name,
                cmd,
            ]);
        }
    }

    pub(crate) fn screen(&self, name: &str) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &format!("t:{name}")])
    }

    /// The last non-empty line on screen: the current prompt.
    pub(crate) fn prompt_line(&self, name: &str) -> String {
        self.screen(name)
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string()
    }

    pub(crate) fn send(&self, name: &str, keys: &str) {
        self.tmux(&["send-keys", "-t", &format!("t:{name}"), "-l", keys]);
        self.tmux(&["send-keys", "-t", &format!("t:{name}"), "Enter"]);
    }

    pub(crate) fn clear(&self, name: &str) {
        self.tmux(&["send-keys", "-t", &format!("t:{name}"), "C-l"]);
        self.tmux(&["clear-history", "-t", &format!("t:{name}")]);
    }

    /// Press Enter until the prompt line satisfies `want` (a new prompt each time).
    pub(crate) fn wait_prompt(
        &self,
        name: &str,
        what: &str,
        want: impl Fn(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            self.clear(name);
            std::thread::sleep(Duration::from_millis(150));
            let line = self.prompt_line(name);
            if want(&line) {
                return line;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{name}: prompt never showed {what}; screen:\n{}",
                self.screen(name)
            );
            self.send(name, "");
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.sock)
            .arg("kill-server")
            .output();
    }
}

/// The start-up file for `shell` that loads the hook twice.
fn rc(shell: &str, dir: &Path) -> String {
    rc_with(shell, dir, &credguard())
}

/// [`rc`] with the hook's client at `cg`.
fn rc_with(shell: &str, dir: &Path, cg: &Path) -> String {
    let cg = cg.display();
    match shell {
        "zsh" => {
            let d = dir.join("zdot");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join(".zshrc"),
                format!(
                    "PROMPT='zsh$ '\nRPROMPT='[r]'\neval \"$('{cg}' init zsh)\"\neval \"$('{cg}' init zsh)\"\n"
                ),
            )
            .unwrap();
            format!("env ZDOTDIR={} zsh -i", d.display())
        }
        "bash" => {
            let f = dir.join("bashrc");
            std::fs::write(
                &f,
                format!("PS1='bash$ '\nset -u\neval \"$('{cg}' init bash)\"\neval \"$('{cg}' init bash)\"\n"),
            )
            .unwrap();
            format!("bash --noprofile --rcfile {} -i", f.display())
        }
        _ => {
            let f = dir.join("hook.fish");
            std::fs::write(
                &f,
                format!(
                    "set -g fish_greeting\nfunction fish_prompt; printf 'fish$ '; end\nfunction fish_right_prompt; printf '[r]'; end\n'{cg}' init fish | source\n'{cg}' init fish | source\n"
                ),
            )
            .unwrap();
            format!("fish --no-config -C 'source {}'", f.display())
        }
    }
}

fn shell_follows_the_daemon(shell: &str) {
    if !support::tool("tmux") || !support::tool(shell) {
        return;
    }
    // STS is a closed port: a well-formed key stays `unknown`, which shows no badge
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), GOOD).unwrap();
    let mut d = user.start();
    let t = Tmux::new(&user);
    let cmd = rc(shell, user.dir.path());
    t.window("a", &cmd);
    t.window("b", &cmd);
    let prompt_sign = format!("{shell}$");
    t.wait_prompt("a", "a clean prompt", |l| {
        l.contains(&prompt_sign) && !l.contains("aws:")
    });

    std::fs::write(user.credentials(), BROKEN).unwrap();
    let line = t.wait_prompt("a", "the badge", |l| l.contains("aws:default ✗ no secret"));
    eprintln!("{shell}: {line}");
    if shell != "bash" {
        assert!(
            line.contains("aws:default ✗ no secret [r]"),
            "right prompt kept: {line}"
        );
    } else {
        assert!(line.starts_with("aws:default ✗ no secret bash$"), "{line}");
    }
    std::fs::write(user.credentials(), GOOD).unwrap();
    t.wait_prompt("a", "the badge gone", |l| {
        l.contains(&prompt_sign) && !l.contains("aws:")
    });

    // AWS_PROFILE in shell a only
    let export = if shell == "fish" {
        "set -gx AWS_PROFILE nope"
    } else {
        "export AWS_PROFILE=nope"
    };
    t.send("a", export);
    t.wait_prompt("a", "the profile's badge", |l| {
        l.contains("aws:nope ✗ no such profile")
    });
    let other = t.wait_prompt("b", "shell b's own prompt", |l| {
        l.contains(&prompt_sign) && !l.contains("checking")
    });
    assert!(!other.contains("aws:"), "shell b is not affected: {other}");
    if shell == "fish" {
        // fish keeps its badge path until a variable it depends on changes: a function's
        // local AWS_PROFILE is gone by the prompt (with no event), so the badge stays the
        // global profile's, not the local's (whose file is there to be misread)
        let local = user.dir.path().join("runtime/credguard/badge/default");
        assert!(local.is_file(), "no badge file for default");
        t.clear("a");
        t.send("a", "function w; set -lx AWS_PROFILE default; end; w");
        t.wait_prompt("a", "the global profile's badge", |l| {
            l.contains("aws:nope ✗ no such profile")
        });
    }

    // the daemon killed: the prompt still comes, with the neutral mark
    d.signal("KILL");
    d.wait_exit();
    t.clear("a");
    let start = Instant::now();
    t.send("a", "");
    let line = t.wait_prompt("a", "the neutral mark", |l| l.contains("aws:?"));
    eprintln!(
        "{shell} with the daemon killed: {line} ({:?})",
        start.elapsed()
    );
    let hooks = match shell {
        "zsh" => "print ${#precmd_functions}",
        "bash" => "echo \"$PROMPT_COMMAND\" | grep -c _credguard_prompt",
        _ => "functions -q _credguard_refresh; and echo loaded",
    };
    t.send("a", hooks);
    std::thread::sleep(Duration::from_millis(300));
    let screen = t.screen("a");
    let want = match shell {
        "zsh" => "\n1\n",
        "bash" => "\n1\n",
        _ => "\nloaded\n",
    };
    assert!(screen.contains(want), "hook registered once: {screen}");
}

#[test]
fn zsh_prompt_follows_the_daemon() {
    shell_follows_the_daemon("zsh");
}

#[test]
fn bash_prompt_follows_the_daemon() {
    shell_follows_the_daemon("bash");
}

#[test]
fn fish_prompt_follows_the_daemon() {
    shell_follows_the_daemon("fish");
}

#[test]
fn shellcheck_passes_on_the_bash_hook() {
    if !support::tool("shellcheck") {
        return;
    }
    let hook = concat!(env!("CARGO_MANIFEST_DIR"), "/../shell/credguard.bash");
    let out = Command::new("shellcheck")
        .args(["-s", "bash", hook])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The badge files alone: the client the hook would run is deleted and the socket moved
/// away, so a badge that still follows the credentials file was read from the files
/// with builtins. The daemon killed with -9 (its pid gone from /proc) sends the hook
/// back to the client, which shows the neutral mark.
fn shell_reads_the_badge_files(shell: &str) {
    if !support::tool("tmux") || !support::tool(shell) {
        return;
    }
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), GOOD).unwrap();
    let mut d = user.start();
    let badges = user.dir.path().join("runtime/credguard/badge");
    assert!(
        badges.join(".proc").is_symlink(),
        "no liveness record in {}",
        badges.display()
    );
    let bin = user.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let cg = bin.join("credguard");
    std::fs::copy(credguard(), &cg).unwrap();
    let t = Tmux::new(&user);
    t.window("a", &rc_with(shell, user.dir.path(), &cg));
    let prompt_sign = format!("{shell}$");
    t.wait_prompt("a", "a clean prompt", |l| {
        l.contains(&prompt_sign) && !l.contains("aws:")
    });

    std::fs::remove_file(&cg).unwrap();
    let socket = user.socket();
    let hidden = socket.with_file_name("moved.sock");
    std::fs::rename(&socket, &hidden).unwrap();
    std::fs::write(user.credentials(), BROKEN).unwrap();
    t.wait_prompt("a", "the badge from its file", |l| {
        l.contains("aws:default ✗ no secret")
    });
    std::fs::write(user.credentials(), GOOD).unwrap();
    t.wait_prompt("a", "the badge gone", |l| {
        l.contains(&prompt_sign) && !l.contains("aws:")
    });
    std::fs::write(user.credentials(), BROKEN).unwrap();
    t.wait_prompt("a", "the badge again", |l| {
        l.contains("aws:default ✗ no secret")
    });

    std::fs::rename(&hidden, &socket).unwrap();
    std::fs::copy(credguard(), &cg).unwrap();
    d.signal("KILL");
    d.wait_exit();
    t.clear("a");
    t.send("a", "");
    t.wait_prompt("a", "the neutral mark", |l| l.contains("aws:?"));
}

#[test]
fn zsh_reads_the_badge_files() {
    shell_reads_the_badge_files("zsh");
}

#[test]
fn bash_reads_the_badge_files() {
    shell_reads_the_badge_files("bash");
}

#[test]
fn fish_reads_the_badge_files() {
    shell_reads_the_badge_files("fish");
}
