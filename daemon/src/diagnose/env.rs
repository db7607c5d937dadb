//! Credentials in the environment: the `(env)` entry (the same value checks as for the
//! files, located at the variables), `credential_source = Environment`, and the warning
//! that env credentials shadow the selected profile.

use super::context::Ctx;
use super::values::{self, Origin, Values};
use super::{Diagnosis, ENV_PROFILE, Material};
use crate::verdict::{
    Code, Problem, ProfileVerdict, SourceKind, State, mask_key_id, offline_state,
};
use crate::world::World;
use credguard_client::rules;

/// The environment's credentials as the SDK's env provider reads them: untrimmed.
pub(super) struct EnvCreds {
    pub key_id: Option<String>,
    pub secret: Option<String>,
    pub token: Option<String>,
    /// The variable that holds the token, or would: AWS_SESSION_TOKEN unless only the
    /// older AWS_SECURITY_TOKEN is set.
    pub token_var: &'static str,
}

impl EnvCreds {
    pub fn complete(&self) -> bool {
        self.key_id.is_some() && self.secret.is_some()
    }
}

/// None when neither half of a key pair is set (unset and empty are the same).
pub(crate) fn env_credentials(world: &World) -> Option<EnvCreds> {
    let key_id = world.var("AWS_ACCESS_KEY_ID").map(str::to_string);
    let secret = world.var("AWS_SECRET_ACCESS_KEY").map(str::to_string);
    if key_id.is_none() && secret.is_none() {
        return None;
    }
    let (token, token_var) = match world.var("AWS_SESSION_TOKEN") {
        Some(t) => (Some(t.to_string()), "AWS_SESSION_TOKEN"),
        None => (
            world.var("AWS_SECURITY_TOKEN").map(str::to_string),
            "AWS_SECURITY_TOKEN",
        ),
    };
    Some(EnvCreds {
        key_id,
        secret,
        token,
        token_var,
    })
}

impl Ctx<'_> {
    /// The `(env)` entry.
    pub(super) fn env_entry(&self, env: EnvCreds) -> Diagnosis {
        let mut problems: Vec<Problem> = partial(&env).into_iter().collect();
        let mut v = ProfileVerdict {
            profile: ENV_PROFILE.into(),
            state: State::Unknown,
            source: SourceKind::Env,
            key_id: env
                .key_id
                .as_deref()
                .map(|k| mask_key_id(&rules::without_hidden(k))),
            identity: None,
            account: None,
            expected_account: None,
            tools: Default::default(),
            judging: Default::default(),
            expires_at: None,
            problems: Vec::new(),
        };
        let values = Values {
            key_id: env.key_id.as_deref(),
            secret: env.secret.as_deref(),
            token: env.token.as_deref(),
        };
        let origin = Origin::Env {
            token_var: env.token_var,
        };
        values::check(&origin, &values, &mut problems);
        if let Some((var, raw)) = rules::EXPIRATION_VARS
            .into_iter()
            .find_map(|var| Some((var, self.world.var(var)?)))
        {
            self.expiry_problem(
                var,
                raw,
                Some(format!("env {var}")),
                "fetch new credentials and export them again",
                &mut v,
                &mut problems,
            );
        }
        let hint = super::expiry_hint(&problems);
        let fatal = super::fatal(&problems, hint.as_deref());
        let material = match (env.key_id, env.secret, fatal) {
            (Some(key_id), Some(secret), false) => Some(Material {
                key_id,
                secret,
                token: env.token,
                profile: None,
                roles: Vec::new(),
                expiry_hint: hint,
                written: super::Written::Env,
            }),
            _ => None,
        };
        v.state = offline_state(&problems);
        v.problems = problems;
        Diagnosis {
            verdict: v,
            material,
            readings: Default::default(),
        }
    }

    /// `credential_source = Environment` in a role profile: the env keys are its source.
    pub(super) fn environment_source(
        &self,
        profile: &str,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) -> Option<Material> {
        match env_credentials(self.world) {
            Some(EnvCreds {
                key_id: Some(key_id),
                secret: Some(secret),
                token,
                ..
            }) => {
                v.key_id = Some(mask_key_id(&key_id));
                Some(Material {
                    written: super::Written::Env,
                    ..Material::of_profile(key_id, secret, token, &v.profile)
                })
            }
            _ => {
                problems.push(Problem::error(
                    Code::PartialEnvCredentials,
                    self.loc(profile, "credential_source"),
                    "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set",
                    "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use source_profile",
                ));
                None
            }
        }
    }
}

/// Only one half of the key pair is set: the SDK skips the environment.
fn partial(env: &EnvCreds) -> Option<Problem> {
    let (set, unset) = match (&env.key_id, &env.secret) {
        (Some(_), None) => ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        (None, Some(_)) => ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
        _ => return None,
    };
    Some(Problem::error(
        Code::PartialEnvCredentials,
        Some(format!("env {unset}")),
        format!(
            "{set} is set but {unset} is not: the SDK skips the environment and falls through to the profile"
        ),
        format!("export {unset} too, or `unset {set}`"),
    ))
}
