//! `credential_process` profiles: run only when the config allows it (it may ask for a
//! hardware key touch); then its credentials and their expiry are judged.

use super::Material;
use super::context::Ctx;
use super::profile::skipped;
use crate::verdict::{Code, Problem, ProfileVerdict, mask_key_id};

impl Ctx<'_> {
    pub(super) fn process(
        &self,
        profile: &str,
        command: &str,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) -> Option<Material> {
        let location = self.loc(profile, "credential_process");
        if !self.config.run_credential_process {
            problems.push(skipped(
                location,
                "credential_process is not run unless `run_credential_process = true` in credguard's config (it may ask for a hardware key touch)".into(),
            ));
            return None;
        }
        match crate::aws::process::run(command, self.config.credential_process_timeout_seconds) {
            Ok(out) => {
                v.key_id = Some(mask_key_id(&out.key_id));
                if let Some(exp) = &out.expiration {
                    self.expiry_problem(
                        "Expiration from credential_process",
                        exp,
                        location,
                        &format!("check what `{command}` returns"),
                        v,
                        problems,
                    );
                }
                Some(Material::of_profile(
                    out.key_id, out.secret, out.token, &v.profile,
                ))
            }
            Err(message) => {
                problems.push(Problem::error(
                    Code::InvalidProfileConfig,
                    location,
                    format!("credential_process failed: {message}"),
                    format!("run `{command}` by hand and fix what it reports"),
                ));
                None
            }
        }
    }
}
