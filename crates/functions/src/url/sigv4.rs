//! SigV4 verification for `AWS_IAM` Function URLs: the request is signed again with
//! `aws-sigv4` (service `lambda`, the URL's Region, exactly the client's `SignedHeaders`), and
//! the signatures compared. The canonical request is never hand-rolled.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use http::HeaderMap;

/// Lambda allows this much clock skew between the signature's date and now.
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// Secret keys by access key id.
pub type Keys = HashMap<String, String>;

/// Why a request is refused: Lambda's error type and message (HTTP 403 for all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// `AccessDeniedException`, `InvalidSignatureException`, `UnrecognizedClientException`,
    /// `IncompleteSignatureException`.
    pub error_type: &'static str,
    /// AWS's message.
    pub message: String,
}

/// The caller a valid signature identifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The access key id that signed.
    pub access_key: String,
}

fn denied(error_type: &'static str, message: impl Into<String>) -> Denied {
    Denied {
        error_type,
        message: message.into(),
    }
}

/// The fields of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, PartialEq, Eq)]
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, Denied> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
        denied(
            "IncompleteSignatureException",
            format!("Authorization header requires 'Credential' parameter. Authorization={value}"),
        )
    })?;
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let missing = |what: &str| {
        denied(
            "IncompleteSignatureException",
            format!("Authorization header requires '{what}' parameter. Authorization={value}"),
        )
    };
    let credential = credential.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let signature = signature.ok_or_else(|| missing("Signature"))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = scope[..] else {
        return Err(denied(
            "IncompleteSignatureException",
            format!("Credential should be scoped to a valid region. Credential={credential}"),
        ));
    };
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: signed.split(';').collect(),
        signature,
    })
}

fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ").ok()?;
    let secs = u64::try_from(t.and_utc().timestamp()).ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

fn amz(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// A request to verify.
#[derive(Debug)]
pub struct Signed<'a> {
    /// Method.
    pub method: &'a str,
    /// The host the client addressed (the `host` header).
    pub host: &'a str,
    /// Path and query, as sent.
    pub path_and_query: &'a str,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// Body.
    pub body: &'a [u8],
}

/// Verifies a SigV4-signed request for service `lambda` in `region` at time `now`.
pub fn verify(
    req: &Signed<'_>,
    region: &str,
    keys: &Keys,
    now: SystemTime,
) -> Result<Caller, Denied> {
    let Some(auth) = req.headers.get(http::header::AUTHORIZATION) else {
        return Err(denied(
            "AccessDeniedException",
            "Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html",
        ));
    };
    let auth = auth.to_str().map_err(|_| {
        denied(
            "IncompleteSignatureException",
            "Invalid Authorization header",
        )
    })?;
    let auth = parse_authorization(auth)?;
    let secret = keys.get(auth.access_key).ok_or_else(|| {
        denied(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    })?;
    if auth.service != "lambda" || auth.region != region {
        return Err(denied(
            "InvalidSignatureException",
            format!(
                "Credential should be scoped to correct service: 'lambda'. Credential should be scoped to a valid region, not '{}'.",
                auth.region
            ),
        ));
    }
    let date_text = req
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            denied(
                "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        })?;
    let signed_at = parse_amz_date(date_text).ok_or_else(|| {
        denied(
            "IncompleteSignatureException",
            format!("Date must be in ISO-8601 'basic format'. Got '{date_text}'."),
        )
    })?;
    if !date_text.starts_with(auth.date) {
        return Err(denied(
            "InvalidSignatureException",
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'",
                auth.date,
                &date_text[..8.min(date_text.len())]
            ),
        ));
    }
    // Lambda: signatures are good for five minutes either side of now.
    if signed_at + MAX_SKEW < now {
        return Err(denied(
            "InvalidSignatureException",
            format!(
                "Signature expired: {date_text} is now earlier than {} ({} - 5 min.)",
                amz(now - MAX_SKEW),
                amz(now)
            ),
        ));
    }
    if signed_at > now + MAX_SKEW {
        return Err(denied(
            "InvalidSignatureException",
            format!(
                "Signature not yet current: {date_text} is still later than {} ({} + 5 min.)",
                amz(now + MAX_SKEW),
                amz(now)
            ),
        ));
    }

    let mut headers: Vec<(&str, String)> = Vec::new();
    for name in &auth.signed_headers {
        if *name == "host" {
            headers.push(("host", req.host.to_string()));
            continue;
        }
        let values: Vec<&str> = req
            .headers
            .get_all(*name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(bad_signature());
        }
        headers.push((name, values.join(",")));
    }
    let identity = Credentials::new(auth.access_key, secret, None, None, "stratus").into();
    let mut settings = SigningSettings::default();
    // Sign exactly what the client listed in SignedHeaders.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("lambda")
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|_| bad_signature())?
        .into();
    let uri = format!("https://{}{}", req.host, req.path_and_query);
    let signable = SignableRequest::new(
        req.method,
        uri,
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(req.body),
    )
    .map_err(|_| bad_signature())?;
    let (_, signature) = sign(signable, &params)
        .map_err(|_| bad_signature())?
        .into_parts();
    if constant_time_eq(signature.as_bytes(), auth.signature.as_bytes()) {
        Ok(Caller {
            access_key: auth.access_key.to_string(),
        })
    } else {
        Err(bad_signature())
    }
}

fn bad_signature() -> Denied {
    denied(
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn keys() -> Keys {
        HashMap::from([("AKIDEXAMPLE".to_string(), "secret".to_string())])
    }

    /// Signs like an SDK client would.
    fn signed_headers(
        method: &str,
        host: &str,
        pq: &str,
        body: &[u8],
        at: SystemTime,
        secret: &str,
        token: Option<&str>,
    ) -> HeaderMap {
        let identity =
            Credentials::new("AKIDEXAMPLE", secret, token.map(String::from), None, "t").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("lambda")
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let uri = format!("https://{host}{pq}");
        let base = [("host", host), ("content-type", "application/json")];
        let signable =
            SignableRequest::new(method, uri, base.into_iter(), SignableBody::Bytes(body)).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        for (k, v) in instructions.headers() {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn urls_auth_aws_iam_allow_and_deny() {
        let host = "abc.lambda-url.us-east-1.localhost:9000";
        let now = SystemTime::now();
        let h = signed_headers("POST", host, "/p?a=1", b"{}", now, "secret", None);
        fn req<'a>(h: &'a HeaderMap, body: &'a [u8]) -> Signed<'a> {
            Signed {
                method: "POST",
                host: "abc.lambda-url.us-east-1.localhost:9000",
                path_and_query: "/p?a=1",
                headers: h,
                body,
            }
        }
        let ok = verify(&req(&h, b"{}"), "us-east-1", &keys(), now).unwrap();
        assert_eq!(ok.access_key, "AKIDEXAMPLE");
        // Tampered body.
        let e = verify(&req(&h, b"{\"x\":1}"), "us-east-1", &keys(), now).unwrap_err();
        assert_eq!(e.error_type, "InvalidSignatureException");
        // Wrong secret.
        let forged = signed_headers("POST", host, "/p?a=1", b"{}", now, "other", None);
        let e = verify(&req(&forged, b"{}"), "us-east-1", &keys(), now).unwrap_err();
        assert_eq!(e.error_type, "InvalidSignatureException");
        // Unknown key.
        let e = verify(&req(&h, b"{}"), "us-east-1", &Keys::new(), now).unwrap_err();
        assert_eq!(e.error_type, "UnrecognizedClientException");
        // Expired.
        let later = now + Duration::from_secs(6 * 60);
        let e = verify(&req(&h, b"{}"), "us-east-1", &keys(), later).unwrap_err();
        assert!(e.message.starts_with("Signature expired:"), "{}", e.message);
        // Unsigned.
        let e = verify(&req(&HeaderMap::new(), b"{}"), "us-east-1", &keys(), now).unwrap_err();
        assert_eq!(e.error_type, "AccessDeniedException");
        // Wrong region.
        let e = verify(&req(&h, b"{}"), "eu-west-1", &keys(), now).unwrap_err();
        assert_eq!(e.error_type, "InvalidSignatureException");
    }

    /// A function signs with its role's credentials, which carry a session token
    /// (`X-Amz-Security-Token`, signed like any header).
    #[test]
    fn temporary_credentials_with_a_session_token_verify() {
        let host = "abc.lambda-url.us-east-1.localhost:9000";
        let now = SystemTime::now();
        let h = signed_headers("GET", host, "/", b"", now, "secret", Some("token-1"));
        assert_eq!(h["x-amz-security-token"], "token-1");
        let req = |h: &HeaderMap| {
            verify(
                &Signed {
                    method: "GET",
                    host,
                    path_and_query: "/",
                    headers: h,
                    body: b"",
                },
                "us-east-1",
                &keys(),
                now,
            )
        };
        assert_eq!(req(&h).unwrap().access_key, "AKIDEXAMPLE");
        let mut swapped = h.clone();
        swapped.insert("x-amz-security-token", HeaderValue::from_static("token-2"));
        assert_eq!(
            req(&swapped).unwrap_err().error_type,
            "InvalidSignatureException"
        );
    }

    #[test]
    fn authorization_header_parsing() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(a.access_key, "AK");
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        assert!(parse_authorization("Bearer x").is_err());
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=AK/x, Signature=a").is_err());
    }
}
