//! Function URL configuration (`/2021-10-31/functions/{name}/url`).

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// `AuthType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthType {
    /// Public: no signature checked.
    #[serde(rename = "NONE")]
    None,
    /// SigV4-signed requests only (service `lambda`).
    #[serde(rename = "AWS_IAM")]
    AwsIam,
}

impl AuthType {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::None => "NONE",
            AuthType::AwsIam => "AWS_IAM",
        }
    }

    /// Parses AWS's spelling.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "NONE" => Ok(AuthType::None),
            "AWS_IAM" => Ok(AuthType::AwsIam),
            _ => Err(ValidationError::constraint(
                s,
                "authType",
                "Member must satisfy enum value set: [NONE, AWS_IAM]",
            )),
        }
    }
}

/// `InvokeMode`. Default: `BUFFERED`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvokeMode {
    /// The whole result, mapped to HTTP once the function returns.
    #[default]
    #[serde(rename = "BUFFERED")]
    Buffered,
    /// Bytes forwarded as the function writes them.
    #[serde(rename = "RESPONSE_STREAM")]
    ResponseStream,
}

impl InvokeMode {
    /// AWS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InvokeMode::Buffered => "BUFFERED",
            InvokeMode::ResponseStream => "RESPONSE_STREAM",
        }
    }

    /// Parses AWS's spelling.
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "BUFFERED" => Ok(InvokeMode::Buffered),
            "RESPONSE_STREAM" => Ok(InvokeMode::ResponseStream),
            _ => Err(ValidationError::constraint(
                s,
                "invokeMode",
                "Member must satisfy enum value set: [BUFFERED, RESPONSE_STREAM]",
            )),
        }
    }
}

/// `Cors`, as Lambda takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cors {
    /// Whether cookies and credentials are allowed. Default: false.
    #[serde(default)]
    pub allow_credentials: bool,
    /// Allowed request headers (≤100).
    #[serde(default)]
    pub allow_headers: Vec<String>,
    /// Allowed methods (≤6, each ≤6 characters; `*` allowed).
    #[serde(default)]
    pub allow_methods: Vec<String>,
    /// Allowed origins (≤100 × ≤253 characters; `*` allowed).
    #[serde(default)]
    pub allow_origins: Vec<String>,
    /// Headers exposed to the browser (≤100).
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// Preflight cache time in seconds, 0–86400.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
}

impl Cors {
    /// Checks Lambda's limits on each list.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let check = |list: &[String], field: &str, max_items: usize, max_len: usize| {
            if list.len() > max_items {
                return Err(ValidationError::constraint(
                    &format!("{list:?}"),
                    field,
                    &format!("Member must have length less than or equal to {max_items}"),
                ));
            }
            if let Some(bad) = list.iter().find(|s| s.is_empty() || s.len() > max_len) {
                return Err(ValidationError::constraint(
                    bad,
                    field,
                    &format!(
                        "Member must have length less than or equal to {max_len}, Member must have length greater than or equal to 1"
                    ),
                ));
            }
            Ok(())
        };
        check(&self.allow_origins, "cors.allowOrigins", 100, 253)?;
        check(&self.allow_methods, "cors.allowMethods", 6, 6)?;
        check(&self.allow_headers, "cors.allowHeaders", 100, 1024)?;
        check(&self.expose_headers, "cors.exposeHeaders", 100, 1024)?;
        if let Some(age) = self.max_age {
            if age > 86400 {
                return Err(ValidationError::constraint(
                    &age.to_string(),
                    "cors.maxAge",
                    "Member must have value less than or equal to 86400",
                ));
            }
        }
        Ok(())
    }
}

/// A function's URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionUrlConfig {
    /// 32 lowercase alphanumerics, the first label of the URL's host.
    pub url_id: String,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: AuthType,
    /// Default: `BUFFERED`.
    #[serde(default)]
    pub invoke_mode: InvokeMode,
    /// CORS handled by the URL itself, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<Cors>,
}

impl FunctionUrlConfig {
    /// The URL's host name: `<url-id>.lambda-url.<region>.<domain>`.
    pub fn host(&self, region: &str, domain: &str) -> String {
        format!("{}.lambda-url.{region}.{domain}", self.url_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_aws_spelling() {
        assert_eq!(AuthType::parse("AWS_IAM").unwrap(), AuthType::AwsIam);
        assert!(AuthType::parse("IAM").is_err());
        assert_eq!(
            InvokeMode::parse("RESPONSE_STREAM").unwrap(),
            InvokeMode::ResponseStream
        );
        assert!(InvokeMode::parse("STREAM").is_err());
    }

    #[test]
    fn cors_limits() {
        let mut c = Cors {
            allow_methods: vec!["GET".into(), "POST".into()],
            ..Default::default()
        };
        assert!(c.validate().is_ok());
        c.allow_methods.push("OPTIONS".into());
        assert!(
            c.validate().is_err(),
            "OPTIONS is 7 characters: Lambda refuses it"
        );
        c.allow_methods.pop();
        c.max_age = Some(86401);
        assert!(c.validate().is_err());
    }
}
