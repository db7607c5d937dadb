//! Expiry problems: a timestamp that cannot be read, credentials past their time, or
//! within the configured threshold of it; from a profile's expiry field or any other
//! source that gives one.

use super::context::Ctx;
use crate::aws::expiry;
use crate::verdict::{Code, Problem, ProfileVerdict};
use credguard_client::rules::short_duration;

impl Ctx<'_> {
    /// The first expiry field of a profile in the files, if it has one.
    pub(super) fn profile_expiry(
        &self,
        profile: &str,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) {
        let Some(props) = self.loaded.profiles.profiles.get(profile) else {
            return;
        };
        let Some((field, raw)) = expiry::PROFILE_FIELDS
            .iter()
            .find_map(|f| Some((*f, props.get(*f)?)))
        else {
            return;
        };
        let fix = format!("fetch new credentials for profile {profile}");
        self.expiry_problem(field, raw, self.loc(profile, field), &fix, v, problems);
    }

    /// One expiry value (`what` names it in messages): sets `v.expires_at` and adds a
    /// problem when it is unreadable, past, or within the threshold.
    pub(super) fn expiry_problem(
        &self,
        what: &str,
        raw: &str,
        location: Option<String>,
        fix: &str,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) {
        let Some(at) = expiry::parse(raw) else {
            problems.push(Problem::warning(
                Code::ParseError,
                location,
                format!("{what} is not a timestamp credguard can read (RFC 3339 expected)"),
                format!("write {what} as 2026-11-22T10:00:00Z"),
            ));
            return;
        };
        v.expires_at = Some(expiry::format(at));
        let left = at - self.now;
        if left <= time::Duration::ZERO {
            problems.push(Problem::error(
                Code::Expired,
                location,
                format!(
                    "credentials expired at {} ({} ago)",
                    expiry::format(at),
                    short_duration((-left).whole_seconds())
                ),
                fix,
            ));
        } else if left <= self.config.expiring_threshold() {
            problems.push(Problem::warning(
                Code::Expiring,
                location,
                format!(
                    "credentials expire in {} (at {})",
                    short_duration(left.whole_seconds()),
                    expiry::format(at)
                ),
                fix,
            ));
        }
    }
}
