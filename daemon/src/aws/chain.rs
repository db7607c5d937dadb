//! The chain of credential sources the SDK would use for a profile, resolved exactly as
//! aws-config's profile provider does (see `assume-role-tests.json`).

use crate::aws::files::{Profiles, Properties};

/// Where a chain starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// `credential_source = Ec2InstanceMetadata | EcsContainer | Environment`
    NamedSource {
        profile: String,
        name: String,
    },
    /// `aws_access_key_id` + `aws_secret_access_key` (+ token) in `profile`
    AccessKey {
        profile: String,
        key_id: String,
        secret: String,
        token: Option<String>,
        account_id: Option<String>,
    },
    WebIdentity {
        profile: String,
        role_arn: String,
        token_file: String,
        session_name: Option<String>,
    },
    Sso {
        profile: String,
        session_name: Option<String>,
        region: String,
        start_url: String,
        account_id: Option<String>,
        role_name: Option<String>,
    },
    Process {
        profile: String,
        command: String,
    },
    Login {
        profile: String,
        session_arn: String,
    },
}

impl Base {
    pub fn profile(&self) -> &str {
        match self {
            Base::NamedSource { profile, .. }
            | Base::AccessKey { profile, .. }
            | Base::WebIdentity { profile, .. }
            | Base::Sso { profile, .. }
            | Base::Process { profile, .. }
            | Base::Login { profile, .. } => profile,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleHop {
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub base: Base,
    /// Roles assumed in order, first one assumed with the base credentials.
    pub roles: Vec<RoleHop>,
}

/// Why the SDK would fail to resolve the chain, and which profile and key to blame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainError {
    pub kind: ChainErrorKind,
    pub profile: String,
    /// the property that is wrong or missing, when one is
    pub key: Option<&'static str>,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainErrorKind {
    NoProfiles,
    MissingProfile { referenced_from: Option<String> },
    Loop,
    NoCredentials,
    MissingKeyId,
    MissingSecret,
    InvalidConfig,
}

fn err(
    kind: ChainErrorKind,
    profile: &str,
    key: Option<&'static str>,
    message: impl Into<String>,
) -> ChainError {
    ChainError {
        kind,
        profile: profile.to_string(),
        key,
        message: message.into(),
    }
}

fn get<'a>(p: &'a Properties, k: &str) -> Option<&'a str> {
    p.get(k).map(String::as_str)
}

/// Resolve the chain for `selected`.
pub fn resolve(profiles: &Profiles, selected: &str) -> Result<Chain, ChainError> {
    if profiles.profiles.is_empty() {
        return Err(err(
            ChainErrorKind::NoProfiles,
            selected,
            None,
            "No profiles were defined",
        ));
    }
    let mut name = selected.to_string();
    let mut visited: Vec<String> = Vec::new();
    let mut roles = Vec::new();
    let base = loop {
        let Some(profile) = profiles.profiles.get(&name) else {
            let from = visited.last().cloned();
            return Err(err(
                ChainErrorKind::MissingProfile {
                    referenced_from: from.clone(),
                },
                &name,
                None,
                format!(
                    "could not find source profile {name} referenced from {}",
                    from.as_deref().unwrap_or("the root profile")
                ),
            ));
        };
        if visited.contains(&name) {
            return Err(err(
                ChainErrorKind::Loop,
                &name,
                Some("source_profile"),
                format!(
                    "profile formed an infinite loop: {} -> {name}",
                    visited.join(" -> ")
                ),
            ));
        }
        visited.push(name.clone());
        if visited.len() > 1
            && let Ok(b) = static_creds(&name, profile)
        {
            break b;
        }
        if let Some(arn) =
            get(profile, "role_arn").filter(|_| get(profile, "web_identity_token_file").is_none())
        {
            roles.push(role_hop(&name, arn, profile));
            match role_source(&name, profile)? {
                Some(src) if src != name => {
                    name = src.to_string();
                    continue;
                }
                _ => break base_provider(profiles, &name, profile)?,
            }
        }
        break base_provider(profiles, &name, profile).map_err(|mut e| {
            if visited.len() > 1 && e.kind == ChainErrorKind::NoCredentials {
                e.message = format!("could not load source profile: {}", e.message);
            }
            e
        })?;
    };
    roles.reverse();
    Ok(Chain { base, roles })
}

fn role_hop(name: &str, arn: &str, profile: &Properties) -> RoleHop {
    RoleHop {
        profile: name.to_string(),
        role_arn: arn.to_string(),
        external_id: get(profile, "external_id").map(str::to_string),
        session_name: get(profile, "role_session_name").map(str::to_string),
    }
}

/// Where a role profile's source credentials come from: `Some(source_profile)`, or `None`
/// for a `credential_source`; exactly one of the two must be set.
fn role_source<'a>(name: &str, profile: &'a Properties) -> Result<Option<&'a str>, ChainError> {
    match (
        get(profile, "source_profile"),
        get(profile, "credential_source"),
    ) {
        (Some(_), Some(_)) => Err(err(
            ChainErrorKind::InvalidConfig,
            name,
            Some("credential_source"),
            "profile contained both source_profile and credential_source. Only one or the other can be defined",
        )),
        (None, None) => Err(err(
            ChainErrorKind::InvalidConfig,
            name,
            Some("role_arn"),
            "profile must contain `source_profile` or `credential_source` but neither were defined",
        )),
        (src, None) => Ok(src),
        (None, Some(_)) => Ok(None),
    }
}

fn base_provider(profiles: &Profiles, name: &str, p: &Properties) -> Result<Base, ChainError> {
    if let Some(source) = get(p, "credential_source") {
        return Ok(Base::NamedSource {
            profile: name.to_string(),
            name: source.to_string(),
        });
    }
    match (get(p, "role_arn"), get(p, "web_identity_token_file")) {
        (Some(role_arn), Some(token_file)) => {
            return Ok(Base::WebIdentity {
                profile: name.to_string(),
                role_arn: role_arn.to_string(),
                token_file: token_file.to_string(),
                session_name: get(p, "role_session_name").map(str::to_string),
            });
        }
        (None, Some(_)) => {
            return Err(err(
                ChainErrorKind::InvalidConfig,
                name,
                Some("role_arn"),
                "`web_identity_token_file` was specified but `role_arn` was missing",
            ));
        }
        _ => {}
    }
    if let Some(sso) = sso(profiles, name, p)? {
        return Ok(sso);
    }
    if let Some(arn) = get(p, "login_session") {
        return Ok(Base::Login {
            profile: name.to_string(),
            session_arn: arn.to_string(),
        });
    }
    if let Some(cmd) = get(p, "credential_process") {
        return Ok(Base::Process {
            profile: name.to_string(),
            command: cmd.to_string(),
        });
    }
    static_creds(name, p)
}

fn sso(profiles: &Profiles, name: &str, p: &Properties) -> Result<Option<Base>, ChainError> {
    let account_id = get(p, "sso_account_id");
    let mut region = get(p, "sso_region");
    let role_name = get(p, "sso_role_name");
    let mut start_url = get(p, "sso_start_url");
    let session = get(p, "sso_session");
    if [account_id, region, role_name, start_url, session]
        .iter()
        .all(Option::is_none)
    {
        return Ok(None);
    }
    let invalid =
        |key: &'static str, msg: String| err(ChainErrorKind::InvalidConfig, name, Some(key), msg);
    if let Some(session) = session {
        for (key, v) in [("sso_start_url", start_url), ("sso_region", region)] {
            if v.is_some() {
                return Err(invalid(
                    key,
                    format!(
                        "profile `{name}` has invalid SSO config: `{key}` can only be specified in the [sso-session] config when a session name is given"
                    ),
                ));
            }
        }
        let Some(s) = profiles.sso_sessions.get(session) else {
            return Err(invalid(
                "sso_session",
                format!(
                    "sso-session named `{session}` (referenced by profile `{name}`) was not found"
                ),
            ));
        };
        start_url = get(s, "sso_start_url");
        region = get(s, "sso_region");
    }
    match (account_id, role_name) {
        (Some(_), None) => {
            return Err(invalid(
                "sso_role_name",
                "if `sso_account_id` is set, then `sso_role_name` must also be set".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "sso_account_id",
                "if `sso_role_name` is set, then `sso_account_id` must also be set".into(),
            ));
        }
        _ => {}
    }
    let Some(region) = region else {
        return Err(invalid(
            "sso_region",
            format!("profile `{name}` is missing `sso_region`"),
        ));
    };
    let Some(start_url) = start_url else {
        return Err(invalid(
            "sso_start_url",
            format!("profile `{name}` is missing `sso_start_url`"),
        ));
    };
    Ok(Some(Base::Sso {
        profile: name.to_string(),
        session_name: session.map(str::to_string),
        region: region.to_string(),
        start_url: start_url.to_string(),
        account_id: account_id.map(str::to_string),
        role_name: role_name.map(str::to_string),
    }))
}

fn static_creds(name: &str, p: &Properties) -> Result<Base, ChainError> {
    let key_id = get(p, "aws_access_key_id");
    let secret = get(p, "aws_secret_access_key");
    let token = get(p, "aws_session_token");
    match (key_id, secret, token) {
        (None, None, None) => Err(err(
            ChainErrorKind::NoCredentials,
            name,
            None,
            format!("profile `{name}` did not contain credential information"),
        )),
        (None, _, _) => Err(err(
            ChainErrorKind::MissingKeyId,
            name,
            Some("aws_access_key_id"),
            "profile missing aws_access_key_id",
        )),
        (Some(_), None, _) => Err(err(
            ChainErrorKind::MissingSecret,
            name,
            Some("aws_secret_access_key"),
            "profile missing aws_secret_access_key",
        )),
        (Some(k), Some(s), t) => Ok(Base::AccessKey {
            profile: name.to_string(),
            key_id: k.to_string(),
            secret: s.to_string(),
            token: t.map(str::to_string),
            account_id: get(p, "aws_account_id").map(str::to_string),
        }),
    }
}
