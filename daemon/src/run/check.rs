//! One-shot check: load, diagnose, validate (unless offline), build the report.

use crate::aws::expiry;
use crate::aws::files;
use crate::config::Config;
use crate::diagnose::{self, Diagnosis, Options};
use crate::validate::Validator;
use crate::validate::cache::Cache;
use crate::verdict::{Code, Problem, Report, SCHEMA_VERSION, Severity, State, offline_state};
use crate::world::World;

pub use credguard_client::check_args::CheckArgs;
use credguard_client::proto::Validation;

/// The offline half: diagnoses, with `not-validated` added where STS was not asked.
pub fn offline(world: &World, config: &Config, profile: Option<&str>) -> Vec<Diagnosis> {
    let loaded = files::load(world);
    diagnose::diagnose(world, &loaded, config, &Options { only: profile })
}

/// Mark every profile that could be validated but was not.
pub fn mark_not_validated(diags: &mut [Diagnosis], why: &str) {
    for d in diags {
        if d.material.is_some() && d.verdict.state != State::Ok {
            d.verdict.problems.push(Problem {
                code: Code::NotValidated,
                severity: Severity::Info,
                location: None,
                message: format!("not validated against STS: {why}"),
                fix: "run `credguard check` without --offline".into(),
            });
            d.verdict.state = offline_state(&d.verdict.problems);
        }
    }
}

pub fn report(world: &World, diags: Vec<Diagnosis>, skew: Option<f64>) -> Report {
    Report {
        version: SCHEMA_VERSION,
        checked_at: expiry::format(world.now()),
        clock_skew_seconds: skew,
        profiles: diags.into_iter().map(|d| d.verdict).collect(),
    }
}

/// The whole check: offline diagnosis, then (unless offline) validation through the cache.
pub async fn run(world: &World, config: &Config, args: &CheckArgs) -> Report {
    let loaded = files::load(world);
    let mut diags = diagnose::diagnose(
        world,
        &loaded,
        config,
        &Options {
            only: args.profile.as_deref(),
        },
    );
    if args.validation == Validation::Offline {
        mark_not_validated(&mut diags, "offline mode");
        return report(world, diags, None);
    }
    let mut cache = match crate::paths::state_dir(world) {
        Some(dir) => Cache::open(&dir),
        None => Cache::ephemeral(),
    };
    let validator = Validator::from_config(config);
    let skew = validator
        .run(
            world,
            &loaded.profiles,
            &mut diags,
            &mut cache,
            args.validation == Validation::Fresh,
        )
        .await;
    if let Err(e) = cache.save() {
        tracing::warn!(error = %e, "verdict cache not saved");
    }
    report(world, diags, skew)
}
