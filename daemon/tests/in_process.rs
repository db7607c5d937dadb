//! The daemon and its engine run in this test process, through the library: the world, the
//! clock, the listener and the signals are injected, so these tests need no spawned binary,
//! no process environment and no waiting on the wall clock. The clock is tokio's paused
//! clock where a timer must fire: virtual time jumps to the engine's next deadline.
#![allow(clippy::unwrap_used)]

use credguard::config::Config;
use credguard::run::daemon::{Setup, Signal, serve};
use credguard::run::engine::{Command, Engine, Shared};
use credguard::validate::cache::Cache;
use credguard::verdict::{Code, State};
use credguard::world::{Clock, World};
use credguard_client::{PromptQuery, Request, Response, exchange};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::sync::{mpsc, oneshot};

const KEY: &str = "AKIAQ3EGINPROCESS01";
const TEMP_KEY: &str = "ASIAQ3EGINPROCESS01";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYINPROCESS1";

/// A temporary HOME and XDG dirs; STS a closed port on 127.0.0.1 (nothing is validated).
fn world(root: &Path, now: OffsetDateTime) -> World {
    for d in ["home/.aws", "runtime", "state", "config/credguard"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let p = |s: &str| root.join(s).to_string_lossy().into_owned();
    World::new(
        [
            ("HOME", p("home")),
            ("XDG_RUNTIME_DIR", p("runtime")),
            ("XDG_STATE_HOME", p("state")),
            ("XDG_CONFIG_HOME", p("config")),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1".into()),
            ("AWS_REGION", "us-east-1".into()),
        ],
        now,
    )
}

fn credentials(root: &Path, text: &str) {
    std::fs::write(root.join("home/.aws/credentials"), text).unwrap();
}

/// `start` plus the time tokio's (paused) clock has moved since the test began.
fn tokio_clock(start: OffsetDateTime) -> Clock {
    let t0 = tokio::time::Instant::now();
    Arc::new(move || start + (tokio::time::Instant::now() - t0))
}

async fn prompt(socket: &Path, profile: &str) -> String {
    let socket = socket.to_path_buf();
    let req = Request::Prompt(PromptQuery {
        profile: Some(profile.into()),
        env_fingerprint: None,
        ascii: true,
    });
    let answer =
        tokio::task::spawn_blocking(move || exchange(&socket, &req, Duration::from_secs(5)))
            .await
            .unwrap()
            .unwrap();
    match answer {
        Response::Badge { text, .. } => text,
        other => panic!("not a badge: {other:?}"),
    }
}

/// The daemon as a library function: it serves a broken profile's badge over the socket,
/// follows an edit of the file, and returns 0 on [`Signal::Shutdown`].
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_library_daemon_serves_follows_an_edit_and_shuts_down() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let world = world(root, OffsetDateTime::now_utc());
    credentials(root, &format!("[default]\naws_access_key_id = {KEY}\n"));
    let socket = root.join("runtime/test.sock");
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let (signals, rx) = mpsc::channel(1);
    let daemon = tokio::spawn(serve(
        Setup::new(world, credguard::world::wall_clock()),
        listener,
        rx,
    ));

    let mut badge = String::new();
    for _ in 0..100 {
        badge = prompt(&socket, "default").await;
        if !badge.is_empty() && !badge.contains("...") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(badge.contains("aws:default"), "badge: {badge:?}");
    assert!(badge.contains("no secret"), "badge: {badge:?}");

    // a session key without its token: the badge follows the file, no restart
    credentials(
        root,
        &format!("[default]\naws_access_key_id = {TEMP_KEY}\naws_secret_access_key = {SECRET}\n"),
    );
    let mut after = badge.clone();
    for _ in 0..100 {
        after = prompt(&socket, "default").await;
        if after != badge {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        after.contains("no session token"),
        "badge after the edit: {after:?}"
    );

    signals.send(Signal::Shutdown).await.unwrap();
    let code = tokio::time::timeout(Duration::from_secs(10), daemon)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code, 0);
}

/// The engine's one timer, in tokio's paused time: credentials 16 minutes from expiry are
/// not `expiring` (threshold 15 min); the engine wakes by itself at the threshold (no file
/// event, no command) and publishes `expiring`; at expiry, `expired`.
#[tokio::test(start_paused = true)]
async fn the_engine_wakes_at_each_expiry_threshold_in_paused_time() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let start = datetime!(2026-11-30 12:00:00 UTC);
    let world = world(root, start);
    credentials(
        root,
        &format!(
            "[default]\naws_access_key_id = {TEMP_KEY}\naws_secret_access_key = {SECRET}\naws_session_token = IQoJb3JpZ2luX2VjEINPROCESS\naws_expiration = 2026-11-30T12:16:00Z\n"
        ),
    );
    let shared = Arc::new(Shared::default());
    let mut engine = Engine::new(
        world,
        tokio_clock(start),
        None,
        Config::default(),
        Cache::ephemeral(),
        shared.clone(),
    );
    engine.start();
    let (tx, rx) = mpsc::channel(4);
    let task = tokio::spawn(engine.run(rx));
    let codes = || -> Vec<Code> {
        let snap = shared.snapshot();
        let p = snap.profile("default").unwrap();
        p.problems.iter().map(|p| p.code).collect()
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!codes().contains(&Code::Expiring), "{:?}", codes());

    // 16 min before expiry → the 15-minute threshold is 60 s away
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert!(codes().contains(&Code::Expiring), "{:?}", codes());

    tokio::time::sleep(Duration::from_secs(15 * 60)).await;
    let snap = shared.snapshot();
    let p = snap.profile("default").unwrap();
    assert_eq!(p.state, State::Expired, "{p:?}");
    assert!(p.problems.iter().any(|p| p.code == Code::Expired));

    let (rtx, rrx) = oneshot::channel();
    tx.send(Command::Shutdown { reply: rtx }).await.unwrap();
    rrx.await.unwrap();
    task.await.unwrap();
}
