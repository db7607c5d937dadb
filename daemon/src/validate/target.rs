//! Where a credential set is sent: the region and the STS endpoint as the SDK resolves
//! them for a profile (or for environment credentials), opt-in regions included.

use crate::aws::files::Profiles;
use crate::aws::locate;
use crate::world::World;

/// Where a credential set is sent: region and endpoint as the SDK resolves them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub region: String,
    /// None: the SDK's own regional endpoint for `region`.
    pub endpoint: Option<String>,
}

/// The opt-in regions, where a v1 (global endpoint) session token is rejected.
pub(super) const OPT_IN_REGIONS: [&str; 15] = [
    "af-south-1",
    "ap-east-1",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

/// Region and endpoint for a profile, in the SDK's order:
/// `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else us-east-1;
/// `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the `sts` `endpoint_url` of the profile's
/// `[services x]` section, the profile's `endpoint_url` (environment before file,
/// service-specific before global within each: aws-runtime's `EnvConfigValue::load`),
/// unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the profile's
/// `ignore_configured_endpoint_urls`. Environment credentials (`profile` None) are sent
/// where the tools send them: with the settings of the profile this shell selects
/// (`AWS_PROFILE`, else `default`), whose region also picks the partition's endpoint
/// (`sts.cn-north-1.amazonaws.com.cn` for aws-cn; the SDK's endpoint rules do that).
pub fn target(world: &World, profiles: &Profiles, profile: Option<&str>) -> Target {
    let selected = profile.is_none().then(|| locate::selected_profile(world).0);
    let profile = profile.or(selected.as_deref());
    let props = profile.and_then(|p| profiles.profiles.get(p));
    let prop = |k: &str| {
        props
            .and_then(|p| p.get(k))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let region = world
        .var("AWS_REGION")
        .or_else(|| world.var("AWS_DEFAULT_REGION"))
        .or_else(|| prop("region"))
        .unwrap_or("us-east-1")
        .to_string();
    let ignore = world
        .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| prop("ignore_configured_endpoint_urls"))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let endpoint = (!ignore)
        .then(|| {
            world
                .var("AWS_ENDPOINT_URL_STS")
                .or_else(|| world.var("AWS_ENDPOINT_URL"))
                .or_else(|| {
                    prop("services")
                        .and_then(|s| profiles.sts_endpoints.get(s))
                        .map(String::as_str)
                        .filter(|v| !v.is_empty())
                })
                .or_else(|| prop("endpoint_url"))
                .map(str::to_string)
        })
        .flatten();
    Target { region, endpoint }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The endpoint order of aws-runtime's `EnvConfigValue::load`, with the files read
    /// through the SDK's own parser (a `[services x]` section's `sts` sub-properties).
    #[test]
    fn endpoint_order_env_then_services_section_then_profile() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[profile a]\nservices = local\nendpoint_url = http://127.0.0.1:2\n\
             [profile b]\nendpoint_url = http://127.0.0.1:2\n\
             [profile c]\nservices = other\n\
             [services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n\
             [services other]\ns3 =\n  endpoint_url = http://127.0.0.1:3\n",
        )
        .unwrap();
        let at = |env: &[(&str, &str)], p: &str| {
            let mut vars = vec![("HOME".to_string(), home.path().display().to_string())];
            vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            let world = World::new(vars, time::OffsetDateTime::UNIX_EPOCH);
            let loaded = crate::aws::files::load(&world);
            target(&world, &loaded.profiles, Some(p)).endpoint
        };
        let some = |s: &str| Some(s.to_string());
        assert_eq!(at(&[], "a"), some("http://127.0.0.1:1"));
        assert_eq!(at(&[], "b"), some("http://127.0.0.1:2"));
        assert_eq!(
            at(&[], "c"),
            None,
            "another service's endpoint is not STS's"
        );
        let env = [("AWS_ENDPOINT_URL", "http://127.0.0.1:4")];
        assert_eq!(at(&env, "a"), some("http://127.0.0.1:4"));
        let env = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4"),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5"),
        ];
        assert_eq!(at(&env, "a"), some("http://127.0.0.1:5"));
        let env = [("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")];
        assert_eq!(at(&env, "a"), None);
    }

    /// Env credentials take the selected profile's region and endpoint (`default`, else
    /// `AWS_PROFILE`'s), and the SDK's endpoint rules turn a China or GovCloud region into
    /// that partition's STS endpoint, so those keys are not asked about in the aws partition.
    #[tokio::test]
    async fn env_credentials_follow_the_selected_profile_and_its_partition() {
        use aws_sdk_sts::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[default]\nregion = cn-north-1\n\
             [profile gov]\nregion = us-gov-west-1\n\
             [profile local]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:7\n",
        )
        .unwrap();
        let at = |env: &[(&str, &str)]| {
            let mut vars = vec![("HOME".to_string(), home.path().display().to_string())];
            vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            let world = World::new(vars, time::OffsetDateTime::UNIX_EPOCH);
            target(&world, &crate::aws::files::load(&world).profiles, None)
        };
        let url = |t: &Target| {
            let params = Params::builder().region(t.region.clone()).build().unwrap();
            async move {
                let e = DefaultResolver::new().resolve_endpoint(&params).await;
                e.unwrap().url().to_string()
            }
        };
        let china = at(&[]);
        assert_eq!(
            (china.region.as_str(), &china.endpoint),
            ("cn-north-1", &None)
        );
        assert_eq!(url(&china).await, "https://sts.cn-north-1.amazonaws.com.cn");
        let gov = at(&[("AWS_PROFILE", "gov")]);
        assert_eq!(url(&gov).await, "https://sts.us-gov-west-1.amazonaws.com");
        let local = at(&[("AWS_PROFILE", "local")]);
        assert_eq!(local.region, "eu-west-1");
        assert_eq!(local.endpoint.as_deref(), Some("http://127.0.0.1:7"));
        let env_region = at(&[("AWS_PROFILE", "local"), ("AWS_REGION", "us-west-2")]);
        assert_eq!(
            env_region.region, "us-west-2",
            "AWS_REGION before the profile"
        );
    }
}
