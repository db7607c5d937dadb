//! Event-driven file watching: directories, never files (editors save by rename, which a
//! file watch does not survive). A directory that does not exist yet is waited for by
//! watching its nearest existing ancestor; [`Watch::arm`] re-arms after every change.

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Wakes the engine when something relevant changed.
pub type Wake = Arc<tokio::sync::Notify>;

pub struct Watch {
    watcher: Option<RecommendedWatcher>,
    wake: Wake,
    /// The directories we care about (shared with the event callback for filtering).
    targets: Arc<RwLock<Vec<PathBuf>>>,
    /// Watched directory → its (device, inode), to re-arm a directory that was replaced.
    armed: HashMap<PathBuf, (u64, u64)>,
    /// Relevant events seen (for logs and tests).
    pub events: Arc<AtomicU64>,
    /// Set by the callback when a watched directory itself was removed or renamed: its
    /// watch is dead even if a new directory (possibly with the same inode number) is
    /// already in its place.
    dead: Arc<AtomicBool>,
    armed_shared: Arc<RwLock<Vec<PathBuf>>>,
}

impl Watch {
    pub fn new(wake: Wake) -> Watch {
        Watch {
            watcher: None,
            wake,
            targets: Arc::default(),
            armed: HashMap::new(),
            events: Arc::new(AtomicU64::new(0)),
            dead: Arc::default(),
            armed_shared: Arc::default(),
        }
    }

    fn make_watcher(&self) -> Option<RecommendedWatcher> {
        let (t, n, wake) = (self.targets.clone(), self.events.clone(), self.wake.clone());
        let (dead, armed) = (self.dead.clone(), self.armed_shared.clone());
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let relevant = match res {
                // a queue overflow or watch error: assume anything changed
                Err(_) => true,
                Ok(ev) => {
                    if matches!(
                        ev.kind,
                        EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
                    ) && armed
                        .read()
                        .is_ok_and(|a| ev.paths.iter().any(|p| a.contains(p)))
                    {
                        dead.store(true, Ordering::SeqCst);
                    }
                    !is_read_only_access(&ev.kind)
                        && t.read().is_ok_and(|targets| {
                            ev.paths.is_empty()
                                || ev.paths.iter().any(|p| {
                                    targets.iter().any(|t| p.starts_with(t) || t.starts_with(p))
                                })
                        })
                }
            };
            if relevant {
                n.fetch_add(1, Ordering::Relaxed);
                wake.notify_one();
            }
        });
        match watcher {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::error!(error = %e, "cannot watch files; changes are seen only on SIGHUP or `credguard reload`");
                None
            }
        }
    }

    /// Watch `targets` (directories): each one that exists, else its nearest existing
    /// ancestor. When a watched directory is gone or was replaced (a new inode, which may
    /// even reuse the old number's watch), the watcher is rebuilt from scratch: a watch on
    /// a deleted directory is dead and the backend's bookkeeping of it is not to be trusted.
    pub fn arm(&mut self, targets: Vec<PathBuf>) {
        let mut wanted: HashMap<PathBuf, (u64, u64)> = HashMap::new();
        for t in &targets {
            if let Some((dir, id)) = nearest_existing_dir(t) {
                wanted.insert(dir, id);
            }
        }
        if let Ok(mut t) = self.targets.write() {
            *t = targets;
        }
        let dead = self.dead.swap(false, Ordering::SeqCst);
        let stale = dead
            || self
                .armed
                .iter()
                .any(|(dir, id)| wanted.get(dir) != Some(id));
        tracing::debug!(?wanted, stale, "arming");
        if stale || self.watcher.is_none() {
            self.watcher = None;
            self.armed.clear();
            self.watcher = self.make_watcher();
        }
        let Some(w) = self.watcher.as_mut() else {
            return;
        };
        for (dir, id) in wanted {
            if self.armed.contains_key(&dir) {
                continue;
            }
            match w.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    tracing::debug!(dir = %dir.display(), "watching");
                    self.armed.insert(dir, id);
                }
                Err(e) => tracing::warn!(dir = %dir.display(), error = %e, "cannot watch"),
            }
        }
        if let Ok(mut a) = self.armed_shared.write() {
            *a = self.armed.keys().cloned().collect();
        }
    }

    pub fn armed(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self.armed.keys().cloned().collect();
        v.sort();
        v
    }
}

/// Opening and reading files (our own reads included) changes nothing.
fn is_read_only_access(kind: &EventKind) -> bool {
    matches!(kind, EventKind::Access(a) if !matches!(a, AccessKind::Close(AccessMode::Write)))
}

fn nearest_existing_dir(target: &Path) -> Option<(PathBuf, (u64, u64))> {
    let mut p = Some(target);
    while let Some(dir) = p {
        if let Ok(m) = std::fs::metadata(dir)
            && m.is_dir()
        {
            return Some((dir.to_path_buf(), (m.dev(), m.ino())));
        }
        p = dir.parent();
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn woke(wake: &Wake) -> bool {
        tokio::time::timeout(Duration::from_secs(3), wake.notified())
            .await
            .is_ok()
    }

    /// Drain events of earlier operations.
    async fn settle(wake: &Wake) {
        while tokio::time::timeout(Duration::from_millis(150), wake.notified())
            .await
            .is_ok()
        {}
    }

    #[tokio::test]
    async fn follows_a_directory_that_appears_vanishes_and_returns() {
        let home = tempfile::tempdir().unwrap();
        let aws = home.path().join(".aws");
        let wake: Wake = Arc::default();
        let mut w = Watch::new(wake.clone());
        w.arm(vec![aws.clone()]);
        assert_eq!(w.armed(), vec![home.path().to_path_buf()]);

        // unrelated files in the parent do not wake us
        std::fs::write(home.path().join(".bash_history"), "ls").unwrap();
        settle(&wake).await;
        assert_eq!(w.events.load(Ordering::Relaxed), 0);

        std::fs::create_dir(&aws).unwrap();
        assert!(woke(&wake).await);
        w.arm(vec![aws.clone()]);
        assert_eq!(w.armed(), vec![aws.clone()]);
        settle(&wake).await;

        // a vim-style save: write a temp file, rename over the target
        std::fs::write(aws.join("credentials.tmp"), "[default]\n").unwrap();
        std::fs::rename(aws.join("credentials.tmp"), aws.join("credentials")).unwrap();
        assert!(woke(&wake).await);
        settle(&wake).await;

        // reading does not wake
        let before = w.events.load(Ordering::Relaxed);
        let _ = std::fs::read(aws.join("credentials")).unwrap();
        settle(&wake).await;
        assert_eq!(w.events.load(Ordering::Relaxed), before);

        std::fs::remove_dir_all(&aws).unwrap();
        assert!(woke(&wake).await);
        w.arm(vec![aws.clone()]);
        assert_eq!(w.armed(), vec![home.path().to_path_buf()]);
        settle(&wake).await;
        std::fs::create_dir(&aws).unwrap();
        assert!(woke(&wake).await);
        w.arm(vec![aws.clone()]);
        assert_eq!(w.armed(), vec![aws.clone()]);
        settle(&wake).await;
        std::fs::write(aws.join("config"), "[default]\n").unwrap();
        assert!(woke(&wake).await);
        settle(&wake).await;

        // removed and recreated before we re-arm (the inode number may be reused): the
        // dead watch is noticed and replaced
        std::fs::remove_dir_all(&aws).unwrap();
        std::fs::create_dir(&aws).unwrap();
        assert!(woke(&wake).await);
        settle(&wake).await;
        w.arm(vec![aws.clone()]);
        assert_eq!(w.armed(), vec![aws.clone()]);
        std::fs::write(aws.join("credentials"), "[default]\n").unwrap();
        assert!(woke(&wake).await, "the new directory is watched");
    }
}
