//! Verdicts true in context (issue 16): credentials judged where and as the user's tools
//! would use them. Environment keys go to the selected profile's endpoint, a profile that
//! holds only settings is not an error, and the report says exactly what was verified.
#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::daemon::User;
use crate::support::moto::{Moto, Seed};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A port nothing listens on.
const CLOSED: &str = "http://127.0.0.1:9";
const WAIT: Duration = Duration::from_secs(20);

/// `credguardd check --json` in `home` with these variables (no STS endpoint variable:
/// where STS is comes from the files under test).
fn check(home: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_credguardd"))
        .arg("check")
        .arg("--json")
        .args(args)
        .env_clear()
        .env("HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("PATH", "/usr/bin:/bin")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap(), v, format!("{stdout}{stderr}"))
}

fn home_with(config: &str, credentials: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(aws.join("config"), config).unwrap();
    if !credentials.is_empty() {
        use std::os::unix::fs::PermissionsExt;
        let path = aws.join("credentials");
        std::fs::write(&path, credentials).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    home
}

fn codes(p: &Value) -> Vec<String> {
    p["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// Env keys with `[default]` holding `region` and `endpoint_url` (moto): the tools call that
/// endpoint, and so does credguard, in the one-shot path and through the daemon; with
/// `AWS_PROFILE` naming a profile whose endpoint is closed, the verdict follows that profile.
#[test]
fn env_credentials_go_to_the_selected_profiles_endpoint() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice"));
    let alice = seeded.user("alice");
    let config = format!(
        "[default]\nregion = eu-west-2\nendpoint_url = {}\n\
         [profile elsewhere]\nregion = eu-west-1\nendpoint_url = {CLOSED}\n",
        moto.endpoint
    );
    let home = home_with(&config, "");
    let keys = [
        ("AWS_ACCESS_KEY_ID", alice.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", alice.secret_access_key.as_str()),
    ];
    let (code, v, all) = check(home.path(), &keys, &[]);
    assert!(!all.contains(&alice.secret_access_key));
    let env = support::profile_of(&v, "(env)");
    assert_eq!(env["state"], "ok", "{env:#}");
    assert_eq!(env["identity"]["arn"], alice.arn.as_str(), "{env:#}");
    assert_eq!(code, 0, "[default] holds only settings: {all}");

    let mut elsewhere = keys.to_vec();
    elsewhere.push(("AWS_PROFILE", "elsewhere"));
    let (_, v, _) = check(home.path(), &elsewhere, &[]);
    let env = support::profile_of(&v, "(env)");
    assert_eq!(env["state"], "unknown", "{env:#}");
    assert_eq!(codes(&env), ["network"], "{env:#}");

    // through the daemon: the shell's keys and profile travel with the submission (moto
    // counts the calls: the daemon's own environment selects no profile)
    let mut user = User::new(CLOSED);
    user.vars.retain(|(k, _)| k != "AWS_ENDPOINT_URL_STS");
    std::fs::write(user.aws().join("config"), &config).unwrap();
    let _d = user.start();
    let mut shell = keys.to_vec();
    shell.push(("CREDGUARD_PROMPT_TIMEOUT_MS", "2000"));
    let mut elsewhere = shell.clone();
    elsewhere.push(("AWS_PROFILE", "elsewhere"));
    assert_eq!(user.prompt(&elsewhere), "aws:env … checking");
    user.wait_prompt(&elsewhere, WAIT, str::is_empty);
    assert_eq!(moto.calls_with(&alice.access_key_id), 1, "one check only");
    assert_eq!(user.prompt(&shell), "aws:env … checking");
    user.wait_prompt(&shell, WAIT, str::is_empty);
    assert_eq!(
        moto.calls_with(&alice.access_key_id),
        2,
        "the daemon's call"
    );
}

/// What `aws configure` leaves when the keys live elsewhere: `[default]` with only `region`.
/// Not the profile in use (env keys, or AWS_PROFILE names another): skipped with
/// `no-credentials` (info), and `check` exits 0. The profile in use with nothing else to
/// supply credentials: an error that says why the tools fail. A role whose source holds
/// only settings: an error at that source.
#[test]
fn settings_only_profiles_are_not_errors() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice"));
    let alice = seeded.user("alice");
    let (key, secret) = (&alice.access_key_id, &alice.secret_access_key);
    let home = home_with(
        "[default]\nregion = us-east-1\noutput = json\n",
        &format!("[work]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    );
    let sts = ("AWS_ENDPOINT_URL_STS", moto.endpoint.as_str());
    let info = |v: &Value, why: &str| {
        let d = support::profile_of(v, "default");
        assert_eq!(d["state"], "skipped", "{d:#}");
        let p = &d["problems"][0];
        assert_eq!(
            (&p["code"], &p["severity"], &p["location"]),
            (
                &"no-credentials".into(),
                &"info".into(),
                &"~/.aws/config:1".into()
            ),
            "{d:#}"
        );
        assert!(p["message"].as_str().unwrap().contains(why), "{d:#}");
    };
    let env = [
        sts,
        ("AWS_ACCESS_KEY_ID", key.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
    ];
    let (code, v, all) = check(home.path(), &env, &[]);
    assert_eq!(code, 0, "a healthy setup: {all}");
    info(&v, "from the environment");
    assert_eq!(support::profile_of(&v, "(env)")["state"], "ok");

    let (code, v, all) = check(home.path(), &[sts, ("AWS_PROFILE", "work")], &[]);
    assert_eq!(code, 0, "{all}");
    info(&v, "not the profile in use");
    assert_eq!(support::profile_of(&v, "work")["state"], "ok");

    let (code, v, all) = check(home.path(), &[sts], &[]);
    assert_eq!(code, 1, "{all}");
    let d = support::profile_of(&v, "default");
    assert_eq!(d["state"], "invalid", "{d:#}");
    let p = &d["problems"][0];
    assert_eq!(p["code"], "no-credentials", "{d:#}");
    assert_eq!(p["severity"], "error", "{d:#}");
    assert_eq!(p["location"], "~/.aws/config:1", "{d:#}");
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("Unable to locate credentials"),
        "{d:#}"
    );
    assert!(
        p["fix"]
            .as_str()
            .unwrap()
            .starts_with("add aws_access_key_id and aws_secret_access_key to default (`aws configure --profile default`)"),
        "{d:#}"
    );

    // a role whose source holds only settings: the role's error, located at the source
    let home = home_with(
        "[profile base]\nregion = us-east-1\n\
         [profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n",
        "",
    );
    let (_, v, _) = check(
        home.path(),
        &[sts, ("AWS_PROFILE", "deploy")],
        &["--offline"],
    );
    let d = support::profile_of(&v, "deploy");
    let p = &d["problems"][0];
    assert_eq!(
        (&p["code"], &p["severity"], &p["location"]),
        (
            &"no-credentials".into(),
            &"error".into(),
            &"~/.aws/config:1".into()
        ),
        "{d:#}"
    );
    assert!(
        p["fix"].as_str().unwrap().contains("--profile base"),
        "{d:#}"
    );
    assert_eq!(support::profile_of(&v, "base")["state"], "skipped");
}

/// `AWS_PROFILE=""` selects the empty name, as for the tools ("The config profile () could
/// not be found"), and `"dev "` is not `dev`: reported quoted, the invisible character
/// named, with a fix that works (`unset`, or the name without the space, never
/// `aws configure --profile dev `). The empty name is no profile of `AWS_DEFAULT_PROFILE`'s.
#[test]
fn empty_and_padded_profile_names_are_what_the_tools_see() {
    let home = home_with(
        "[profile dev]\nregion = us-east-1\n",
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\
         [dev]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    );
    let run = |name: &str| {
        let (code, v, all) = check(home.path(), &[("AWS_PROFILE", name)], &["--offline"]);
        assert_eq!(code, 1, "{all}");
        let p = support::profile_of(&v, name);
        assert_eq!(p["state"], "invalid", "{p:#}");
        let problem = p["problems"][0].clone();
        assert_eq!(problem["code"], "profile-not-found", "{p:#}");
        assert_eq!(problem["location"], "env AWS_PROFILE", "{p:#}");
        let text = |k: &str| problem[k].as_str().unwrap().to_string();
        (text("message"), text("fix"))
    };
    let (message, fix) = run("");
    assert!(
        message.starts_with("profile \"\" (empty) is not defined"),
        "{message}"
    );
    assert!(
        message.contains("The config profile () could not be found"),
        "{message}"
    );
    assert_eq!(
        fix,
        "`unset AWS_PROFILE` to use the default profile, or `export AWS_PROFILE=<profile>`"
    );
    let (message, fix) = run("dev ");
    assert!(
        message.starts_with("profile \"dev \" (ends with U+0020 SPACE) is not defined"),
        "{message}"
    );
    assert_eq!(fix, "`export AWS_PROFILE=dev` (the name without them)");
    let (_, v, _) = check(
        home.path(),
        &[("AWS_PROFILE", ""), ("AWS_DEFAULT_PROFILE", "dev")],
        &["--offline"],
    );
    let names: Vec<&str> = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["profile"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["default", "dev"],
        "botocore reads AWS_DEFAULT_PROFILE first"
    );
}

/// The prompt agrees with the daemon on the selected profile: `AWS_PROFILE=""` in the
/// client and in each shell's hook (which reads badge files itself, and zsh's which speaks
/// the protocol itself) is the empty name, not the default profile.
#[test]
fn the_prompt_and_the_hooks_select_the_empty_name_too() {
    let user = User::new(CLOSED);
    std::fs::write(
        user.credentials(),
        "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    )
    .unwrap();
    let _d = user.start();
    assert_eq!(user.prompt(&[]), "aws:default ✗ no secret");
    let empty = [("AWS_PROFILE", "")];
    assert_eq!(user.prompt(&empty), "aws:\"\" ✗ no such profile");
    assert_eq!(
        user.prompt(&[("AWS_PROFILE", "default ")]),
        "aws:\"default \" ✗ no such profile"
    );
    let cg = support::daemon::credguard();
    let cg = cg.display();
    for (shell, script) in [
        (
            "bash",
            format!(
                "eval \"$('{cg}' init bash)\"; _credguard_prompt; printf '%s' \"$CREDGUARD_BADGE\""
            ),
        ),
        (
            "zsh",
            format!(
                "eval \"$('{cg}' init zsh)\"; _credguard_precmd; print -rn -- \"$CREDGUARD_BADGE\""
            ),
        ),
        (
            "fish",
            format!(
                "'{cg}' init fish | source; _credguard_refresh; printf '%s' \"$CREDGUARD_BADGE\""
            ),
        ),
    ] {
        if !support::tool(shell) {
            continue;
        }
        let badge = |extra: &[(&str, &str)]| {
            let mut c = Command::new(shell);
            c.arg("-c")
                .arg(&script)
                .env_clear()
                .envs(user.vars.iter().cloned());
            c.envs(extra.iter().copied());
            let out = c.output().unwrap();
            assert!(
                out.stderr.is_empty(),
                "{shell}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(badge(&[]), "aws:default ✗ no secret", "{shell}");
        assert_eq!(badge(&empty), "aws:\"\" ✗ no such profile", "{shell}");
    }
}

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

/// `credguard check` and `credguard doctor` through the daemon carry the shell's
/// environment credentials: the same report as the one-shot check (the `(env)` entry and
/// `env-overrides-profile`), though the daemon's own environment has none.
#[test]
fn check_and_doctor_through_the_daemon_see_the_shells_credentials() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice").user("bob"));
    let (alice, bob) = (seeded.user("alice"), seeded.user("bob"));
    let user = User::new(&moto.endpoint);
    std::fs::write(
        user.credentials(),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            bob.access_key_id, bob.secret_access_key
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::Permissions::from_mode(0o600);
    std::fs::set_permissions(user.credentials(), mode).unwrap();
    let shell = [
        ("AWS_ACCESS_KEY_ID", alice.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", alice.secret_access_key.as_str()),
    ];
    let summary = |v: &Value| -> Vec<(String, String, Vec<String>)> {
        v["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let name = p["profile"].as_str().unwrap().to_string();
                (name, p["state"].as_str().unwrap().to_string(), codes(p))
            })
            .collect()
    };
    // the one-shot path: no daemon
    let out = user.client(&["check", "--json"], &shell);
    let alone: Value = serde_json::from_slice(&out.stdout).unwrap();
    let _d = user.start();
    let out = user.client(&["check", "--json"], &shell);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!text.contains(&alice.secret_access_key));
    let through: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = vec![
        ("(env)".to_string(), "ok".to_string(), vec![]),
        (
            "default".to_string(),
            "ok".to_string(),
            vec!["env-overrides-profile".to_string()],
        ),
    ];
    assert_eq!(summary(&alone), want, "{alone:#}");
    assert_eq!(summary(&through), want, "{through:#}");
    assert_eq!(
        support::profile_of(&through, "(env)")["identity"]["arn"],
        alice.arn.as_str()
    );
    let out = user.client(&["doctor"], &shell);
    let doctor = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(doctor.contains("(env)"), "{doctor}");
    assert!(
        doctor.contains("the SDK uses them, not profile default"),
        "{doctor}"
    );
    assert!(!doctor.contains(&alice.secret_access_key));
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
