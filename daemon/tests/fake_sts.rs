//! Cases no real STS peer can produce on demand: expired tokens, clock skew, throttling,
//! 5xx, a hung endpoint, a refused connection, garbage. Served by `FakeSts`, an in-process
//! HTTP server on 127.0.0.1 that is a FAKE, named as such.
#![allow(clippy::unwrap_used)]

use credguard::aws::files::Profiles;
use credguard::config::Config;
use credguard::diagnose::{Diagnosis, Material};
use credguard::validate::Validator;
use credguard::validate::cache::Cache;
use credguard::verdict::{Code, ProfileVerdict, Severity, SourceKind, State};
use credguard::world::World;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone)]
enum Reply {
    Ok {
        skew_secs: i64,
    },
    Error {
        status: u16,
        code: &'static str,
        message: &'static str,
    },
    Hang,
    Close,
    Garbage,
    /// A TCP reset (SO_LINGER 0, then close) after reading the request.
    Reset,
    /// A valid answer sent a byte every `gap_ms`.
    Slow {
        gap_ms: u64,
    },
}

struct FakeSts {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl FakeSts {
    /// Answers with `replies` in order, repeating the last one.
    fn start(replies: Vec<Reply>) -> FakeSts {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let replies = Arc::new(Mutex::new(replies));
        let (h, r) = (hits.clone(), replies);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (h, r) = (h.clone(), r.clone());
                std::thread::spawn(move || serve(conn, &h, &r));
            }
        });
        FakeSts { url, hits }
    }
}

fn serve(mut conn: TcpStream, hits: &AtomicUsize, replies: &Mutex<Vec<Reply>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    loop {
        let mut len = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        hits.fetch_add(1, Ordering::SeqCst);
        let reply = {
            let mut r = replies.lock().unwrap();
            if r.len() > 1 {
                r.remove(0)
            } else {
                r[0].clone()
            }
        };
        let date = |skew: i64| {
            let t = time::OffsetDateTime::now_utc() - time::Duration::seconds(skew);
            t.format(&time::format_description::well_known::Rfc2822)
                .unwrap()
                .replace("+0000", "GMT")
        };
        let resp = match reply {
            Reply::Ok { skew_secs } => {
                let body = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/fake</Arn><UserId>AIDAFAKE</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>";
                format!(
                    "HTTP/1.1 200 OK\r\nDate: {}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
                    date(skew_secs),
                    body.len()
                )
            }
            Reply::Error {
                status,
                code,
                message,
            } => {
                let body = format!(
                    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
                );
                format!(
                    "HTTP/1.1 {status} X\r\nDate: {}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
                    date(0),
                    body.len()
                )
            }
            Reply::Garbage => "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot xml!!".to_string(),
            Reply::Hang => {
                std::thread::sleep(Duration::from_secs(30));
                return;
            }
            Reply::Close => return,
            Reply::Reset => {
                let _ = rustix::net::sockopt::set_socket_linger(&conn, Some(Duration::ZERO));
                return;
            }
            Reply::Slow { gap_ms } => {
                let body = "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/fake</Arn><UserId>AIDAFAKE</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>";
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nDate: {}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
                    date(0),
                    body.len()
                );
                // headers at once, then the body in 8 slow pieces
                let (head, rest) = resp.split_at(resp.len() - body.len());
                if conn.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for chunk in rest.as_bytes().chunks(rest.len().div_ceil(8)) {
                    std::thread::sleep(Duration::from_millis(gap_ms));
                    if conn.write_all(chunk).is_err() {
                        return;
                    }
                }
                continue;
            }
        };
        if conn.write_all(resp.as_bytes()).is_err() {
            return;
        }
    }
}

const KEY: &str = "AKIAQ3EGFAKEKEY00001";
const TEMP: &str = "ASIAQ3EGFAKEKEY00001";
const SECRET: &str = "fAkEsEcReT/0123456789abcdefghijKLMNOPQRS";

fn diag(key: &str, token: Option<&str>) -> Diagnosis {
    Diagnosis {
        verdict: ProfileVerdict {
            profile: "p".into(),
            state: State::Unknown,
            source: SourceKind::Static,
            key_id: None,
            account: None,
            expected_account: None,
            tools: Default::default(),
            judging: Default::default(),
            identity: None,
            expires_at: None,
            problems: vec![],
        },
        material: Some(Material {
            key_id: key.into(),
            secret: SECRET.into(),
            token: token.map(str::to_string),
            profile: None,
            roles: Vec::new(),
            expiry_hint: None,
            written: Default::default(),
        }),
        readings: Default::default(),
    }
}

fn validator(call_timeout_ms: u64) -> Validator {
    let config = Config {
        call_timeout_ms,
        connect_timeout_ms: 1000,
        confirm_delay_ms: 200,
        ..Config::default()
    };
    Validator::from_config(&config)
}

async fn check(
    fake_url: &str,
    d: &mut [Diagnosis],
    cache: &mut Cache,
    v: &Validator,
) -> Option<f64> {
    let world = World::new(
        [("AWS_ENDPOINT_URL_STS", fake_url)],
        time::OffsetDateTime::now_utc(),
    );
    let (judged, skew) = v
        .run(&world, &Profiles::default(), d.to_vec(), cache, false)
        .await;
    d.clone_from_slice(&judged);
    skew
}

fn codes(d: &Diagnosis) -> Vec<Code> {
    d.verdict.problems.iter().map(|p| p.code).collect()
}

#[tokio::test]
async fn ok_then_cached_with_zero_calls() {
    let fake = FakeSts::start(vec![Reply::Ok { skew_secs: 0 }]);
    let mut cache = Cache::ephemeral();
    let v = validator(5000);
    // two profiles with the same keys cost one call
    let mut d = vec![diag(KEY, None), diag(KEY, None)];
    check(&fake.url, &mut d, &mut cache, &v).await;
    assert_eq!(fake.hits.load(Ordering::SeqCst), 1);
    for x in &d {
        assert_eq!(x.verdict.state, State::Ok);
        assert_eq!(
            x.verdict.identity.as_ref().unwrap().arn,
            "arn:aws:iam::111122223333:user/fake"
        );
    }
    let mut again = vec![diag(KEY, None)];
    check(&fake.url, &mut again, &mut cache, &v).await;
    assert_eq!(
        fake.hits.load(Ordering::SeqCst),
        1,
        "a fresh verdict must cost no call"
    );
    assert_eq!(again[0].verdict.state, State::Ok);
}

#[tokio::test]
async fn expired_token_is_expired() {
    let fake = FakeSts::start(vec![Reply::Error {
        status: 403,
        code: "ExpiredToken",
        message: "The security token included in the request is expired",
    }]);
    let mut d = vec![diag(TEMP, Some("tok"))];
    check(&fake.url, &mut d, &mut Cache::ephemeral(), &validator(5000)).await;
    assert_eq!(d[0].verdict.state, State::Expired);
    assert_eq!(codes(&d[0]), vec![Code::ExpiredToken]);
}

#[tokio::test]
async fn clock_skew_is_reported_from_the_date_header() {
    let fake = FakeSts::start(vec![Reply::Ok { skew_secs: 20 * 60 }]);
    let mut d = vec![diag(KEY, None)];
    let skew = check(&fake.url, &mut d, &mut Cache::ephemeral(), &validator(5000))
        .await
        .unwrap();
    assert!((skew - 1200.0).abs() < 5.0, "skew {skew}");
    let p = d[0]
        .verdict
        .problems
        .iter()
        .find(|p| p.code == Code::ClockSkew)
        .unwrap();
    assert_eq!(p.severity, Severity::Error);
    assert!(p.message.contains("ahead of"), "{}", p.message);
    assert!(p.fix.contains("timedatectl"));

    let fake = FakeSts::start(vec![Reply::Ok { skew_secs: -90 }]);
    let mut d = vec![diag(KEY, None)];
    check(&fake.url, &mut d, &mut Cache::ephemeral(), &validator(5000)).await;
    let p = d[0]
        .verdict
        .problems
        .iter()
        .find(|p| p.code == Code::ClockSkew)
        .unwrap();
    assert_eq!(
        (p.severity, d[0].verdict.state),
        (Severity::Warning, State::Ok)
    );
}

#[tokio::test]
async fn network_faults_are_unknown_never_invalid() {
    let cases: Vec<(Vec<Reply>, Code)> = vec![
        (
            vec![Reply::Error {
                status: 400,
                code: "Throttling",
                message: "Rate exceeded",
            }],
            Code::Throttled,
        ),
        (
            vec![Reply::Error {
                status: 500,
                code: "InternalFailure",
                message: "oops",
            }],
            Code::EndpointError,
        ),
        (
            vec![Reply::Error {
                status: 503,
                code: "ServiceUnavailable",
                message: "later",
            }],
            Code::EndpointError,
        ),
        (vec![Reply::Garbage], Code::EndpointError),
        (vec![Reply::Close], Code::Network),
        (vec![Reply::Hang], Code::Network),
        (vec![Reply::Reset], Code::Network),
        // an answer trickling in past the call timeout (8 × 400 ms > 1.5 s)
        (vec![Reply::Slow { gap_ms: 400 }], Code::Network),
    ];
    for (replies, want) in cases {
        let fake = FakeSts::start(replies);
        let mut d = vec![diag(KEY, None)];
        check(&fake.url, &mut d, &mut Cache::ephemeral(), &validator(1500)).await;
        assert_eq!(
            d[0].verdict.state,
            State::Unknown,
            "{want:?}: {:#?}",
            d[0].verdict
        );
        assert_eq!(codes(&d[0]), vec![want]);
        assert_eq!(d[0].verdict.problems[0].severity, Severity::Info);
    }
    // connection refused: a port nobody listens on
    let port = {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let mut d = vec![diag(KEY, None)];
    check(
        &format!("http://127.0.0.1:{port}"),
        &mut d,
        &mut Cache::ephemeral(),
        &validator(1500),
    )
    .await;
    assert_eq!(
        (d[0].verdict.state, codes(&d[0])),
        (State::Unknown, vec![Code::Network])
    );
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_a_verdict() {
    // 8 × 50 ms: slow, but inside the 1.5 s call timeout
    let fake = FakeSts::start(vec![Reply::Slow { gap_ms: 50 }]);
    let mut d = vec![diag(KEY, None)];
    check(&fake.url, &mut d, &mut Cache::ephemeral(), &validator(1500)).await;
    assert_eq!(d[0].verdict.state, State::Ok, "{:#?}", d[0].verdict);
    assert_eq!(fake.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unknown_backs_off_and_bad_secret_needs_confirmation() {
    let fake = FakeSts::start(vec![Reply::Error {
        status: 503,
        code: "ServiceUnavailable",
        message: "x",
    }]);
    let mut cache = Cache::ephemeral();
    let v = validator(1500);
    check(&fake.url, &mut [diag(KEY, None)], &mut cache, &v).await;
    let e = cache.entries.values().next().unwrap().clone();
    assert_eq!((e.failures, e.fresh_until - e.checked_at), (1, 30));
    // a second check within the backoff makes no call
    let hits = fake.hits.load(Ordering::SeqCst);
    check(&fake.url, &mut [diag(KEY, None)], &mut cache, &v).await;
    assert_eq!(fake.hits.load(Ordering::SeqCst), hits);

    // SignatureDoesNotMatch then OK: the second attempt wins, the key is fine
    let fake = FakeSts::start(vec![
        Reply::Error {
            status: 403,
            code: "SignatureDoesNotMatch",
            message: "The request signature we calculated does not match",
        },
        Reply::Ok { skew_secs: 0 },
    ]);
    let mut d = vec![diag(KEY, None)];
    check(&fake.url, &mut d, &mut Cache::ephemeral(), &v).await;
    assert_eq!(d[0].verdict.state, State::Ok);
    assert_eq!(fake.hits.load(Ordering::SeqCst), 2);
    // twice: bad secret
    let fake = FakeSts::start(vec![Reply::Error {
        status: 403,
        code: "SignatureDoesNotMatch",
        message: "does not match",
    }]);
    let mut d = vec![diag(KEY, None)];
    check(&fake.url, &mut d, &mut Cache::ephemeral(), &v).await;
    assert_eq!(
        (d[0].verdict.state, codes(&d[0])),
        (State::Invalid, vec![Code::BadSecret])
    );
    assert_eq!(fake.hits.load(Ordering::SeqCst), 2);
}

#[test]
fn cache_survives_restart_and_corruption_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let fake = FakeSts::start(vec![Reply::Ok { skew_secs: 0 }]);
    let v = validator(5000);
    {
        let mut cache = Cache::open(dir.path());
        rt.block_on(check(&fake.url, &mut [diag(KEY, None)], &mut cache, &v));
        cache.save().unwrap();
    }
    let text = std::fs::read_to_string(dir.path().join("verdicts.json")).unwrap();
    assert!(text.contains("111122223333"));
    for secret in [KEY, SECRET, "FAKEKEY"] {
        assert!(!text.contains(secret), "{secret} in cache file");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("cache.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // a restarted process reuses the fresh verdict: no call
    let mut cache = Cache::open(dir.path());
    let mut d = vec![diag(KEY, None)];
    rt.block_on(check(&fake.url, &mut d, &mut cache, &v));
    assert_eq!(fake.hits.load(Ordering::SeqCst), 1);
    assert_eq!(d[0].verdict.state, State::Ok);
    // corrupt file: discarded, not fatal
    std::fs::write(dir.path().join("verdicts.json"), "{not json").unwrap();
    let cache = Cache::open(dir.path());
    assert!(cache.entries.is_empty());
}

/// Shells that submit new credentials faster than STS answers (here: a FAKE endpoint that
/// hangs) do not queue calls without bound: the call of a forgotten set (the daemon keeps
/// 64) is dropped, so the validations in flight stay within the sets remembered and the
/// profiles.
#[test]
fn calls_of_forgotten_env_sets_are_dropped() {
    let sts = FakeSts::start(vec![Reply::Hang]);
    let user = crate::support::daemon::User::new(&sts.url);
    let _d = user.start();
    let sock = user.socket();
    for i in 0..200 {
        let creds = credguard_client::EnvCredentials {
            access_key_id: format!("AKIAQ3EGHANG{i:08}"),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYHANGHANGHA".into(),
            ..Default::default()
        };
        let req = credguard_client::Request::SubmitEnv(creds);
        credguard_client::exchange(&sock, &req, Duration::from_secs(5)).unwrap();
    }
    let status = user.status();
    let in_flight = status["sts_calls"]["in_flight"].as_u64().unwrap();
    let remembered = credguard::run::engine::MAX_ENV_SETS as u64;
    assert!(
        (1..=remembered).contains(&in_flight),
        "{in_flight} validations in flight after 200 submissions to a hung STS: {status:#}"
    );
}
