//! What `doctor` says about the AWS tools on this machine: which of them are on PATH, and
//! which reader of the AWS files each one is (`cli`, `sdk`, `js`: the readers credguard
//! emulates, DESIGN.md "Readers"). PATH is looked up here, in the asking shell, because
//! the daemon's own PATH (a service manager's) is not the user's.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Commands that read the AWS files, and how.
const KNOWN: [(&str, &str); 7] = [
    ("aws", "cli"),
    ("sam", "cli"),
    ("cdk", "js"),
    ("serverless", "js"),
    ("amplify", "js"),
    ("terraform", "Go SDK, not a reader credguard emulates"),
    ("pulumi", "Go SDK, not a reader credguard emulates"),
];

/// Is there an executable `name` in one of `path`'s directories?
fn on_path(path: &OsStr, name: &str) -> bool {
    std::env::split_paths(path).any(|dir| {
        let file = dir.join(name);
        Path::new(&file)
            .metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// `doctor`'s line on the tools installed here: `aws (cli), cdk (js)`.
pub(crate) fn installed_line(path: Option<&OsStr>) -> String {
    let found: Vec<String> = KNOWN
        .iter()
        .filter(|(name, _)| path.is_some_and(|p| on_path(p, name)))
        .map(|(name, reader)| format!("{name} ({reader})"))
        .collect();
    let list = if found.is_empty() {
        "none of aws, sam, cdk, serverless, amplify, terraform, pulumi".to_string()
    } else {
        found.join(", ")
    };
    format!("  AWS tools on PATH: {list}; programs built on the Rust or Java SDKs read as sdk\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_the_tools_found_and_their_readers() {
        let dir = std::env::temp_dir().join(format!("credguard-tools-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["aws", "cdk", "terraform"] {
            let f = dir.join(name);
            std::fs::write(&f, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        // not executable: not a tool
        std::fs::write(dir.join("sam"), "").unwrap();
        let line = installed_line(Some(dir.as_os_str()));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            line,
            "  AWS tools on PATH: aws (cli), cdk (js), terraform (Go SDK, not a reader credguard emulates); programs built on the Rust or Java SDKs read as sdk\n"
        );
        assert!(installed_line(None).contains("none of aws, sam"));
    }
}
