//! The daemon's engine: one task (an actor) that owns the verdict cache and reacts to file
//! changes, STS answers, its timer and commands; it publishes an immutable [`Snapshot`]
//! that the socket server reads without waiting for anything.
//!
//! It runs the pipeline of [`crate::run::check`] (read, diagnose, validate, report) with the
//! STS calls in flight between the stages ([`calls`]). Beside it: the shells' environment
//! credentials ([`env`]), when to ask STS again ([`schedule`]), the timer ([`timers`]),
//! clock jumps and the clock probe ([`clock`]), `config.toml` ([`settings`]) and what it
//! publishes ([`snapshot`]).

mod calls;
mod clock;
mod env;
mod schedule;
mod settings;
mod snapshot;
mod timers;

pub use env::MAX_ENV_SETS;

/// Verdicts kept beyond those in use (a credential set each): bounds memory and the cache
/// file for a daemon fed ever new sets (a shell per temporary key), and keeps a week of a
/// normal user's history.
pub const MAX_CACHED_VERDICTS: usize = 1024;
pub use snapshot::{EnvView, Shared, Snapshot};

use crate::aws::files::Loaded;
use crate::aws::locate::{self, FileKind};
use crate::config::Config;
use crate::run::badges::BadgeFiles;
use crate::run::check;
use crate::run::desktop::{Desktop, Hush, Policy};
use crate::run::usage::Usage;
use crate::run::watch::{Wake, Watch};
use crate::validate::accounts::Accounts;
use crate::validate::cache::Cache;
use crate::validate::sts::Answer;
use crate::validate::{self, Judged};
use crate::verdict::{Report, State};
use crate::world::{Clock, World};
use calls::Calls;
use credguard_client::{EnvCredentials, Validation};
use env::EnvSub;
use settings::Settings;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Quiet time after the last file event before the files are read again.
pub const SETTLE: Duration = Duration::from_millis(100);
/// Under a continuous stream of events, read the files at least this often.
pub const MAX_SETTLE: Duration = Duration::from_secs(1);

/// Requests to the engine.
pub enum Command {
    /// Re-read the config and the files (SIGHUP, `credguard` reload). Replies with a
    /// message about the config.
    Reload {
        reply: Option<oneshot::Sender<String>>,
    },
    /// A full check (validation of what is stale, of everything when `Fresh`, of nothing
    /// when `Offline`); replies once every needed answer is in.
    Check {
        only: Option<String>,
        validation: Validation,
        /// The asking shell's environment credentials: judged as the one-shot check would.
        env: Option<Box<EnvCredentials>>,
        reply: oneshot::Sender<Report>,
    },
    /// Credentials from a shell's environment, to diagnose and validate in the background.
    SubmitEnv { creds: Box<EnvCredentials> },
    /// Save the cache and stop.
    Shutdown { reply: oneshot::Sender<()> },
}

/// A `check` waiting for its STS answers.
struct Waiter {
    pending: HashSet<String>,
    judged: Vec<Judged>,
    reply: oneshot::Sender<Report>,
}

pub struct Engine {
    /// The daemon's environment (its `now` is ignored; `clock` gives the time).
    base: World,
    clock: Clock,
    settings: Settings,
    calls: Calls,
    cache: Cache,
    /// The account each profile held at its last `ok` verdict.
    accounts: Accounts,
    /// The cache could not be written last time (warned once; said again once it works).
    cache_unwritable: bool,
    /// The files as last read, and every profile's diagnosis.
    loaded: Option<Loaded>,
    judged: Vec<Judged>,
    env_subs: HashMap<String, EnvSub>,
    waiters: Vec<Waiter>,
    shared: Arc<Shared>,
    watch: Watch,
    wake: Wake,
    generation: u64,
    desktop: Option<Desktop>,
    policy: Policy,
    badges: Option<BadgeFiles>,
    /// A profile counts down to its expiry: publish each minute (badge files, live feeds).
    countdown: bool,
    clock_watch: clock::ClockWatch,
    /// When shells last asked about each profile, and when the engine last looked.
    usage: Usage,
    looked_at: i64,
}

impl Engine {
    pub fn new(
        base: World,
        clock: Clock,
        config_path: Option<PathBuf>,
        config: Config,
        cache: Cache,
        shared: Arc<Shared>,
    ) -> Engine {
        let wake: Wake = Arc::default();
        Engine {
            base,
            clock,
            calls: Calls::new(&config),
            settings: Settings::new(config_path, config),
            cache,
            accounts: Accounts::default(),
            cache_unwritable: false,
            loaded: None,
            judged: Vec::new(),
            env_subs: HashMap::new(),
            waiters: Vec::new(),
            shared,
            watch: Watch::new(wake.clone()),
            wake,
            generation: 0,
            desktop: None,
            policy: Policy::default(),
            badges: None,
            countdown: false,
            clock_watch: clock::ClockWatch::new(),
            usage: Usage::default(),
            looked_at: 0,
        }
    }

    /// Keep the badge files for the prompt hooks in `badges`.
    pub fn with_badges(mut self, badges: BadgeFiles) -> Engine {
        self.badges = Some(badges);
        self
    }

    /// Remember each profile's account in `accounts` (else in memory only).
    pub fn with_accounts(mut self, accounts: Accounts) -> Engine {
        self.accounts = accounts;
        self
    }

    /// Deliver desktop notifications through `desktop`.
    pub fn with_desktop(mut self, desktop: Desktop) -> Engine {
        self.desktop = Some(desktop);
        self
    }

    fn world(&self) -> World {
        self.base.clone().with_now((self.clock)())
    }

    /// The directories to watch: those of the two files wherever the SDK variables put
    /// them, the SSO, CLI and login caches, and our own config's.
    fn watch_targets(&self) -> Vec<PathBuf> {
        let world = self.world();
        let mut t = Vec::new();
        for kind in [FileKind::Config, FileKind::Credentials] {
            if let Some(dir) = locate::locate(&world, kind).path.parent() {
                t.push(dir.to_path_buf());
            }
        }
        if let Some(aws) = locate::aws_dir(&world) {
            for sub in ["sso/cache", "cli/cache"] {
                t.push(aws.join(sub));
            }
        }
        if let Some(dir) = crate::aws::login::cache_dir(&world) {
            t.push(dir);
        }
        if let Some(dir) = self.settings.path.as_ref().and_then(|p| p.parent()) {
            t.push(dir.to_path_buf());
        }
        t.sort();
        t.dedup();
        t
    }

    /// The first pass: arm the watches, read and diagnose everything, start validation.
    pub fn start(&mut self) {
        self.watch.arm(self.watch_targets());
        self.refresh();
    }

    pub fn watched(&self) -> Vec<PathBuf> {
        self.watch.armed()
    }

    /// Runs until `commands` closes or says [`Command::Shutdown`].
    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        loop {
            if self.look_at_clock() {
                self.refresh();
            }
            let deadline = self.next_deadline();
            let wake = self.wake.clone();
            tokio::select! {
                () = wake.notified() => {
                    self.settle().await;
                    self.watch.arm(self.watch_targets());
                    if let Some(msg) = self.settings.reload_if_changed() {
                        self.calls.reconfigure(&self.settings.config);
                        tracing::info!("{msg}");
                    }
                    self.refresh();
                    // under constant churn every turn settles again: what queued meanwhile
                    // is answered now, not one command per settled second
                    while let Ok(cmd) = commands.try_recv() {
                        if !self.handle(cmd) {
                            return;
                        }
                    }
                }
                Some(first) = self.calls.next() => self.take_results(first),
                Some(skew) = self.clock_watch.next() => self.take_probe(skew),
                cmd = commands.recv() => match cmd {
                    None => break,
                    Some(cmd) => if !self.handle(cmd) {
                        return;
                    },
                },
                () = sleep_until(deadline) => {
                    tracing::debug!("timer");
                    self.refresh();
                }
            }
        }
        self.stop();
    }

    fn stop(&mut self) {
        self.save_cache();
        if let Some(b) = &mut self.badges {
            b.remove();
        }
    }

    /// Wait until no event came for [`SETTLE`] (at most [`MAX_SETTLE`]).
    async fn settle(&self) {
        let limit = Instant::now() + MAX_SETTLE;
        loop {
            let until = (Instant::now() + SETTLE).min(limit);
            match tokio::time::timeout_at(until, self.wake.notified()).await {
                Ok(()) if Instant::now() < limit => continue,
                _ => break,
            }
        }
    }

    /// A command from a client; false after a shutdown (answered: the engine has stopped).
    fn handle(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Reload { reply } => {
                let msg = self.settings.reload();
                self.calls.reconfigure(&self.settings.config);
                self.watch.arm(self.watch_targets());
                self.refresh();
                if let Some(r) = reply {
                    let _ = r.send(msg);
                }
            }
            Command::Check {
                only,
                validation,
                env,
                reply,
            } => self.check(only, validation, env.as_deref(), reply),
            Command::SubmitEnv { creds } => self.submit_env(*creds),
            Command::Shutdown { reply } => {
                self.stop();
                let _ = reply.send(());
                return false;
            }
        }
        true
    }

    /// Read and diagnose every profile; validate what has no fresh verdict; publish.
    fn refresh(&mut self) {
        let world = self.world();
        let memory = self.accounts.memory(None);
        let (loaded, diags) = check::diagnose_files(&world, &self.settings.config, &memory, None);
        let plan = validate::plan(&world, &loaded.profiles, diags, &self.cache, false);
        let now = world.now().unix_timestamp();
        self.look_at_usage(&plan.judged, now);
        let due = self.due(&plan.judged, plan.jobs, now);
        self.calls.spawn(due, now);
        let stale = self.stale_env_jobs(now);
        self.calls.spawn(stale, now);
        self.judged = plan.judged;
        self.loaded = Some(loaded);
        self.publish();
    }

    /// Record answers (with every other one already in), reply to the checks they
    /// complete, publish.
    fn take_results(&mut self, first: (String, Answer)) {
        let now = (self.clock)().unix_timestamp();
        let answers = self.calls.drain(first);
        let done: Vec<String> = answers.iter().map(|(fp, _)| fp.clone()).collect();
        let offset = self.clock_offset();
        for (fp, mut answer) in answers {
            if let Some(s) = answer.skew_seconds.as_mut() {
                *s += offset;
                self.skew_measured();
            }
            self.calls
                .validator
                .record(&mut self.cache, fp, answer, now);
        }
        self.save_cache();
        let world = self.world();
        let mut learned = false;
        for mut w in std::mem::take(&mut self.waiters) {
            for fp in &done {
                w.pending.remove(fp);
            }
            if w.pending.is_empty() {
                let (diags, skew) = validate::verdicts(&w.judged, &self.cache);
                learned |= self.answer(check::report(&world, diags, skew), w.reply);
            } else {
                self.waiters.push(w);
            }
        }
        if learned {
            self.refresh();
        } else {
            self.publish();
        }
    }

    /// Reply to a check; true when its verdicts taught a new account (an account the user
    /// accepted: the profiles are then diagnosed again).
    fn answer(&mut self, report: Report, reply: oneshot::Sender<Report>) -> bool {
        let now = (self.clock)().unix_timestamp();
        let learned = self.accounts.learn_and_save(&report.profiles, now);
        let _ = reply.send(report);
        learned
    }

    fn save_cache(&mut self) {
        let now = (self.clock)().unix_timestamp();
        let in_use: HashSet<&str> = self
            .judged
            .iter()
            .flat_map(schedule::fingerprints)
            .chain(self.env_subs.values().filter_map(|s| s.fp.as_deref()))
            .collect();
        self.cache.prune(now, MAX_CACHED_VERDICTS, &in_use);
        match self.cache.save() {
            Err(e) if !self.cache_unwritable => {
                self.cache_unwritable = true;
                tracing::warn!(error = %e, "verdict cache not saved; verdicts kept in memory (said once until it works again)");
            }
            Err(e) => tracing::debug!(error = %e, "verdict cache still not saved"),
            Ok(()) if self.cache_unwritable => {
                self.cache_unwritable = false;
                tracing::info!("verdict cache saved again");
            }
            Ok(()) => {}
        }
    }

    /// `credguard check` through the daemon: the same pipeline as the one-shot check, its
    /// calls shared with the background validation.
    fn check(
        &mut self,
        only: Option<String>,
        validation: Validation,
        env: Option<&EnvCredentials>,
        reply: oneshot::Sender<Report>,
    ) {
        let world = match env {
            Some(creds) => self.shell_world(creds),
            None => self.world(),
        };
        let memory = self
            .accounts
            .memory(check::accepting(only.as_deref(), validation));
        let (loaded, diags) =
            check::diagnose_files(&world, &self.settings.config, &memory, only.as_deref());
        if validation == Validation::Offline {
            let _ = reply.send(check::offline_report(&world, diags));
            return;
        }
        let fresh = validation == Validation::Fresh;
        let plan = validate::plan(&world, &loaded.profiles, diags, &self.cache, fresh);
        let pending: HashSet<String> = plan.jobs.keys().cloned().collect();
        let now = world.now().unix_timestamp();
        if let Some(p) = &only {
            self.usage.note(p, now);
        }
        self.calls.spawn(plan.jobs, now);
        if pending.is_empty() {
            let (diags, skew) = validate::verdicts(&plan.judged, &self.cache);
            if self.answer(check::report(&world, diags, skew), reply) {
                self.refresh();
            }
        } else {
            self.waiters.push(Waiter {
                pending,
                judged: plan.judged,
                reply,
            });
        }
    }

    /// The profiles with their cached verdicts (those being fetched for the first time
    /// noted as `checking`), the shells' env credentials likewise; notifications; publish.
    fn publish(&mut self) {
        let world = self.world();
        let (diags, skew) = validate::verdicts(&self.judged, &self.cache);
        let checking = self
            .judged
            .iter()
            .filter(|j| j.fp.as_ref().is_some_and(|fp| self.fetching(fp)))
            .map(|j| j.diag.verdict.profile.clone())
            .collect();
        let env = self
            .env_subs
            .iter()
            .map(|(k, s)| (k.clone(), self.env_view(s)))
            .collect();
        self.generation += 1;
        let mut report = check::report(&world, diags, skew);
        let now = world.now().unix_timestamp();
        self.accounts.learn_and_save(&report.profiles, now);
        report.sts_calls = Some(self.calls.counts(now));
        self.notify(&report, &world);
        let snapshot = Snapshot {
            report,
            checking,
            env,
            ignored: self.settings.config.ignore_profiles.clone(),
            generation: self.generation,
        };
        self.countdown = snapshot
            .report
            .profiles
            .iter()
            .any(|p| p.state == State::Expiring);
        if let Some(b) = &mut self.badges {
            b.update(&snapshot, world.now(), &self.settings.config.guard);
        }
        self.shared.publish(snapshot);
    }

    /// A first verdict for `fp` is being fetched.
    fn fetching(&self, fp: &str) -> bool {
        !self.cache.entries.contains_key(fp) && self.calls.in_flight(fp)
    }

    fn env_view(&self, s: &EnvSub) -> EnvView {
        let mut d = s.diag.clone();
        let mut checking = false;
        if let Some(fp) = &s.fp {
            match self.cache.entries.get(fp) {
                Some(e) => validate::apply(&mut d, e),
                None => checking = self.calls.in_flight(fp),
            }
        }
        EnvView {
            verdict: d.verdict,
            checking,
        }
    }

    /// Desktop notifications for what changed, muted or held in quiet hours as configured.
    fn notify(&mut self, report: &Report, world: &World) {
        let config = &self.settings.config;
        let Some(desktop) = self.desktop.as_ref().filter(|_| config.notifications) else {
            return;
        };
        let quiet = config
            .quiet_hours
            .is_some_and(|q| q.contains(world.now(), &jiff::tz::TimeZone::system()));
        let hush = |p: &str| {
            if config.mute_profiles.iter().any(|m| m == p) {
                Hush::Mute
            } else if quiet {
                Hush::Hold
            } else {
                Hush::Speak
            }
        };
        let notes = self.policy.update(
            &report.profiles,
            &config.expiring_minutes,
            world.now(),
            &hush,
        );
        for note in notes {
            desktop.send(note);
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
