//! Which profile a shell selects, one rule for the prompt client, the daemon and (in shell)
//! the hooks: `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`; a variable that is
//! set but empty selects the empty name, as it does for the tools (botocore:
//! "The config profile () could not be found"; the Rust SDK fails too), unless the other
//! variable names a profile. Names are taken as they are: `"dev "` is not `dev`.

use crate::rules;

/// The variable that selected a profile, or `None` for the `default` nobody named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var {
    AwsProfile,
    AwsDefaultProfile,
}

impl Var {
    pub fn name(self) -> &'static str {
        match self {
            Var::AwsProfile => "AWS_PROFILE",
            Var::AwsDefaultProfile => "AWS_DEFAULT_PROFILE",
        }
    }
}

/// The profile the environment `get` selects, and the variable that selects it; `None`
/// when neither variable is set (the `default` profile).
pub fn selected(get: &dyn Fn(&str) -> Option<String>) -> Option<(String, Var)> {
    let vars = [Var::AwsProfile, Var::AwsDefaultProfile];
    let set: Vec<(String, Var)> = vars
        .into_iter()
        .filter_map(|v| Some((get(v.name())?, v)))
        .collect();
    set.iter()
        .find(|(name, _)| !name.is_empty())
        .or(set.first())
        .cloned()
}

/// A profile name as a message shows it: quoted, with what cannot be seen named:
/// `"dev"`, `"" (empty)`, `"dev " (ends with U+0020 SPACE)`.
pub fn quoted(name: &str) -> String {
    if name.is_empty() {
        return "\"\" (empty)".into();
    }
    let shown: String = name.escape_debug().collect();
    let invisible = name
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_whitespace() || rules::is_hidden(*c) && *c != '\'' && *c != '"');
    match invisible {
        Some((i, c)) => {
            let len = name.chars().count();
            let place = match i {
                0 => "starts with",
                i if i + 1 == len => "ends with",
                _ => "contains",
            };
            format!(
                "\"{shown}\" ({place} U+{:04X} {})",
                c as u32,
                rules::char_name(c)
            )
        }
        None => format!("\"{shown}\""),
    }
}

/// A name as a message shows it: as it is when nothing in it is invisible, else [`quoted`].
pub fn shown(name: &str) -> String {
    let plain = !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || rules::is_hidden(c));
    if plain {
        name.to_string()
    } else {
        quoted(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sel(pairs: &[(&str, &str)]) -> Option<(String, Var)> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        selected(&move |k: &str| m.get(k).cloned())
    }

    #[test]
    fn set_but_empty_selects_the_empty_name_unless_the_other_names_one() {
        assert_eq!(sel(&[]), None);
        assert_eq!(
            sel(&[("AWS_PROFILE", "")]),
            Some(("".into(), Var::AwsProfile))
        );
        assert_eq!(
            sel(&[("AWS_DEFAULT_PROFILE", "")]),
            Some(("".into(), Var::AwsDefaultProfile))
        );
        assert_eq!(
            sel(&[("AWS_PROFILE", ""), ("AWS_DEFAULT_PROFILE", "dev")]),
            Some(("dev".into(), Var::AwsDefaultProfile)),
            "botocore reads AWS_DEFAULT_PROFILE first"
        );
        assert_eq!(
            sel(&[("AWS_PROFILE", "a"), ("AWS_DEFAULT_PROFILE", "b")]),
            Some(("a".into(), Var::AwsProfile))
        );
        assert_eq!(
            sel(&[("AWS_PROFILE", "dev ")]),
            Some(("dev ".into(), Var::AwsProfile)),
            "taken as it is"
        );
    }

    #[test]
    fn quoted_names_say_what_cannot_be_seen() {
        assert_eq!(quoted("dev"), "\"dev\"");
        assert_eq!(shown("dev"), "dev");
        assert_eq!(shown(""), "\"\" (empty)");
        assert_eq!(quoted(""), "\"\" (empty)");
        assert_eq!(quoted("dev "), "\"dev \" (ends with U+0020 SPACE)");
        assert_eq!(
            quoted("\tdev"),
            "\"\\tdev\" (starts with U+0009 CHARACTER TABULATION)"
        );
        assert_eq!(
            quoted("d\u{200b}ev"),
            "\"d\\u{200b}ev\" (contains U+200B ZERO WIDTH SPACE)"
        );
    }
}
