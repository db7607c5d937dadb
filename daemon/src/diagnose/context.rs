//! What every check reads: the injected world, the loaded files, credguard's config and
//! the clock; and where a profile's property or header sits (`file:line:col`), for the
//! problems' locations.

use crate::aws::files::{Loaded, LoadedFile};
use crate::aws::locate;
use crate::config::Config;
use crate::world::World;
use std::path::Path;
use time::OffsetDateTime;

pub struct Ctx<'a> {
    pub world: &'a World,
    pub loaded: &'a Loaded,
    pub config: &'a Config,
    pub now: OffsetDateTime,
}

/// Where a profile property sits: its file, its line, the column its value starts at.
pub struct Place<'a> {
    pub file: &'a LoadedFile,
    pub line: usize,
    pub col: usize,
}

impl<'a> Ctx<'a> {
    pub fn new(world: &'a World, loaded: &'a Loaded, config: &'a Config) -> Self {
        Ctx {
            world,
            loaded,
            config,
            now: world.now(),
        }
    }

    /// A path as messages show it (`~/.aws/credentials`).
    pub fn shown(&self, path: &Path) -> String {
        locate::display_path(self.world, path)
    }

    pub fn display(&self, file: &LoadedFile) -> String {
        self.shown(&file.located.path)
    }

    /// The last place `key` is set for `profile`: the credentials file wins, as in the SDK.
    pub fn place(&self, profile: &str, key: &str) -> Option<Place<'_>> {
        [&self.loaded.credentials, &self.loaded.config]
            .into_iter()
            .find_map(|file| {
                let p = file.scan.find(file.located.kind, profile, key)?;
                Some(Place {
                    file,
                    line: p.line,
                    col: p.value_col,
                })
            })
    }

    /// `file:line:col` of a property's value, else the profile's header.
    pub fn loc(&self, profile: &str, key: &str) -> Option<String> {
        self.place(profile, key)
            .map(|p| format!("{}:{}:{}", self.display(p.file), p.line, p.col))
            .or_else(|| self.header_loc(profile))
    }

    /// `file:line` of the profile's header.
    pub fn header_loc(&self, profile: &str) -> Option<String> {
        [&self.loaded.credentials, &self.loaded.config]
            .into_iter()
            .find_map(|file| {
                let h = file.scan.header_of(file.located.kind, profile)?;
                Some(format!("{}:{}", self.display(file), h.line))
            })
    }

    /// A profile's property, when set and not empty.
    pub fn prop(&self, profile: &str, key: &str) -> Option<&'a str> {
        self.loaded
            .profiles
            .profiles
            .get(profile)
            .and_then(|p| p.get(key))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}
