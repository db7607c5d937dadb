//! Canary for the STS peer the other tests trust: proves that moto really enforces SigV4
//! auth, and records what its answers look like to the Rust SDK (HTTP status, the code
//! `ProvideErrorMetadata::code()` gives, the code in the raw body), which is what the
//! classifier in `daemon/src/sts.rs` must cope with. Run with `--no-capture` to see the
//! table. Skips without moto, except under `CI=true` where a missing moto fails.
#![allow(clippy::unwrap_used)]

use crate::support::moto::{ACCOUNT, Moto, Seed, sts_client};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};

/// What one GetCallerIdentity call got back.
#[derive(Debug)]
struct Seen {
    status: u16,
    /// `ProvideErrorMetadata::code()` on the SdkError
    sdk_code: Option<String>,
    /// `ProvideErrorMetadata::message()` on the SdkError
    sdk_message: Option<String>,
    /// `<Code>` in the raw body
    body_code: Option<String>,
    /// the SdkError variant
    kind: &'static str,
    body: String,
    /// on success: (account, arn)
    identity: Option<(String, String)>,
}

fn tag(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(body[start..end].trim().to_string())
}

async fn call(endpoint: &str, key: &str, secret: &str, token: Option<&str>) -> Seen {
    let client = sts_client(endpoint, key, secret, token);
    match client.get_caller_identity().send().await {
        Ok(out) => Seen {
            status: 200,
            sdk_code: None,
            sdk_message: None,
            body_code: None,
            kind: "ok",
            body: String::new(),
            identity: Some((
                out.account().unwrap_or_default().to_string(),
                out.arn().unwrap_or_default().to_string(),
            )),
        },
        Err(e) => {
            let kind = match &e {
                SdkError::ServiceError(_) => "ServiceError",
                SdkError::ResponseError(_) => "ResponseError",
                SdkError::DispatchFailure(_) => "DispatchFailure",
                SdkError::TimeoutError(_) => "TimeoutError",
                SdkError::ConstructionFailure(_) => "ConstructionFailure",
                _ => "other",
            };
            let raw = e.raw_response();
            let body = raw
                .and_then(|r| r.body().bytes())
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Seen {
                status: raw.map(|r| r.status().as_u16()).unwrap_or(0),
                sdk_code: e.code().map(str::to_string),
                sdk_message: e.message().map(str::to_string),
                body_code: tag(&body, "Code"),
                kind,
                body,
                identity: None,
            }
        }
    }
}

fn report(case: &str, seen: &Seen) {
    println!(
        "moto-canary | {case:<31} | HTTP {} | {:<12} | code() = {:<8} | message() = {:<8} | body <Code> = {}",
        seen.status,
        seen.kind,
        format!("{:?}", seen.sdk_code),
        format!("{:?}", seen.sdk_message.as_ref().map(|_| "Some")),
        seen.body_code.as_deref().unwrap_or("-"),
    );
    if !seen.body.is_empty() {
        println!("moto-canary |   body: {}", seen.body.replace('\n', ""));
    }
}

/// A rejection: 403, the expected code in the body, and an SDK code that is either absent
/// (moto's `<ErrorResponse><Errors><Error>` shape) or the same.
fn assert_rejected(case: &str, seen: &Seen, code: &str) {
    report(case, seen);
    assert_eq!(seen.status, 403, "{case}: {seen:#?}");
    assert_eq!(seen.kind, "ServiceError", "{case}: {seen:#?}");
    assert_eq!(seen.body_code.as_deref(), Some(code), "{case}: {seen:#?}");
    assert!(
        seen.sdk_code.is_none() || seen.sdk_code.as_deref() == Some(code),
        "{case}: the SDK's code() contradicts the body: {seen:#?}"
    );
}

fn assert_ok(case: &str, seen: &Seen, arn: &str) {
    report(case, seen);
    assert_eq!(
        seen.identity,
        Some((ACCOUNT.to_string(), arn.to_string())),
        "{case}: {seen:#?}"
    );
}

#[tokio::test]
async fn moto_enforces_auth_and_answers_like_sts() {
    let Some(moto) = Moto::start() else { return };
    let seeded = moto.seed(
        &Seed::new()
            .user("alice")
            .user_with_deleted_key("bob")
            .user("carol")
            .assumed_role("ci", "deployer", "carol"),
    );
    let alice = seeded.user("alice");
    let bob = seeded.user("bob");
    let role = seeded.session("ci");
    let ep = moto.endpoint.as_str();
    println!("moto-canary | endpoint {ep}");

    // Seeded material looks like AWS's.
    assert!(alice.access_key_id.starts_with("AKIA"), "{alice:?}");
    assert_eq!(alice.access_key_id.len(), 20);
    assert_eq!(alice.secret_access_key.len(), 40);
    assert_eq!(alice.account, ACCOUNT);
    assert_eq!(alice.arn, format!("arn:aws:iam::{ACCOUNT}:user/alice"));
    assert!(role.access_key_id.starts_with("ASIA"), "{role:?}");
    assert_eq!(
        role.arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci")
    );
    assert_eq!(
        role.role_arn,
        format!("arn:aws:iam::{ACCOUNT}:role/deployer")
    );

    let seen = call(ep, &alice.access_key_id, &alice.secret_access_key, None).await;
    assert_ok("seeded key", &seen, &alice.arn);

    let seen = call(ep, "AKIAZZZZZZZZZZZZZZZZ", &alice.secret_access_key, None).await;
    assert_rejected("unknown key id", &seen, "InvalidClientTokenId");

    let wrong: String = alice.secret_access_key.chars().rev().collect();
    let seen = call(ep, &alice.access_key_id, &wrong, None).await;
    assert_rejected("right key id, wrong secret", &seen, "SignatureDoesNotMatch");

    // STS itself answers SignatureDoesNotMatch for a good secret right after the same key
    // id was used with another one; moto has no such memory.
    let seen = call(ep, &alice.access_key_id, &alice.secret_access_key, None).await;
    assert_ok("seeded key after a bad one", &seen, &alice.arn);

    let seen = call(ep, &bob.access_key_id, &bob.secret_access_key, None).await;
    assert_rejected("deleted key (seeded)", &seen, "InvalidClientTokenId");

    let seen = call(
        ep,
        &role.access_key_id,
        &role.secret_access_key,
        Some(&role.session_token),
    )
    .await;
    assert_ok("assume-role with token", &seen, &role.arn);

    let seen = call(ep, &role.access_key_id, &role.secret_access_key, None).await;
    assert_rejected("assume-role without token", &seen, "InvalidClientTokenId");

    let t = &role.session_token;
    let corrupt = format!("{}XXXXXXXX", &t[..t.len() - 8]);
    let seen = call(
        ep,
        &role.access_key_id,
        &role.secret_access_key,
        Some(&corrupt),
    )
    .await;
    assert_rejected("assume-role corrupt token", &seen, "InvalidClientTokenId");

    // A stray token on a long-term key.
    let seen = call(
        ep,
        &alice.access_key_id,
        &alice.secret_access_key,
        Some(&role.session_token),
    )
    .await;
    report("long-term key + stray token", &seen);

    // The one-call API, and auth still enforced after a second round of seeding.
    let erin = moto.create_user("erin");
    let seen = call(ep, &erin.access_key_id, &erin.secret_access_key, None).await;
    assert_ok("created key", &seen, &erin.arn);
    moto.delete_access_key("erin", &erin.access_key_id);
    let seen = call(ep, &erin.access_key_id, &erin.secret_access_key, None).await;
    assert_rejected(
        "deleted key (delete_access_key)",
        &seen,
        "InvalidClientTokenId",
    );
    let seen = call(ep, "AKIAZZZZZZZZZZZZZZZZ", &alice.secret_access_key, None).await;
    assert_rejected(
        "unknown key, after reseeding",
        &seen,
        "InvalidClientTokenId",
    );

    let frank = moto.create_user("frank");
    let session = moto.assume_role_creds(&frank, "auditor");
    assert_eq!(
        session.role_arn,
        format!("arn:aws:iam::{ACCOUNT}:role/auditor")
    );
    let seen = call(
        ep,
        &session.access_key_id,
        &session.secret_access_key,
        Some(&session.session_token),
    )
    .await;
    assert_ok("assume_role_creds session", &seen, &session.arn);
    assert!(
        session.arn.contains(":assumed-role/auditor/"),
        "{session:?}"
    );

    // Every call above reached moto exactly once; seeding is not counted.
    assert_eq!(moto.sts_calls(), 13, "{:#?}", moto.requests());
    assert_eq!(moto.calls_with(&alice.access_key_id), 4);
    assert!(
        moto.requests()
            .iter()
            .all(|r| r.service.as_deref() == Some("sts")
                && r.action.as_deref() == Some("GetCallerIdentity"))
    );
}

#[tokio::test]
async fn request_counters_see_every_sts_call() {
    let Some(moto) = Moto::start() else { return };
    let alice = moto.create_user("alice");
    assert_eq!(moto.sts_calls(), 0, "seeding must not be counted");

    let (proxy, through_proxy) = moto.counting_proxy();
    // One client: the SDK reuses its connection, so the proxy must split requests.
    let client = sts_client(&proxy, &alice.access_key_id, &alice.secret_access_key, None);
    for _ in 0..3 {
        let out = client.get_caller_identity().send().await.unwrap();
        assert_eq!(out.arn(), Some(alice.arn.as_str()));
    }
    let bad = sts_client(&proxy, "AKIAZZZZZZZZZZZZZZZZ", "x", None);
    assert!(bad.get_caller_identity().send().await.is_err());

    use std::sync::atomic::Ordering;
    assert_eq!(through_proxy.load(Ordering::SeqCst), 4);
    assert_eq!(moto.sts_calls(), 4);
    assert_eq!(moto.calls_with(&alice.access_key_id), 3);
    let reqs = moto.requests();
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, "/");
    assert!(!reqs[0].has_session_token);

    moto.reset_requests();
    assert_eq!(moto.sts_calls(), 0);
}
