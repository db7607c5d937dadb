//! `scripts/install.sh` on a temporary HOME with the binaries this test run built
//! (`--bin-dir`), for a zsh, a bash and a fish user: the rc file gains the hook between
//! markers, a second run changes no file, a new login shell in tmux (which starts the
//! daemon itself: no systemd here) shows the badge for a broken profile, and
//! `--uninstall` leaves the rc file byte-identical and the prefix gone.
#![allow(clippy::unwrap_used)]

use crate::shells::Tmux;
use crate::support;
use crate::support::daemon::{User, credguard};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BROKEN: &str = "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n";

/// Stops the daemon that the badge files name (whoever started it) when the test ends.
struct StopDaemon(PathBuf);

impl StopDaemon {
    fn pid(&self) -> Option<String> {
        let link = std::fs::read_link(self.0.join("credguard/badge/.proc")).ok()?;
        Some(link.file_name()?.to_string_lossy().into_owned())
    }
}

impl Drop for StopDaemon {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").arg(&pid).output();
        }
    }
}

/// Every file under `dirs`: path → bytes.
fn tree(dirs: &[PathBuf]) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(d: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(d) else { return };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    for d in dirs {
        walk(d, &mut out);
    }
    out
}

fn install(user: &User, args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/install.sh");
    let out = Command::new("bash")
        .arg(script)
        .args(args)
        .env_clear()
        .envs(user.vars.iter().cloned())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "install.sh {args:?}: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn installs_into_a_login_shell(shell: &str) {
    if !support::tool("tmux") || !support::tool(shell) {
        return;
    }
    let mut user = User::new("http://127.0.0.1:9");
    std::fs::write(user.credentials(), BROKEN).unwrap();
    let root = user.dir.path().to_path_buf();
    let home = user.home();
    let shell_path = String::from_utf8(
        Command::new("sh")
            .args(["-c", &format!("command -v {shell}")])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    user.vars.push(("SHELL".into(), shell_path.trim().into()));
    // the user's own start-up files; zsh's lacks a final newline
    let rc = match shell {
        "zsh" => {
            std::fs::write(home.join(".zshrc"), "PROMPT='zsh$ '\nRPROMPT='[r]'").unwrap();
            home.join(".zshrc")
        }
        "bash" => {
            // Debian's ~/.profile: a login bash reads it, and it reads ~/.bashrc
            std::fs::write(
                home.join(".profile"),
                "if [ -n \"$BASH_VERSION\" ] && [ -f \"$HOME/.bashrc\" ]; then . \"$HOME/.bashrc\"; fi\n",
            )
            .unwrap();
            std::fs::write(home.join(".bashrc"), "PS1='bash$ '\n").unwrap();
            home.join(".bashrc")
        }
        _ => {
            let dir = root.join("config/fish");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("config.fish"),
                "set -g fish_greeting\nfunction fish_prompt; printf 'fish$ '; end\n",
            )
            .unwrap();
            dir.join("config.fish")
        }
    };
    let before = std::fs::read(&rc).unwrap();
    let prefix = root.join("prefix");
    let bin_dir = credguard().parent().unwrap().to_path_buf();
    let args = [
        "--prefix",
        prefix.to_str().unwrap(),
        "--bin-dir",
        bin_dir.to_str().unwrap(),
    ];
    let _stop = StopDaemon(root.join("runtime"));

    let first = install(&user, &args);
    assert!(
        first.contains(&format!("added the credguard block to {}", rc.display())),
        "{first}"
    );
    assert!(first.contains(&format!("installed: {}/bin/credguard\n", prefix.display())));
    assert!(first.contains("credguard doctor:\nThis shell\n"), "{first}");
    assert!(first.contains("error[missing-secret]"), "{first}");
    let rc_text = String::from_utf8(std::fs::read(&rc).unwrap()).unwrap();
    assert!(rc_text.starts_with(std::str::from_utf8(&before).unwrap()));
    assert!(rc_text.ends_with("# <<< credguard <<<\n"), "{rc_text}");
    assert!(rc_text.contains(&format!("init {shell}")), "{rc_text}");

    // a second run: every file as it was, and it says so
    let watched = [
        home.clone(),
        prefix.clone(),
        root.join("config"),
        root.join("state/credguard/install.manifest"),
    ];
    let snapshot = tree(&watched);
    let second = install(&user, &args);
    assert_eq!(
        tree(&watched),
        snapshot,
        "the second run changed files:\n{second}"
    );
    assert!(
        !second.contains("installed:") && !second.contains("added"),
        "{second}"
    );
    assert!(
        second.contains("unchanged: credguardd is running"),
        "{second}"
    );

    // stop the daemon: the new shell's start-up file starts it again
    let stop = StopDaemon(root.join("runtime"));
    drop(stop);
    let start = Instant::now();
    while user.socket().exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the daemon did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let t = Tmux::new(&user);
    t.window("a", &format!("{shell} -il"));
    let line = t.wait_prompt("a", "the badge", |l| l.contains("aws:default ✗ no secret"));
    eprintln!("{shell}: {line}");
    assert!(
        line.contains(&format!("{shell}$")),
        "the user's prompt is kept: {line}"
    );
    // the completions are loaded from the prefix
    let probe = match shell {
        "zsh" => "print -r -- ${+functions[_credguard]}",
        "bash" => "complete -p credguard",
        _ => "complete -C 'credguard sta' | string match -r '^status'",
    };
    t.send("a", probe);
    let want = match shell {
        "zsh" => "\n1\n",
        "bash" => "complete -F _credguard credguard",
        _ => "\nstatus",
    };
    let start = Instant::now();
    while !t.screen("a").contains(want) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{shell}: completions not loaded: {}",
            t.screen("a")
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(t);

    let out = install(&user, &["--uninstall"]);
    assert!(out.contains("stopped credguardd"), "{out}");
    assert!(out.contains("credguard is uninstalled"), "{out}");
    assert_eq!(
        std::fs::read(&rc).unwrap(),
        before,
        "the rc file is not as it was"
    );
    assert!(!prefix.exists(), "{} is left", prefix.display());
    assert!(!root.join("state/credguard/install.manifest").exists());
}

#[test]
fn zsh_user_installs_and_uninstalls() {
    installs_into_a_login_shell("zsh");
}

#[test]
fn bash_user_installs_and_uninstalls() {
    installs_into_a_login_shell("bash");
}

#[test]
fn fish_user_installs_and_uninstalls() {
    installs_into_a_login_shell("fish");
}
