//! Role profiles (`role_arn`): the roles to assume when the config allows it, the role
//! credentials the AWS CLI cached, and the sources only a role chain can start from
//! (`credential_source` on AWS compute, `web_identity_token_file`).

use super::context::Ctx;
use super::profile::skipped;
use super::{Material, RoleStep};
use crate::aws::chain::{Chain, RoleHop};
use crate::aws::clicache;
use crate::aws::expiry;
use crate::verdict::{Code, Problem, ProfileVerdict};

impl Ctx<'_> {
    /// With `assume_role = true` (the default), a role profile is validated by assuming its
    /// roles, as the tools do; one that needs an MFA code is not, nor any with
    /// `assume_role = false`: then only its source credentials are validated, and the
    /// verdict says so (`needs-mfa` / `role-not-assumed`, which make it `skipped`, never `ok`).
    pub(super) fn roles_to_assume(
        &self,
        chain: &Chain,
        m: &mut Material,
        problems: &mut Vec<Problem>,
    ) {
        let Some(last) = chain.roles.last() else {
            return;
        };
        let only_source = "only its source credentials are verified, not the role";
        if !self.config.assume_role {
            problems.push(Problem::info(
                Code::RoleNotAssumed,
                self.loc(&last.profile, "role_arn"),
                format!(
                    "{} is not assumed (credguard's config says assume_role = false): {only_source}",
                    last.role_arn
                ),
                "set assume_role = true in credguard's config.toml to check the role itself",
            ));
            return;
        }
        let mfa = |h: &&RoleHop| self.prop(&h.profile, "mfa_serial").is_some();
        if let Some(hop) = chain.roles.iter().find(mfa) {
            problems.push(Problem::info(
                Code::NeedsMfa,
                self.loc(&hop.profile, "mfa_serial"),
                format!(
                    "{} needs an MFA code to be assumed, so credguard does not assume it: {only_source}",
                    hop.role_arn
                ),
                "",
            ));
            return;
        }
        m.roles = chain
            .roles
            .iter()
            .map(|h| RoleStep {
                profile: h.profile.clone(),
                location: self.loc(&h.profile, "role_arn"),
                role_arn: h.role_arn.clone(),
                external_id: h.external_id.clone(),
                session_name: h.session_name.clone(),
            })
            .collect();
    }

    /// The role credentials the AWS CLI cached for the last role of a chain. Without MFA
    /// the CLI assumes the role again by itself when they run out, so only their time is
    /// shown; with `mfa_serial`, running out means typing a code: expiring and expired
    /// count.
    pub(super) fn role_cache_expiry(
        &self,
        hop: &RoleHop,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) {
        let mfa = self.prop(&hop.profile, "mfa_serial");
        let args = clicache::RoleArgs {
            role_arn: &hop.role_arn,
            external_id: hop.external_id.as_deref(),
            session_name: hop.session_name.as_deref(),
            mfa_serial: mfa,
            duration_seconds: self
                .prop(&hop.profile, "duration_seconds")
                .and_then(|d| d.trim().parse().ok()),
        };
        match clicache::lookup(self.world, &clicache::cache_key(&args)) {
            clicache::Cached::None => {}
            clicache::Cached::Unreadable { path, why } => problems.push(Problem::warning(
                Code::ParseError,
                Some(self.shown(&path)),
                format!("the AWS CLI's cached role credentials cannot be read: {why}"),
                format!(
                    "delete {} (the CLI assumes the role again)",
                    self.shown(&path)
                ),
            )),
            clicache::Cached::Expires { path, at, .. } => {
                let fix = format!(
                    "aws sts get-caller-identity --profile {} (assumes the role again{})",
                    v.profile,
                    if mfa.is_some() {
                        ", asking for the MFA code"
                    } else {
                        ""
                    }
                );
                if mfa.is_some() {
                    self.expiry_problem(
                        "the cached role credentials' Expiration",
                        &expiry::format(at),
                        Some(self.shown(&path)),
                        &fix,
                        v,
                        problems,
                    );
                } else if at > self.now {
                    v.expires_at = Some(expiry::format(at));
                }
            }
        }
    }

    /// `credential_source = Ec2InstanceMetadata | EcsContainer`: only AWS compute has it.
    pub(super) fn compute_source(&self, profile: &str, name: &str) -> Problem {
        skipped(
            self.loc(profile, "credential_source"),
            format!(
                "credential_source = {name} is only available on AWS compute; not validated here"
            ),
        )
    }

    /// `web_identity_token_file`: checked to exist; the token itself is not sent anywhere.
    pub(super) fn web_identity(&self, profile: &str, token_file: &str) -> Problem {
        let location = self.loc(profile, "web_identity_token_file");
        if std::fs::metadata(token_file).is_err() {
            return Problem::error(
                Code::UnreadableFile,
                location,
                format!("web_identity_token_file {token_file} cannot be read"),
                "point web_identity_token_file at the token your identity provider writes",
            );
        }
        skipped(
            location,
            "web identity credentials are validated by AssumeRoleWithWebIdentity, which credguard does not call".into(),
        )
    }
}
