//! The daemon's engine: one task that owns the cache and reacts to file changes, STS
//! answers, timers and commands; it publishes an immutable [`Snapshot`] that the socket
//! server reads without waiting for anything.

use crate::aws::expiry;
use crate::aws::files::{self, Loaded};
use crate::aws::locate::{self, FileKind};
use crate::config::Config;
use crate::diagnose::{self, Diagnosis, Options};
use crate::run::check;
use crate::run::desktop::{Desktop, Hush, Policy};
use crate::run::watch::{Wake, Watch};
use crate::validate::cache::Cache;
use crate::validate::sts::{self, Answer};
use crate::validate::{self, Job, Validator};
use crate::verdict::{ProfileVerdict, Report};
use crate::world::World;
use credguard_client::envcreds;
use credguard_client::{EnvCredentials, Validation};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::time::Instant;

/// Quiet time after the last file event before the files are read again.
pub const SETTLE: Duration = Duration::from_millis(100);
/// Under a continuous stream of events, read the files at least this often.
pub const MAX_SETTLE: Duration = Duration::from_secs(1);
/// Environment credential sets remembered (the oldest is forgotten first).
pub const MAX_ENV_SETS: usize = 64;
/// Longest sleep while a deadline is armed: a sleep does not count time suspended, so a
/// long one is cut to notice a resume (then the wall clock decides).
const MAX_SLEEP: Duration = Duration::from_secs(300);

/// What the socket server reads.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub report: Report,
    /// Profiles (by name) whose first verdict is being fetched.
    pub checking: HashSet<String>,
    /// Environment credentials submitted by shells, by the client's fingerprint.
    pub env: HashMap<String, EnvView>,
    /// The engine's clock minus the wall clock (zero but with a FAKE test clock): the
    /// prompt's countdown uses the engine's time.
    pub clock_offset: time::Duration,
    /// Profiles the config says to ignore (the prompt stays quiet for them).
    pub ignored: Vec<String>,
    /// Bumped on every publication.
    pub generation: u64,
}

#[derive(Debug, Clone)]
pub struct EnvView {
    pub verdict: ProfileVerdict,
    pub checking: bool,
}

impl Snapshot {
    pub fn profile(&self, name: &str) -> Option<&ProfileVerdict> {
        self.report.profiles.iter().find(|p| p.profile == name)
    }
}

/// State shared between the engine and the server.
#[derive(Default)]
pub struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
    /// STS calls made since start.
    pub calls: Arc<AtomicUsize>,
    /// Times the files were read and diagnosed.
    pub refreshes: AtomicUsize,
}

impl Shared {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn publish(&self, s: Snapshot) {
        let s = Arc::new(s);
        match self.snapshot.write() {
            Ok(mut g) => *g = s,
            Err(poisoned) => *poisoned.into_inner() = s,
        }
    }
}

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
        reply: oneshot::Sender<Report>,
    },
    /// Credentials from a shell's environment, to diagnose and validate in the background.
    SubmitEnv { creds: Box<EnvCredentials> },
    /// Save the cache and stop.
    Shutdown { reply: oneshot::Sender<()> },
}

struct EnvSub {
    diag: Diagnosis,
    fp: Option<String>,
    job: Option<Job>,
    seen: Instant,
}

struct Waiter {
    pending: HashSet<String>,
    diags: Vec<Diagnosis>,
    fps: Vec<Option<String>>,
    reply: oneshot::Sender<Report>,
}

pub struct Engine {
    base: World,
    clock: Box<dyn Fn() -> OffsetDateTime + Send + Sync>,
    config_path: Option<PathBuf>,
    config: Config,
    config_bytes: Option<Vec<u8>>,
    validator: Validator,
    sem: Arc<Semaphore>,
    cache: Cache,
    in_flight: HashSet<String>,
    results_tx: mpsc::UnboundedSender<(String, Answer)>,
    results_rx: mpsc::UnboundedReceiver<(String, Answer)>,
    loaded: Option<Loaded>,
    diags: Vec<Diagnosis>,
    fps: Vec<Option<String>>,
    env_subs: HashMap<String, EnvSub>,
    waiters: Vec<Waiter>,
    shared: Arc<Shared>,
    watch: Watch,
    wake: Wake,
    generation: u64,
    desktop: Option<Desktop>,
    policy: Policy,
    /// The cache could not be written last time (warned once; said again once it works).
    cache_unwritable: bool,
}

impl Engine {
    /// `base`: the daemon's environment (its `now` is ignored; `clock` gives the time).
    pub fn new(
        base: World,
        clock: Box<dyn Fn() -> OffsetDateTime + Send + Sync>,
        config_path: Option<PathBuf>,
        config: Config,
        cache: Cache,
        shared: Arc<Shared>,
    ) -> Engine {
        let (results_tx, results_rx) = mpsc::unbounded_channel();
        let mut validator = Validator::from_config(&config);
        validator.calls = shared.calls.clone();
        let wake: Wake = Arc::default();
        let config_bytes = config_path.as_ref().and_then(|p| read_config_bytes(p));
        Engine {
            base,
            clock,
            config_path,
            sem: Arc::new(Semaphore::new(validator.max_concurrent)),
            config,
            config_bytes,
            validator,
            cache,
            in_flight: HashSet::new(),
            results_tx,
            results_rx,
            loaded: None,
            diags: Vec::new(),
            fps: Vec::new(),
            env_subs: HashMap::new(),
            cache_unwritable: false,
            waiters: Vec::new(),
            shared,
            watch: Watch::new(wake.clone()),
            wake,
            generation: 0,
            desktop: None,
            policy: Policy::default(),
        }
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
        if let Some(dir) = self.config_path.as_ref().and_then(|p| p.parent()) {
            t.push(dir.to_path_buf());
        }
        t.sort();
        t.dedup();
        t
    }

    /// The first pass: arm the watches, read and diagnose everything, start validation.
    pub fn start(&mut self) {
        self.watch.arm(self.watch_targets());
        self.refresh(false);
    }

    pub fn watched(&self) -> Vec<PathBuf> {
        self.watch.armed()
    }

    /// Runs until `commands` closes.
    pub async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        loop {
            let deadline = self.next_deadline();
            let wake = self.wake.clone();
            tokio::select! {
                () = wake.notified() => {
                    self.settle().await;
                    self.watch.arm(self.watch_targets());
                    self.reload_config_if_changed();
                    self.refresh(false);
                }
                Some(first) = self.results_rx.recv() => self.take_results(first),
                cmd = commands.recv() => match cmd {
                    None => break,
                    Some(Command::Shutdown { reply }) => {
                        self.save_cache();
                        let _ = reply.send(());
                        return;
                    }
                    Some(cmd) => self.command(cmd),
                },
                () = sleep_until(deadline) => {
                    tracing::debug!("timer");
                    self.refresh(false);
                }
            }
        }
        self.save_cache();
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

    fn command(&mut self, cmd: Command) {
        match cmd {
            Command::Reload { reply } => {
                let msg = self.reload_config();
                self.watch.arm(self.watch_targets());
                self.refresh(false);
                if let Some(r) = reply {
                    let _ = r.send(msg);
                }
            }
            Command::Check {
                only,
                validation,
                reply,
            } => self.check(only, validation, reply),
            Command::SubmitEnv { creds } => self.submit_env(*creds),
            Command::Shutdown { .. } => {}
        }
    }

    fn reload_config_if_changed(&mut self) {
        let Some(path) = &self.config_path else {
            return;
        };
        let bytes = read_config_bytes(path);
        if bytes != self.config_bytes {
            let msg = self.reload_config();
            tracing::info!("{msg}");
        }
    }

    /// Re-read the config; a broken one keeps the previous one.
    fn reload_config(&mut self) -> String {
        let Some(path) = self.config_path.clone() else {
            return "no config file path; defaults in use".into();
        };
        self.config_bytes = read_config_bytes(&path);
        match Config::load(&path) {
            Ok(c) => {
                let mut v = Validator::from_config(&c);
                v.calls = self.shared.calls.clone();
                if v.max_concurrent != self.validator.max_concurrent {
                    self.sem = Arc::new(Semaphore::new(v.max_concurrent));
                }
                self.validator = v;
                self.config = c;
                format!("configuration reloaded from {}", path.display())
            }
            Err(e) => {
                tracing::error!(error = %e, "config not reloaded; keeping the previous one");
                format!("config error, kept the previous configuration: {e}")
            }
        }
    }

    /// Read and diagnose every profile; validate what has no fresh verdict; publish.
    fn refresh(&mut self, fresh: bool) {
        self.shared.refreshes.fetch_add(1, Ordering::Relaxed);
        let world = self.world();
        let loaded = files::load(&world);
        let diags = diagnose::diagnose(&world, &loaded, &self.config, &Options { only: None });
        let plan = validate::plan(&world, &loaded.profiles, &diags, &self.cache, fresh);
        self.spawn(plan.jobs);
        let now = world.now().unix_timestamp();
        let stale: Vec<(String, Job)> = self
            .env_subs
            .values()
            .filter_map(|s| Some((s.fp.clone()?, s.job.clone()?)))
            .filter(|(fp, _)| fresh || self.cache.fresh(fp, now).is_none())
            .collect();
        self.spawn(stale);
        self.diags = diags;
        self.fps = plan.fps;
        self.loaded = Some(loaded);
        self.publish();
    }

    fn spawn(&mut self, jobs: impl IntoIterator<Item = (String, Job)>) {
        for (fp, job) in jobs {
            if !self.in_flight.insert(fp.clone()) {
                continue;
            }
            tracing::debug!(key_id = ?job.material, "validating");
            let fut = self.validator.call(self.sem.clone(), fp, job);
            let tx = self.results_tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(fut.await);
            });
        }
    }

    fn take_results(&mut self, first: (String, Answer)) {
        let now = (self.clock)().unix_timestamp();
        let mut next = Some(first);
        let mut done = Vec::new();
        while let Some((fp, answer)) = next.take() {
            self.in_flight.remove(&fp);
            self.validator
                .record(&mut self.cache, fp.clone(), answer, now);
            done.push(fp);
            next = self.results_rx.try_recv().ok();
        }
        self.save_cache();
        let world = self.world();
        let waiters = std::mem::take(&mut self.waiters);
        for mut w in waiters {
            for fp in &done {
                w.pending.remove(fp);
            }
            if w.pending.is_empty() {
                let skew = validate::apply_all(&mut w.diags, &w.fps, &self.cache);
                let _ = w.reply.send(check::report(&world, w.diags, skew));
            } else {
                self.waiters.push(w);
            }
        }
        self.publish();
    }

    fn save_cache(&mut self) {
        let now = (self.clock)().unix_timestamp();
        // forget verdicts unused for a week
        self.cache
            .entries
            .retain(|_, e| e.fresh_until > now - 7 * 86_400);
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

    fn check(
        &mut self,
        only: Option<String>,
        validation: Validation,
        reply: oneshot::Sender<Report>,
    ) {
        let world = self.world();
        let loaded = files::load(&world);
        let mut diags = diagnose::diagnose(
            &world,
            &loaded,
            &self.config,
            &Options {
                only: only.as_deref(),
            },
        );
        if validation == Validation::Offline {
            check::mark_not_validated(&mut diags, "offline mode");
            let _ = reply.send(check::report(&world, diags, None));
            return;
        }
        let fresh = validation == Validation::Fresh;
        let plan = validate::plan(&world, &loaded.profiles, &diags, &self.cache, fresh);
        let pending: HashSet<String> = plan.jobs.keys().cloned().collect();
        self.spawn(plan.jobs);
        if pending.is_empty() {
            let skew = validate::apply_all(&mut diags, &plan.fps, &self.cache);
            let _ = reply.send(check::report(&world, diags, skew));
        } else {
            self.waiters.push(Waiter {
                pending,
                diags,
                fps: plan.fps,
                reply,
            });
        }
    }

    fn submit_env(&mut self, creds: EnvCredentials) {
        let key = envcreds::fingerprint(&creds);
        if let Some(sub) = self.env_subs.get_mut(&key) {
            sub.seen = Instant::now();
            return;
        }
        let mut world = self.world();
        for v in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
        ]
        .into_iter()
        .chain(envcreds::EXPIRATION_VARS)
        {
            world.remove_var(v);
        }
        world.set_var("AWS_ACCESS_KEY_ID", &creds.access_key_id);
        world.set_var("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key);
        if let Some(t) = &creds.session_token {
            world.set_var("AWS_SESSION_TOKEN", t);
        }
        if let Some(e) = &creds.expiration {
            world.set_var("AWS_CREDENTIAL_EXPIRATION", e);
        }
        if let Some(r) = &creds.region {
            world.set_var("AWS_REGION", r);
        }
        let Some(loaded) = &self.loaded else { return };
        let Some(diag) = diagnose::diagnose_env(&world, loaded, &self.config) else {
            return;
        };
        let job = diag.material.as_ref().map(|m| Job {
            material: m.clone(),
            target: sts::target(&world, &loaded.profiles, None),
        });
        let fp = job
            .as_ref()
            .map(|j| self.cache.fingerprint(&j.material, &j.target));
        if self.env_subs.len() >= MAX_ENV_SETS
            && let Some(oldest) = self
                .env_subs
                .iter()
                .min_by_key(|(_, s)| s.seen)
                .map(|(k, _)| k.clone())
        {
            self.env_subs.remove(&oldest);
        }
        let now = world.now().unix_timestamp();
        if let (Some(fp), Some(job)) = (&fp, &job)
            && self.cache.fresh(fp, now).is_none()
        {
            self.spawn([(fp.clone(), job.clone())]);
        }
        self.env_subs.insert(
            key,
            EnvSub {
                diag,
                fp,
                job,
                seen: Instant::now(),
            },
        );
        self.publish();
    }

    fn publish(&mut self) {
        let world = self.world();
        let mut diags = self.diags.clone();
        let skew = validate::apply_all(&mut diags, &self.fps, &self.cache);
        let mut checking = HashSet::new();
        for (d, fp) in diags.iter().zip(&self.fps) {
            if let Some(fp) = fp
                && !self.cache.entries.contains_key(fp)
                && self.in_flight.contains(fp)
            {
                checking.insert(d.verdict.profile.clone());
            }
        }
        let env = self
            .env_subs
            .iter()
            .map(|(k, s)| {
                let mut d = s.diag.clone();
                let mut is_checking = false;
                if let Some(fp) = &s.fp {
                    match self.cache.entries.get(fp) {
                        Some(e) => validate::apply(&mut d, e),
                        None => is_checking = self.in_flight.contains(fp),
                    }
                }
                (
                    k.clone(),
                    EnvView {
                        verdict: d.verdict,
                        checking: is_checking,
                    },
                )
            })
            .collect();
        self.generation += 1;
        let report = check::report(&world, diags, skew);
        if let Some(desktop) = &self.desktop
            && self.config.notifications
        {
            let quiet = self
                .config
                .quiet_hours
                .is_some_and(|q| q.contains(world.now(), &jiff::tz::TimeZone::system()));
            let hush = |p: &str| {
                if self.config.mute_profiles.iter().any(|m| m == p) {
                    Hush::Mute
                } else if quiet {
                    Hush::Hold
                } else {
                    Hush::Speak
                }
            };
            for note in self.policy.update(
                &report.profiles,
                &self.config.expiring_minutes,
                world.now(),
                &hush,
            ) {
                desktop.send(note);
            }
        }
        self.shared.publish(Snapshot {
            report,
            checking,
            env,
            ignored: self.config.ignore_profiles.clone(),
            clock_offset: world.now() - OffsetDateTime::now_utc(),
            generation: self.generation,
        });
    }

    /// The next moment something changes without a file event: a verdict goes stale, a
    /// credential crosses an expiry threshold, or quiet hours end with notifications held.
    fn next_deadline(&self) -> Option<Instant> {
        let now = (self.clock)();
        let now_unix = now.unix_timestamp();
        let mut next: Option<i64> = None;
        let mut consider = |t: i64| {
            if t > now_unix {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        let fps = self
            .fps
            .iter()
            .flatten()
            .chain(self.env_subs.values().filter_map(|s| s.fp.as_ref()));
        for fp in fps {
            if self.in_flight.contains(fp) {
                continue;
            }
            if let Some(e) = self.cache.entries.get(fp) {
                consider(e.fresh_until.max(now_unix + 1));
            }
        }
        let expiries = self
            .diags
            .iter()
            .map(|d| &d.verdict)
            .chain(self.env_subs.values().map(|s| &s.diag.verdict))
            .filter_map(|v| v.expires_at.as_deref().and_then(expiry::parse));
        for exp in expiries {
            let exp = exp.unix_timestamp();
            consider(exp);
            for m in &self.config.expiring_minutes {
                consider(exp - i64::from(*m) * 60);
            }
        }
        if self.policy.holding()
            && let Some(end) = self
                .config
                .quiet_hours
                .and_then(|q| q.next_end(now, &jiff::tz::TimeZone::system()))
        {
            consider(end.unix_timestamp());
        }
        let secs = u64::try_from(next? - now_unix).unwrap_or(0);
        Some(Instant::now() + Duration::from_secs(secs).min(MAX_SLEEP))
    }
}

/// The config file's bytes, to tell whether an event changed it (bounded like every read).
fn read_config_bytes(path: &std::path::Path) -> Option<Vec<u8>> {
    crate::aws::fsread::read_limited(path, crate::aws::fsread::MAX_SMALL_FILE).ok()
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
