//! The pipeline, wired once: read the files, diagnose, validate (unless offline), report.
//! `credguardd check` runs it here from start to end; the daemon's engine
//! ([`crate::run::engine`]) runs the same stages ([`diagnose_files`], [`offline_report`],
//! [`report`]) with its validations in flight between them.

use crate::aws::expiry;
use crate::aws::files::{self, Loaded};
use crate::config::Config;
use crate::diagnose::account::Memory;
use crate::diagnose::{self, Diagnosis, Options};
use crate::validate::Validator;
use crate::validate::accounts::Accounts;
use crate::validate::cache::Cache;
use crate::verdict::{Code, Problem, Report, SCHEMA_VERSION, State, offline_state};
use crate::world::World;

pub use credguard_client::check_args::CheckArgs;
use credguard_client::proto::Validation;

/// The offline half: the files as the tools read them, and every profile (or `only`)
/// diagnosed, with its account (and the canary and expected-account guards, against
/// `[accounts]` and the remembered accounts in `memory`).
pub fn diagnose_files(
    world: &World,
    config: &Config,
    memory: &Memory,
    only: Option<&str>,
) -> (Loaded, Vec<Diagnosis>) {
    let loaded = files::load(world);
    let mut diags = diagnose::diagnose(world, &loaded, config, &Options { only });
    diagnose::account::annotate_with(world, &loaded, config, memory, &mut diags);
    diagnose::readers::compare(world, &loaded, config, &mut diags);
    (loaded, diags)
}

/// The offline diagnoses alone (no remembered accounts).
pub fn offline(world: &World, config: &Config, profile: Option<&str>) -> Vec<Diagnosis> {
    diagnose_files(world, config, &Memory::default(), profile).1
}

/// The profile whose new account a check confirms: `check --fresh --profile P` (the fix
/// that `wrong-account` gives for a remembered account).
pub fn accepting(only: Option<&str>, validation: Validation) -> Option<&str> {
    only.filter(|_| validation == Validation::Fresh)
}

/// The report of an offline run: `not-validated` added where STS was not asked.
pub fn offline_report(world: &World, mut diags: Vec<Diagnosis>) -> Report {
    mark_not_validated(&mut diags, "offline mode");
    report(world, diags, None)
}

/// Mark every profile that could be validated but was not.
pub fn mark_not_validated(diags: &mut [Diagnosis], why: &str) {
    for d in diags {
        let validatable = d.material.is_some() || !d.readings.others.is_empty();
        if validatable && d.verdict.state != State::Ok {
            d.verdict.problems.push(Problem::info(
                Code::NotValidated,
                None,
                format!("not validated against STS: {why}"),
                "run `credguard check` without --offline",
            ));
            d.verdict.state = offline_state(&d.verdict.problems);
        }
    }
}

/// The report of diagnoses: each profile's `tools` and `state` settled from its problems
/// and what STS accepted.
pub fn report(world: &World, diags: Vec<Diagnosis>, skew: Option<f64>) -> Report {
    let settled = |d: Diagnosis| {
        let mut v = d.verdict;
        v.settle();
        v
    };
    Report {
        version: SCHEMA_VERSION,
        checked_at: expiry::format(world.now()),
        clock_skew_seconds: skew,
        profiles: diags.into_iter().map(settled).collect(),
        sts_calls: None,
    }
}

/// The whole check: offline diagnosis, then (unless offline) validation through the cache.
pub async fn run(world: &World, config: &Config, args: &CheckArgs) -> Report {
    let state = crate::paths::state_dir(world);
    let mut accounts = state.as_deref().map(Accounts::open).unwrap_or_default();
    let only = args.profile.as_deref();
    let memory = accounts.memory(accepting(only, args.validation));
    let (loaded, diags) = diagnose_files(world, config, &memory, only);
    if args.validation == Validation::Offline {
        return offline_report(world, diags);
    }
    let mut cache = match &state {
        Some(dir) => Cache::open(dir),
        None => Cache::ephemeral(),
    };
    let validator = Validator::from_config(config);
    let (diags, skew) = validator
        .run(
            world,
            &loaded.profiles,
            diags,
            &mut cache,
            args.validation == Validation::Fresh,
        )
        .await;
    if let Err(e) = cache.save() {
        tracing::warn!(error = %e, "verdict cache not saved");
    }
    let report = report(world, diags, skew);
    accounts.learn_and_save(&report.profiles, world.now().unix_timestamp());
    report
}
