//! Remembered accounts against moto: a profile remembers the account of its last `ok`
//! verdict; another account's key in it is `wrong-account` offline (never sent), in the
//! prompt and as one desktop notification (a real dunst); the fix the problem gives,
//! followed literally, accepts the new account; `[accounts]` wins over memory; a corrupt
//! memory file is discarded. Other accounts' keys come from moto itself (users created in
//! another moto account, `Seed::user_in`).
#![allow(clippy::unwrap_used)]

use crate::notifications::{Desktop, desktop_tools};
use crate::support;
use crate::support::daemon::User;
use crate::support::moto::{Keys, Moto, Seed};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
const OTHER: &str = "222222222222";

fn write_prod(user: &User, k: &Keys) {
    use std::os::unix::fs::PermissionsExt;
    let text = format!(
        "[prod]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        k.access_key_id, k.secret_access_key
    );
    user.save_like_vim(&user.credentials(), &text);
    std::fs::set_permissions(user.credentials(), std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn remembered(user: &User) -> Value {
    let path = user.dir.path().join("state/credguard/accounts.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `credguardd check --json ARGS` one-shot: exit code, report, stderr.
fn one_shot(user: &User, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(support::daemon::credguardd())
        .args(["check", "--json"])
        .args(args)
        .env_clear()
        .envs(user.vars.iter().cloned())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let stderr = String::from_utf8(out.stderr).unwrap();
    (out.status.code().unwrap(), v, stderr)
}

/// prod's `wrong-account` problem: both accounts, where the key is, and the fix.
fn assert_wrong_account(p: &Value, was: &str) -> String {
    assert_eq!(p["state"], "invalid", "{p:#}");
    assert_eq!(p["account"], OTHER);
    let w = &p["problems"][0];
    assert_eq!(w["code"], "wrong-account", "{p:#}");
    assert_eq!(w["severity"], "error");
    assert_eq!(w["location"], "~/.aws/credentials:2:21");
    let msg = w["message"].as_str().unwrap();
    assert!(
        msg.contains(OTHER) && msg.contains(was) && msg.contains("last valid"),
        "{msg}"
    );
    let fix = w["fix"].as_str().unwrap().to_string();
    assert!(
        fix.contains("credguard check --fresh --profile prod;"),
        "{fix}"
    );
    fix
}

#[test]
fn another_accounts_key_is_wrong_account_notified_once_and_accepted_by_the_fix() {
    if !desktop_tools() {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice").user_in("bob", OTHER));
    let (alice, bob) = (seeded.user("alice"), seeded.user("bob"));
    assert_eq!(bob.account, OTHER, "moto made bob in the other account");
    let user = User::new(&moto.endpoint);
    write_prod(&user, alice);
    let desktop = Desktop::start(&user);
    let _d = user.start_with(&[("DBUS_SESSION_BUS_ADDRESS", &desktop.bus())]);
    user.wait_state("prod", "ok", WAIT);
    let mem = remembered(&user);
    assert_eq!(mem["profiles"]["prod"]["account"], alice.account.as_str());
    assert!(!mem.to_string().contains(&alice.access_key_id), "{mem}");

    // bob's key pasted into prod: caught offline, never sent
    write_prod(&user, bob);
    user.wait_state("prod", "invalid", WAIT);
    let fix = assert_wrong_account(&support::profile_of(&user.status(), "prod"), &alice.account);
    assert_eq!(
        user.prompt(&[("AWS_PROFILE", "prod")]),
        "aws:prod ✗ other account"
    );
    desktop.wait_total(1);
    desktop.ctl(&["close-all"]).unwrap();
    let (summary, body) = desktop.history().into_iter().next().unwrap_or_default();
    assert_eq!(summary, "AWS profile prod: other account");
    assert!(
        body.contains(OTHER) && body.contains(&alice.account),
        "{body}"
    );
    assert!(!body.contains(&bob.access_key_id) && !body.contains(&bob.secret_access_key));
    // saved again, unchanged: no second notification
    write_prod(&user, bob);
    std::thread::sleep(Duration::from_millis(500));
    desktop.wait_total(1);
    assert_eq!(moto.calls_with(&bob.access_key_id), 0, "sent to STS");

    // the fix, literally: the new account is accepted and remembered
    let cmd = fix.split(": ").nth(1).unwrap().split(';').next().unwrap();
    let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
    let out = user.client(&args, &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{cmd}: {text}");
    user.wait_state("prod", "ok", WAIT);
    assert_eq!(user.prompt(&[("AWS_PROFILE", "prod")]), "");
    assert_eq!(remembered(&user)["profiles"]["prod"]["account"], OTHER);
    assert_eq!(moto.calls_with(&bob.access_key_id), 1);
    desktop.wait_total(1);
}

#[test]
fn one_shot_checks_remember_judge_offline_and_yield_to_configured_accounts() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice").user_in("bob", OTHER));
    let (alice, bob) = (seeded.user("alice"), seeded.user("bob"));
    let user = User::new(&moto.endpoint);
    write_prod(&user, alice);
    let (code, _, _) = one_shot(&user, &[]);
    assert_eq!(code, 0);
    write_prod(&user, bob);
    // offline: no call, the remembered account decides
    let (code, v, _) = one_shot(&user, &["--offline"]);
    assert_eq!(code, 1);
    assert_wrong_account(&support::profile_of(&v, "prod"), &alice.account);
    let (code, _, _) = one_shot(&user, &[]);
    assert_eq!(code, 1);
    assert_eq!(moto.calls_with(&bob.access_key_id), 0);

    // [accounts] wins over memory
    std::fs::write(
        user.config_file(),
        format!("[accounts]\nprod = \"{OTHER}\"\n"),
    )
    .unwrap();
    let (code, v, _) = one_shot(&user, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(support::profile_of(&v, "prod")["state"], "ok");
    std::fs::remove_file(user.config_file()).unwrap();
    // that ok was remembered: memory now holds the other account
    assert_eq!(remembered(&user)["profiles"]["prod"]["account"], OTHER);

    // a corrupt memory is discarded, with a log line, and written anew
    let path = user.dir.path().join("state/credguard/accounts.json");
    std::fs::write(&path, "{\"version\": 1, \"profiles\": [").unwrap();
    let (code, _, stderr) = one_shot(&user, &[]);
    assert_eq!(code, 0);
    assert!(stderr.contains("corrupt"), "{stderr}");
    assert_eq!(remembered(&user)["profiles"]["prod"]["account"], OTHER);
}
