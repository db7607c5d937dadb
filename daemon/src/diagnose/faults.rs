//! File faults: a file the SDK cannot parse or read, a byte-order mark, a credentials file
//! others can read, a section the SDK ignores because of its header's form.

use super::context::Ctx;
use crate::aws::files::{FileFault, LoadedFile};
use crate::aws::locate::FileKind;
use crate::aws::scan::{HeaderKind, Scan};
use crate::verdict::{Code, Problem, Severity};

impl Ctx<'_> {
    /// File faults go to the profiles the file defines, and to the selected profile when it
    /// is defined nowhere (the fault may be why).
    pub(super) fn file_faults(&self, name: &str, selected: bool, problems: &mut Vec<Problem>) {
        let exists = self.loaded.profiles.profiles.contains_key(name);
        for file in [&self.loaded.config, &self.loaded.credentials] {
            let in_file = file
                .scan
                .headers
                .iter()
                .any(|h| Scan::header_defines(file.located.kind, h, name));
            let shown = self.display(file);
            // A fault in a file that does not hold this profile only warns the selected one.
            let severity = if in_file || !exists {
                Severity::Error
            } else {
                Severity::Warning
            };
            let concerned = selected || in_file;
            problems.extend(
                file.faults
                    .iter()
                    .filter_map(|f| fault(file, &shown, f, severity, concerned)),
            );
            if file.scan.bom && concerned {
                problems.push(Problem::error(
                    Code::HiddenCharacter,
                    Some(format!("{shown}:1:1")),
                    format!("{shown} starts with U+FEFF BYTE ORDER MARK; the SDK cannot parse the first line"),
                    format!("remove the BOM: `sed -i '1s/^\\xEF\\xBB\\xBF//' {shown}`"),
                ));
            }
            if file.located.kind == FileKind::Credentials
                && in_file
                && let Some(mode) = file.mode
                && mode & 0o077 != 0
            {
                problems.push(Problem::warning(
                    Code::InsecurePermissions,
                    Some(shown.clone()),
                    format!(
                        "{shown} is readable by other users (mode {:o})",
                        mode & 0o777
                    ),
                    format!("chmod 600 {shown}"),
                ));
            }
        }
    }

    /// `[profile x]` in the credentials file, `[x]` (not default) in the config file.
    pub(super) fn misnamed(&self, name: &str, problems: &mut Vec<Problem>) {
        for file in [&self.loaded.credentials, &self.loaded.config] {
            let kind = file.located.kind;
            for h in file.scan.headers.iter().filter(|h| h.name == name) {
                if h.is_tool_section(kind) {
                    continue;
                }
                let (bad, fix) = match (file.located.kind, &h.kind) {
                    (FileKind::Credentials, HeaderKind::Prefixed) => (
                        format!("[profile {name}] in the credentials file"),
                        format!("rename the header on line {} to [{name}]", h.line),
                    ),
                    (FileKind::Config, HeaderKind::Bare) if name != "default" => (
                        format!("[{name}] in the config file"),
                        format!("rename the header on line {} to [profile {name}]", h.line),
                    ),
                    _ => continue,
                };
                problems.push(Problem::error(
                    Code::MisnamedSection,
                    Some(format!("{}:{}", self.display(file), h.line)),
                    format!("{bad}: the SDK ignores this section and everything in it"),
                    fix,
                ));
            }
        }
    }
}

/// One fault of `file` (shown as `shown`). A parse error breaks every profile; the others
/// concern a profile only when it is in the file or is the selected one.
fn fault(
    file: &LoadedFile,
    shown: &str,
    fault: &FileFault,
    severity: Severity,
    concerned: bool,
) -> Option<Problem> {
    match fault {
        FileFault::Parse { line, message } => {
            // the SDK's words without its "error parsing <no path> on line N:" prefix
            let sdk = message
                .split_once(" on line ")
                .and_then(|(_, rest)| rest.split_once(':'))
                .map_or(message.as_str(), |(_, m)| m.trim());
            let (message, fix) = super::layout::parse_fault(file, shown, *line, sdk);
            Some(Problem::error(
                Code::ParseError,
                Some(format!("{shown}:{line}")),
                message,
                fix,
            ))
        }
        FileFault::NotUtf8 { line, col } if concerned => Some(Problem::new(
            Code::ParseError,
            severity,
            Some(format!("{shown}:{line}:{col}")),
            format!("{shown} is not valid UTF-8; the SDK reads it as an empty file"),
            format!("re-save {shown} as UTF-8 (the bad byte is on line {line})"),
        )),
        FileFault::Unreadable { reason } if concerned => Some(Problem::new(
            Code::UnreadableFile,
            severity,
            Some(shown.to_string()),
            format!("{shown} {reason}; the SDK reads it as an empty file"),
            match file.located.overridden {
                true => format!(
                    "point {} at a readable file, or unset it",
                    file.located.kind.env_var()
                ),
                false => format!("make {shown} a readable regular file (chmod 600 {shown})"),
            },
        )),
        _ => None,
    }
}
