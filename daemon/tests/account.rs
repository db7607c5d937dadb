//! The account of a key, end to end: canary-token keys never reach the endpoint (one-shot,
//! `--fresh`, through the daemon, as a shell's env credentials, as a role's source),
//! `[accounts]` expectations offline and from STS's answer, the decoded-versus-answered
//! warning, and credguard's user agent as the endpoint sees it. The endpoint here is a
//! recording FAKE (`Recorder`) that answers every request with one identity; the user
//! agent is also checked on moto's recorder.
#![allow(clippy::unwrap_used)]

use crate::support;
use crate::support::daemon::User;
use crate::support::moto::{Moto, Seed};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const SECRET: &str = "fAkEsEcReT/0123456789abcdefghijKLMNOPQRS";
/// trufflehog's canarytokens.org example key (account 171436882533).
const CANARY: &str = "AKIASP2TPHJSQH3FJRUX";
/// The account the `Recorder` answers for every key.
const ANSWERED: &str = "123456789012";
const VERSION_UA: &str = concat!("credguard/", env!("CARGO_PKG_VERSION"));

/// A new-form access key id of `account` (flag bit, 40 account bits, filler).
fn key_of(prefix: &str, account: u64, filler: u64) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits: u128 =
        (1u128 << 79) | (u128::from(account) << 39) | u128::from(filler & ((1 << 39) - 1));
    let tail: String = (0..16)
        .map(|i| ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// One request the FAKE endpoint saw.
#[derive(Clone, Debug)]
struct Seen {
    key_id: Option<String>,
    user_agent: Option<String>,
    action: Option<String>,
}

/// A FAKE STS on 127.0.0.1 that records every request and answers GetCallerIdentity with
/// account [`ANSWERED`].
struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || serve(conn, &s));
            }
        });
        Recorder { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn with_key(&self, key: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.key_id.as_deref() == Some(key))
            .count()
    }
}

fn serve(conn: std::net::TcpStream, seen: &Mutex<Vec<Seen>>) {
    let mut out = conn.try_clone().unwrap();
    let mut reader = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        seen.lock().unwrap().push(Seen {
            key_id: header("authorization")
                .and_then(|a| a.split("Credential=").nth(1).map(str::to_string))
                .and_then(|c| c.split('/').next().map(str::to_string)),
            user_agent: header("user-agent"),
            action: body
                .split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .map(str::to_string),
        });
        let xml = format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{ANSWERED}:user/fake</Arn><UserId>AIDAFAKE</UserId><Account>{ANSWERED}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        );
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{xml}",
            xml.len()
        );
        if out.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

/// The credentials file, 0600 (else every profile also has `insecure-permissions`).
fn write_credentials(user: &User, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(user.credentials(), text).unwrap();
    std::fs::set_permissions(user.credentials(), std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn section(name: &str, key: &str) -> String {
    format!("[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {SECRET}\n")
}

/// `credguardd check --json` (one-shot, no daemon) for `user`.
fn one_shot(user: &User, extra: &[&str]) -> (i32, Value, String) {
    let out = Command::new(support::daemon::credguardd())
        .args(["check", "--json"])
        .args(extra)
        .env_clear()
        .envs(user.vars.iter().cloned())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let v = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap(), v, format!("{stdout}{stderr}"))
}

fn codes(p: &Value) -> Vec<String> {
    p["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["code"].as_str().unwrap().to_string())
        .collect()
}

/// A canary key, a key of an account in `never_validate_accounts`, and a role whose source
/// is the canary key: none is ever sent, the good key beside them is.
fn canary_user(rec: &Recorder) -> (User, String, String) {
    let user = User::new(&rec.url);
    let listed = key_of("AKIA", 210_987_654_321, 5);
    let good = key_of("AKIA", 123_456_789_012, 6);
    let text = format!(
        "{}{}{}[hop]\nrole_arn = arn:aws:iam::{ANSWERED}:role/deployer\nsource_profile = trap\n",
        section("trap", CANARY),
        section("tripwire", &listed),
        section("good", &good),
    );
    write_credentials(&user, &text);
    std::fs::write(
        user.config_file(),
        "assume_role = true\nnever_validate_accounts = [\"210987654321\"]\n",
    )
    .unwrap();
    (user, listed, good)
}

fn assert_canaries_skipped(v: &Value, all: &str) {
    for (name, account) in [
        ("trap", "171436882533"),
        ("tripwire", "210987654321"),
        ("hop", "171436882533"),
    ] {
        let p = support::profile_of(v, name);
        assert_eq!(p["state"], "skipped", "{name}: {p:#}");
        assert_eq!(codes(&p), vec!["canary-token"], "{name}: {p:#}");
        assert_eq!(p["problems"][0]["severity"], "info");
        assert_eq!(p["account"], account, "{name}: {p:#}");
        assert!(p["identity"].is_null());
    }
    let trap = support::profile_of(v, "trap");
    let msg = trap["problems"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("canarytokens.org") && msg.contains("never sends it"),
        "{msg}"
    );
    assert_eq!(
        trap["problems"][0]["location"], "~/.aws/credentials:2:21",
        "the canary key is located as the other key problems are"
    );
    let tripwire = support::profile_of(v, "tripwire");
    assert!(
        tripwire["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("never_validate_accounts")
    );
    assert!(!all.contains(CANARY), "a full key id in the output");
}

#[test]
fn canary_keys_never_reach_the_endpoint_one_shot_with_or_without_fresh() {
    let rec = Recorder::start();
    let (user, listed, good) = canary_user(&rec);
    for extra in [&[][..], &["--fresh"][..], &["--fresh"][..]] {
        let (code, v, all) = one_shot(&user, extra);
        assert_eq!(code, 0, "skipped is usable, ok is ok: {all}");
        assert_canaries_skipped(&v, &all);
        let g = support::profile_of(&v, "good");
        assert_eq!(g["state"], "ok", "{g:#}");
        assert_eq!(g["account"], ANSWERED);
    }
    assert_eq!(rec.with_key(CANARY), 0, "{:?}", rec.seen());
    assert_eq!(rec.with_key(&listed), 0);
    // the endpoint is wired: the good key was asked once, then twice more with --fresh
    assert_eq!(rec.with_key(&good), 3, "{:?}", rec.seen());
    assert!(
        rec.seen()
            .iter()
            .all(|s| s.action.as_deref() != Some("AssumeRole"))
    );
}

#[test]
fn canary_keys_never_reach_the_endpoint_through_the_daemon_or_a_shell() {
    let rec = Recorder::start();
    let (user, listed, good) = canary_user(&rec);
    let _d = user.start();
    user.wait_state("good", "ok", WAIT);
    assert_canaries_skipped(&user.status(), "");
    let out = user.client(&["check", "--json", "--fresh"], &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_canaries_skipped(&v, &text);
    for profile in ["trap", "tripwire", "hop"] {
        assert_eq!(user.prompt(&[("AWS_PROFILE", profile)]), "", "{profile}");
    }
    // a shell whose env holds the canary key: diagnosed, never validated
    let env = [
        ("AWS_ACCESS_KEY_ID", CANARY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("CREDGUARD_PROMPT_TIMEOUT_MS", "2000"),
    ];
    // the first prompt hands the credentials over (and says `checking`, as for any env set)
    assert_eq!(user.prompt(&env), "aws:env … checking");
    user.wait_prompt(&env, WAIT, str::is_empty);
    for _ in 0..3 {
        assert_eq!(user.prompt(&env), "", "no badge for a canary key");
    }
    assert_eq!(rec.with_key(CANARY), 0, "{:?}", rec.seen());
    assert_eq!(rec.with_key(&listed), 0);
    assert_eq!(rec.with_key(&good), 2, "{:?}", rec.seen());
}

#[test]
fn expected_accounts_offline_by_name_and_glob_and_from_the_answer() {
    let rec = Recorder::start();
    let user = User::new(&rec.url);
    let other = key_of("AKIA", 555_555_555_555, 9);
    let home = key_of("ASIA", 123_456_789_012, 10);
    let text = format!(
        "{}{}{}{}",
        section("prod-eu", &other),
        section("prod-us", &key_of("AKIA", 222_222_222_222, 11)),
        section("old", "AKIAIOSFODNN7EXAMPLE"),
        section("forged", &other),
    ) + &format!(
        "[home]\naws_access_key_id = {home}\naws_secret_access_key = {SECRET}\naws_session_token = {}\n",
        "FwoGZXIvYXdzE".repeat(20)
    );
    write_credentials(&user, &text);
    std::fs::write(
        user.config_file(),
        "[accounts]\n\"prod-*\" = \"222222222222\"\nold = \"111111111111\"\nhome = \"123456789012\"\n",
    )
    .unwrap();

    // offline: decoded accounts, prod-eu caught without any call
    let (code, v, all) = one_shot(&user, &["--offline"]);
    assert_eq!(code, 1, "{all}");
    let eu = support::profile_of(&v, "prod-eu");
    assert_eq!(eu["state"], "invalid");
    assert_eq!(eu["account"], "555555555555");
    assert_eq!(eu["problems"][0]["code"], "wrong-account");
    assert_eq!(eu["problems"][0]["location"], "~/.aws/credentials:2:21");
    let msg = eu["problems"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("555555555555") && msg.contains("222222222222") && msg.contains("prod-*"),
        "{msg}"
    );
    assert!(
        eu["problems"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("~/.aws/credentials:2:21")
    );
    assert_eq!(
        support::profile_of(&v, "prod-us")["account"],
        "222222222222"
    );
    assert!(support::profile_of(&v, "old")["account"].is_null());
    assert_eq!(support::profile_of(&v, "home")["account"], ANSWERED);
    let text_out = Command::new(support::daemon::credguardd())
        .args(["check", "--offline", "--profile", "prod-eu"])
        .env_clear()
        .envs(user.vars.iter().cloned())
        .output()
        .unwrap();
    let text_out = String::from_utf8(text_out.stdout).unwrap();
    assert!(
        text_out.contains("(static, key AKIA…") && text_out.contains(")  account 555555555555\n"),
        "{text_out}"
    );

    // online: STS's answer is the account; the old key is another account than expected
    let (code, v, all) = one_shot(&user, &[]);
    assert_eq!(code, 1, "{all}");
    assert_eq!(
        rec.with_key(&key_of("AKIA", 555_555_555_555, 9)),
        1,
        "forged only"
    );
    let old = support::profile_of(&v, "old");
    assert_eq!(old["account"], ANSWERED);
    assert_eq!(old["state"], "invalid");
    assert_eq!(codes(&old), vec!["wrong-account"]);
    assert!(
        old["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("111111111111")
    );
    assert_eq!(old["problems"][0]["location"], "~/.aws/credentials:8:21");
    let forged = support::profile_of(&v, "forged");
    assert_eq!(forged["state"], "ok");
    assert_eq!(forged["account"], ANSWERED);
    assert_eq!(codes(&forged), vec!["account-mismatch"]);
    assert_eq!(forged["problems"][0]["severity"], "warning");
    let home = support::profile_of(&v, "home");
    assert_eq!(
        (home["state"].as_str(), codes(&home).len()),
        (Some("ok"), 0)
    );

    // the prompt names the reason
    let _d = user.start();
    user.wait_state("old", "invalid", WAIT);
    assert_eq!(
        user.prompt(&[("AWS_PROFILE", "prod-eu")]),
        "aws:prod-eu ✗ other account"
    );
    assert_eq!(
        user.prompt(&[("AWS_PROFILE", "old")]),
        "aws:old ✗ other account"
    );
}

#[test]
fn every_sts_request_carries_credguards_user_agent() {
    let rec = Recorder::start();
    let user = User::new(&rec.url);
    write_credentials(
        &user,
        &section("default", &key_of("AKIA", 123_456_789_012, 1)),
    );
    let (code, _, all) = one_shot(&user, &[]);
    assert_eq!(code, 0, "{all}");
    let seen = rec.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let ua = seen[0].user_agent.as_deref().unwrap();
    assert!(
        ua.starts_with("aws-sdk-rust/") && ua.ends_with(&format!(" app/credguard {VERSION_UA}")),
        "{ua}"
    );
}

#[test]
fn moto_records_credguards_user_agent_and_the_decoded_account() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(&Seed::new().user("alice"));
    let alice = seeded.user("alice");
    let user = User::new(&moto.endpoint);
    write_credentials(
        &user,
        &section("default", &alice.access_key_id).replace(SECRET, &alice.secret_access_key),
    );
    let (code, v, all) = one_shot(&user, &[]);
    assert_eq!(code, 0, "{all}");
    let d = support::profile_of(&v, "default");
    // moto mints new-form key ids of its account: decoded and answered agree
    assert_eq!(d["account"], alice.account.as_str());
    assert!(d["problems"].as_array().unwrap().is_empty(), "{d:#}");
    let requests = moto.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let ua = requests[0].user_agent.as_deref().unwrap();
    assert!(ua.ends_with(VERSION_UA), "{ua}");
}
