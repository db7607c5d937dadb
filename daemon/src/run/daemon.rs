//! `credguardd` in the foreground: bind the socket, run the engine, serve, handle signals.

use crate::config::Config;
use crate::paths;
use crate::run::desktop::Desktop;
use crate::run::engine::{Command, Engine, Shared};
use crate::run::listen::{self, BindError};
use crate::run::sdnotify::Notifier;
use crate::run::serve::{self, Ctx};
use crate::validate::cache::Cache;
use crate::world::World;
use credguard_client::paths::{process_env, resolve_socket};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use time::OffsetDateTime;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

/// The wall clock; for tests, a FAKE clock: `CREDGUARD_FAKE_CLOCK_FILE` names a file
/// holding seconds to add to the real time (re-read at every look at the clock), so a
/// test can move time forward and send SIGHUP, as if a timer had fired.
fn clock() -> Box<dyn Fn() -> OffsetDateTime + Send + Sync> {
    match std::env::var_os("CREDGUARD_FAKE_CLOCK_FILE") {
        Some(path) => {
            tracing::warn!(file = ?path, "FAKE clock in use (CREDGUARD_FAKE_CLOCK_FILE): for tests only");
            Box::new(move || {
                let offset = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|s| s.trim().parse::<i64>().ok())
                    .unwrap_or(0);
                OffsetDateTime::now_utc() + time::Duration::seconds(offset)
            })
        }
        None => Box::new(OffsetDateTime::now_utc),
    }
}

/// Exit code when another daemon already runs for this user.
pub const EXIT_ALREADY_RUNNING: i32 = 1;

/// Runs the daemon until SIGTERM or SIGINT; returns the process exit code.
pub fn run() -> i32 {
    let world = World::from_process();
    let config_path = paths::config_file(&world);
    let config = match &config_path {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "config not loaded; running with the defaults until it is fixed");
                Config::default()
            }
        },
        None => Config::default(),
    };
    let (socket, origin) = resolve_socket(&process_env);
    let activated = listen::from_systemd(&process_env);
    if let Some(Ok(b)) = &activated {
        tracing::info!(socket = %b.path.display(), "socket passed by systemd (socket activation)");
        if b.path != socket {
            tracing::warn!(passed = %b.path.display(), expected = %socket.display(), "the passed socket is not where clients look by default; set CREDGUARD_SOCKET for them");
        }
    }
    let bound = match activated.unwrap_or_else(|| listen::bind(&socket, origin)) {
        Ok(b) => b,
        Err(e @ BindError::AlreadyRunning { .. }) => {
            eprintln!("credguardd: {e}; `credguard status` talks to it");
            return EXIT_ALREADY_RUNNING;
        }
        Err(e) => {
            eprintln!("credguardd: cannot create the socket: {e}");
            return 2;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("credguardd")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("credguardd: cannot start the async runtime: {e}");
            bound.remove();
            return 2;
        }
    };
    let code = rt.block_on(serve(world, config_path, config, &bound));
    bound.remove();
    code
}

async fn serve(
    world: World,
    config_path: Option<std::path::PathBuf>,
    config: Config,
    bound: &listen::Bound,
) -> i32 {
    let notifier = Notifier::from_env();
    let cache = match paths::state_dir(&world) {
        Some(dir) => Cache::open(&dir),
        None => Cache::ephemeral(),
    };
    let shared = Arc::new(Shared::default());
    let mut engine = Engine::new(world, clock(), config_path, config, cache, shared.clone())
        .with_desktop(Desktop::start());
    engine.start();
    tracing::info!(
        socket = %bound.path.display(),
        watching = ?engine.watched(),
        "credguardd {} ready",
        env!("CARGO_PKG_VERSION")
    );
    let (tx, rx) = mpsc::channel(64);
    let engine_task = tokio::spawn(engine.run(rx));
    let listener = match bound
        .listener
        .try_clone()
        .and_then(tokio::net::UnixListener::from_std)
    {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, "cannot serve the socket");
            return 2;
        }
    };
    let ctx = Arc::new(Ctx {
        shared,
        commands: tx.clone(),
        uid: listen::my_uid(),
        refused: AtomicU64::new(0),
        bad_requests: AtomicU64::new(0),
    });
    let server_task = tokio::spawn(serve::serve(listener, ctx));
    notifier.ready();

    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return 2;
    };
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => {
                notifier.reloading();
                let (rtx, rrx) = oneshot::channel();
                if tx.send(Command::Reload { reply: Some(rtx) }).await.is_ok()
                    && let Ok(msg) = rrx.await
                {
                    tracing::info!("SIGHUP: {msg}");
                }
                notifier.ready();
            }
        }
    }
    tracing::info!("shutting down");
    notifier.stopping();
    server_task.abort();
    bound.remove();
    let (rtx, rrx) = oneshot::channel();
    if tx.send(Command::Shutdown { reply: rtx }).await.is_ok() {
        let _ = rrx.await;
    }
    drop(tx);
    let _ = engine_task.await;
    0
}
