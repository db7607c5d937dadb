//! The readers proved against the real parsers: botocore (from the moto venv) for `cli`,
//! `@smithy/shared-ini-file-loader` run by node for `js`. Every seed file and a few
//! thousand generated ones (seeded, printed) are parsed both ways, as a config file and as
//! a credentials file, and the canonical JSON must be equal byte for byte. One oracle
//! process reads every file, so the test takes seconds.
#![allow(clippy::unwrap_used)]

use crate::support::{self, mutate};
use credguard::aws::locate::FileKind;
use credguard::aws::readers::Reader;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const GENERATED: usize = 3000;

pub fn oracle_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracles")
}

/// The command that runs `reader`'s oracle, or None (outside CI) when it is not installed.
fn oracle(reader: Reader) -> Option<Command> {
    match reader {
        Reader::Cli => {
            let (_, python) = support::moto::venv()?;
            let mut c = Command::new(python);
            c.arg(oracle_dir().join("botocore_parse.py"))
                .env("PYTHONUTF8", "1")
                .env("PYTHONIOENCODING", "utf-8");
            Some(c)
        }
        Reader::Js => {
            let js = oracle_dir().join("js");
            let installed = js
                .join("node_modules/@smithy/shared-ini-file-loader")
                .is_dir();
            if !support::tool("node") {
                return None;
            }
            if !installed {
                assert_ne!(
                    std::env::var("CI").as_deref(),
                    Ok("true"),
                    "{} has no node_modules with CI=true: scripts/setup.sh runs npm ci there",
                    js.display()
                );
                eprintln!("SKIP: js oracle not installed (scripts/setup.sh)");
                return None;
            }
            let mut c = Command::new("node");
            c.arg(js.join("parse.js"));
            Some(c)
        }
        Reader::Sdk => None,
    }
}

/// Each file's parse by the oracle, one canonical JSON string per (kind, path).
fn run_oracle(mut cmd: Command, requests: &[(FileKind, PathBuf)]) -> Vec<String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for (kind, path) in requests {
        let k = match kind {
            FileKind::Config => "config",
            FileKind::Credentials => "credentials",
        };
        input.push_str(&format!("{k}\t{}\n", path.display()));
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(lines.len(), requests.len(), "one answer per file");
    lines
}

/// Compare `reader` with its oracle on `files`; returns how many parses were compared.
fn differential(reader: Reader, files: &[Vec<u8>], seed: u64) -> Option<usize> {
    let cmd = oracle(reader)?;
    let dir = tempfile::tempdir().unwrap();
    let mut requests = Vec::new();
    for (i, bytes) in files.iter().enumerate() {
        let path = dir.path().join(format!("f{i}"));
        std::fs::write(&path, bytes).unwrap();
        for kind in [FileKind::Config, FileKind::Credentials] {
            requests.push((kind, path.clone()));
        }
    }
    let theirs = run_oracle(cmd, &requests);
    let mut mismatches = Vec::new();
    for ((kind, path), theirs) in requests.iter().zip(&theirs) {
        let i: usize = path.file_name().unwrap().to_str().unwrap()[1..]
            .parse()
            .unwrap();
        let ours = reader
            .parse(*kind, &files[i])
            .canonical(reader == Reader::Cli);
        let ours = js_normalise(reader, &ours);
        if &ours != theirs {
            mismatches.push(format!(
                "{} as {kind:?}: bytes {:?}\n  file: {:?}\n  ours:   {ours}\n  theirs: {theirs}",
                reader.as_str(),
                files[i],
                String::from_utf8_lossy(&files[i]),
            ));
        }
    }
    eprintln!(
        "{}: {} parses compared with the oracle (seed {seed}), {} mismatches",
        reader.as_str(),
        requests.len(),
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches (seed {seed}), first ones:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    Some(requests.len())
}

/// The JS loader swallows its errors (a refused file reads as `{}`): it has no error line
/// to compare, so ours is dropped (our profiles are empty then too).
fn js_normalise(reader: Reader, canonical: &str) -> String {
    if reader != Reader::Js {
        return canonical.to_string();
    }
    let mut v: serde_json::Value = serde_json::from_str(canonical).unwrap();
    v["error"] = serde_json::Value::Null;
    v.to_string()
}

pub fn seed() -> u64 {
    std::env::var("CREDGUARD_READERS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        })
}

fn corpus(seed: u64) -> Vec<Vec<u8>> {
    let mut files: Vec<Vec<u8>> = mutate::SEEDS
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    files.extend(
        crate::divergences::CASES
            .iter()
            .flat_map(|c| [c.config, c.credentials])
            .map(|s| s.as_bytes().to_vec()),
    );
    let mut rng = mutate::Rng::new(seed);
    files.extend((0..GENERATED).map(|_| mutate::generate(&mut rng)));
    files
}

#[test]
fn cli_reader_parses_as_botocore_does() {
    let seed = seed();
    if let Some(n) = differential(Reader::Cli, &corpus(seed), seed) {
        assert!(n >= 2 * GENERATED);
    }
}

#[test]
fn js_reader_parses_as_the_js_sdk_does() {
    let seed = seed();
    if let Some(n) = differential(Reader::Js, &corpus(seed), seed) {
        assert!(n >= 2 * GENERATED);
    }
}
