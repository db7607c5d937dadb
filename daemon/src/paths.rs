//! Where credguard keeps its own files (DESIGN.md, "Paths").

use crate::world::World;
use std::path::PathBuf;

/// `CREDGUARD_STATE_DIR`, else `$XDG_STATE_HOME/credguard`, else the platform's state dir.
pub fn state_dir(world: &World) -> Option<PathBuf> {
    if let Some(d) = world.var("CREDGUARD_STATE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = world.var("XDG_STATE_HOME").filter(|d| d.starts_with('/')) {
        return Some(PathBuf::from(d).join("credguard"));
    }
    let dirs = directories::ProjectDirs::from("", "", "credguard")?;
    Some(
        dirs.state_dir()
            .map(PathBuf::from)
            .unwrap_or_else(|| dirs.data_local_dir().to_path_buf()),
    )
}

/// `CREDGUARD_CONFIG`, else `$XDG_CONFIG_HOME/credguard/config.toml`, else the platform's.
pub fn config_file(world: &World) -> Option<PathBuf> {
    if let Some(f) = world.var("CREDGUARD_CONFIG") {
        return Some(PathBuf::from(f));
    }
    if let Some(d) = world.var("XDG_CONFIG_HOME").filter(|d| d.starts_with('/')) {
        return Some(PathBuf::from(d).join("credguard/config.toml"));
    }
    let dirs = directories::ProjectDirs::from("", "", "credguard")?;
    Some(dirs.config_dir().join("config.toml"))
}
