//! Verdicts true in context (issue 16), what each one claims: role profiles assumed (a
//! refused hop named), expiry fields as hints that STS confirms, the tools' own config
//! sections, and a clock set back noticed. `context.rs`: the shell's environment.
#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::context::{check, codes, home_with};
use crate::support::moto::{Moto, Seed};
use serde_json::Value;
use std::process::Command;

/// Role profiles are assumed by default, as the tools do: `ok` is the role's own session.
/// moto evaluates the role's trust policy: a role that trusts someone else is refused, and
/// the verdict names that profile, its role and the credentials it was tried with, at the
/// line of its `role_arn`. A two-hop chain refused at the second hop names that hop.
#[test]
fn roles_are_assumed_and_a_refused_hop_is_named() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("gus")
            .user("other")
            .role("deployer", "gus", true)
            .role_trusting("strict", "other", "gus")
            .role_trusting("inner", "other", "other"),
    );
    let gus = seeded.user("gus");
    let home = home_with(
        "[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deployer\nsource_profile = gus\n\
         [profile strict]\nrole_arn = arn:aws:iam::123456789012:role/strict\nsource_profile = gus\n\
         [profile second]\nrole_arn = arn:aws:iam::123456789012:role/inner\nsource_profile = deploy\n",
        &format!(
            "[gus]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            gus.access_key_id, gus.secret_access_key
        ),
    );
    let sts = [
        ("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str()),
        ("AWS_PROFILE", "gus"),
    ];
    let (code, v, all) = check(home.path(), &sts, &[]);
    assert_eq!(code, 1, "{all}");
    let deploy = support::profile_of(&v, "deploy");
    assert_eq!(deploy["state"], "ok", "{deploy:#}");
    assert_eq!(
        deploy["identity"]["arn"],
        "arn:aws:sts::123456789012:assumed-role/deployer/credguard-check"
    );
    let refused = |name: &str, location: &str, with: &str| {
        let p = support::profile_of(&v, name);
        assert_eq!(p["state"], "invalid", "{p:#}");
        let problem = &p["problems"][0];
        assert_eq!(problem["code"], "role-not-assumable", "{p:#}");
        assert_eq!(problem["location"], location, "{p:#}");
        let message = problem["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "profile {name} cannot assume arn:aws:iam::123456789012:role/"
            )),
            "{message}"
        );
        assert!(message.contains(&format!(" with {with}: ")), "{message}");
        assert!(
            problem["fix"]
                .as_str()
                .unwrap()
                .starts_with(&format!("trust {with} in the trust policy"))
        );
    };
    refused("strict", "~/.aws/config:5:12", "its source credentials");
    refused(
        "second",
        "~/.aws/config:8:12",
        "the session of role arn:aws:iam::123456789012:role/deployer (profile deploy)",
    );
}

/// An expiry field is a hint: STS is asked. Fresh keys pasted under an old expiry line are
/// accepted, so the field is `stale-expiry-metadata` (warning, at its line), not `expired`;
/// keys STS refuses stay `expired` with STS's reason; without STS (`--offline`) the field is
/// all there is, and it says `expired`.
#[test]
fn past_expiry_fields_are_asked_of_sts() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice").user_with_deleted_key("bob"));
    let (alice, bob) = (seeded.user("alice"), seeded.user("bob"));
    let old = "aws_expiration = 2020-01-01T00:00:00Z\n";
    let home = home_with(
        "",
        &format!(
            "[fresh]\naws_access_key_id = {}\naws_secret_access_key = {}\n{old}\
             [dead]\naws_access_key_id = {}\naws_secret_access_key = {}\n{old}",
            alice.access_key_id, alice.secret_access_key, bob.access_key_id, bob.secret_access_key
        ),
    );
    let env = [
        ("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str()),
        ("AWS_PROFILE", "fresh"),
        ("AWS_ACCESS_KEY_ID", alice.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", alice.secret_access_key.as_str()),
        ("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z"),
    ];
    let (_, v, all) = check(home.path(), &env, &[]);
    assert!(!all.contains(&alice.secret_access_key));
    for (name, location) in [
        ("fresh", "~/.aws/credentials:4:18"),
        ("(env)", "env AWS_CREDENTIAL_EXPIRATION"),
    ] {
        let p = support::profile_of(&v, name);
        assert_eq!(p["state"], "ok", "{p:#}");
        assert_eq!(p["expires_at"], Value::Null, "{p:#}");
        let stale = p["problems"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == "stale-expiry-metadata")
            .unwrap_or_else(|| panic!("{p:#}"))
            .clone();
        assert_eq!(stale["severity"], "warning", "{p:#}");
        assert_eq!(stale["location"], location, "{p:#}");
        assert!(!codes(&p).contains(&"expired".to_string()), "{p:#}");
    }
    let dead = support::profile_of(&v, "dead");
    assert_eq!(dead["state"], "invalid", "{dead:#}");
    assert_eq!(codes(&dead), ["expired", "unknown-key"], "{dead:#}");

    let (_, v, _) = check(home.path(), &env, &["--offline"]);
    let fresh = support::profile_of(&v, "fresh");
    assert_eq!(fresh["state"], "expired", "{fresh:#}");
    assert_eq!(fresh["problems"][0]["code"], "expired", "{fresh:#}");
}

/// Sections the tools define for themselves (`[plugins]`, `[preview]`, `[sso-session x]`,
/// `[services x]`) are no profiles and no misnamed sections; a bare `[dev]` in the config
/// file still is one (the edge where the code must fire).
#[test]
fn the_tools_own_sections_are_not_profiles() {
    let home = home_with(
        "[default]\nregion = us-east-1\n\
         [plugins]\ncli_legacy_plugin_path = /opt/plugins\nendpoint = awscli_plugin_endpoint\n\
         [preview]\ncloudsearch = true\n\
         [sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://corp.awsapps.com/start\n\
         [services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n\
         [dev]\nregion = eu-west-1\n",
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    let (_, v, all) = check(home.path(), &[], &["--offline"]);
    let names: Vec<&str> = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "dev"], "{all}");
    assert_eq!(
        codes(&support::profile_of(&v, "default")),
        ["not-validated"],
        "{all}"
    );
    let dev = support::profile_of(&v, "dev");
    assert_eq!(dev["problems"][0]["code"], "misnamed-section", "{dev:#}");
    assert_eq!(
        dev["problems"][0]["location"], "~/.aws/config:14",
        "{dev:#}"
    );
}

/// `credguard check`, then the same with the clock set 25 minutes back (faketime, which
/// moves the clock the SDK signs with and the skew is measured by): the cached verdicts lie
/// in the future, so they are not trusted, STS is asked again, and `clock-skew` says
/// about −1,500 s, without `--fresh`.
#[test]
fn a_clock_set_back_is_noticed_without_fresh() {
    if !support::tool("faketime") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice"));
    let alice = seeded.user("alice");
    let home = home_with(
        "",
        &format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            alice.access_key_id, alice.secret_access_key
        ),
    );
    let sts = [("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str())];
    let (_, v, all) = check(home.path(), &sts, &[]);
    assert!(
        v["clock_skew_seconds"].as_f64().unwrap().abs() < 60.0,
        "{all}"
    );
    let out = Command::new("faketime")
        .args([
            "-f",
            "-25m",
            env!("CARGO_BIN_EXE_credguardd"),
            "check",
            "--json",
        ])
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("PATH", "/usr/bin:/bin")
        .envs(sts)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    let skew = v["clock_skew_seconds"].as_f64().unwrap();
    assert!((skew + 1500.0).abs() < 60.0, "skew {skew}: {v:#}");
    let d = support::profile_of(&v, "default");
    let p = d["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "clock-skew")
        .unwrap_or_else(|| panic!("{d:#}"))
        .clone();
    assert_eq!(p["severity"], "error", "{d:#}");
    assert!(p["message"].as_str().unwrap().contains("behind"), "{d:#}");
}
