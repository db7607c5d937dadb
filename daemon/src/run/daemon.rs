//! `credguardd` itself. [`serve`] is the daemon as a library function: it takes its world,
//! clock, listener and a channel of [`Signal`]s, so tests run it in-process; [`run`] is
//! what the binary calls: the process environment, the wall clock, the socket (bound here
//! or passed by systemd), a runtime, and SIGTERM/SIGINT/SIGHUP turned into signals.

use crate::config::Config;
use crate::paths;
use crate::run::badges::BadgeFiles;
use crate::run::desktop::Desktop;
use crate::run::engine::{Command, Engine, Shared};
use crate::run::listen::{self, BindError};
use crate::run::sdnotify::Notifier;
use crate::run::serve::{self, Ctx};
use crate::validate::accounts::Accounts;
use crate::validate::cache::Cache;
use crate::world::{Clock, World};
use credguard_client::paths::{SocketOrigin, process_env, resolve_socket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use tokio::net::UnixListener;
use tokio::sync::{mpsc, oneshot};

/// Exit code when another daemon already runs for this user.
pub const EXIT_ALREADY_RUNNING: i32 = 1;

/// What steers a running daemon from outside (the process's signals, or a test).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Re-read the config and the files (SIGHUP).
    Reload,
    /// Save the cache and stop (SIGTERM, SIGINT).
    Shutdown,
}

/// Everything the daemon reads from its surroundings, injected.
pub struct Setup {
    pub world: World,
    pub clock: Clock,
    pub config_path: Option<PathBuf>,
    pub config: Config,
    pub cache: Cache,
    /// The remembered accounts (none: kept in memory only).
    pub accounts: Option<Accounts>,
    /// Where desktop notifications go (none: not sent).
    pub desktop: Option<Desktop>,
    /// Where the badge files go (none: not kept; the hooks ask the client).
    pub badges: Option<BadgeFiles>,
    pub notifier: Notifier,
}

impl Setup {
    /// The config and the verdict cache where `world` says they are; no notifications.
    pub fn new(world: World, clock: Clock) -> Setup {
        let config_path = paths::config_file(&world);
        let config = config_path.as_deref().map_or_else(Config::default, |p| {
            Config::load(p).unwrap_or_else(|e| {
                tracing::error!(error = %e, "config not loaded; running with the defaults until it is fixed");
                Config::default()
            })
        });
        let state = paths::state_dir(&world);
        let cache = state.as_deref().map_or_else(Cache::ephemeral, Cache::open);
        let accounts = state.as_deref().map(Accounts::open);
        Setup {
            world,
            clock,
            config_path,
            config,
            cache,
            accounts,
            desktop: None,
            badges: None,
            notifier: Notifier::none(),
        }
    }
}

/// Serves `listener` until `signals` says [`Signal::Shutdown`] or closes; returns the exit
/// code. The socket file is the caller's.
pub async fn serve(
    setup: Setup,
    listener: UnixListener,
    mut signals: mpsc::Receiver<Signal>,
) -> i32 {
    let shared = Arc::new(Shared::default());
    let mut engine = Engine::new(
        setup.world,
        setup.clock.clone(),
        setup.config_path,
        setup.config,
        setup.cache,
        shared.clone(),
    );
    if let Some(desktop) = setup.desktop {
        engine = engine.with_desktop(desktop);
    }
    if let Some(badges) = setup.badges {
        engine = engine.with_badges(badges);
    }
    if let Some(accounts) = setup.accounts {
        engine = engine.with_accounts(accounts);
    }
    engine.start();
    tracing::info!(watching = ?engine.watched(), "credguardd {} ready", env!("CARGO_PKG_VERSION"));
    let (tx, rx) = mpsc::channel(64);
    let engine_task = tokio::spawn(engine.run(rx));
    let ctx = Arc::new(Ctx {
        shared,
        clock: setup.clock,
        commands: tx.clone(),
        uid: listen::my_uid(),
        refused: AtomicU64::new(0),
        bad_requests: AtomicU64::new(0),
        feeds: tokio::sync::Semaphore::new(serve::MAX_FEEDS),
    });
    let server_task = tokio::spawn(serve::serve(listener, ctx));
    let notifier = setup.notifier;
    notifier.ready();
    while let Some(Signal::Reload) = signals.recv().await {
        notifier.reloading();
        let (rtx, rrx) = oneshot::channel();
        if tx.send(Command::Reload { reply: Some(rtx) }).await.is_ok()
            && let Ok(msg) = rrx.await
        {
            tracing::info!("reload: {msg}");
        }
        notifier.ready();
    }
    tracing::info!("shutting down");
    notifier.stopping();
    server_task.abort();
    let (rtx, rrx) = oneshot::channel();
    if tx.send(Command::Shutdown { reply: rtx }).await.is_ok() {
        let _ = rrx.await;
    }
    drop(tx);
    let _ = engine_task.await;
    0
}

/// The daemon as a process: runs until SIGTERM or SIGINT; returns the exit code.
pub fn run() -> i32 {
    let world = World::from_process();
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
    let code = rt.block_on(async {
        let listener = match bound.listener.try_clone().and_then(UnixListener::from_std) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "cannot serve the socket");
                return 2;
            }
        };
        let Some(signals) = process_signals() else {
            tracing::error!("cannot install signal handlers");
            return 2;
        };
        tracing::info!(socket = %bound.path.display(), "listening");
        let mut setup = Setup::new(world, clock());
        setup.desktop = Some(Desktop::start());
        setup.badges = badge_files(&bound.path, &socket, origin);
        setup.notifier = Notifier::from_env();
        serve(setup, listener, signals).await
    });
    bound.remove();
    code
}

/// Badge files beside the socket when it is in its default place in `$XDG_RUNTIME_DIR`
/// (`credguard_client::badgefile::dir_for`), where the hooks look for them.
fn badge_files(bound: &Path, default: &Path, origin: SocketOrigin) -> Option<BadgeFiles> {
    if bound != default {
        return None;
    }
    let dir = credguard_client::badgefile::dir_for(default, origin)?;
    match BadgeFiles::open(dir) {
        Ok(b) => {
            tracing::info!(dir = %b.dir().display(), "badge files for the prompt hooks");
            Some(b)
        }
        Err(e) => {
            tracing::warn!(error = %e, "no badge files; prompts ask the daemon instead");
            None
        }
    }
}

/// SIGHUP as [`Signal::Reload`], SIGTERM and SIGINT as [`Signal::Shutdown`].
fn process_signals() -> Option<mpsc::Receiver<Signal>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok()?;
    let mut int = signal(SignalKind::interrupt()).ok()?;
    let mut hup = signal(SignalKind::hangup()).ok()?;
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        loop {
            let s = tokio::select! {
                _ = term.recv() => Signal::Shutdown,
                _ = int.recv() => Signal::Shutdown,
                _ = hup.recv() => Signal::Reload,
            };
            if tx.send(s).await.is_err() || s == Signal::Shutdown {
                return;
            }
        }
    });
    Some(rx)
}

/// The wall clock, in what users install.
#[cfg(not(feature = "fake-clock"))]
fn clock() -> Clock {
    crate::world::wall_clock()
}

/// For tests of the binary only (cargo feature `fake-clock`, which `scripts/test.sh`
/// enables and release builds never do): `CREDGUARD_FAKE_CLOCK_FILE` names a file holding
/// seconds to add to the real time (re-read at every look at the clock), so a test can move
/// time forward and send SIGHUP, as if a timer had fired. A FAKE, named as such.
#[cfg(feature = "fake-clock")]
fn clock() -> Clock {
    let Some(path) = std::env::var_os("CREDGUARD_FAKE_CLOCK_FILE") else {
        return crate::world::wall_clock();
    };
    tracing::warn!(file = ?path, "FAKE clock in use (CREDGUARD_FAKE_CLOCK_FILE): for tests only");
    Arc::new(move || {
        let offset = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(0);
        time::OffsetDateTime::now_utc() + time::Duration::seconds(offset)
    })
}
