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

    // a key STS does not know: the badge turns after moto's answer (an id of the old form,
    // which encodes no account: one of another account is `wrong-account` offline)
    let unknown = Keys {
        access_key_id: "AKIAIZZZZZZZZZZZZZZZ".into(),
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

mod input_and_reloads;
