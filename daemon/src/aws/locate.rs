//! Where the SDK looks for the shared files and which profile it selects.

use crate::world::World;
use credguard_client::selection::Var;
use std::path::{Component, Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Config,
    Credentials,
}

impl FileKind {
    pub fn env_var(self) -> &'static str {
        match self {
            FileKind::Config => "AWS_CONFIG_FILE",
            FileKind::Credentials => "AWS_SHARED_CREDENTIALS_FILE",
        }
    }
    fn default_path(self) -> &'static str {
        match self {
            FileKind::Config => "~/.aws/config",
            FileKind::Credentials => "~/.aws/credentials",
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Config => "config",
            FileKind::Credentials => "credentials",
        }
    }
}

/// One shared file's location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub kind: FileKind,
    pub path: PathBuf,
    /// set through AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE
    pub overridden: bool,
}

/// The file the SDK reads for `kind`: the override variable if set (even to a relative path),
/// else the default under `~/.aws`; a leading `~` is expanded with `$HOME`.
pub fn locate(world: &World, kind: FileKind) -> Located {
    let (raw, overridden) = match world.var(kind.env_var()) {
        Some(p) => (p.to_string(), true),
        None => (kind.default_path().to_string(), false),
    };
    Located {
        kind,
        path: expand_home(Path::new(&raw), world.home().as_deref()),
        overridden,
    }
}

fn expand_home(path: &Path, home: Option<&Path>) -> PathBuf {
    let mut components = path.components();
    match (components.next(), home) {
        (Some(Component::Normal(first)), Some(home)) if first == "~" => {
            let mut out = home.to_path_buf();
            out.extend(components);
            out
        }
        _ => path.to_path_buf(),
    }
}

/// The `~/.aws` directory that holds the caches (sso/cache, cli/cache, login/cache).
pub fn aws_dir(world: &World) -> Option<PathBuf> {
    world.home().map(|h| h.join(".aws"))
}

/// Where the profile selection came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    Flag,
    AwsProfile,
    AwsDefaultProfile,
    Default,
}

impl Selection {
    pub fn describe(&self) -> &'static str {
        match self {
            Selection::Flag => "--profile",
            Selection::AwsProfile => "env AWS_PROFILE",
            Selection::AwsDefaultProfile => "env AWS_DEFAULT_PROFILE",
            Selection::Default => "default",
        }
    }
}

/// The profile this shell uses: AWS_PROFILE, then AWS_DEFAULT_PROFILE (the CLI honours it;
/// the Rust SDK does not, and a user who set it means it), then `default`. A variable set
/// but empty selects the empty name, as for the tools (the client's
/// [`credguard_client::selection`], the rule the prompt and the hooks follow too).
pub fn selected_profile(world: &World) -> (String, Selection) {
    let get = |k: &str| world.raw_var(k).map(str::to_string);
    match credguard_client::selection::selected(&get) {
        Some((p, Var::AwsProfile)) => (p, Selection::AwsProfile),
        Some((p, Var::AwsDefaultProfile)) => (p, Selection::AwsDefaultProfile),
        None => ("default".to_string(), Selection::Default),
    }
}

/// `~/.aws/credentials` rather than `/home/alice/.aws/credentials` in messages.
pub fn display_path(world: &World, path: &Path) -> String {
    if let Some(home) = world.home()
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return format!("~/{}", rest.display());
    }
    path.display().to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tilde_in_override_is_expanded() {
        let w = World::new(
            [("HOME", "/home/u"), ("AWS_CONFIG_FILE", "~/x/config")],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(
            locate(&w, FileKind::Config).path,
            PathBuf::from("/home/u/x/config")
        );
        assert!(locate(&w, FileKind::Config).overridden);
        assert_eq!(
            locate(&w, FileKind::Credentials).path,
            PathBuf::from("/home/u/.aws/credentials")
        );
    }

    #[test]
    fn aws_profile_beats_aws_default_profile() {
        let w = World::new(
            [("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(selected_profile(&w).0, "a");
        let w = World::new(
            [("AWS_DEFAULT_PROFILE", "b")],
            time::OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(
            selected_profile(&w),
            ("b".into(), Selection::AwsDefaultProfile)
        );
    }
}
