//! The daemon and the client as users run them: real binaries, a temporary HOME and
//! runtime dir, moto as STS (auth enforced) or a closed port where STS does not matter.
#![allow(clippy::unwrap_used)]

use crate::support;

use crate::support::daemon::User;
use crate::support::login;
use crate::support::moto::{Keys, Moto, Seed};
use credguard_client::proto::{self, PROTOCOL_VERSION};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// An endpoint nobody listens on: validation ends `unknown` (network), never `invalid`.
const CLOSED: &str = "http://127.0.0.1:9";
const WAIT: Duration = Duration::from_secs(20);

fn profile(name: &str, k: &Keys) -> String {
    format!(
        "[{name}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        k.access_key_id, k.secret_access_key
    )
}

#[test]
fn badge_follows_vim_saves_and_a_recreated_aws_dir() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice"));
    let alice = seeded.user("alice");
    let user = User::new(&moto.endpoint);
    std::fs::write(user.credentials(), profile("default", alice)).unwrap();
    std::fs::set_permissions(user.credentials(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let _d = user.start();
    user.wait_state("default", "ok", WAIT);
    assert_eq!(user.prompt(&[]), "", "a valid profile shows nothing");

    // an offline problem: a no-break space pasted after the key id
    let broken = profile("default", alice).replacen(
        &alice.access_key_id,
        &format!("{}\u{a0}", alice.access_key_id),
        1,
    );
    user.save_like_vim(&user.credentials(), &broken);
    let (b, t) = user.wait_prompt(&[], WAIT, |b| !b.is_empty());
    assert_eq!(b, "aws:default ✗ hidden char");
    eprintln!("offline problem shown {t:?} after the save");

    // a key STS does not know: the badge turns after moto's answer
    let unknown = Keys {
        access_key_id: "AKIAZZZZZZZZZZZZZZZZ".into(),
        ..alice.clone()
    };
    user.save_like_vim(&user.credentials(), &profile("default", &unknown));
    let (b, t) = user.wait_prompt(&[], WAIT, |b| b.contains("invalid key"));
    assert_eq!(b, "aws:default ✗ invalid key");
    eprintln!("STS verdict shown {t:?} after the save");
    assert_eq!(
        user.prompt(&[
            ("CREDGUARD_PROMPT_TIMEOUT_MS", "2000"),
            ("AWS_PROFILE", "default")
        ]),
        "aws:default ✗ invalid key"
    );

    // fixed again: silent again, and the fixed key costs no new STS call (cached verdict)
    let before = moto.calls_with(&alice.access_key_id);
    user.save_like_vim(&user.credentials(), &profile("default", alice));
    user.wait_prompt(&[], WAIT, str::is_empty);
    assert_eq!(moto.calls_with(&alice.access_key_id), before);

    // ~/.aws removed: the profile is gone; recreated: the daemon follows
    std::fs::remove_dir_all(user.aws()).unwrap();
    user.wait_prompt(&[("AWS_PROFILE", "work")], WAIT, |b| {
        b == "aws:work ✗ no such profile"
    });
    std::fs::create_dir(user.aws()).unwrap();
    std::fs::write(user.credentials(), profile("work", &unknown)).unwrap();
    let (b, _) = user.wait_prompt(&[("AWS_PROFILE", "work")], WAIT, |b| {
        b.contains("invalid key")
    });
    assert_eq!(b, "aws:work ✗ invalid key");
    // AWS_PROFILE is per shell: another shell on another profile sees its own badge
    std::fs::write(
        user.credentials(),
        format!("{}{}", profile("work", &unknown), profile("home", alice)),
    )
    .unwrap();
    user.wait_state("home", "ok", WAIT);
    assert_eq!(user.prompt(&[("AWS_PROFILE", "home")]), "");
    assert_eq!(
        user.prompt(&[("AWS_PROFILE", "work")]),
        "aws:work ✗ invalid key"
    );
    assert_eq!(
        user.client(&["prompt", "--ascii"], &[("AWS_PROFILE", "work")])
            .stdout,
        b"aws:work ! invalid key"
    );
}

#[test]
fn a_thousand_writes_cost_one_sts_call_per_changed_credential_set() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice").user("bob"));
    let (alice, bob) = (seeded.user("alice"), seeded.user("bob"));
    let (proxy, calls) = moto.counting_proxy();
    let user = User::new(&proxy);
    std::fs::write(user.credentials(), profile("a", alice)).unwrap();
    let _d = user.start();
    user.wait_state("a", "ok", WAIT);
    let before = calls.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(before, 1, "one call for one credential set");

    // 1,000 saves in about a second: comments change every time (same credentials), and
    // from the 500th on, profile b appears (one new credential set)
    let start = Instant::now();
    for i in 0..1000 {
        let mut text = format!("# save {i}\n{}", profile("a", alice));
        if i >= 500 {
            text.push_str(&profile("b", bob));
        }
        user.save_like_vim(&user.credentials(), &text);
        std::thread::sleep(Duration::from_micros(800));
    }
    let took = start.elapsed();
    user.wait_state("b", "ok", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    let after = calls.load(std::sync::atomic::Ordering::SeqCst);
    eprintln!("1000 saves in {took:?}: {} STS call(s)", after - before);
    assert_eq!(
        after - before,
        1,
        "exactly one call, for profile b's new credentials"
    );
    assert_eq!(user.state_of("a").as_deref(), Some("ok"));
}

#[test]
fn env_credentials_are_validated_once_in_the_background() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice"));
    let alice = seeded.user("alice");
    let user = User::new(&moto.endpoint);
    let _d = user.start();
    let good = [
        ("AWS_ACCESS_KEY_ID", alice.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", alice.secret_access_key.as_str()),
        ("CREDGUARD_PROMPT_TIMEOUT_MS", "2000"),
    ];
    assert_eq!(user.prompt(&good), "aws:env … checking");
    user.wait_prompt(&good, WAIT, str::is_empty);
    assert_eq!(moto.calls_with(&alice.access_key_id), 1);
    for _ in 0..5 {
        assert_eq!(user.prompt(&good), "");
    }
    assert_eq!(
        moto.calls_with(&alice.access_key_id),
        1,
        "the verdict is cached"
    );

    let wrong = [
        ("AWS_ACCESS_KEY_ID", "AKIAZZZZZZZZZZZZZZZZ"),
        ("AWS_SECRET_ACCESS_KEY", alice.secret_access_key.as_str()),
        ("CREDGUARD_PROMPT_TIMEOUT_MS", "2000"),
    ];
    let (b, _) = user.wait_prompt(&wrong, WAIT, |b| b.contains('✗'));
    assert_eq!(b, "aws:env ✗ invalid key");

    // offline problems need no daemon at all
    let stray = [
        ("AWS_ACCESS_KEY_ID", alice.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", alice.secret_access_key.as_str()),
        ("AWS_SESSION_TOKEN", "leftover"),
        ("CREDGUARD_SOCKET", "/nonexistent/credguard.sock"),
    ];
    assert_eq!(user.prompt(&stray), "aws:env ✗ stray token");
}

#[test]
fn kill_9_leaves_a_neutral_mark_and_a_restart_recovers_the_socket() {
    let user = User::new(CLOSED);
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let mut d = user.start();
    assert_eq!(user.prompt(&[]), "aws:default ✗ no secret");

    // a second daemon for the same user says so and exits non-zero
    let second = std::process::Command::new(support::daemon::credguardd())
        .env_clear()
        .envs(user.vars.iter().cloned())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("already running"), "{err}");

    d.signal("KILL");
    d.wait_exit();
    assert!(
        user.socket().exists(),
        "kill -9 leaves the socket file behind"
    );
    let start = Instant::now();
    assert_eq!(user.prompt(&[]), "aws:?");
    eprintln!("prompt with a dead daemon: {:?}", start.elapsed());
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "the prompt must not wait for a dead daemon"
    );
    let status = user.client(&["status"], &[]);
    assert_eq!(status.status.code(), Some(2));
    let err = String::from_utf8_lossy(&status.stderr);
    assert!(
        err.contains("credguardd &"),
        "status tells how to start the daemon: {err}"
    );

    // a hung daemon (stopped): its badge files still answer at no cost (it is alive, its
    // last badge stands), and a question only the socket can answer (a profile with no
    // badge file) costs the prompt its deadline, not more
    let mut d = user.start();
    assert!(d.log().contains("stale socket"), "{}", d.log());
    d.signal("STOP");
    assert_eq!(user.prompt(&[]), "aws:default ✗ no secret");
    let start = Instant::now();
    assert_eq!(
        user.prompt(&[
            ("CREDGUARD_PROMPT_TIMEOUT_MS", "100"),
            ("AWS_PROFILE", "not-a-profile")
        ]),
        "aws:?"
    );
    eprintln!(
        "prompt with a hung daemon (100 ms deadline): {:?}",
        start.elapsed()
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    d.signal("CONT");

    // SIGTERM: clean shutdown, socket removed
    d.signal("TERM");
    assert_eq!(d.wait_exit(), Some(0));
    assert!(!user.socket().exists(), "the socket is removed on SIGTERM");
}

#[test]
fn another_users_connection_is_refused() {
    let user = User::new(CLOSED);
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let d = user.start();
    let dir = user.socket().parent().unwrap().to_path_buf();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "socket directory mode");
    let mode = std::fs::metadata(user.socket())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "socket mode");

    let is_root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m))
        .unwrap()
        == 0;
    if !is_root {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI runs as root to switch users"
        );
        eprintln!("SKIP: needs root to run a client as another user");
        return;
    }
    // open the file permissions so that only the peer-uid check stands in the way
    for p in [
        user.dir.path().to_path_buf(),
        user.dir.path().join("runtime"),
        dir.clone(),
    ] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
    std::fs::set_permissions(user.socket(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(support::daemon::credguard())
        .args(["status"])
        .env_clear()
        .env("CREDGUARD_SOCKET", user.socket())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let log = d.log();
    assert!(
        log.contains("refused a connection from another user") && log.contains("uid=65534"),
        "{log}"
    );
    // the owner is still served
    assert_eq!(user.prompt(&[]), "aws:default ✗ no secret");
}

/// Raw bytes to the socket; the reply frame if one came.
fn raw(socket: &std::path::Path, bytes: &[u8], close_write: bool) -> Option<Vec<u8>> {
    let mut s = UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(bytes);
    if close_write {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    (!out.is_empty()).then_some(out)
}

#[test]
fn bad_input_on_the_socket_is_answered_or_dropped_and_the_daemon_keeps_serving() {
    let user = User::new(CLOSED);
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let d = user.start();
    let sock = user.socket();
    let decode = |b: Vec<u8>| proto::decode_response(&b[4..]).unwrap();

    // garbage payload: an error answer naming the problem
    let r = decode(
        raw(
            &sock,
            &proto::encode_frame(b"\x00\xffnot a request").unwrap(),
            false,
        )
        .unwrap(),
    );
    assert!(
        matches!(&r, proto::Response::Error { message } if message.contains("bad request")),
        "{r:?}"
    );
    // oversized: refused before reading it
    let r = decode(raw(&sock, &(u32::MAX).to_be_bytes(), false).unwrap());
    assert!(
        matches!(&r, proto::Response::Error { message } if message.contains("exceeds")),
        "{r:?}"
    );
    // another protocol version: said so
    let r = decode(
        raw(
            &sock,
            &proto::encode_frame(b"v=99\nt=ping\n").unwrap(),
            false,
        )
        .unwrap(),
    );
    assert_eq!(
        r,
        proto::Response::VersionMismatch {
            daemon_protocol: PROTOCOL_VERSION
        }
    );
    // truncated frames: dropped
    assert_eq!(raw(&sock, &[0, 0, 0, 50, b'v'], true), None);
    assert_eq!(raw(&sock, &[0, 0], true), None);

    // silent clients and a crowd: 2,000 connections at once, 300 of them never writing
    let silent: Vec<UnixStream> = (0..300)
        .map(|_| UnixStream::connect(&sock).unwrap())
        .collect();
    let threads: Vec<_> =
        (0..8)
            .map(|_| {
                let user_vars = user.vars.clone();
                let sock = sock.clone();
                std::thread::spawn(move || {
                    let _ = user_vars;
                    let mut ok = 0;
                    for _ in 0..212 {
                        if let Ok(credguard_client::Response::Badge { .. }) =
                            credguard_client::exchange(
                                &sock,
                                &credguard_client::Request::Prompt(Default::default()),
                                Duration::from_secs(10),
                            )
                        {
                            ok += 1;
                        }
                    }
                    ok
                })
            })
            .collect();
    let ok: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(
        ok,
        8 * 212,
        "every well-formed request answered while 300 clients sat silent"
    );
    drop(silent);
    let rss = d.rss_kib();
    eprintln!("daemon RSS after the crowd: {rss} KiB");
    assert!(rss < 200 * 1024, "memory bounded: {rss} KiB");
    assert_eq!(user.prompt(&[]), "aws:default ✗ no secret");
}

#[test]
fn files_replaced_deleted_or_half_written_are_verdicts_not_crashes() {
    let user = User::new(CLOSED);
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let mut d = user.start();
    assert_eq!(user.prompt(&[]), "aws:default ✗ no secret");
    // the credentials file replaced by a directory
    std::fs::remove_file(user.credentials()).unwrap();
    std::fs::create_dir(user.credentials()).unwrap();
    std::fs::write(user.aws().join("config"), "[default]\nregion = us-east-1\n").unwrap();
    user.wait_prompt(&[], WAIT, |b| b != "aws:default ✗ no secret");
    let status = user.status();
    let text = status.to_string();
    assert!(text.contains("unreadable-file"), "{text}");
    std::fs::remove_dir(user.credentials()).unwrap();
    // half-written: a section header cut in the middle
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n[prod",
    )
    .unwrap();
    user.wait_prompt(&[], WAIT, |b| b.contains("parse error"));
    // a FIFO with no writer (open would block forever) and a link to /dev/zero (a read
    // would never end), where the credentials file and an SSO cache file should be: each
    // is a located verdict, and the daemon keeps answering
    std::fs::remove_file(user.credentials()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(user.credentials())
        .status()
        .unwrap();
    assert!(made.success());
    let start = Instant::now();
    while !user.status().to_string().contains("not a regular file") {
        assert!(start.elapsed() < WAIT, "{}", user.status());
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::write(
        user.aws().join("config"),
        "[profile sso]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n\
         [sso-session s]\nsso_region = us-east-1\nsso_start_url = https://x.awsapps.com/start\n",
    )
    .unwrap();
    std::fs::create_dir_all(user.aws().join("sso/cache")).unwrap();
    std::os::unix::fs::symlink(
        "/dev/zero",
        user.aws()
            .join("sso/cache/a0f1490a20d0211c997b44bc357e1972deab8ae3.json"),
    )
    .unwrap();
    let start = Instant::now();
    while !user.status().to_string().contains("sso-login-required") {
        assert!(start.elapsed() < WAIT, "{}", user.status());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        d.child.try_wait().unwrap().is_none(),
        "the daemon is still up"
    );
}

#[test]
fn config_edits_and_sighup_reload_and_a_broken_config_keeps_the_old_one() {
    let user = User::new(CLOSED);
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n[noisy]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let d = user.start();
    let names = |u: &User| -> Vec<String> {
        u.status()["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["profile"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&user), ["default", "noisy"]);
    // an edit of config.toml is picked up by the watcher
    user.save_like_vim(&user.config_file(), "ignore_profiles = [\"noisy\"]\n");
    let start = Instant::now();
    while names(&user) != ["default"] {
        assert!(
            start.elapsed() < WAIT,
            "config edit not applied: {:?}\n{}",
            names(&user),
            d.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        user.prompt(&[("AWS_PROFILE", "noisy")]),
        "",
        "an ignored profile stays quiet"
    );
    // a broken config: logged, the previous one kept
    std::fs::write(
        user.config_file(),
        "ignore_profiles = [\"noisy\"\nbogus = 1\n",
    )
    .unwrap();
    d.signal("HUP");
    let start = Instant::now();
    while !d.log().contains("keeping the previous one") {
        assert!(start.elapsed() < WAIT, "{}", d.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(names(&user), ["default"]);
    // `credguard reload` reports the config error too
    let out = user.client(&["reload"], &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("kept the previous configuration") && text.contains("line"),
        "{text}"
    );
    std::fs::write(user.config_file(), "").unwrap();
    let out = user.client(&["reload"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("reloaded"));
    assert_eq!(names(&user), ["default", "noisy"]);
}

/// `aws login` writes its cache while the daemon runs: the badge for a console-login
/// profile goes from "login" to silent with no restart, the cache's credentials are what
/// STS judged, and logging out (the CLI deletes the file) brings the badge back.
#[test]
fn a_console_login_turns_the_badge_without_a_restart() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("dan")
            .assumed_role("console", "viewer", "dan"),
    );
    let s = seeded.session("console");
    let user = User::new(&moto.endpoint);
    let arn = "arn:aws:iam::123456789012:user/dan";
    std::fs::write(
        user.aws().join("config"),
        format!("[profile console]\nlogin_session = {arn}\n"),
    )
    .unwrap();
    let env = [("AWS_PROFILE", "console")];
    let _d = user.start();
    let (b, _) = user.wait_prompt(&env, WAIT, |b| !b.is_empty());
    assert_eq!(b, "aws:console ✗ login");

    let cache = user.aws().join("login/cache");
    let file = login::write_cache(
        &cache,
        arn,
        (&s.access_key_id, &s.secret_access_key, &s.session_token),
        &login::from_now(Duration::from_secs(3600).try_into().unwrap()),
    );
    let (b, t) = user.wait_prompt(&env, WAIT, str::is_empty);
    assert_eq!(b, "");
    eprintln!("login noticed {t:?} after the cache was written");
    user.wait_state("console", "ok", WAIT);
    let status = user.status();
    let p = &support::profile_of(&status, "console");
    assert_eq!(p["source"], "login", "{p:#}");
    assert!(
        p["identity"]["arn"]
            .as_str()
            .unwrap()
            .contains(":assumed-role/viewer/"),
        "{p:#}"
    );
    assert!(p["expires_at"].is_string(), "{p:#}");
    assert!(moto.calls_with(&s.access_key_id) >= 1);
    assert!(!status.to_string().contains(login::REFRESH_TOKEN));

    std::fs::remove_file(file).unwrap();
    let (b, _) = user.wait_prompt(&env, WAIT, |b| !b.is_empty());
    assert_eq!(b, "aws:console ✗ login");
}
