//! The STS calls themselves: `GetCallerIdentity` (after `AssumeRole` hop by hop when a role
//! is to be assumed), with timeouts and the `Date` header kept for the clock skew. What an
//! answer means is [`super::classify`]'s, its text [`super::problems`]'s, where it is sent
//! [`super::target`]'s (re-exported here).

pub use super::classify::{classify, code_from_body};
pub use super::problems::{problem_for, skew_problem};
pub use super::target::{Target, target};

use super::classify::classify_error;

use crate::diagnose::Material;
use crate::verdict::{Code, Identity};
use aws_credential_types::Credentials;
use aws_sdk_sts::config::{AppName, BehaviorVersion, Region};
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

/// What one call found.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Outcome {
    Valid(Identity),
    /// STS rejected the credentials: a definite answer.
    Rejected {
        code: Code,
        aws_code: String,
        message: String,
        /// The role (an index in [`Material::roles`]) whose sts:AssumeRole was refused,
        /// when the rejection came on the way to it.
        #[serde(default)]
        hop: Option<usize>,
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

/// Keeps the local time and STS's `Date` header of the answer, for the clock skew.
#[derive(Debug, Clone, Default)]
pub(super) struct DateInterceptor(Arc<DateCapture>);

impl DateInterceptor {
    /// Local time minus STS's `Date` header, seconds, when an answer came.
    pub(super) fn skew(&self) -> Option<f64> {
        let (local, remote) = self.0.date.lock().ok().and_then(|g| *g)?;
        Some(match local.duration_since(remote) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        })
    }
}

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
pub(super) struct UserAgentInterceptor;

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
    let skew_seconds = capture.skew();
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
    for (i, step) in m.roles.iter().enumerate() {
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
                        code,
                        aws_code,
                        message,
                        ..
                    } => Outcome::Rejected {
                        code,
                        aws_code,
                        message,
                        hop: Some(i),
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
