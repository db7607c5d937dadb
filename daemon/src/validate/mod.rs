//! Online validation of what the offline pass found usable: one STS call per distinct
//! credential set, bounded concurrency, verdicts cached by fingerprint.

pub mod accounts;
pub mod cache;
pub mod classify;
pub mod probe;
pub mod problems;
pub mod sts;
pub mod target;

use crate::aws::files::Profiles;
use crate::aws::readers::Reader;
use crate::config::Config;
use crate::diagnose::{Diagnosis, Material};
use crate::validate::cache::{Cache, Entry};
use crate::verdict::Code;
use crate::world::World;
use std::collections::HashMap;
use std::sync::Arc;
use sts::{Answer, Outcome, Settings, Target};
use tokio::sync::Semaphore;

pub struct Validator {
    pub settings: Settings,
    pub max_concurrent: usize,
    /// Seconds a definite verdict stands for a profile in use (and for `check`).
    pub ok_interval: i64,
    /// Seconds a definite verdict stands for a profile no shell uses (the daemon's schedule).
    pub idle_interval: i64,
    pub retry_min: i64,
    pub retry_max: i64,
    /// Config `never_validate_accounts`: with the built-in canary accounts, keys never sent.
    pub never_validate: Vec<String>,
}

impl Validator {
    pub fn from_config(c: &Config) -> Validator {
        Validator {
            settings: Settings {
                connect_timeout: std::time::Duration::from_millis(c.connect_timeout_ms),
                call_timeout: std::time::Duration::from_millis(c.call_timeout_ms),
                confirm_delay: std::time::Duration::from_millis(c.confirm_delay_ms),
            },
            max_concurrent: c.max_concurrent_calls.max(1),
            ok_interval: c.in_use_seconds(),
            idle_interval: c.revalidate_idle.0,
            retry_min: i64::from(c.retry_unknown_min_seconds),
            retry_max: i64::from(c.retry_unknown_max_seconds),
            never_validate: c.never_validate_accounts.clone(),
        }
    }

    /// Validate every diagnosis that carries material; update the cache; return the
    /// diagnoses with their verdicts and the newest clock skew measured (this run or
    /// cached).
    pub async fn run(
        &self,
        world: &World,
        profiles: &Profiles,
        diags: Vec<Diagnosis>,
        cache: &mut Cache,
        fresh: bool,
    ) -> (Vec<Diagnosis>, Option<f64>) {
        let now = world.now().unix_timestamp();
        let plan = plan(world, profiles, diags, cache, fresh);
        let sem = Arc::new(Semaphore::new(self.max_concurrent));
        let mut set = tokio::task::JoinSet::new();
        for (fp, job) in plan.jobs {
            set.spawn(self.call(sem.clone(), fp, job));
        }
        while let Some(res) = set.join_next().await {
            let Ok((fp, answer)) = res else { continue };
            self.record(cache, fp, answer, now);
        }
        verdicts(&plan.judged, cache)
    }

    /// One validation (with its confirmation call, if any) under `sem`; the answer is
    /// scrubbed of key material.
    pub fn call(
        &self,
        sem: Arc<Semaphore>,
        fp: String,
        job: Job,
    ) -> impl std::future::Future<Output = (String, Answer)> + Send + 'static {
        let settings = self.settings.clone();
        let refused = self.never_sends(&job.material);
        async move {
            if refused {
                return (fp, canary_refusal());
            }
            let _permit = sem.acquire_owned().await;
            let answer = sts::validate(&job.material, &job.target, &settings).await;
            let answer = scrub(answer, &job.material);
            (fp, answer)
        }
    }

    /// A key of a canary-token account (built-in or configured)? The account pass takes the
    /// material of such keys away before any call is planned ([`crate::diagnose::account`]);
    /// this is the last guard before the network, for any path that would miss it.
    pub fn never_sends(&self, m: &Material) -> bool {
        crate::aws::account::decode(&m.key_id)
            .account()
            .is_some_and(|a| {
                crate::aws::account::canary(a).is_some()
                    || self.never_validate.iter().any(|n| n == a)
            })
    }

    /// Store an answer: definite answers stay fresh for the ok interval, unknown ones are
    /// retried with exponential backoff.
    pub fn record(&self, cache: &mut Cache, fp: String, answer: Answer, now: i64) {
        let failures = match (&answer.outcome, cache.entries.get(&fp)) {
            (Outcome::Unknown { .. }, Some(prev)) => prev.failures.saturating_add(1),
            (Outcome::Unknown { .. }, None) => 1,
            _ => 0,
        };
        let ttl = match answer.outcome {
            Outcome::Unknown { .. } => {
                let exp = failures.saturating_sub(1).min(20);
                (self.retry_min.saturating_mul(1i64 << exp)).min(self.retry_max)
            }
            _ => self.ok_interval,
        };
        cache.entries.insert(
            fp,
            Entry {
                outcome: answer.outcome,
                checked_at: now,
                fresh_until: now + ttl,
                failures,
                skew_seconds: answer.skew_seconds,
            },
        );
    }
}

/// What one STS call needs.
#[derive(Clone, Debug)]
pub struct Job {
    pub material: Material,
    pub target: Target,
}

/// A diagnosis with the fingerprint of its material (its key in the verdict cache), if it
/// has any material to validate.
#[derive(Clone)]
pub struct Judged {
    pub diag: Diagnosis,
    pub fp: Option<String>,
    /// The fingerprints of the other readings (`diag.readings.others`, in order).
    pub others: Vec<(Vec<Reader>, String)>,
}

/// Diagnoses with their fingerprints, and the calls to make.
pub struct Plan {
    pub judged: Vec<Judged>,
    /// Distinct credential sets without a fresh verdict (all of them when `fresh`).
    pub jobs: HashMap<String, Job>,
}

/// The calls to make. Keys of canary-token accounts have no material by now (the account
/// pass, [`crate::diagnose::account::annotate`], took it with the `canary-token` problem),
/// so no job is ever created for them, not even with `fresh`.
pub fn plan(
    world: &World,
    profiles: &Profiles,
    diags: Vec<Diagnosis>,
    cache: &Cache,
    fresh: bool,
) -> Plan {
    let now = world.now().unix_timestamp();
    let mut jobs: HashMap<String, Job> = HashMap::new();
    let mut judged = Vec::with_capacity(diags.len());
    let mut job_for = |m: &Material| {
        let target = sts::target(world, profiles, m.profile.as_deref());
        let fp = cache.fingerprint(m, &target);
        if fresh || cache.fresh(&fp, now).is_none() {
            jobs.entry(fp.clone()).or_insert_with(|| Job {
                material: m.clone(),
                target,
            });
        }
        fp
    };
    for d in diags {
        let fp = d.material.as_ref().map(&mut job_for);
        let others = d
            .readings
            .others
            .iter()
            .map(|(readers, m)| (readers.clone(), job_for(m)))
            .collect();
        judged.push(Judged {
            diag: d,
            fp,
            others,
        });
    }
    Plan { judged, jobs }
}

/// The diagnoses with the cached verdicts folded in, and the newest clock skew.
pub fn verdicts(judged: &[Judged], cache: &Cache) -> (Vec<Diagnosis>, Option<f64>) {
    let mut newest_skew: Option<(i64, f64)> = None;
    let mut out = Vec::with_capacity(judged.len());
    for j in judged {
        let mut d = j.diag.clone();
        let primary = j.fp.as_ref().and_then(|fp| cache.entries.get(fp));
        let others = j
            .others
            .iter()
            .enumerate()
            .filter_map(|(i, (_, fp))| Some((i, cache.entries.get(fp)?)));
        let entries: Vec<(Option<usize>, &Entry)> = primary
            .map(|e| (None, e))
            .into_iter()
            .chain(others.map(|(i, e)| (Some(i), e)))
            .collect();
        for (reading, entry) in &entries {
            if let Some(s) = entry.skew_seconds
                && newest_skew.is_none_or(|(t, _)| entry.checked_at > t)
            {
                newest_skew = Some((entry.checked_at, s));
            }
            fold(&mut d, *reading, entry);
        }
        if !entries.is_empty() {
            d.verdict.settle();
        }
        out.push(d);
    }
    (out, newest_skew.map(|(_, s)| s))
}

/// Fold a cached verdict of the diagnosis's (primary) credentials into it.
pub fn apply(d: &mut Diagnosis, entry: &Entry) {
    fold(d, None, entry);
    d.verdict.settle();
}

/// Fold the verdict on one reading (None: `d.material`; `Some(i)`: `d.readings.others[i]`)
/// into a diagnosis: STS's problems break the readers of that reading.
fn fold(d: &mut Diagnosis, reading: Option<usize>, entry: &Entry) {
    let (readers, material): (Option<Vec<Reader>>, Option<&Material>) = match reading {
        None => (d.readings.primary.clone(), d.material.as_ref()),
        Some(i) => {
            let (rs, m) = &d.readings.others[i];
            (Some(rs.clone()), Some(m))
        }
    };
    let hint = material.and_then(|m| m.expiry_hint.clone());
    let v = &mut d.verdict;
    let mine = |p: crate::verdict::Problem| match &readers {
        Some(rs) => crate::diagnose::readers::explain(p.affecting(rs)),
        None => p,
    };
    // located at the reading's own key lines, its fix naming the profile that holds them
    if let Some(m) = material {
        v.problems
            .extend(sts::problem_for(&entry.outcome, m).into_iter().map(mine));
    }
    if reading.is_none() || d.material.is_none() {
        v.problems
            .extend(entry.skew_seconds.and_then(sts::skew_problem));
    }
    let Outcome::Valid(id) = &entry.outcome else {
        return;
    };
    let readers = readers.unwrap_or_else(|| Reader::ALL.to_vec());
    v.judging.accepted.extend(readers);
    if let Some(hint) = &hint {
        stale_expiry(v, hint);
    }
    if v.identity.is_none() {
        v.identity = Some(id.clone());
    }
    if reading.is_none() {
        crate::diagnose::account::confirm(d, id);
    }
}

/// STS accepts credentials whose expiry field (at `hint`) says past: the field is left over
/// (fresh keys pasted under an old expiry line), not the credentials; nor is its time theirs.
fn stale_expiry(v: &mut crate::verdict::ProfileVerdict, hint: &str) {
    for p in v
        .problems
        .iter_mut()
        .filter(|p| p.code == Code::Expired && p.location.as_deref() == Some(hint))
    {
        *p = crate::verdict::Problem::warning(
            Code::StaleExpiryMetadata,
            p.location.clone(),
            format!(
                "the expiry field says {}, but STS accepts the credentials: the field is left over",
                p.message.trim_start_matches("credentials ")
            ),
            "update the expiry field to the credentials' real expiry, or remove that field (it is not part of the credentials)",
        );
    }
    v.expires_at = None;
}

/// The answer for a call the last guard refused: no definite answer, never sent.
fn canary_refusal() -> Answer {
    tracing::error!("a canary-token key reached the STS call and was held back");
    Answer {
        outcome: Outcome::Unknown {
            code: Code::CanaryToken,
            message: "the key belongs to a canary-token account: not sent to AWS".into(),
        },
        skew_seconds: None,
    }
}

/// STS and STS-compatible servers may echo request parts in error messages: never keep
/// key material, and keep messages short.
fn scrub(mut a: Answer, m: &Material) -> Answer {
    let clean = |s: &mut String| {
        for secret in [
            Some(m.secret.as_str()),
            m.token.as_deref(),
            Some(m.key_id.as_str()),
        ]
        .into_iter()
        .flatten()
        .filter(|s| s.len() >= 8)
        {
            *s = s.replace(secret, "<redacted>");
        }
        if s.chars().count() > 240 {
            *s = s.chars().take(240).collect::<String>() + "…";
        }
    };
    match &mut a.outcome {
        Outcome::Rejected {
            message, aws_code, ..
        } => {
            clean(message);
            clean(aws_code);
        }
        Outcome::Unknown { message, .. } => clean(message),
        Outcome::Valid(_) => {}
    }
    a
}
