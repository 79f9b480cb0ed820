//! Custom error responses: replacement pages and error-caching times per status code.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::empty_as_none;
use super::validate::{err, invalid_argument, INVALID_RESPONSE_CODE};
use crate::ValidationError;

/// The codes `CustomErrorResponse.ErrorCode` may name (and, with 200, `ResponseCode`).
pub const CUSTOMISABLE_ERROR_CODES: [u16; 11] =
    [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

/// A `CustomErrorResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomErrorResponse {
    /// One of [`CUSTOMISABLE_ERROR_CODES`].
    pub error_code: u16,
    /// The replacement page, starting with `/`; given together with `response_code`.
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_page_path: Option<String>,
    /// The status sent with the page: 200 or one of [`CUSTOMISABLE_ERROR_CODES`]. A string in
    /// the API, an integer in CloudFormation; both are read, the API's string is written.
    #[serde(
        default,
        deserialize_with = "response_code_either",
        serialize_with = "response_code_as_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub response_code: Option<u16>,
    /// Seconds the error is cached. Default: 10.
    #[serde(
        default = "default_error_caching_min_ttl",
        rename = "ErrorCachingMinTTL"
    )]
    pub error_caching_min_ttl: u64,
}

fn default_error_caching_min_ttl() -> u64 {
    10
}

/// `ResponseCode` as the API's string (`"404"`, `""` for none) or CloudFormation's integer.
fn response_code_either<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Code {
        Number(u64),
        Text(String),
    }
    let number = match Option::<Code>::deserialize(d)? {
        None => return Ok(None),
        Some(Code::Number(n)) => n,
        Some(Code::Text(s)) if s.trim().is_empty() => return Ok(None),
        Some(Code::Text(s)) => s.trim().parse::<u64>().map_err(|_| {
            D::Error::custom(format!(
                "{INVALID_RESPONSE_CODE}: A response code is not valid: ResponseCode '{s}' is not a number."
            ))
        })?,
    };
    u16::try_from(number).map(Some).map_err(|_| {
        D::Error::custom(format!(
            "{INVALID_RESPONSE_CODE}: A response code is not valid: ResponseCode {number}."
        ))
    })
}

fn response_code_as_text<S: Serializer>(code: &Option<u16>, s: S) -> Result<S::Ok, S::Error> {
    match code {
        Some(code) => s.serialize_str(&code.to_string()),
        None => s.serialize_none(),
    }
}

impl CustomErrorResponse {
    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        let code = self.error_code;
        if !CUSTOMISABLE_ERROR_CODES.contains(&code) {
            return Err(err(
                "InvalidErrorCode",
                format!(
                    "An invalid error code was specified: ErrorCode {code}; CloudFront customises {CUSTOMISABLE_ERROR_CODES:?}."
                ),
            ));
        }
        if let Some(response) = self.response_code {
            if response != 200 && !CUSTOMISABLE_ERROR_CODES.contains(&response) {
                return Err(err(
                    INVALID_RESPONSE_CODE,
                    format!(
                        "A response code is not valid: ResponseCode {response} for ErrorCode {code}; it must be 200 or one of {CUSTOMISABLE_ERROR_CODES:?}."
                    ),
                ));
            }
        }
        if self.response_code.is_some() != self.response_page_path.is_some() {
            return Err(invalid_argument(format!(
                "Your request must specify both ResponsePagePath and ResponseCode together or none of them (ErrorCode {code})."
            )));
        }
        if let Some(path) = &self.response_page_path {
            if !path.starts_with('/') || path.len() > 4096 {
                return Err(err(
                    "InvalidRelativePath",
                    format!(
                        "The relative path is too big, is not URL-encoded, or does not begin with a slash (/): ResponsePagePath '{path}' for ErrorCode {code}."
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::cloudfront::distribution::tests::{assert_refused, error_response, minimal};
    use crate::cloudfront::wire::List;

    #[test]
    fn response_code_reads_as_text_or_number() {
        let text = error_response(
            json!({"ErrorCode": 404, "ResponsePagePath": "/e.html", "ResponseCode": "200"}),
        );
        let number = error_response(
            json!({"ErrorCode": 404, "ResponsePagePath": "/e.html", "ResponseCode": 200}),
        );
        assert_eq!(text, number);
        assert_eq!(text.response_code, Some(200));
        let none =
            error_response(json!({"ErrorCode": 404, "ResponsePagePath": "", "ResponseCode": ""}));
        assert_eq!((none.response_code, none.response_page_path), (None, None));
        assert!(serde_json::from_value::<CustomErrorResponse>(
            json!({"ErrorCode": 404, "ResponseCode": "OK"})
        )
        .is_err());
    }

    #[test]
    fn custom_error_response_rules() {
        let with = |json: Value| {
            let mut c = minimal();
            c.custom_error_responses = List(vec![error_response(json)]);
            c
        };
        with(json!({"ErrorCode": 403, "ResponsePagePath": "/index.html", "ResponseCode": 200}))
            .validate()
            .unwrap();
        with(json!({"ErrorCode": 503, "ErrorCachingMinTTL": 0}))
            .validate()
            .unwrap();

        assert_refused(
            &with(json!({"ErrorCode": 418})),
            "InvalidErrorCode",
            "ErrorCode 418",
        );
        assert_refused(
            &with(json!({"ErrorCode": 200})),
            "InvalidErrorCode",
            "ErrorCode 200",
        );
        assert_refused(
            &with(json!({"ErrorCode": 404, "ResponsePagePath": "/404.html", "ResponseCode": 302})),
            "InvalidResponseCode",
            "ResponseCode 302",
        );
        assert_refused(
            &with(json!({"ErrorCode": 404, "ResponseCode": 404})),
            "InvalidArgument",
            "both ResponsePagePath and ResponseCode together",
        );
        assert_refused(
            &with(json!({"ErrorCode": 404, "ResponsePagePath": "/404.html"})),
            "InvalidArgument",
            "both ResponsePagePath and ResponseCode together",
        );
        assert_refused(
            &with(json!({"ErrorCode": 404, "ResponsePagePath": "404.html", "ResponseCode": 404})),
            "InvalidRelativePath",
            "'404.html'",
        );

        let mut c = minimal();
        c.custom_error_responses = List(vec![
            error_response(json!({"ErrorCode": 404})),
            error_response(json!({"ErrorCode": 404, "ErrorCachingMinTTL": 60})),
        ]);
        assert_refused(&c, "InvalidArgument", "ErrorCode 404 more than once");
    }
}
