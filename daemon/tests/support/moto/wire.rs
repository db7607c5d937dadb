//! moto's wire, continued: the requests its recorder saw, a counting proxy in front of it,
//! and an SDK client pointed at it.
#![allow(clippy::unwrap_used)]

use super::*;

pub(super) fn header<'a>(headers: &'a Value, name: &str) -> Option<&'a str> {
    headers
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

pub(super) fn recorded(e: &Value) -> Recorded {
    let url = e["url"].as_str().unwrap_or_default();
    // http://host:port/path?query → /path?query
    let path = url
        .splitn(4, '/')
        .nth(3)
        .map(|p| format!("/{p}"))
        .unwrap_or_else(|| "/".into());
    let scope: Vec<String> = header(&e["headers"], "Authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split([',', ' ']).next())
        .map(|c| c.split('/').map(str::to_string).collect())
        .unwrap_or_default();
    let raw = e["body"].as_str().unwrap_or_default();
    let body = if e["body_encoded"].as_bool() == Some(true) {
        String::from_utf8_lossy(&base64_decode(raw)).into_owned()
    } else {
        raw.to_string()
    };
    let action = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(str::to_string);
    Recorded {
        method: e["method"].as_str().unwrap_or_default().to_string(),
        path,
        access_key_id: scope.first().cloned(),
        service: scope.get(3).cloned(),
        action,
        has_session_token: header(&e["headers"], "X-Amz-Security-Token").is_some(),
        authorization: header(&e["headers"], "Authorization").is_some(),
        user_agent: header(&e["headers"], "User-Agent").map(str::to_string),
    }
}

pub(super) fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A TCP proxy on 127.0.0.1 to `target` (`http://127.0.0.1:PORT`) counting the HTTP
/// requests that pass through it (request heads parsed, bodies skipped by
/// Content-Length). Returns the proxy's endpoint and the counter. Lives until the test
/// process exits.
pub fn counting_proxy(target: &str) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let target = target.trim_start_matches("http://").to_string();
    let counter = count.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            let (Ok(mut from_client), Ok(mut to_server)) = (client.try_clone(), server.try_clone())
            else {
                continue;
            };
            let counter = counter.clone();
            std::thread::spawn(move || {
                let mut pending: Vec<u8> = Vec::new();
                let mut body_left = 0usize;
                let mut buf = [0u8; 16384];
                while let Ok(n) = from_client.read(&mut buf) {
                    if n == 0 || to_server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    pending.extend_from_slice(&buf[..n]);
                    loop {
                        if body_left > 0 {
                            let k = body_left.min(pending.len());
                            pending.drain(..k);
                            body_left -= k;
                            if body_left > 0 {
                                break;
                            }
                        }
                        let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                            break;
                        };
                        let head = String::from_utf8_lossy(&pending[..end]).to_ascii_lowercase();
                        body_left = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(0);
                        counter.fetch_add(1, Ordering::SeqCst);
                        pending.drain(..end + 4);
                    }
                }
                let _ = to_server.shutdown(std::net::Shutdown::Write);
            });
            let (mut from_server, mut to_client) = (server, client);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut from_server, &mut to_client);
                let _ = to_client.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    (url, count)
}

/// An STS client for `endpoint` with fixed credentials: us-east-1, latest behavior
/// version, no retries (one call, one request), short timeouts.
pub fn sts_client(
    endpoint: &str,
    access_key_id: &str,
    secret_access_key: &str,
    session_token: Option<&str>,
) -> aws_sdk_sts::Client {
    let creds = aws_credential_types::Credentials::new(
        access_key_id,
        secret_access_key,
        session_token.map(str::to_string),
        None,
        "credguard-tests",
    );
    let conf = aws_sdk_sts::config::Builder::new()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(creds)
        .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
        .timeout_config(
            aws_smithy_types::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}
