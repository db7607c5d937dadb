//! The systemd user service: the unit passes systemd's own verifier, the daemon speaks the
//! readiness protocol, and a restart reuses the verdict cache (no STS storm).
#![allow(clippy::unwrap_used)]

use crate::support;

use crate::support::daemon::{User, credguard};
use crate::support::moto::{Moto, Seed};
use credguard_client::{BadgeState, Request, Response, exchange};
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::Duration;

#[test]
fn service_install_writes_a_unit_that_systemd_analyze_accepts() {
    if !support::tool("systemd-analyze") {
        return;
    }
    let user = User::new("http://127.0.0.1:9");
    let out = user.client(&["service", "install"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let unit = user
        .dir
        .path()
        .join("config/systemd/user/credguard.service");
    assert!(unit.is_file(), "{stdout}{stderr}");
    let text = std::fs::read_to_string(&unit).unwrap();
    let daemon = std::fs::canonicalize(support::daemon::credguardd()).unwrap();
    assert!(
        text.contains(&format!("\nExecStart={}\n", daemon.display())),
        "{text}"
    );
    assert!(
        text.contains("\nType=notify\n") && text.contains("\nExecReload=/bin/kill -HUP $MAINPID\n")
    );
    let socket_unit = unit.with_file_name("credguard.socket");
    let socket_text = std::fs::read_to_string(&socket_unit).unwrap();
    assert!(
        socket_text.contains("\nListenStream=%t/credguard/credguard.sock\n"),
        "{socket_text}"
    );
    // no user manager in this sandbox: the unit is written and the way forward is printed
    if out.status.code() == Some(1) {
        assert!(
            stderr.contains("systemd's user manager is not reachable"),
            "{stderr}"
        );
        assert!(stderr.contains("credguardd"), "{stderr}");
    } else {
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    }

    let verify = Command::new("systemd-analyze")
        .args(["--user", "verify"])
        .arg(&socket_unit)
        .arg(&unit)
        .env_clear()
        .env("HOME", user.home())
        .env("XDG_RUNTIME_DIR", user.dir.path().join("runtime"))
        .env("XDG_CONFIG_HOME", user.dir.path().join("config"))
        .env("PATH", "/usr/bin:/bin")
        .current_dir(user.dir.path())
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        verify.status.success() && said.trim().is_empty(),
        "systemd-analyze: {said}"
    );

    // the verifier is not a rubber stamp: an unknown key is reported
    let bad = user.dir.path().join("bad.service");
    std::fs::write(
        &bad,
        text.replace("[Service]\n", "[Service]\nExecStartt=/bin/true\n"),
    )
    .unwrap();
    let verify = Command::new("systemd-analyze")
        .args(["--user", "verify"])
        .arg(&bad)
        .env_clear()
        .env("HOME", user.home())
        .env("XDG_RUNTIME_DIR", user.dir.path().join("runtime"))
        .env("PATH", "/usr/bin:/bin")
        .current_dir(user.dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&verify.stderr).contains("Unknown key"));

    let out = user.client(&["service", "uninstall"], &[]);
    assert!(!unit.exists(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!socket_unit.exists());
    let _ = credguard();
}

fn recv(sock: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    let n = sock
        .recv(&mut buf)
        .expect("a notification within the timeout");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn ready_after_the_socket_answers_and_reloading_ready_around_sighup() {
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let path = user.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut d = user.spawn_with(&[("NOTIFY_SOCKET", path.to_str().unwrap())]);
    let first = recv(&sock);
    assert!(first.starts_with("READY=1"), "{first}");
    // READY means answering, with the first offline pass done
    let r = exchange(
        &user.socket(),
        &Request::Prompt(Default::default()),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(
        r,
        Response::Badge {
            text: "aws:default ✗ no secret".into(),
            state: BadgeState::Invalid
        }
    );
    d.signal("HUP");
    let reloading = recv(&sock);
    assert!(
        reloading.starts_with("RELOADING=1\nMONOTONIC_USEC="),
        "{reloading}"
    );
    assert_eq!(recv(&sock).lines().next(), Some("READY=1"));
    d.signal("TERM");
    assert_eq!(recv(&sock), "STOPPING=1");
    assert_eq!(d.wait_exit(), Some(0));
}

#[test]
fn a_restart_revalidates_only_stale_verdicts() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice").user("bob"));
    let (alice, bob) = (seeded.user("alice"), seeded.user("bob"));
    let user = User::new(&moto.endpoint);
    std::fs::write(
        user.credentials(),
        format!(
            "[a]\naws_access_key_id = {}\naws_secret_access_key = {}\n[b]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            alice.access_key_id, alice.secret_access_key, bob.access_key_id, bob.secret_access_key
        ),
    )
    .unwrap();
    let mut d = user.start();
    user.wait_state("a", "ok", Duration::from_secs(20));
    user.wait_state("b", "ok", Duration::from_secs(20));
    assert_eq!(moto.calls_with(&alice.access_key_id), 1);
    assert_eq!(moto.calls_with(&bob.access_key_id), 1);
    d.signal("KILL");
    d.wait_exit();

    // bob's verdict goes stale while the daemon is down (its entry is edited as if a day
    // had passed: idle profiles are revalidated daily); alice's is still fresh
    let cache = user.dir.path().join("state/credguard/verdicts.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
    let text = v.to_string();
    assert!(!text.contains(&alice.secret_access_key) && !text.contains(&alice.access_key_id));
    let mut edited = 0;
    for (_, e) in v["entries"].as_object_mut().unwrap() {
        if e.to_string().contains("user/bob") {
            e["fresh_until"] = 0.into();
            let day_ago = e["checked_at"].as_i64().unwrap() - 86_401;
            e["checked_at"] = day_ago.into();
            edited += 1;
        }
    }
    assert_eq!(edited, 1, "{text}");
    std::fs::write(&cache, v.to_string()).unwrap();

    let _d = user.start();
    user.wait_state("b", "ok", Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        moto.calls_with(&bob.access_key_id),
        2,
        "the stale verdict is revalidated"
    );
    assert_eq!(
        moto.calls_with(&alice.access_key_id),
        1,
        "the fresh one is not"
    );
    assert_eq!(user.state_of("a").as_deref(), Some("ok"));
}

/// Socket activation with systemd's own activator (`systemd-socket-activate`, the
/// LISTEN_FDS protocol of `credguard.socket`): the first prompt starts the daemon, which
/// serves the passed socket instead of binding one, and leaves it in place at exit for the
/// next activation.
#[test]
fn socket_activation_the_first_prompt_starts_the_daemon() {
    if !support::tool("systemd-socket-activate") {
        return;
    }
    let user = User::new("http://127.0.0.1:9");
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let dir = user.dir.path().join("activation");
    std::fs::create_dir(&dir).unwrap();
    let sock = dir.join("credguard.sock");
    let mut cmd = Command::new("systemd-socket-activate");
    cmd.arg("-l").arg(&sock);
    for (k, v) in &user.vars {
        cmd.arg("-E").arg(format!("{k}={v}"));
    }
    cmd.arg(support::daemon::credguardd())
        .env_clear()
        .envs(user.vars.iter().cloned())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(user.dir.path().join("activate.log")).unwrap());
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    while !sock.exists() {
        assert!(start.elapsed() < Duration::from_secs(10), "no socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    // nothing runs yet but the activator: the first prompt starts credguardd
    let env = [
        ("CREDGUARD_SOCKET", sock.to_str().unwrap()),
        ("CREDGUARD_PROMPT_TIMEOUT_MS", "10000"),
    ];
    assert_eq!(user.prompt(&env), "aws:default ✗ no secret");
    let log = || std::fs::read_to_string(user.dir.path().join("activate.log")).unwrap();
    assert!(
        log().contains("socket passed by systemd"),
        "the daemon took the passed socket: {}",
        log()
    );
    // it serves on, and a second daemon cannot start beside it
    assert_eq!(user.prompt(&env), "aws:default ✗ no secret");
    let second = Command::new(support::daemon::credguardd())
        .env_clear()
        .envs(user.vars.iter().cloned())
        .env("CREDGUARD_SOCKET", &sock)
        .output()
        .unwrap();
    assert_ne!(second.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("already"),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    // SIGTERM: a clean exit that leaves the socket file to its owner
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", log());
    assert!(
        sock.exists(),
        "the passed socket stays for the next activation"
    );
}
