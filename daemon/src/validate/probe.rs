//! The clock probe: one request to the STS endpoint with no credentials in it, for the
//! `Date` header of the answer alone, so that the clock skew is measured even when every
//! verdict is fresh (the daemon sends it at least hourly and after a clock jump).
//!
//! It is built as a `GetCallerIdentity` and then stripped of its signature before it
//! leaves: no `Authorization` header, no key id, no session token, no signed date. STS
//! answers `MissingAuthenticationToken`; no account is named, so nothing is logged in
//! anyone's CloudTrail.

use super::sts::{DateInterceptor, Settings, Target, USER_AGENT, UserAgentInterceptor};
use aws_credential_types::Credentials;
use aws_sdk_sts::config::{AppName, BehaviorVersion, Region};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

/// The headers a SigV4 signature adds: all removed, so the request carries no credentials.
const SIGNATURE_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// Removes the signature after signing (before transmit, as [`UserAgentInterceptor`]).
#[derive(Debug, Clone, Default)]
struct Unsigned;

impl Intercept for Unsigned {
    fn name(&self) -> &'static str {
        "credguard-unsigned"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        for h in SIGNATURE_HEADERS {
            headers.remove(h);
        }
        Ok(())
    }
}

/// Local time minus STS's `Date` header (seconds) from one unsigned request to `target`,
/// or None when no answer came. The placeholder credentials it is built with never leave
/// the process: [`Unsigned`] removes the signature that names them.
pub async fn skew(target: &Target, settings: &Settings) -> Option<f64> {
    let capture = DateInterceptor::default();
    let placeholder = Credentials::new("UNSIGNED", "UNSIGNED", None, None, USER_AGENT);
    let mut b = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(target.region.clone()))
        .credentials_provider(placeholder)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(settings.connect_timeout)
                .operation_timeout(settings.call_timeout)
                .build(),
        )
        .interceptor(UserAgentInterceptor)
        .interceptor(Unsigned)
        .interceptor(capture.clone());
    if let Some(e) = &target.endpoint {
        b = b.endpoint_url(e.clone());
    }
    b.set_app_name(AppName::new("credguard").ok());
    let answer = aws_sdk_sts::Client::from_conf(b.build())
        .get_caller_identity()
        .send()
        .await;
    // any answer will do: only its Date header is read (STS refuses an unsigned call)
    tracing::debug!(refused = answer.is_err(), "clock probe answered");
    capture.skew()
}
