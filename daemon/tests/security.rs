//! Security and reliability as an attacker or a bad day would test them: secrets planted
//! everywhere and searched for in every output; the socket attacked with planted symlinks,
//! foreign directories and 10,000 connections; a cache write killed mid-way; a state dir
//! that cannot be written. Real binaries, moto as STS where STS matters.
#![allow(clippy::unwrap_used)]
// fork + kill -9 of a child that is in the middle of the cache write
#![allow(unsafe_code)]

use crate::support;

use crate::support::daemon::{User, credguardd};
use crate::support::moto::{Keys, Moto, Seed};
use credguard_client::{Request, Response, exchange};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

const CLOSED: &str = "http://127.0.0.1:9";
const WAIT: Duration = Duration::from_secs(30);

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every regular file under `dir`, recursively (symlinks not followed).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            files_under(&e.path(), out);
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn no_secret_reaches_any_output_log_cache_file_or_reply() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("alice")
            .user("bob")
            .assumed_role("sess", "leakrole", "alice"),
    );
    let (alice, bob, sess) = (
        seeded.user("alice"),
        seeded.user("bob"),
        seeded.session("sess"),
    );
    let user = User::new(&moto.endpoint);
    let later = rfc3339(time::OffsetDateTime::now_utc() + time::Duration::hours(8));

    // planted material: unique strings that no output may contain
    let planted_key = "AKIACGLEAKQQQQ000001";
    let planted_secret = "cgLeakSecret0000000000000000000000000001";
    let hidden_key = "AKIACGLEAKQQQQ000002";
    let stale_token = "cgLeakStaleToken000000000000000000000001";
    let sso_access = "cgLeakSsoAccessToken00000000000000000001";
    let sso_refresh = "cgLeakSsoRefreshToken0000000000000000001";
    let sso_client_secret = "cgLeakSsoClientSecret000000000000000001";
    let role_key = "ASIACGLEAKQQQQ000003";
    let role_secret = "cgLeakRoleSecret000000000000000000000001";
    let role_token = "cgLeakRoleToken0000000000000000000000001";
    let env_token = "cgLeakEnvToken00000000000000000000000001";

    std::fs::write(
        user.credentials(),
        format!(
            "[alice]\naws_access_key_id = {ak}\naws_secret_access_key = {asec}\n\
             [temp]\naws_access_key_id = {sk}\naws_secret_access_key = {ssec}\naws_session_token = {stok}\naws_expiration = {exp}\n\
             [stale]\naws_access_key_id = {ak}\naws_secret_access_key = {asec}\naws_session_token = {stale_token}\n\
             [planted]\naws_access_key_id = {planted_key}\naws_secret_access_key = {planted_secret}\n\
             [hidden]\naws_access_key_id = {hidden_key}\u{200b}\naws_secret_access_key = {planted_secret}\n",
            ak = alice.access_key_id,
            asec = alice.secret_access_key,
            sk = sess.access_key_id,
            ssec = sess.secret_access_key,
            stok = sess.session_token,
            exp = sess.expiration,
        ),
    )
    .unwrap();
    let start_url = "https://cg-leak.awsapps.com/start";
    std::fs::write(
        user.aws().join("config"),
        format!(
            "[profile sso]\nsso_start_url = {start_url}\nsso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Dev\n\
             [profile role]\nrole_arn = arn:aws:iam::123456789012:role/leak\nsource_profile = alice\n"
        ),
    )
    .unwrap();
    let world = credguard::world::World::new(
        [("HOME", user.home().to_str().unwrap())],
        time::OffsetDateTime::now_utc(),
    );
    let sso_file = credguard::aws::sso::cache_path(&world, start_url).unwrap();
    std::fs::create_dir_all(sso_file.parent().unwrap()).unwrap();
    std::fs::write(
        &sso_file,
        format!(
            r#"{{"startUrl":"{start_url}","region":"us-east-1","accessToken":"{sso_access}","expiresAt":"{later}","refreshToken":"{sso_refresh}","clientId":"cgclient","clientSecret":"{sso_client_secret}","registrationExpiresAt":"{later}"}}"#
        ),
    )
    .unwrap();
    let cli_key = credguard::aws::clicache::cache_key(&credguard::aws::clicache::RoleArgs {
        role_arn: "arn:aws:iam::123456789012:role/leak",
        ..Default::default()
    });
    let cli_dir = user.aws().join("cli/cache");
    std::fs::create_dir_all(&cli_dir).unwrap();
    std::fs::write(
        cli_dir.join(format!("{cli_key}.json")),
        format!(
            r#"{{"Credentials":{{"AccessKeyId":"{role_key}","SecretAccessKey":"{role_secret}","SessionToken":"{role_token}","Expiration":"{later}"}},"ProviderType":"assume-role"}}"#
        ),
    )
    .unwrap();

    // the daemon at trace level, everything on
    let mut d = user.start_with(&[("CREDGUARD_LOG", "trace")]);
    user.wait_state("alice", "ok", WAIT);
    user.wait_state("planted", "invalid", WAIT);

    let env_bob = [
        ("AWS_ACCESS_KEY_ID", bob.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", bob.secret_access_key.as_str()),
        ("CREDGUARD_PROMPT_TIMEOUT_MS", "2000"),
    ];
    let env_planted = [
        ("AWS_ACCESS_KEY_ID", planted_key),
        ("AWS_SECRET_ACCESS_KEY", planted_secret),
        ("AWS_SESSION_TOKEN", env_token),
        ("CREDGUARD_PROMPT_TIMEOUT_MS", "2000"),
    ];
    let mut outputs = Vec::new();
    let mut run = |args: &[&str], extra: &[(&str, &str)]| {
        let out = user.client(args, extra);
        outputs.push((
            format!("credguard {}", args.join(" ")),
            text(&out.stdout) + &text(&out.stderr),
        ));
    };
    run(&["prompt"], &env_bob);
    user.wait_prompt(&env_bob, WAIT, str::is_empty);
    for env in [&env_bob[..], &env_planted[..], &[][..]] {
        for args in [
            &["prompt"][..],
            &["status"],
            &["status", "--json"],
            &["doctor"],
            &["doctor", "--profile", "planted"],
            &["doctor", "--profile", "hidden"],
            &["doctor", "--profile", "temp"],
            &["doctor", "--profile", "sso"],
            &["doctor", "--profile", "role"],
            &["check"],
            &["check", "--json"],
            &["reload"],
        ] {
            run(args, env);
        }
        for profile in ["alice", "temp", "stale", "planted", "hidden", "sso", "role"] {
            run(&["prompt"], &[env, &[("AWS_PROFILE", profile)]].concat());
        }
    }
    // the engine run once, and straight to STS
    for args in [&["check", "--json", "--fresh"][..], &["check"]] {
        let out = std::process::Command::new(credguardd())
            .args(args)
            .env_clear()
            .envs(user.vars.iter().cloned())
            .env("CREDGUARD_LOG", "trace")
            .output()
            .unwrap();
        outputs.push((
            format!("credguardd {}", args.join(" ")),
            text(&out.stdout) + &text(&out.stderr),
        ));
    }
    // raw replies over the socket
    for req in [
        Request::Status { json: true },
        Request::Doctor {
            profile: Some("planted".into()),
            shell_profile: None,
            env: None,
        },
    ] {
        let r = exchange(&user.socket(), &req, Duration::from_secs(5)).unwrap();
        outputs.push((format!("reply to {req:?}"), format!("{r:?}")));
    }
    d.signal("TERM");
    assert_eq!(d.wait_exit(), Some(0));
    outputs.push(("credguardd log (trace)".into(), d.log()));
    // every file the programs wrote: the state, runtime and config dirs (not ~/.aws,
    // which holds what this test planted)
    let mut files = Vec::new();
    for dir in ["state", "runtime", "config"] {
        files_under(&user.dir.path().join(dir), &mut files);
    }
    assert!(
        files.iter().any(|f| f.ends_with("verdicts.json")),
        "the verdict cache was written: {files:?}"
    );
    for f in &files {
        outputs.push((
            f.display().to_string(),
            text(&std::fs::read(f).unwrap_or_default()),
        ));
    }

    let secrets = [
        alice.access_key_id.as_str(),
        &alice.secret_access_key,
        bob.access_key_id.as_str(),
        &bob.secret_access_key,
        &sess.access_key_id,
        &sess.secret_access_key,
        &sess.session_token,
        planted_key,
        planted_secret,
        hidden_key,
        stale_token,
        sso_access,
        sso_refresh,
        sso_client_secret,
        role_key,
        role_secret,
        role_token,
        env_token,
    ];
    let mut hits = Vec::new();
    for (what, out) in &outputs {
        for s in secrets {
            // the whole string, and its first 16 characters (a truncated leak)
            for needle in [s, &s[..16]] {
                if out.contains(needle) {
                    hits.push(format!("{what}: {needle}"));
                }
            }
        }
    }
    assert!(hits.is_empty(), "secrets leaked:\n{}", hits.join("\n"));
    // the search had something to search: the commands answered, the log is verbose
    let all: String = outputs.iter().map(|o| o.1.as_str()).collect();
    assert!(all.contains("planted"), "the outputs name the profiles");
    assert!(
        all.contains(&credguard_client::proto::mask_key_id(planted_key)),
        "masked key ids are shown"
    );
    let log = &outputs
        .iter()
        .find(|(w, _)| w == "credguardd log (trace)")
        .unwrap()
        .1;
    assert!(
        log.contains(" DEBUG ") && log.contains("validat"),
        "the daemon logged verbosely about its validations: {log}"
    );
    eprintln!(
        "searched {} outputs and files ({} bytes) for {} secrets: no hit",
        outputs.len(),
        all.len(),
        secrets.len()
    );
}

/// The socket dir as the daemon derives it for this user.
fn sock_dir(user: &User) -> PathBuf {
    user.socket().parent().unwrap().to_path_buf()
}

fn start_fails(user: &User) -> String {
    let mut d = user.spawn_with(&[]);
    let code = d.wait_exit();
    assert_ne!(code, Some(0), "credguardd must refuse: {}", d.log());
    d.log()
}

#[test]
fn the_socket_is_never_created_through_a_planted_symlink_or_in_a_foreign_directory() {
    let user = User::new(CLOSED);
    let elsewhere = user.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();

    // a symlink where the socket directory should be
    std::os::unix::fs::symlink(&elsewhere, sock_dir(&user)).unwrap();
    let log = start_fails(&user);
    assert!(log.contains("symbolic link"), "{log}");
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing created through the link"
    );
    std::fs::remove_file(sock_dir(&user)).unwrap();

    // a symlink where the socket should be (pointing at a file the attacker wants clobbered)
    std::fs::create_dir(sock_dir(&user)).unwrap();
    let victim = elsewhere.join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, user.socket()).unwrap();
    let log = start_fails(&user);
    assert!(log.contains("symbolic link"), "{log}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    std::fs::remove_file(user.socket()).unwrap();

    // a socket directory owned by someone else
    let other = rustix::process::Uid::from_raw(65534);
    match rustix::fs::chown(sock_dir(&user), Some(other), None) {
        Ok(()) => {
            let log = start_fails(&user);
            assert!(log.contains("belongs to uid 65534"), "{log}");
            assert!(!user.socket().exists());
            rustix::fs::chown(sock_dir(&user), Some(rustix::process::geteuid()), None).unwrap();
        }
        Err(e) => assert!(
            std::env::var_os("CI").is_none(),
            "CI runs as root and must test the foreign directory: chown: {e}"
        ),
    }

    // a group/world-open directory of our own is tightened to 0700; the socket is 0600
    std::fs::set_permissions(sock_dir(&user), std::fs::Permissions::from_mode(0o777)).unwrap();
    let _d = user.start();
    let dm = std::fs::metadata(sock_dir(&user)).unwrap();
    let sm = std::fs::symlink_metadata(user.socket()).unwrap();
    assert_eq!(
        (dm.mode() & 0o777, sm.mode() & 0o777),
        (0o700, 0o600),
        "dir and socket modes"
    );
}

fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn ten_thousand_connections_are_bounded_and_the_daemon_keeps_serving() {
    let user = User::new(CLOSED);
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let d = user.start();
    let pid = d.pid();
    let sock = user.socket();
    let rss0 = d.rss_kib();
    let fds0 = fd_count(pid);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // a sampler of the daemon's open descriptors while the crowd runs
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(fd_count(pid));
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    // 16 threads × 625 connections: a third ask properly, a third send garbage, a third
    // connect and leave without a word
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let sock = sock.clone();
            std::thread::spawn(move || {
                let (mut answered, mut asked) = (0, 0);
                for i in 0..625 {
                    match (t + i) % 3 {
                        0 => {
                            asked += 1;
                            if let Ok(Response::Badge { .. }) = exchange(
                                &sock,
                                &Request::Prompt(Default::default()),
                                Duration::from_secs(20),
                            ) {
                                answered += 1;
                            }
                        }
                        1 => {
                            if let Ok(mut s) = UnixStream::connect(&sock) {
                                use std::io::Write;
                                let _ = s.write_all(b"\x00\x00\x00\x08garbage!");
                            }
                        }
                        _ => drop(UnixStream::connect(&sock)),
                    }
                }
                (answered, asked)
            })
        })
        .collect();
    let (mut answered, mut asked) = (0, 0);
    for t in threads {
        let (a, b) = t.join().unwrap();
        answered += a;
        asked += b;
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.join().unwrap();
    assert_eq!(
        answered, asked,
        "every proper request among 10,000 answered"
    );
    assert!(asked > 3000);
    assert!(
        peak <= fds0 + credguard::run::serve::MAX_CONNECTIONS + 8,
        "open descriptors bounded by the connection limit: peak {peak}, idle {fds0}"
    );
    let rss = d.rss_kib();
    eprintln!("10,000 connections: peak {peak} fds (idle {fds0}), RSS {rss0} → {rss} KiB");
    assert!(rss < rss0 + 64 * 1024, "memory bounded: {rss0} → {rss} KiB");
    assert_eq!(user.prompt(&[]), "aws:default ✗ no secret");
}

mod faults;
