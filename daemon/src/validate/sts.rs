//! Validation against STS `GetCallerIdentity`, and the classification of every answer.

use crate::aws::files::Profiles;
use crate::diagnose::Material;
use crate::verdict::{Code, Identity, Severity};
use crate::world::World;
use aws_credential_types::Credentials;
use aws_sdk_sts::config::{AppName, BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Where a credential set is sent: region and endpoint as the SDK resolves them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub region: String,
    /// None: the SDK's own regional endpoint for `region`.
    pub endpoint: Option<String>,
}

/// The opt-in regions, where a v1 (global endpoint) session token is rejected.
const OPT_IN_REGIONS: [&str; 15] = [
    "af-south-1",
    "ap-east-1",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

/// Region and endpoint for a profile (or the environment), in the SDK's order:
/// `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else us-east-1;
/// `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the `sts` `endpoint_url` of the profile's
/// `[services x]` section, the profile's `endpoint_url` (environment before file,
/// service-specific before global within each: aws-runtime's `EnvConfigValue::load`),
/// unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the profile's
/// `ignore_configured_endpoint_urls`.
pub fn target(world: &World, profiles: &Profiles, profile: Option<&str>) -> Target {
    let props = profile.and_then(|p| profiles.profiles.get(p));
    let prop = |k: &str| {
        props
            .and_then(|p| p.get(k))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let region = world
        .var("AWS_REGION")
        .or_else(|| world.var("AWS_DEFAULT_REGION"))
        .or_else(|| prop("region"))
        .unwrap_or("us-east-1")
        .to_string();
    let ignore = world
        .var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| prop("ignore_configured_endpoint_urls"))
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let endpoint = (!ignore)
        .then(|| {
            world
                .var("AWS_ENDPOINT_URL_STS")
                .or_else(|| world.var("AWS_ENDPOINT_URL"))
                .or_else(|| {
                    prop("services")
                        .and_then(|s| profiles.sts_endpoints.get(s))
                        .map(String::as_str)
                        .filter(|v| !v.is_empty())
                })
                .or_else(|| prop("endpoint_url"))
                .map(str::to_string)
        })
        .flatten();
    Target { region, endpoint }
}

/// What one call found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    Valid(Identity),
    /// STS rejected the credentials: a definite answer.
    Rejected {
        code: Code,
        aws_code: String,
        message: String,
    },
    /// No definite answer: network, throttling, endpoint trouble. Never `invalid`.
    Unknown {
        code: Code,
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub outcome: Outcome,
    /// local clock minus the STS `Date` header, when an answer came
    pub skew_seconds: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub connect_timeout: Duration,
    pub call_timeout: Duration,
    /// SignatureDoesNotMatch is confirmed by a second call at least this much later.
    pub confirm_delay: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            connect_timeout: Duration::from_secs(3),
            call_timeout: Duration::from_secs(10),
            confirm_delay: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Default)]
struct DateCapture {
    date: Mutex<Option<(SystemTime, SystemTime)>>,
}

#[derive(Debug, Clone, Default)]
struct DateInterceptor(Arc<DateCapture>);

impl Intercept for DateInterceptor {
    fn name(&self) -> &'static str {
        "credguard-date"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let local = SystemTime::now();
        if let Some(date) = context.response().headers().get("date")
            && let Ok(t) = aws_smithy_types::DateTime::from_str(date, Format::HttpDate)
            && let Ok(remote) = SystemTime::try_from(t)
            && let Ok(mut g) = self.0.date.lock()
        {
            *g = Some((local, remote));
        }
        Ok(())
    }
}

/// `credguard/<version>`: appended to the SDK's user agent on every STS request, so that
/// credguard's calls are recognisable in CloudTrail.
pub const USER_AGENT: &str = concat!("credguard/", env!("CARGO_PKG_VERSION"));

/// Appends [`USER_AGENT`] to the `User-Agent` header. The SDK's `app_name` renders only
/// `app/credguard` (no version), and it writes the header in its own `modify_before_signing`,
/// which runs after a client's interceptors: so this runs before transmit, after signing.
/// SigV4 never signs `User-Agent` (aws-sigv4 excludes it), so the signature stays valid.
#[derive(Debug, Clone, Default)]
struct UserAgentInterceptor;

impl Intercept for UserAgentInterceptor {
    fn name(&self) -> &'static str {
        "credguard-user-agent"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        let ua = match headers.get("user-agent") {
            Some(sdk) => format!("{sdk} {USER_AGENT}"),
            None => USER_AGENT.to_string(),
        };
        headers.insert("user-agent", ua);
        Ok(())
    }
}

/// One GetCallerIdentity, classified; SignatureDoesNotMatch is confirmed by a second call.
pub async fn validate(m: &Material, target: &Target, settings: &Settings) -> Answer {
    let first = call(m, target, settings).await;
    if let Outcome::Rejected {
        code: Code::BadSecret,
        ..
    } = first.outcome
    {
        tokio::time::sleep(settings.confirm_delay).await;
        return call(m, target, settings).await;
    }
    first
}

/// The session name credguard's own AssumeRole calls use when the profile sets none.
pub const ROLE_SESSION_NAME: &str = "credguard-check";

async fn call(m: &Material, target: &Target, settings: &Settings) -> Answer {
    let capture = DateInterceptor::default();
    let client = |creds: Credentials| {
        let mut b = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(target.region.clone()))
            .credentials_provider(creds)
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(settings.connect_timeout)
                    .operation_timeout(settings.call_timeout)
                    .build(),
            )
            .interceptor(UserAgentInterceptor)
            .interceptor(capture.clone());
        if let Some(e) = &target.endpoint {
            b = b.endpoint_url(e.clone());
        }
        b.set_app_name(AppName::new("credguard").ok());
        aws_sdk_sts::Client::from_conf(b.build())
    };
    let creds = Credentials::new(
        m.key_id.clone(),
        m.secret.clone(),
        m.token.clone(),
        None,
        "credguard",
    );
    let outcome = if m.roles.is_empty() {
        match client(creds).get_caller_identity().send().await {
            Ok(out) => Outcome::Valid(Identity {
                account: out.account().unwrap_or_default().to_string(),
                arn: out.arn().unwrap_or_default().to_string(),
            }),
            Err(e) => classify_error(&e, m, target),
        }
    } else {
        assume_chain(m, target, creds, &client).await
    };
    let skew_seconds =
        capture
            .0
            .date
            .lock()
            .ok()
            .and_then(|g| *g)
            .map(|(local, remote)| match local.duration_since(remote) {
                Ok(d) => d.as_secs_f64(),
                Err(e) => -e.duration().as_secs_f64(),
            });
    Answer {
        outcome,
        skew_seconds,
    }
}

/// Assume each role in turn (the shortest session STS grants), the first with `m`'s
/// credentials: the identity is the last role session's. AccessDenied is
/// `role-not-assumable`; anything else is classified as for GetCallerIdentity.
async fn assume_chain(
    m: &Material,
    target: &Target,
    mut creds: Credentials,
    client: &(dyn Fn(Credentials) -> aws_sdk_sts::Client + Sync),
) -> Outcome {
    let mut identity = None;
    for step in &m.roles {
        let result = client(creds)
            .assume_role()
            .role_arn(&step.role_arn)
            .role_session_name(step.session_name.as_deref().unwrap_or(ROLE_SESSION_NAME))
            .set_external_id(step.external_id.clone())
            .duration_seconds(900)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                return match classify_error(&e, m, target) {
                    Outcome::Rejected {
                        code: Code::RoleNotAssumable,
                        aws_code,
                        message,
                    } => Outcome::Rejected {
                        code: Code::RoleNotAssumable,
                        aws_code,
                        message: format!("{}: {message}", step.role_arn),
                    },
                    other => other,
                };
            }
        };
        let (Some(c), Some(user)) = (out.credentials(), out.assumed_role_user()) else {
            return Outcome::Unknown {
                code: Code::EndpointError,
                message: "AssumeRole answered without credentials".into(),
            };
        };
        creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "credguard",
        );
        identity = Some(Identity {
            account: user.arn().split(':').nth(4).unwrap_or_default().to_string(),
            arn: user.arn().to_string(),
        });
    }
    match identity {
        Some(i) => Outcome::Valid(i),
        None => Outcome::Unknown {
            code: Code::EndpointError,
            message: "no role to assume".into(),
        },
    }
}

/// `<Code>X</Code>` from an error body: moto and other STS-compatible servers wrap errors as
/// `<ErrorResponse><Errors><Error>`, for which the SDK's `code()` is None.
pub fn code_from_body(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    Some(text[start..end].trim().to_string())
}

fn message_from_body(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Message>")? + "<Message>".len();
    let end = text[start..].find("</Message>")? + start;
    Some(text[start..end].trim().to_string())
}

fn classify_error<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    e: &SdkError<E, aws_smithy_runtime_api::http::Response>,
    m: &Material,
    target: &Target,
) -> Outcome {
    match e {
        SdkError::TimeoutError(_) => Outcome::Unknown {
            code: Code::Network,
            message: "STS did not answer in time".into(),
        },
        SdkError::DispatchFailure(d) if d.is_timeout() => Outcome::Unknown {
            code: Code::Network,
            message: "STS did not answer in time".into(),
        },
        SdkError::DispatchFailure(_) => {
            let why = chain_text(e);
            let message = match why.find("dns error: ") {
                Some(i) => format!(
                    "cannot resolve the STS endpoint's host name (DNS): {}",
                    &why[i + "dns error: ".len()..]
                ),
                None => format!("cannot reach STS: {why}"),
            };
            Outcome::Unknown {
                code: Code::Network,
                message,
            }
        }
        SdkError::ConstructionFailure(_) => Outcome::Unknown {
            code: Code::EndpointError,
            message: format!("cannot build the STS request: {}", chain_text(e)),
        },
        SdkError::ResponseError(r) => {
            let raw = r.raw();
            Outcome::Unknown {
                code: Code::EndpointError,
                message: format!(
                    "STS answered HTTP {} with a body that is not an STS answer",
                    raw.status().as_u16()
                ),
            }
        }
        SdkError::ServiceError(s) => {
            let raw = s.raw();
            let body = raw.body().bytes().unwrap_or_default();
            let status = raw.status().as_u16();
            let aws_code = s
                .err()
                .code()
                .map(str::to_string)
                .or_else(|| code_from_body(body))
                .unwrap_or_default();
            let message = s
                .err()
                .message()
                .map(str::to_string)
                .or_else(|| message_from_body(body))
                .unwrap_or_default();
            classify(status, &aws_code, &message, m, target)
        }
        _ => Outcome::Unknown {
            code: Code::EndpointError,
            message: chain_text(e),
        },
    }
}

/// Service answers: the code decides; the status only when the code says nothing.
pub fn classify(
    status: u16,
    aws_code: &str,
    message: &str,
    m: &Material,
    target: &Target,
) -> Outcome {
    let temporary = m.key_id.starts_with("ASIA");
    let rejected = |code: Code| Outcome::Rejected {
        code,
        aws_code: aws_code.to_string(),
        message: message.to_string(),
    };
    match aws_code {
        "InvalidClientTokenId" if temporary && OPT_IN_REGIONS.contains(&target.region.as_str()) => {
            rejected(Code::RegionNotEnabled)
        }
        "InvalidClientTokenId" if temporary || m.token.is_some() => {
            rejected(Code::InvalidSessionToken)
        }
        "InvalidClientTokenId" => rejected(Code::UnknownKey),
        "SignatureDoesNotMatch"
            if message.contains("expired") || message.contains("Signature not yet current") =>
        {
            rejected(Code::ClockSkew)
        }
        "SignatureDoesNotMatch" => rejected(Code::BadSecret),
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => rejected(Code::ExpiredToken),
        "InvalidSignatureException" => rejected(Code::ClockSkew),
        "RegionDisabledException" => rejected(Code::RegionNotEnabled),
        // only AssumeRole is ever denied: GetCallerIdentity needs no permission
        "AccessDenied" => rejected(Code::RoleNotAssumable),
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException" => Outcome::Unknown {
            code: Code::Throttled,
            message: format!("STS throttled the call ({aws_code})"),
        },
        _ if status == 429 => Outcome::Unknown {
            code: Code::Throttled,
            message: "STS throttled the call (HTTP 429)".into(),
        },
        _ => Outcome::Unknown {
            code: Code::EndpointError,
            message: format!("STS answered HTTP {status} {aws_code} {message}")
                .trim_end()
                .to_string(),
        },
    }
}

fn chain_text(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// The problem a rejection or an unknown answer becomes, with the fix.
pub fn problem_for(
    outcome: &Outcome,
    profile: Option<&str>,
) -> Option<(Code, Severity, String, String)> {
    let configure = match profile {
        Some(p) => format!("aws configure --profile {p}"),
        None => "export AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY again".into(),
    };
    match outcome {
        Outcome::Valid(_) => None,
        Outcome::Rejected {
            code,
            aws_code,
            message,
        } => {
            let (what, fix) = match code {
                Code::UnknownKey => (
                    "STS does not know this access key id: deleted, deactivated, mistyped, or from another partition",
                    format!("check the key in the IAM console (Users → Security credentials), create a new one if it is gone, then `{configure}`"),
                ),
                Code::InvalidSessionToken => (
                    "STS rejects the session token: it is missing, truncated or belongs to other credentials",
                    "fetch new temporary credentials (aws sso login / aws sts assume-role) and replace key id, secret and token together".into(),
                ),
                Code::BadSecret => (
                    "the secret access key does not match the key id (confirmed by a second call)",
                    format!("copy the secret again (it is shown only once at creation; create a new key if lost), then `{configure}`"),
                ),
                Code::ExpiredToken => (
                    "STS says the credentials have expired",
                    "fetch new temporary credentials (aws sso login / aws sts assume-role / your credential tool)".into(),
                ),
                Code::ClockSkew => (
                    "STS rejects the signature's time: this machine's clock is off",
                    "sync the clock: `sudo timedatectl set-ntp true` (Linux) or `sudo sntp -sS time.apple.com` (macOS)".into(),
                ),
                Code::RoleNotAssumable => (
                    "the credentials are valid, but sts:AssumeRole is refused",
                    "allow sts:AssumeRole on the role in the source identity's IAM policy, and trust the source in the role's trust policy".into(),
                ),
                Code::RegionNotEnabled => (
                    "the credentials are rejected in this opt-in region (a global-endpoint session token is not valid there)",
                    "use the regional STS endpoint (AWS_STS_REGIONAL_ENDPOINTS=regional) or enable the region for the account".into(),
                ),
                _ => ("STS rejected the credentials", configure.clone()),
            };
            Some((
                *code,
                Severity::Error,
                format!("{what} ({aws_code}: {message})"),
                fix,
            ))
        }
        Outcome::Unknown { code, message } => Some((
            *code,
            Severity::Info,
            format!("could not validate: {message}"),
            "credguard retries with backoff; check the network or the endpoint if this persists"
                .into(),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn m(key: &str, token: bool) -> Material {
        Material {
            key_id: key.into(),
            secret: "s".into(),
            token: token.then(|| "t".into()),
            profile: None,
            roles: Vec::new(),
        }
    }
    fn t(region: &str) -> Target {
        Target {
            region: region.into(),
            endpoint: None,
        }
    }

    #[test]
    fn codes_from_moto_shaped_bodies() {
        let body = b"<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            code_from_body(body).as_deref(),
            Some("InvalidClientTokenId")
        );
        assert_eq!(code_from_body(b"garbage"), None);
    }

    #[test]
    fn classification() {
        let c = |status, code, key, token, region| match classify(
            status,
            code,
            "",
            &m(key, token),
            &t(region),
        ) {
            Outcome::Rejected { code, .. } | Outcome::Unknown { code, .. } => code,
            Outcome::Valid(_) => Code::NotValidated,
        };
        assert_eq!(
            c(403, "InvalidClientTokenId", "AKIAX", false, "us-east-1"),
            Code::UnknownKey
        );
        assert_eq!(
            c(403, "InvalidClientTokenId", "ASIAX", true, "us-east-1"),
            Code::InvalidSessionToken
        );
        assert_eq!(
            c(403, "InvalidClientTokenId", "ASIAX", true, "af-south-1"),
            Code::RegionNotEnabled
        );
        assert_eq!(
            c(403, "SignatureDoesNotMatch", "AKIAX", false, "us-east-1"),
            Code::BadSecret
        );
        assert_eq!(
            c(403, "ExpiredToken", "ASIAX", true, "us-east-1"),
            Code::ExpiredToken
        );
        assert_eq!(
            c(400, "Throttling", "AKIAX", false, "us-east-1"),
            Code::Throttled
        );
        assert_eq!(c(429, "", "AKIAX", false, "us-east-1"), Code::Throttled);
        assert_eq!(
            c(503, "ServiceUnavailable", "AKIAX", false, "us-east-1"),
            Code::EndpointError
        );
        assert!(matches!(
            classify(500, "", "", &m("AKIAX", false), &t("us-east-1")),
            Outcome::Unknown { .. }
        ));
    }

    /// The endpoint order of aws-runtime's `EnvConfigValue::load`, with the files read
    /// through the SDK's own parser (a `[services x]` section's `sts` sub-properties).
    #[test]
    fn endpoint_order_env_then_services_section_then_profile() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/config"),
            "[profile a]\nservices = local\nendpoint_url = http://127.0.0.1:2\n\
             [profile b]\nendpoint_url = http://127.0.0.1:2\n\
             [profile c]\nservices = other\n\
             [services local]\nsts =\n  endpoint_url = http://127.0.0.1:1\n\
             [services other]\ns3 =\n  endpoint_url = http://127.0.0.1:3\n",
        )
        .unwrap();
        let at = |env: &[(&str, &str)], p: &str| {
            let mut vars = vec![("HOME".to_string(), home.path().display().to_string())];
            vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            let world = World::new(vars, time::OffsetDateTime::UNIX_EPOCH);
            let loaded = crate::aws::files::load(&world);
            target(&world, &loaded.profiles, Some(p)).endpoint
        };
        let some = |s: &str| Some(s.to_string());
        assert_eq!(at(&[], "a"), some("http://127.0.0.1:1"));
        assert_eq!(at(&[], "b"), some("http://127.0.0.1:2"));
        assert_eq!(
            at(&[], "c"),
            None,
            "another service's endpoint is not STS's"
        );
        let env = [("AWS_ENDPOINT_URL", "http://127.0.0.1:4")];
        assert_eq!(at(&env, "a"), some("http://127.0.0.1:4"));
        let env = [
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4"),
            ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5"),
        ];
        assert_eq!(at(&env, "a"), some("http://127.0.0.1:5"));
        let env = [("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")];
        assert_eq!(at(&env, "a"), None);
    }
}
