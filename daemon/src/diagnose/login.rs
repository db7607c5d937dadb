//! `login_session` profiles: the console login `aws login` caches (read by
//! [`crate::aws::login`]); its credentials are what STS is asked about while they last.

use super::Material;
use super::context::Ctx;
use crate::aws::expiry;
use crate::aws::login::LoginState;
use crate::verdict::{Code, Problem, ProfileVerdict, mask_key_id};

impl Ctx<'_> {
    pub(super) fn login(
        &self,
        profile: &str,
        session_arn: &str,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) -> Option<Material> {
        let fix = format!("aws login --profile {profile}");
        match crate::aws::login::state(self.world, session_arn) {
            LoginState::Missing { path } => {
                problems.push(Problem::error(
                    Code::LoginRequired,
                    self.loc(profile, "login_session"),
                    format!(
                        "no console login is cached for this login_session ({} does not exist): not logged in",
                        self.shown(&path)
                    ),
                    fix,
                ));
                None
            }
            LoginState::Unreadable { path, why } => {
                problems.push(Problem::error(
                    Code::LoginRequired,
                    Some(self.shown(&path)),
                    format!("the SDK cannot use the cached console login: {why}"),
                    fix,
                ));
                None
            }
            LoginState::Cached { path, creds } => {
                v.key_id = Some(mask_key_id(&creds.key_id));
                v.expires_at = Some(expiry::format(creds.expires));
                if creds.expires > self.now {
                    return Some(Material::of_profile(
                        creds.key_id,
                        creds.secret,
                        Some(creds.token),
                        &v.profile,
                    ));
                }
                problems.push(Problem::info(
                    Code::NotValidated,
                    Some(self.shown(&path)),
                    format!(
                        "the console-login credentials expired at {}, but the SDK renews them with the cached refresh token on the next call; if the console session itself has ended, that fails and `{fix}` is the way back",
                        expiry::format(creds.expires)
                    ),
                    "",
                ));
                None
            }
        }
    }
}
