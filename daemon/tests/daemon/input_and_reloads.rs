//! The daemon, continued: bad input on the socket, files replaced or half written, config
//! reloads, a console login while it runs.
#![allow(clippy::unwrap_used)]

use super::*;

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
