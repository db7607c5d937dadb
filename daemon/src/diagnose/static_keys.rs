//! Keys written in the files (`aws_access_key_id`, `aws_secret_access_key`, maybe a
//! session token and an expiry field): the value checks with file locations, then the
//! profile's expiry.

use super::Material;
use super::context::Ctx;
use super::values::{self, Origin, Values};
use crate::verdict::{Problem, ProfileVerdict, mask_key_id};
use credguard_client::rules;

impl Ctx<'_> {
    /// `profile` holds the keys (the base of `v.profile`'s chain).
    pub(super) fn static_keys(
        &self,
        profile: &str,
        key_id: &str,
        secret: &str,
        token: Option<&str>,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) -> Option<Material> {
        v.key_id = Some(mask_key_id(&rules::without_hidden(key_id)));
        let start = problems.len();
        let values = Values {
            key_id: Some(key_id),
            secret: Some(secret),
            token,
        };
        values::check(&Origin::File { ctx: self, profile }, &values, problems);
        self.profile_expiry(profile, v, problems);
        let hint = super::expiry_hint(&problems[start..]);
        let token_key = ["aws_session_token", "aws_security_token"]
            .into_iter()
            .find(|k| self.place(profile, k).is_some())
            .unwrap_or("aws_session_token");
        let written = super::Written::Profile {
            profile: profile.to_string(),
            key_id: self.loc(profile, "aws_access_key_id"),
            secret: self.loc(profile, "aws_secret_access_key"),
            token: token.and_then(|_| self.loc(profile, token_key)),
        };
        (!super::fatal(&problems[start..], hint.as_deref())).then(|| Material {
            expiry_hint: hint,
            written,
            ..Material::of_profile(
                key_id.to_string(),
                secret.to_string(),
                token.map(str::to_string),
                &v.profile,
            )
        })
    }
}
