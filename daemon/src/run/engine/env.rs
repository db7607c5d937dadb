//! Environment credentials that shells submit (`AWS_ACCESS_KEY_ID` & co. exported in a
//! shell the daemon cannot see): diagnosed with the files' settings as the tools would
//! use them, validated in the background, remembered by the client's fingerprint.

use super::Engine;
use crate::diagnose::{self, Diagnosis};
use crate::validate::{Job, sts};
use crate::world::World;
use credguard_client::EnvCredentials;
use credguard_client::envcreds;
use tokio::time::Instant;

/// Environment credential sets remembered (the oldest is forgotten first).
pub const MAX_ENV_SETS: usize = 64;

/// The variables a submission replaces in the daemon's own environment.
const CREDENTIAL_VARS: [&str; 4] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
];

pub(super) struct EnvSub {
    pub diag: Diagnosis,
    pub fp: Option<String>,
    pub job: Option<Job>,
    seen: Instant,
}

impl Engine {
    /// The daemon's world as a shell with `creds` in its environment sees it: its keys,
    /// token, expiry, region and profile in place of the daemon's own.
    pub(super) fn shell_world(&self, creds: &EnvCredentials) -> World {
        let mut world = self.world();
        for v in CREDENTIAL_VARS
            .into_iter()
            .chain(credguard_client::rules::EXPIRATION_VARS)
        {
            world.remove_var(v);
        }
        world.set_var("AWS_ACCESS_KEY_ID", &creds.access_key_id);
        world.set_var("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key);
        // the token variables as the shell has them: botocore reads AWS_SECURITY_TOKEN first
        for (var, token) in [
            ("AWS_SESSION_TOKEN", &creds.session_token),
            ("AWS_SECURITY_TOKEN", &creds.security_token),
        ] {
            if let Some(t) = token {
                world.set_var(var, t);
            }
        }
        if let Some(e) = &creds.expiration {
            world.set_var("AWS_CREDENTIAL_EXPIRATION", e);
        }
        // the shell's region and profile, not the daemon's: they say where the keys are sent
        for v in [
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
        ] {
            world.remove_var(v);
        }
        if let Some(r) = &creds.region {
            world.set_var("AWS_REGION", r);
        }
        if creds.aws_profile.is_some() || creds.aws_default_profile.is_some() {
            // both as set: the tools select their profile from them differently
            for (var, value) in [
                ("AWS_PROFILE", &creds.aws_profile),
                ("AWS_DEFAULT_PROFILE", &creds.aws_default_profile),
            ] {
                if let Some(v) = value {
                    world.set_var(var, v);
                }
            }
        } else if let Some(p) = &creds.profile {
            world.set_var("AWS_PROFILE", p);
        }
        world
    }

    pub(super) fn submit_env(&mut self, creds: EnvCredentials) {
        let key = envcreds::fingerprint(&creds);
        if let Some(sub) = self.env_subs.get_mut(&key) {
            sub.seen = Instant::now();
            return;
        }
        let world = self.shell_world(&creds);
        let Some(loaded) = &self.loaded else { return };
        let Some(mut diag) = diagnose::diagnose_env(&world, loaded, &self.settings.config) else {
            return;
        };
        let config = &self.settings.config;
        diagnose::account::annotate(&world, loaded, config, std::slice::from_mut(&mut diag));
        let job = diag.material.as_ref().map(|m| Job {
            material: m.clone(),
            target: sts::target(&world, &loaded.profiles, None),
        });
        let fp = job
            .as_ref()
            .map(|j| self.cache.fingerprint(&j.material, &j.target));
        self.forget_oldest_env();
        let now = world.now().unix_timestamp();
        if let (Some(fp), Some(job)) = (&fp, &job)
            && self.cache.fresh(fp, now).is_none()
        {
            self.calls.spawn([(fp.clone(), job.clone())], now);
        }
        let seen = Instant::now();
        let sub = EnvSub {
            diag,
            fp,
            job,
            seen,
        };
        self.env_subs.insert(key, sub);
        self.publish();
    }

    /// Make room for one more set.
    fn forget_oldest_env(&mut self) {
        if self.env_subs.len() < MAX_ENV_SETS {
            return;
        }
        let oldest = self.env_subs.iter().min_by_key(|(_, s)| s.seen);
        let Some(k) = oldest.map(|(k, _)| k.clone()) else {
            return;
        };
        let Some(fp) = self.env_subs.remove(&k).and_then(|sub| sub.fp) else {
            return;
        };
        // its call is still wanted when another shell, a profile or a check waits for it
        let wanted = self.env_subs.values().any(|s| s.fp.as_ref() == Some(&fp))
            || self
                .judged
                .iter()
                .any(|j| super::schedule::fingerprints(j).any(|f| f == fp))
            || self.waiters.iter().any(|w| w.pending.contains(&fp));
        if !wanted {
            self.calls.cancel(&fp);
        }
    }

    /// Submitted sets whose verdict is stale (every one with `fresh`): the calls to make.
    pub(super) fn stale_env_jobs(&self, now: i64) -> Vec<(String, Job)> {
        self.env_subs
            .values()
            .filter_map(|s| Some((s.fp.clone()?, s.job.clone()?)))
            .filter(|(fp, _)| self.cache.fresh(fp, now).is_none())
            .collect()
    }
}
