//! Verdicts true in context (issue 16), where the shell's environment decides: env keys
//! go to the selected profile's endpoint, a profile that holds only settings is not an
//! error, `AWS_PROFILE=""` is the empty name everywhere, and `check`/`doctor` through the
//! daemon see the shell's credentials. `context_verdicts.rs`: what each verdict claims.
#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::context::{check, codes, home_with};
use crate::support::daemon::User;
use crate::support::moto::{Moto, Seed};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

/// A port nothing listens on.
const CLOSED: &str = "http://127.0.0.1:9";
const WAIT: Duration = Duration::from_secs(20);

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
    // the AWS CLI and the Rust SDK send the keys to elsewhere's (closed) endpoint; the JS
    // SDK skips the environment while AWS_PROFILE is set, and elsewhere holds no keys
    assert_eq!(
        env["tools"],
        serde_json::json!({"cli": "unknown", "sdk": "unknown", "js": "invalid"}),
        "{env:#}"
    );
    let mut found = codes(&env);
    found.sort();
    assert_eq!(found, ["env-not-read", "network"], "{env:#}");

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
    user.wait_prompt(&elsewhere, WAIT, |b| b.contains("env not read"));
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
}

/// A role whose source profile holds only settings: the role's error (`no-credentials`, not
/// `missing-key-id`), located at the source, with the fix for the source; the source itself
/// is not in use, so it is only skipped.
#[test]
fn a_roles_source_holding_only_settings_is_the_roles_error() {
    let sts = ("AWS_ENDPOINT_URL_STS", CLOSED);
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
    assert!(doctor.contains("use them, not profile default"), "{doctor}");
    assert!(!doctor.contains(&alice.secret_access_key));
}
