//! `credguard service install|uninstall|status`: the systemd user units (the service,
//! written with the path of `credguardd` filled in, and its socket for socket activation),
//! then `systemctl --user` to load and start them. Where systemd's user manager is not
//! reachable, say what to do instead.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The unit template (`systemd/credguard.service`).
pub const UNIT_TEMPLATE: &str = include_str!("../../../../systemd/credguard.service");
pub const UNIT_NAME: &str = "credguard.service";
/// The socket unit (`systemd/credguard.socket`): the first prompt starts the service.
pub const SOCKET_TEMPLATE: &str = include_str!("../../../../systemd/credguard.socket");
pub const SOCKET_NAME: &str = "credguard.socket";
const PLACEHOLDER: &str = "::CREDGUARDD::";

/// The unit with `ExecStart` pointing at `credguardd`, quoted for systemd (a path with
/// spaces in double quotes; `%` doubled, as systemd expands specifiers).
pub fn render_unit(credguardd: &str) -> String {
    let escaped = credguardd
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%");
    let arg = if escaped.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        format!("\"{escaped}\"")
    } else {
        escaped
    };
    UNIT_TEMPLATE.replace(PLACEHOLDER, &arg)
}

/// The launchd agent template (`launchd/dev.credguard.credguardd.plist`), for macOS.
pub const PLIST_TEMPLATE: &str = include_str!("../../../../launchd/dev.credguard.credguardd.plist");
pub const PLIST_LABEL: &str = "dev.credguard.credguardd";
const LOG_PLACEHOLDER: &str = "::LOG::";

/// The agent with `ProgramArguments` pointing at `credguardd` and its stderr going to
/// `log` (launchd expands nothing: both absolute), XML-escaped.
pub fn render_plist(credguardd: &str, log: &str) -> String {
    let xml = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&apos;")
    };
    PLIST_TEMPLATE
        .replace(PLACEHOLDER, &xml(credguardd))
        .replace(LOG_PLACEHOLDER, &xml(log))
}

/// `~/Library/LaunchAgents/dev.credguard.credguardd.plist` and the log beside it
/// (`~/Library/Logs/credguard.log`).
pub fn plist_paths(env: &dyn Fn(&str) -> Option<String>) -> Option<(PathBuf, PathBuf)> {
    let home = env("HOME").filter(|h| h.starts_with('/'))?;
    let lib = Path::new(&home).join("Library");
    Some((
        lib.join("LaunchAgents")
            .join(format!("{PLIST_LABEL}.plist")),
        lib.join("Logs").join("credguard.log"),
    ))
}

/// `gui/<uid>`, launchd's domain for the logged-in user.
fn gui_domain() -> Result<String, String> {
    let out = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| format!("cannot run id: {e}"))?;
    let uid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if uid.is_empty() {
        return Err("id -u printed nothing".into());
    }
    Ok(format!("gui/{uid}"))
}

fn launchctl(args: &[&str]) -> Result<(), String> {
    match Command::new("launchctl").args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => Err(format!("cannot run launchctl: {e}")),
    }
}

/// macOS: write the agent and load it into the user's GUI domain (replacing a loaded one).
fn install_launchd(env: &dyn Fn(&str) -> Option<String>, exe: &str) -> i32 {
    let Some((plist, log)) = plist_paths(env) else {
        errln!("credguard: HOME is not set to an absolute path: nowhere to install the agent");
        return 2;
    };
    for dir in [plist.parent(), log.parent()].into_iter().flatten() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            errln!("credguard: cannot create {}: {e}", dir.display());
            return 2;
        }
    }
    let text = render_plist(exe, &log.to_string_lossy());
    if let Err(e) = std::fs::write(&plist, text) {
        errln!("credguard: cannot write {}: {e}", plist.display());
        return 2;
    }
    outln!(
        "installed {} (credguardd: {exe}, log: {})",
        plist.display(),
        log.display()
    );
    let domain = match gui_domain() {
        Ok(d) => d,
        Err(why) => {
            errln!(
                "credguard: {why}; load it with `launchctl bootstrap gui/$(id -u) {}`",
                plist.display()
            );
            return 1;
        }
    };
    let _ = launchctl(&["bootout", &format!("{domain}/{PLIST_LABEL}")]);
    if let Err(why) = launchctl(&["bootstrap", &domain, &plist.to_string_lossy()]) {
        errln!(
            "credguard: `launchctl bootstrap {domain} {}` failed: {why}",
            plist.display()
        );
        return 1;
    }
    outln!("{PLIST_LABEL} loaded and started; `credguard status` shows its verdicts");
    0
}

fn uninstall_launchd(env: &dyn Fn(&str) -> Option<String>) -> i32 {
    let Some((plist, _)) = plist_paths(env) else {
        errln!("credguard: HOME is not set to an absolute path");
        return 2;
    };
    if let Ok(domain) = gui_domain() {
        let _ = launchctl(&["bootout", &format!("{domain}/{PLIST_LABEL}")]);
    }
    if remove_installed(&plist).is_err() {
        return 2;
    }
    0
}

/// Remove an installed unit or agent file, saying what happened; Err (already said) when it
/// is there and cannot be removed.
fn remove_installed(path: &Path) -> Result<(), ()> {
    match std::fs::remove_file(path) {
        Ok(()) => outln!("removed {}", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            outln!("{} was not installed", path.display())
        }
        Err(e) => {
            errln!("credguard: cannot remove {}: {e}", path.display());
            return Err(());
        }
    }
    Ok(())
}

fn status_launchd(env: &dyn Fn(&str) -> Option<String>) -> i32 {
    match plist_paths(env) {
        Some((p, _)) if p.is_file() => outln!("agent: {} (installed)", p.display()),
        Some((p, _)) => outln!(
            "agent: {} (not installed: `credguard service install`)",
            p.display()
        ),
        None => outln!("agent: no HOME, nowhere to install"),
    }
    let loaded = gui_domain()
        .and_then(|d| launchctl(&["print", &format!("{d}/{PLIST_LABEL}")]))
        .is_ok();
    outln!("launchd: {}", if loaded { "loaded" } else { "not loaded" });
    let installed = plist_paths(env).is_some_and(|(p, _)| p.is_file());
    if installed { 0 } else { 1 }
}

/// `$XDG_CONFIG_HOME/systemd/user` (absolute only), else `~/.config/systemd/user`.
pub fn unit_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |k: &str| env(k).filter(|v| !v.is_empty());
    if let Some(d) = set("XDG_CONFIG_HOME").filter(|d| d.starts_with('/')) {
        return Some(Path::new(&d).join("systemd/user"));
    }
    set("HOME").map(|h| Path::new(&h).join(".config/systemd/user"))
}

/// Runs `systemctl --user ARGS`: Ok(()) or the reason it failed (its stderr).
fn systemctl(args: &[&str]) -> Result<(), String> {
    match Command::new("systemctl").arg("--user").args(args).output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
        Err(e) => Err(format!("cannot run systemctl: {e}")),
    }
}

fn without_systemd(unit: &Path, why: &str) -> String {
    format!(
        "credguard: systemd's user manager is not reachable ({why}).\n\
         The unit is at {}; once systemd runs for your user: systemctl --user daemon-reload && systemctl --user enable --now credguard.socket credguard.service\n\
         Without systemd, start the daemon from your shell's start-up file instead, e.g. in ~/.profile:\n  \
         pgrep -u \"$(id -u)\" -x credguardd >/dev/null || (credguardd >/dev/null 2>&1 &)\n\
         (a second credguardd exits at once: one daemon per user)",
        unit.display()
    )
}

/// `install`: 0 when the service runs, 1 when the unit was written but systemd could not
/// start it (with instructions), 2 on errors.
pub fn install(env: &dyn Fn(&str) -> Option<String>, credguardd: &Path) -> i32 {
    if cfg!(target_os = "macos") {
        return match credguardd.to_str() {
            Some(exe) => install_launchd(env, exe),
            None => {
                errln!("credguard: the path of credguardd is not UTF-8");
                2
            }
        };
    }
    let Some(dir) = unit_dir(env) else {
        errln!("credguard: neither XDG_CONFIG_HOME nor HOME is set: nowhere to install the unit");
        return 2;
    };
    let Some(exe) = credguardd.to_str() else {
        errln!(
            "credguard: the path of credguardd is not UTF-8: {}",
            credguardd.display()
        );
        return 2;
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        errln!("credguard: cannot create {}: {e}", dir.display());
        return 2;
    }
    let unit = dir.join(UNIT_NAME);
    let socket = dir.join(SOCKET_NAME);
    for (path, text) in [
        (&socket, SOCKET_TEMPLATE.to_string()),
        (&unit, render_unit(exe)),
    ] {
        if let Err(e) = std::fs::write(path, text) {
            errln!("credguard: cannot write {}: {e}", path.display());
            return 2;
        }
    }
    outln!("installed {} (ExecStart={exe})", unit.display());
    outln!(
        "installed {} (socket activation: the first prompt starts the service)",
        socket.display()
    );
    if let Err(why) = systemctl(&["daemon-reload"]) {
        errln!("{}", without_systemd(&unit, &why));
        return 1;
    }
    // the socket first, so that the service takes it instead of binding its own
    if let Err(why) = systemctl(&["enable", "--now", SOCKET_NAME, UNIT_NAME]) {
        errln!(
            "credguard: `systemctl --user enable --now {SOCKET_NAME} {UNIT_NAME}` failed: {why}"
        );
        return 1;
    }
    outln!(
        "credguard.socket and credguard.service enabled and started; `credguard status` shows its verdicts"
    );
    0
}

pub fn uninstall(env: &dyn Fn(&str) -> Option<String>) -> i32 {
    if cfg!(target_os = "macos") {
        return uninstall_launchd(env);
    }
    let Some(dir) = unit_dir(env) else {
        errln!("credguard: neither XDG_CONFIG_HOME nor HOME is set");
        return 2;
    };
    let stopped = systemctl(&["disable", "--now", SOCKET_NAME, UNIT_NAME]);
    for name in [UNIT_NAME, SOCKET_NAME] {
        if remove_installed(&dir.join(name)).is_err() {
            return 2;
        }
    }
    if let Err(why) = stopped.and_then(|()| systemctl(&["daemon-reload"])) {
        errln!(
            "credguard: systemd's user manager did not answer ({why}); if credguardd still runs, stop it with `pkill -u \"$(id -u)\" -x credguardd`"
        );
        return 1;
    }
    0
}

/// `status`: 0 when the unit is installed and systemd's user manager answers (running or
/// not, as it says); 1 when the unit is not installed or the manager cannot be asked.
pub fn status(env: &dyn Fn(&str) -> Option<String>) -> i32 {
    if cfg!(target_os = "macos") {
        return status_launchd(env);
    }
    let unit = unit_dir(env).map(|d| d.join(UNIT_NAME));
    let mut code = 0;
    match &unit {
        Some(u) if u.is_file() => outln!("unit: {} (installed)", u.display()),
        Some(u) => {
            outln!(
                "unit: {} (not installed: `credguard service install`)",
                u.display()
            );
            code = 1;
        }
        None => {
            outln!("unit: no HOME, nowhere to install");
            code = 1;
        }
    }
    for name in [SOCKET_NAME, UNIT_NAME] {
        match Command::new("systemctl")
            .args(["--user", "is-active", name])
            .output()
        {
            // is-active prints the state (exit 3 for inactive); nothing on stdout means
            // it could not ask (no user manager, no bus)
            Ok(o) if !o.stdout.trim_ascii().is_empty() => {
                let state = String::from_utf8_lossy(&o.stdout).trim().to_string();
                outln!("systemd {name}: {state}");
            }
            Ok(o) => {
                let why = String::from_utf8_lossy(&o.stderr).trim().to_string();
                errln!("credguard: systemd's user manager is not reachable ({why})");
                return 1;
            }
            Err(e) => {
                errln!("credguard: cannot run systemctl: {e}");
                return 1;
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_is_quoted_for_systemd() {
        let u = render_unit("/usr/local/bin/credguardd");
        assert!(u.contains("\nExecStart=/usr/local/bin/credguardd\n"), "{u}");
        assert!(!u.contains(PLACEHOLDER));
        let u = render_unit("/opt/my tools/100%/credguardd");
        assert!(
            u.contains("\nExecStart=\"/opt/my tools/100%%/credguardd\"\n"),
            "{u}"
        );
    }

    #[test]
    fn unit_dir_follows_xdg() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/u".to_string()),
            "XDG_CONFIG_HOME" => Some("relative".to_string()),
            _ => None,
        };
        assert_eq!(
            unit_dir(&env),
            Some(PathBuf::from("/home/u/.config/systemd/user"))
        );
        let env = |k: &str| (k == "XDG_CONFIG_HOME").then(|| "/x".to_string());
        assert_eq!(unit_dir(&env), Some(PathBuf::from("/x/systemd/user")));
    }

    /// macOS's launchd agent, checked here where there is no launchd: rendered with a
    /// path that needs escaping, it parses as an XML property list (Python's `plistlib`,
    /// the format's reference reader outside macOS) with the keys launchd needs.
    #[test]
    #[allow(clippy::unwrap_used)]
    fn launchd_agent_is_a_valid_property_list() {
        let found = Command::new("sh")
            .args(["-c", "command -v python3"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            assert_ne!(
                std::env::var("CI").as_deref(),
                Ok("true"),
                "python3 missing with CI=true: scripts/setup.sh installs it"
            );
            errln!("SKIP: python3 not installed (scripts/setup.sh)");
            return;
        }
        let exe = "/Users/me/my <tools> & \"bins\"/credguardd";
        let log = "/Users/me/Library/Logs/credguard.log";
        let file =
            std::env::temp_dir().join(format!("credguard-agent-{}.plist", std::process::id()));
        std::fs::write(&file, render_plist(exe, log)).unwrap();
        // one line per key, in an order fixed here; repr() shows types (True, 63, '...')
        let out = Command::new("python3")
            .args([
                "-c",
                "import plistlib, sys\n\
                 with open(sys.argv[1], 'rb') as f:\n    \
                     p = plistlib.load(f, fmt=plistlib.FMT_XML)\n\
                 for v in (p['Label'], p['ProgramArguments'], p['RunAtLoad'],\n          \
                           p['KeepAlive']['SuccessfulExit'], p['Umask'], p['StandardErrorPath']):\n    \
                     print(repr(v))",
            ])
            .arg(&file)
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&file);
        let got = String::from_utf8_lossy(&out.stdout);
        let want = format!(
            "'{PLIST_LABEL}'\n['/Users/me/my <tools> & \"bins\"/credguardd']\nTrue\nFalse\n63\n'{log}'\n"
        );
        assert_eq!(got, want, "{}", String::from_utf8_lossy(&out.stderr));
    }
}
