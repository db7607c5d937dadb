//! What an STS answer means: the error code (from the SDK, or from the raw body where the
//! SDK finds none: moto's `<ErrorResponse><Errors><Error>` shape), classified into a
//! definite rejection or an unknown (network, throttling, endpoint) outcome.

use super::sts::Outcome;
use super::target::{OPT_IN_REGIONS, Target};
use crate::diagnose::Material;
use crate::verdict::Code;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use credguard_client::rules::{self, KeyKind};

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

pub(super) fn classify_error<
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
>(
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
    let temporary = rules::key_kind(&m.key_id) == KeyKind::Temporary;
    let rejected = |code: Code| Outcome::Rejected {
        code,
        aws_code: aws_code.to_string(),
        message: message.to_string(),
        hop: None,
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
            expiry_hint: None,
            written: Default::default(),
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
}
