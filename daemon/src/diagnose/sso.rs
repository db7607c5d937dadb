//! IAM Identity Center (SSO) profiles: the cached SSO token ([`crate::aws::sso`] reads
//! it; its problems are judged here), and the role credentials the AWS CLI cached with it,
//! which are what STS is asked about.

use super::Material;
use super::context::Ctx;
use crate::aws::clicache;
use crate::aws::expiry;
use crate::aws::sso::{self, TokenState};
use crate::verdict::{Code, Problem, ProfileVerdict, mask_key_id};
use credguard_client::rules::short_duration;

/// The SSO settings of the profile a chain starts from.
pub(super) struct SsoProfile<'a> {
    pub profile: &'a str,
    pub session_name: Option<&'a str>,
    pub start_url: &'a str,
    pub account_id: Option<&'a str>,
    pub role_name: Option<&'a str>,
}

impl Ctx<'_> {
    pub(super) fn sso(
        &self,
        p: &SsoProfile,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) -> Option<Material> {
        let key = p.session_name.unwrap_or(p.start_url);
        let state = sso::token_state(self.world, key, self.now, self.config.expiring_threshold());
        let login = match p.session_name {
            Some(s) => format!("aws sso login --sso-session {s}"),
            None => format!("aws sso login --profile {}", v.profile),
        };
        let setting = match p.session_name {
            Some(_) => "sso_session",
            None => "sso_start_url",
        };
        let place = self.loc(p.profile, setting);
        problems.extend(self.token_problem(&state, place, &login, v));
        // The AWS CLI caches the role's credentials; while the token is usable they are
        // what it signs with, so they are what STS is asked about.
        let usable = matches!(
            state,
            TokenState::Valid { .. } | TokenState::Refreshable { .. }
        );
        let (Some(account), Some(role), true) = (p.account_id, p.role_name, usable) else {
            return None;
        };
        let session = match p.session_name {
            Some(n) => clicache::SsoSession::Named(n),
            None => clicache::SsoSession::Legacy {
                start_url: p.start_url,
            },
        };
        match clicache::lookup(self.world, &clicache::sso_key(account, role, session)) {
            clicache::Cached::Expires {
                at, creds: Some(c), ..
            } if at > self.now => {
                v.key_id = Some(mask_key_id(&c.key_id));
                Some(Material::of_profile(
                    c.key_id,
                    c.secret,
                    Some(c.token),
                    &v.profile,
                ))
            }
            // none, expired or unreadable: botocore treats all three as a miss and fetches
            // new role credentials with the token
            _ => None,
        }
    }

    /// What the token's state means for the profile (`place`: its SSO setting; `login`:
    /// the command that logs in again). Sets `v.expires_at` when the token has a time.
    fn token_problem(
        &self,
        state: &TokenState,
        place: Option<String>,
        login: &str,
        v: &mut ProfileVerdict,
    ) -> Option<Problem> {
        match state {
            TokenState::Missing { path } => Some(Problem::error(
                Code::SsoLoginRequired,
                place,
                format!(
                    "no SSO token is cached ({} does not exist): not logged in",
                    self.shown(path)
                ),
                login,
            )),
            TokenState::Unreadable { path, reason } => Some(Problem::error(
                Code::SsoLoginRequired,
                Some(self.shown(path)),
                format!("the SSO token cache cannot be read: {reason}"),
                login,
            )),
            TokenState::Valid {
                expires,
                left,
                expiring,
                path,
            } => {
                v.expires_at = Some(expiry::format(*expires));
                expiring.then(|| {
                    Problem::warning(
                        Code::Expiring,
                        Some(self.shown(path)),
                        format!(
                            "the SSO session expires in {} (at {})",
                            short_duration(left.whole_seconds()),
                            expiry::format(*expires)
                        ),
                        login,
                    )
                })
            }
            TokenState::Refreshable { expires, path } => {
                v.expires_at = Some(expiry::format(*expires));
                Some(Problem::info(
                    Code::NotValidated,
                    Some(self.shown(path)),
                    format!(
                        "the SSO access token expired at {}, but it is refreshable: the SDK renews it without a browser",
                        expiry::format(*expires)
                    ),
                    "",
                ))
            }
            TokenState::Expired { expires, path } => {
                v.expires_at = Some(expiry::format(*expires));
                Some(Problem::error(
                    Code::SsoLoginRequired,
                    Some(self.shown(path)),
                    format!(
                        "the SSO session expired at {} and cannot be refreshed",
                        expiry::format(*expires)
                    ),
                    login,
                ))
            }
        }
    }
}
