//! The verdict contract of DESIGN.md: what `check --json` and `status --json` print.

mod tools;

use crate::aws::readers::Reader;
use serde::{Deserialize, Serialize};
pub use tools::{Judging, Tools, tool_state};

/// Version of the JSON verdict schema: 2 added `account` and `tools` per profile and
/// `affects` per problem.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Ok,
    Expiring,
    Expired,
    Invalid,
    #[default]
    Unknown,
    Skipped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Expiring => "expiring",
            State::Expired => "expired",
            State::Invalid => "invalid",
            State::Unknown => "unknown",
            State::Skipped => "skipped",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    Static,
    Session,
    AssumeRole,
    Sso,
    Process,
    Login,
    Env,
    /// web identity and named credential sources (EC2, ECS): not in DESIGN's list, reported as
    /// `assume-role` would hide that they need AWS compute, so they get their own name.
    WebIdentity,
    Named,
    None,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Static => "static",
            SourceKind::Session => "session",
            SourceKind::AssumeRole => "assume-role",
            SourceKind::Sso => "sso",
            SourceKind::Process => "process",
            SourceKind::Login => "login",
            SourceKind::Env => "env",
            SourceKind::WebIdentity => "web-identity",
            SourceKind::Named => "named",
            SourceKind::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One machine-readable code per cause (DESIGN.md, "Problem codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Code {
    HiddenCharacter,
    MalformedKeyId,
    MalformedSecret,
    MissingKeyId,
    MissingSecret,
    MissingSessionToken,
    StraySessionToken,
    ProfileNotFound,
    MisnamedSection,
    ParseError,
    UnreadableFile,
    PartialEnvCredentials,
    EnvOverridesProfile,
    Expired,
    Expiring,
    SsoLoginRequired,
    /// The `aws login` session is not cached, or cached in a form the SDK refuses.
    LoginRequired,
    /// sts:AssumeRole refused (AccessDenied): the source may not assume the role
    /// (`assume_role = true` only).
    RoleNotAssumable,
    UnknownKey,
    InvalidSessionToken,
    BadSecret,
    ExpiredToken,
    ClockSkew,
    RegionNotEnabled,
    Network,
    Throttled,
    EndpointError,
    NotValidated,
    InsecurePermissions,
    /// The profile's chain cannot be resolved by the SDK (loop, both source_profile and
    /// credential_source, SSO half-configured, no credentials at all).
    InvalidProfileConfig,
    /// Not validated by policy (credential_process not opted in, credentials only AWS
    /// compute can provide).
    SkippedByPolicy,
    /// The key belongs to another account than the one config `[accounts]` expects.
    WrongAccount,
    /// The key belongs to a canary-token account: never sent to STS.
    CanaryToken,
    /// The account the key id encodes is not the one STS answered: a forged key id, or a
    /// decoding that is wrong.
    AccountMismatch,
    /// A profile that holds only settings (region, output…): info when it is not the one in
    /// use or something else supplies credentials, an error when the tools would find none.
    NoCredentials,
    /// A role profile whose role was not assumed (config `assume_role = false`): only its
    /// source credentials were verified.
    RoleNotAssumed,
    /// A role profile that needs an MFA code to be assumed: only its source was verified.
    NeedsMfa,
    /// The expiry field says past, but STS accepts the credentials: the field is left over.
    StaleExpiryMetadata,
    /// A key, secret or token broken over two lines: the SDK sends it cut at the break.
    WrappedValue,
    /// A tool does not read the env credentials that the others read, and goes on to a
    /// profile (the JS SDK while AWS_PROFILE is set; the SDKs with an empty secret).
    EnvNotRead,
    /// The tools select different profiles (botocore reads AWS_DEFAULT_PROFILE first; the
    /// SDKs do not read it at all).
    ProfileSelectionDiffers,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::HiddenCharacter => "hidden-character",
            Code::MalformedKeyId => "malformed-key-id",
            Code::MalformedSecret => "malformed-secret",
            Code::MissingKeyId => "missing-key-id",
            Code::MissingSecret => "missing-secret",
            Code::MissingSessionToken => "missing-session-token",
            Code::StraySessionToken => "stray-session-token",
            Code::ProfileNotFound => "profile-not-found",
            Code::MisnamedSection => "misnamed-section",
            Code::ParseError => "parse-error",
            Code::UnreadableFile => "unreadable-file",
            Code::PartialEnvCredentials => "partial-env-credentials",
            Code::EnvOverridesProfile => "env-overrides-profile",
            Code::Expired => "expired",
            Code::Expiring => "expiring",
            Code::SsoLoginRequired => "sso-login-required",
            Code::LoginRequired => "login-required",
            Code::RoleNotAssumable => "role-not-assumable",
            Code::UnknownKey => "unknown-key",
            Code::InvalidSessionToken => "invalid-session-token",
            Code::BadSecret => "bad-secret",
            Code::ExpiredToken => "expired-token",
            Code::ClockSkew => "clock-skew",
            Code::RegionNotEnabled => "region-not-enabled",
            Code::Network => "network",
            Code::Throttled => "throttled",
            Code::EndpointError => "endpoint-error",
            Code::NotValidated => "not-validated",
            Code::InsecurePermissions => "insecure-permissions",
            Code::InvalidProfileConfig => "invalid-profile-config",
            Code::SkippedByPolicy => "skipped-by-policy",
            Code::WrongAccount => "wrong-account",
            Code::CanaryToken => "canary-token",
            Code::AccountMismatch => "account-mismatch",
            Code::NoCredentials => "no-credentials",
            Code::RoleNotAssumed => "role-not-assumed",
            Code::NeedsMfa => "needs-mfa",
            Code::StaleExpiryMetadata => "stale-expiry-metadata",
            Code::WrappedValue => "wrapped-value",
            Code::EnvNotRead => "env-not-read",
            Code::ProfileSelectionDiffers => "profile-selection-differs",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub code: Code,
    pub severity: Severity,
    /// `~/.aws/credentials:3:41`, `env AWS_PROFILE`, or null when the problem has no place.
    pub location: Option<String>,
    /// The readers this problem breaks; absent: all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affects: Option<Vec<Reader>>,
    pub message: String,
    pub fix: String,
    /// An error for the readers in `affects`, reported as a warning because config `tools`
    /// names none of them; not part of the JSON contract.
    #[serde(skip)]
    pub demoted: bool,
}

impl Problem {
    /// The one way to build a problem; [`Problem::error`], [`Problem::warning`] and
    /// [`Problem::info`] name the severity when it is fixed.
    pub fn new(
        code: Code,
        severity: Severity,
        location: Option<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem {
            code,
            severity,
            location,
            affects: None,
            message: message.into(),
            fix: fix.into(),
            demoted: false,
        }
    }

    /// The same problem, breaking only `readers` (all three: absent).
    pub fn affecting(mut self, readers: &[Reader]) -> Problem {
        let mut rs = readers.to_vec();
        rs.sort();
        rs.dedup();
        self.affects = (rs.len() < Reader::ALL.len()).then_some(rs);
        self
    }

    /// Does this problem break `reader`?
    pub fn breaks(&self, reader: Reader) -> bool {
        self.affects.as_ref().is_none_or(|a| a.contains(&reader))
    }

    pub fn error(
        code: Code,
        location: Option<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem::new(code, Severity::Error, location, message, fix)
    }

    pub fn warning(
        code: Code,
        location: Option<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem::new(code, Severity::Warning, location, message, fix)
    }

    /// Info problems say what was not done and why; most need no fix (`""`).
    pub fn info(
        code: Code,
        location: Option<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) -> Problem {
        Problem::new(code, Severity::Info, location, message, fix)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileVerdict {
    pub profile: String,
    pub state: State,
    pub source: SourceKind,
    pub key_id: Option<String>,
    /// The AWS account: STS's answer, else decoded offline from the key id (ids minted
    /// since 2019), else the account of the role the profile assumes; null when unknown.
    #[serde(default)]
    pub account: Option<String>,
    pub identity: Option<Identity>,
    pub expires_at: Option<String>,
    /// The verdict for each reader of the files; `state` is the worst over those config
    /// `tools` names.
    #[serde(default)]
    pub tools: Tools,
    pub problems: Vec<Problem>,
    /// The account config `[accounts]` (or the remembered account) expects, carried from
    /// the offline pass to STS's answer; not part of the JSON contract.
    #[serde(skip)]
    pub expected_account: Option<Expectation>,
    /// Which readers count and which STS accepted; not part of the JSON contract.
    #[serde(skip)]
    pub judging: Judging,
}

/// The account a profile is expected to hold, why, and where its key (or role) is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub account: String,
    pub by: ExpectedBy,
    /// Where the key id (or role_arn) that decides the account is set.
    pub location: Option<String>,
}

/// What says which account a profile is meant for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectedBy {
    /// An `[accounts]` entry: its key, the profile name or a glob.
    Config { rule: String },
    /// The account the profile held at its last `ok` verdict, at this time (RFC 3339).
    Remembered { at: String },
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub checked_at: String,
    pub clock_skew_seconds: Option<f64>,
    pub profiles: Vec<ProfileVerdict>,
    /// The daemon's STS calls (`status` only; absent from `check`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sts_calls: Option<StsCalls>,
}

/// The STS calls the daemon made: each one is an event in the account's CloudTrail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StsCalls {
    /// Calls started in the last 24 hours, by action.
    pub last_24h: CallCounts,
    /// Validations started and not answered yet.
    pub in_flight: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallCounts {
    #[serde(rename = "GetCallerIdentity")]
    pub get_caller_identity: u64,
    #[serde(rename = "AssumeRole")]
    pub assume_role: u64,
}

impl Report {
    /// DESIGN.md exit codes: 0 all usable, 1 some invalid/expired, 3 some unknown and none invalid.
    pub fn exit_code(&self) -> i32 {
        let states = || self.profiles.iter().map(|p| p.state);
        if states().any(|s| matches!(s, State::Invalid | State::Expired)) {
            1
        } else if states().any(|s| s == State::Unknown) {
            3
        } else {
            0
        }
    }
}

/// The state a set of problems implies before any online answer: errors make a profile
/// invalid (expired when the only errors are expiry), a warning about expiry makes it
/// expiring, otherwise it is unknown until STS answers.
pub fn offline_state(problems: &[Problem]) -> State {
    state_of(problems, false)
}

/// The state from the problems and whether STS accepted the credentials.
pub fn state_of(problems: &[Problem], accepted: bool) -> State {
    let errors: Vec<&Problem> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        if errors.iter().all(|p| {
            matches!(
                p.code,
                Code::Expired | Code::SsoLoginRequired | Code::LoginRequired | Code::ExpiredToken
            )
        }) {
            return State::Expired;
        }
        return State::Invalid;
    }
    if problems.iter().any(|p| {
        matches!(
            p.code,
            Code::SkippedByPolicy | Code::CanaryToken | Code::NoCredentials
        )
    }) {
        return State::Skipped;
    }
    if problems.iter().any(|p| p.code == Code::Expiring) {
        return State::Expiring;
    }
    // a role not assumed: its source may be fine, the role is unverified, so never ok
    if problems
        .iter()
        .any(|p| matches!(p.code, Code::RoleNotAssumed | Code::NeedsMfa))
    {
        return State::Skipped;
    }
    if accepted {
        return State::Ok;
    }
    State::Unknown
}

/// `AKIA…SIBF`: first four and last four characters; anything shorter than 12 shows
/// nothing. One definition, shared with the client.
pub use credguard_client::proto::mask_key_id;
