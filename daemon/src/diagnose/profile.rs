//! One profile: its file faults, its credential chain as the SDK resolves it, and the
//! checks of the chain's base, handed to the file of its credential source.

use super::context::Ctx;
use super::{Diagnosis, Material};
use crate::aws::chain::{self, Base, Chain, ChainError, ChainErrorKind};
use crate::aws::locate::Selection;
use crate::verdict::{Code, Problem, ProfileVerdict, Severity, SourceKind, State};
use credguard_client::{rules, selection};

impl Ctx<'_> {
    pub(super) fn profile(&self, name: &str, selected: bool, selection: &Selection) -> Diagnosis {
        let mut problems = Vec::new();
        self.file_faults(name, selected, &mut problems);
        self.misnamed(name, &mut problems);
        let mut verdict = ProfileVerdict {
            profile: name.to_string(),
            state: State::Unknown,
            source: SourceKind::None,
            key_id: None,
            identity: None,
            account: None,
            expected_account: None,
            tools: Default::default(),
            judging: Default::default(),
            expires_at: None,
            problems: Vec::new(),
        };
        let mut material = None;
        if !self.loaded.profiles.profiles.contains_key(name) {
            if problems.is_empty() {
                problems.push(self.not_found(name, selected, selection));
            }
            verdict.problems = problems;
            return Diagnosis {
                verdict,
                material,
                readings: Default::default(),
            };
        }
        // a line fault or a parse error explains a missing key: said once, where it is
        let layout = self.layout(name);
        let explained = !layout.is_empty()
            || problems
                .iter()
                .any(|p| p.code == Code::ParseError && p.severity == Severity::Error);
        problems.extend(layout);
        match chain::resolve(&self.loaded.profiles, name) {
            Err(e) if e.kind == ChainErrorKind::NoCredentials && e.profile == name => {
                if !explained {
                    problems.push(self.settings_only(name, selected, selection));
                }
            }
            Err(e) => {
                let there = if e.profile == name {
                    Vec::new()
                } else {
                    self.layout(&e.profile)
                };
                let missing = matches!(
                    e.kind,
                    ChainErrorKind::MissingKeyId
                        | ChainErrorKind::MissingSecret
                        | ChainErrorKind::NoCredentials
                );
                if !(missing && (explained || !there.is_empty())) {
                    problems.push(self.chain_problem(name, &e));
                }
                problems.extend(there);
            }
            Ok(chain) => {
                if let Base::AccessKey { profile, .. } = &chain.base
                    && profile != name
                {
                    problems.extend(self.layout(profile));
                }
                verdict.source = source_of(&chain);
                material = self.base(&chain, &mut verdict, &mut problems);
                if let Some(hop) = chain.roles.last() {
                    self.role_cache_expiry(hop, &mut verdict, &mut problems);
                }
                if let Some(m) = material.as_mut() {
                    self.roles_to_assume(&chain, m, &mut problems);
                }
            }
        }
        let hint = material.as_ref().and_then(|m| m.expiry_hint.as_deref());
        if super::fatal(&problems, hint) {
            material = None;
        }
        verdict.problems = problems;
        Diagnosis {
            verdict,
            material,
            readings: Default::default(),
        }
    }

    fn not_found(&self, name: &str, selected: bool, selection: &Selection) -> Problem {
        if !self.loaded.config.exists && !self.loaded.credentials.exists {
            return self.no_aws_files(name);
        }
        let location = if selected {
            // `default` chosen by nobody has no place to point at
            (*selection != Selection::Default).then(|| selection.describe().to_string())
        } else {
            self.header_loc(name)
        };
        let var = match selection {
            _ if !selected => None,
            Selection::AwsProfile => Some("AWS_PROFILE"),
            Selection::AwsDefaultProfile => Some("AWS_DEFAULT_PROFILE"),
            Selection::Flag | Selection::Default => None,
        };
        // what the user meant: the name without its invisible characters, if it exists
        let meant = rules::without_hidden(name);
        let meant =
            (meant != name && self.loaded.profiles.profiles.contains_key(&meant)).then_some(meant);
        let fix = match (var, meant) {
            (Some(var), _) if name.is_empty() => {
                format!("`unset {var}` to use the default profile, or `export {var}=<profile>`")
            }
            (Some(var), Some(m)) => format!("`export {var}={m}` (the name without them)"),
            (None, Some(m)) => format!("use profile {m} (the name without them)"),
            _ if rules::find_hidden(name).is_some() || name.is_empty() => {
                "select an existing profile".to_string()
            }
            _ => format!(
                "create it with `aws configure --profile {name}`, or select an existing profile"
            ),
        };
        Problem::error(
            Code::ProfileNotFound,
            location,
            format!(
                "profile {} is not defined in {} or {}: the AWS CLI says \"The config profile ({name}) could not be found\"",
                selection::quoted(name),
                self.display(&self.loaded.config),
                self.display(&self.loaded.credentials)
            ),
            fix,
        )
    }

    /// A first run: neither AWS file exists. Say where they were looked for and which
    /// variables chose those places, and how to create them.
    fn no_aws_files(&self, name: &str) -> Problem {
        let place = |f: &crate::aws::files::LoadedFile| {
            let var = f.located.kind.env_var();
            let why = if f.located.overridden {
                format!("from {var}")
            } else {
                format!("{var} is not set")
            };
            format!("{} ({why})", self.display(f))
        };
        let profile = if name == "default" {
            String::new()
        } else {
            format!(" --profile {name}")
        };
        Problem::error(
            Code::ProfileNotFound,
            None,
            format!(
                "no AWS files yet: looked for {} and {}",
                place(&self.loaded.config),
                place(&self.loaded.credentials)
            ),
            format!("create them with `aws configure{profile}` (it asks for a key id and secret)"),
        )
    }

    /// Checks on the base of a resolved chain; returns what to validate online.
    fn base(
        &self,
        chain: &Chain,
        v: &mut ProfileVerdict,
        problems: &mut Vec<Problem>,
    ) -> Option<Material> {
        match &chain.base {
            Base::AccessKey {
                profile,
                key_id,
                secret,
                token,
                ..
            } => self.static_keys(profile, key_id, secret, token.as_deref(), v, problems),
            Base::NamedSource { profile, name } if name == "Environment" => {
                self.environment_source(profile, v, problems)
            }
            Base::NamedSource { profile, name } => {
                problems.push(self.compute_source(profile, name));
                None
            }
            Base::WebIdentity {
                profile,
                token_file,
                ..
            } => {
                problems.push(self.web_identity(profile, token_file));
                None
            }
            Base::Sso {
                profile,
                session_name,
                start_url,
                account_id,
                role_name,
                ..
            } => {
                let sso = super::sso::SsoProfile {
                    profile,
                    session_name: session_name.as_deref(),
                    start_url,
                    account_id: account_id.as_deref(),
                    role_name: role_name.as_deref(),
                };
                self.sso(&sso, v, problems)
            }
            Base::Process { profile, command } => self.process(profile, command, v, problems),
            Base::Login {
                profile,
                session_arn,
            } => self.login(profile, session_arn, v, problems),
        }
    }

    /// A profile that holds only settings (what `aws configure` leaves in `[default]` when
    /// the keys live elsewhere): no error, unless it is the profile in use and nothing else
    /// supplies credentials, when the tools fail with "Unable to locate credentials".
    fn settings_only(&self, name: &str, selected: bool, selection: &Selection) -> Problem {
        let location = self.header_loc(name);
        let elsewhere = *selection != Selection::Flag && self.other_credentials();
        if !selected || elsewhere {
            let why = if selected {
                "the credentials in use come from the environment"
            } else {
                "it is not the profile in use"
            };
            return Problem::info(
                Code::NoCredentials,
                location,
                format!("profile {name} holds only settings, no credentials: {why}"),
                "",
            );
        }
        let how = match selection {
            Selection::Default => "the profile the tools use when AWS_PROFILE is not set".into(),
            s => format!("selected by {}", s.describe()),
        };
        Problem::error(
            Code::NoCredentials,
            location,
            format!(
                "profile {name} holds only settings and is {how}: nothing else supplies credentials, so the AWS CLI fails with \"Unable to locate credentials\""
            ),
            format!(
                "add aws_access_key_id and aws_secret_access_key to {name} (`aws configure --profile {name}`), or select a profile that has credentials (`export AWS_PROFILE=…`)"
            ),
        )
    }

    /// Credentials the SDK finds before or beside the profile's: the environment's keys, a
    /// web identity token, a container credentials endpoint.
    fn other_credentials(&self) -> bool {
        super::env::env_credentials(self.world).is_some_and(|e| e.complete())
            || [
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            ]
            .iter()
            .any(|v| self.world.var(v).is_some())
    }

    fn chain_problem(&self, name: &str, e: &ChainError) -> Problem {
        let configure = |what: &str, value: &str| {
            format!(
                "add {what} to profile {}: `aws configure set {what} {value} --profile {}`",
                e.profile, e.profile
            )
        };
        let (code, location, fix) = match &e.kind {
            ChainErrorKind::NoProfiles => (
                Code::ProfileNotFound,
                None,
                "run `aws configure` to create the default profile".to_string(),
            ),
            ChainErrorKind::MissingProfile { referenced_from } => {
                let from = referenced_from.as_deref().unwrap_or(name);
                (
                    Code::ProfileNotFound,
                    self.loc(from, "source_profile"),
                    format!(
                        "define profile {} or change source_profile of {from}",
                        e.profile
                    ),
                )
            }
            ChainErrorKind::Loop => (
                Code::InvalidProfileConfig,
                self.loc(&e.profile, "source_profile"),
                "point source_profile at a profile with credentials, breaking the loop".into(),
            ),
            // a source_profile that holds no credentials (the profile itself: settings_only)
            ChainErrorKind::NoCredentials => {
                return Problem::error(
                    Code::NoCredentials,
                    self.header_loc(&e.profile),
                    format!(
                        "{name} takes its credentials from profile {}, which holds none: the tools cannot assume its role",
                        e.profile
                    ),
                    format!(
                        "add aws_access_key_id and aws_secret_access_key to {} (`aws configure --profile {}`)",
                        e.profile, e.profile
                    ),
                );
            }
            ChainErrorKind::MissingKeyId => (
                Code::MissingKeyId,
                self.loc(&e.profile, "aws_secret_access_key"),
                configure("aws_access_key_id", "<key id>"),
            ),
            ChainErrorKind::MissingSecret => (
                Code::MissingSecret,
                self.loc(&e.profile, "aws_access_key_id"),
                configure("aws_secret_access_key", "<secret>"),
            ),
            ChainErrorKind::InvalidConfig => {
                let location = e
                    .key
                    .and_then(|k| self.loc(&e.profile, k))
                    .or_else(|| self.header_loc(&e.profile));
                let fix = invalid_config_fix(&e.profile, e.key, location.as_deref());
                (Code::InvalidProfileConfig, location, fix)
            }
        };
        Problem::error(code, location, e.message.clone(), fix)
    }
}

/// The fix of a profile the SDK refuses (`key` is the property the refusal is about, at
/// `location`): a command that, followed literally (placeholders filled in), removes it.
fn invalid_config_fix(profile: &str, key: Option<&str>, location: Option<&str>) -> String {
    let set = |k: &str, v: &str| format!("`aws configure set {k} {v} --profile {profile}`");
    // the line at `location` deleted: `path:line:col`
    let delete = || {
        let mut parts = location?.rsplitn(3, ':');
        let (_col, line, path) = (parts.next()?, parts.next()?, parts.next()?);
        line.parse::<u32>().ok()?;
        Some(format!(
            "`{}`",
            super::layout::sed(&format!("{line}d"), path)
        ))
    };
    match key {
        Some("credential_source") => match delete() {
            Some(cmd) => format!(
                "keep one of source_profile and credential_source: to keep source_profile, delete the credential_source line: {cmd}"
            ),
            None => "delete either source_profile or credential_source from the profile".into(),
        },
        Some("role_arn") => format!(
            "name where the role's own credentials come from: {} (or credential_source)",
            set("source_profile", "<profile with keys>")
        ),
        Some(k @ ("sso_start_url" | "sso_region")) if delete().is_some() => format!(
            "the [sso-session] section holds {k}: delete it from the profile: {}",
            delete().unwrap_or_default()
        ),
        Some("sso_session") => format!(
            "define the sso-session it names (`aws configure sso-session`) or point it at one that exists: {}",
            set("sso_session", "<session name>")
        ),
        Some(k @ ("sso_role_name" | "sso_account_id" | "sso_region" | "sso_start_url")) => {
            let value = match k {
                "sso_role_name" => "<role name>",
                "sso_account_id" => "<account id>",
                "sso_region" => "<region>",
                _ => "<start url>",
            };
            set(k, value)
        }
        _ => format!(
            "run `aws configure list --profile {profile}` and correct the setting the message names"
        ),
    }
}

/// Not validated by policy: said as info, no fix.
pub(super) fn skipped(location: Option<String>, message: String) -> Problem {
    Problem::info(Code::SkippedByPolicy, location, message, "")
}

fn source_of(chain: &Chain) -> SourceKind {
    if !chain.roles.is_empty() {
        return SourceKind::AssumeRole;
    }
    match &chain.base {
        Base::AccessKey { token: Some(_), .. } => SourceKind::Session,
        Base::AccessKey { .. } => SourceKind::Static,
        Base::NamedSource { name, .. } if name == "Environment" => SourceKind::Env,
        Base::NamedSource { .. } => SourceKind::Named,
        Base::WebIdentity { .. } => SourceKind::WebIdentity,
        Base::Sso { .. } => SourceKind::Sso,
        Base::Process { .. } => SourceKind::Process,
        Base::Login { .. } => SourceKind::Login,
    }
}
