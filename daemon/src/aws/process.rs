//! `credential_process`, run only when the config opts in: the command's JSON output
//! (Version 1) as the SDK reads it.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub struct ProcessCredentials {
    pub key_id: String,
    pub secret: String,
    pub token: Option<String>,
    pub expiration: Option<String>,
}

/// Run `command` through `sh -c` (as the CLI does on Unix) with a deadline. Errors never
/// contain the command's output, which may hold secrets.
pub fn run(command: &str, timeout_secs: u64) -> Result<ProcessCredentials, String> {
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.by_ref().take(1 << 20).read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("still running after {timeout_secs} s; abandoned"));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let out = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("exited with {status}"));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out).map_err(|e| format!("its output is not JSON ({e})"))?;
    if json.get("Version").and_then(|v| v.as_i64()) != Some(1) {
        return Err("its output lacks \"Version\": 1".into());
    }
    let field = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Ok(ProcessCredentials {
        key_id: field("AccessKeyId").ok_or("its output lacks AccessKeyId")?,
        secret: field("SecretAccessKey").ok_or("its output lacks SecretAccessKey")?,
        token: field("SessionToken"),
        expiration: field("Expiration"),
    })
}
