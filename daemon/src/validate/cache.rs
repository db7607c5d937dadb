//! The verdict cache: keyed by a keyed hash of the credential material, persisted without
//! secrets, written atomically (write, fsync, rename).

use crate::diagnose::Material;
use crate::validate::sts::{Outcome, Target};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const CACHE_FILE: &str = "verdicts.json";
const KEY_FILE: &str = "cache.key";
const CACHE_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub outcome: Outcome,
    /// unix seconds
    pub checked_at: i64,
    pub fresh_until: i64,
    /// consecutive unknown answers, for backoff
    pub failures: u32,
    pub skew_seconds: Option<f64>,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    entries: HashMap<String, Entry>,
}

/// Seconds a verdict's time may lie ahead of the clock before the clock is taken to have
/// gone back (a second or two of rounding is not that).
const FUTURE_TOLERANCE: i64 = 5;

pub struct Cache {
    key: [u8; 32],
    pub entries: HashMap<String, Entry>,
    dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> CacheError + 'a {
    move |source| CacheError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

impl Cache {
    /// An in-memory cache with a fresh random key (nothing persisted).
    pub fn ephemeral() -> Cache {
        Cache {
            key: random_key(),
            entries: HashMap::new(),
            dir: None,
        }
    }

    /// Open the cache in `dir`: the key is created 0600 if missing; a corrupt cache file is
    /// discarded with a log line; an unusable dir leaves an in-memory cache.
    pub fn open(dir: &Path) -> Cache {
        match Self::try_open(dir) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "verdict cache unavailable; keeping verdicts in memory only");
                Cache::ephemeral()
            }
        }
    }

    fn try_open(dir: &Path) -> Result<Cache, CacheError> {
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        let key_path = dir.join(KEY_FILE);
        let key = match std::fs::read(&key_path) {
            Ok(b) if b.len() == 32 => {
                let mut k = [0u8; 32];
                k.copy_from_slice(&b);
                k
            }
            _ => {
                let k = random_key();
                write_atomic(&key_path, &k)?;
                k
            }
        };
        let path = dir.join(CACHE_FILE);
        let entries = match std::fs::read(&path) {
            Ok(bytes) => match parse_entries(&bytes) {
                Ok(Some(entries)) => entries,
                Ok(None) => {
                    tracing::info!("verdict cache of another version discarded");
                    HashMap::new()
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "verdict cache is corrupt; discarded");
                    HashMap::new()
                }
            },
            Err(_) => HashMap::new(),
        };
        Ok(Cache {
            key,
            entries,
            dir: Some(dir.to_path_buf()),
        })
    }

    /// The keyed hash of what decides STS's answer.
    pub fn fingerprint(&self, m: &Material, t: &Target) -> String {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        for part in [
            m.key_id.as_str(),
            m.secret.as_str(),
            m.token.as_deref().unwrap_or(""),
            t.endpoint.as_deref().unwrap_or(""),
            t.region.as_str(),
        ] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        // roles assumed on the way are part of what is judged
        for r in &m.roles {
            for part in [
                r.role_arn.as_str(),
                r.external_id.as_deref().unwrap_or(""),
                r.session_name.as_deref().unwrap_or(""),
            ] {
                mac.update(&[1]);
                mac.update(part.as_bytes());
            }
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The entry for `fp` if it is still fresh at `now`. One checked after `now` is not: the
    /// clock went back (set by hand, a VM restored, a resume), so the verdict and the skew it
    /// measured belong to another clock, and they are measured again.
    pub fn fresh(&self, fp: &str, now: i64) -> Option<&Entry> {
        self.entries
            .get(fp)
            .filter(|e| e.fresh_until > now && e.checked_at <= now + FUTURE_TOLERANCE)
    }

    /// Forget verdicts unused for a week, then, beyond `max` entries, the oldest ones that
    /// no current profile or shell uses (`in_use`): a daemon fed ever new credential sets
    /// (a shell per temporary key) stays bounded in memory and on disk.
    pub fn prune(&mut self, now: i64, max: usize, in_use: &HashSet<&str>) {
        self.entries.retain(|_, e| e.fresh_until > now - 7 * 86_400);
        let excess = self.entries.len().saturating_sub(max);
        if excess == 0 {
            return;
        }
        let mut unused: Vec<(i64, String)> = self
            .entries
            .iter()
            .filter(|(fp, _)| !in_use.contains(fp.as_str()))
            .map(|(fp, e)| (e.checked_at, fp.clone()))
            .collect();
        unused.sort_unstable();
        for (_, fp) in unused.into_iter().take(excess) {
            self.entries.remove(&fp);
        }
    }

    pub fn save(&self) -> Result<(), CacheError> {
        let Some(dir) = &self.dir else { return Ok(()) };
        // borrowed, not cloned: a save allocates only its bytes
        #[derive(Serialize)]
        struct OnDiskRef<'a> {
            version: u32,
            entries: &'a HashMap<String, Entry>,
        }
        let data = OnDiskRef {
            version: CACHE_VERSION,
            entries: &self.entries,
        };
        let bytes = serde_json::to_vec(&data).unwrap_or_default();
        write_atomic(&dir.join(CACHE_FILE), &bytes)
    }
}

/// The entries of a cache file's bytes: `None` for another cache version, an error for
/// anything that is not a cache file. (Fuzzed: fuzz/fuzz_targets/cache_read.rs.)
pub fn parse_entries(bytes: &[u8]) -> Result<Option<HashMap<String, Entry>>, String> {
    match serde_json::from_slice::<OnDisk>(bytes) {
        Ok(d) if d.version == CACHE_VERSION => Ok(Some(d.entries)),
        Ok(_) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn random_key() -> [u8; 32] {
    let mut k = [0u8; 32];
    if getrandom::fill(&mut k).is_err() {
        // no entropy source: a key from time and pid still keeps fingerprints unguessable
        // enough for a local cache; never all zeros
        let seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
        let mac =
            Hmac::<Sha256>::new_from_slice(seed.as_bytes()).map(|m| m.finalize().into_bytes());
        if let Ok(b) = mac {
            k.copy_from_slice(&b);
        }
    }
    k
}

/// Write to a temp file in the same dir (0600), fsync, rename over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("f"),
        std::process::id()
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io("create", &tmp))?;
    let written = f
        .write_all(bytes)
        .map_err(io("write", &tmp))
        .and_then(|()| f.sync_all().map_err(io("fsync", &tmp)));
    drop(f);
    // a failed write (a full disk) leaves no half file behind to take up the space
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path).map_err(io("rename", path)));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::sts::Outcome;

    fn entry(checked_at: i64) -> Entry {
        Entry {
            outcome: Outcome::Unknown {
                code: crate::verdict::Code::Network,
                message: String::new(),
            },
            checked_at,
            fresh_until: checked_at + 1_800,
            failures: 1,
            skew_seconds: None,
        }
    }

    #[test]
    fn prune_keeps_what_is_in_use_and_drops_the_oldest_beyond_the_cap() {
        let now = 10_000_000;
        let mut c = Cache::ephemeral();
        // a week and a day old: forgotten whatever the cap
        c.entries.insert("ancient".into(), entry(now - 8 * 86_400));
        for i in 0..10 {
            c.entries.insert(format!("fp{i}"), entry(now - 1_000 + i));
        }
        let in_use: HashSet<&str> = ["fp0", "fp1"].into_iter().collect();
        c.prune(now, 6, &in_use);
        let mut left: Vec<&str> = c.entries.keys().map(String::as_str).collect();
        left.sort_unstable();
        // the two oldest are in use and stay; the next four oldest go
        assert_eq!(left, ["fp0", "fp1", "fp6", "fp7", "fp8", "fp9"]);
        // under the cap nothing but the week-old goes
        c.entries.insert("ancient".into(), entry(now - 8 * 86_400));
        c.prune(now, 100, &HashSet::new());
        assert_eq!(c.entries.len(), 6);
        assert!(!c.entries.contains_key("ancient"));
    }
}
