//! CloudFront's automatic compression rules (`Compress: true`). The compressing itself is
//! pingora's `ResponseCompressionCtx`, run by the proxy on the origin's response before it is
//! cached; these rules decide when it may run.

use http::{HeaderMap, StatusCode};

/// CloudFront compresses objects of 1,000 to 10,000,000 bytes…
const MIN_BYTES: u64 = 1_000;
const MAX_BYTES: u64 = 10_000_000;

/// …of these media types (parameters such as `charset` ignored).
const COMPRESSIBLE: &[&str] = &[
    "application/dash+xml",
    "application/eot",
    "application/font",
    "application/font-sfnt",
    "application/javascript",
    "application/json",
    "application/opentype",
    "application/otf",
    "application/pkcs7-mime",
    "application/protobuf",
    "application/rss+xml",
    "application/truetype",
    "application/ttf",
    "application/vnd.apple.mpegurl",
    "application/vnd.mapbox-vector-tile",
    "application/vnd.ms-fontobject",
    "application/xhtml+xml",
    "application/xml",
    "application/x-font-opentype",
    "application/x-font-truetype",
    "application/x-font-ttf",
    "application/x-httpd-cgi",
    "application/x-javascript",
    "application/x-mpegurl",
    "application/x-opentype",
    "application/x-otf",
    "application/x-perl",
    "application/x-ttf",
    "font/eot",
    "font/opentype",
    "font/otf",
    "font/ttf",
    "image/svg+xml",
    "text/css",
    "text/csv",
    "text/html",
    "text/javascript",
    "text/js",
    "text/plain",
    "text/richtext",
    "text/tab-separated-values",
    "text/xml",
    "text/x-component",
    "text/x-java-source",
    "text/x-script",
    "vnd.apple.mpegurl",
];

/// Why CloudFront leaves a response as it is (for logs and the debug header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCompressed {
    /// Status other than 200, 403, 404.
    Status,
    /// The origin already set `Content-Encoding` (any value, `identity` included).
    AlreadyEncoded,
    /// No `Content-Length`, or outside 1,000–10,000,000 bytes.
    Size,
    /// Not a compressible media type.
    ContentType,
}

impl NotCompressed {
    /// A stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            NotCompressed::Status => "Status",
            NotCompressed::AlreadyEncoded => "AlreadyEncoded",
            NotCompressed::Size => "Size",
            NotCompressed::ContentType => "ContentType",
        }
    }
}

/// May CloudFront compress this origin response? (The request side — `Compress`, the cache
/// policy's encodings, the viewer's `Accept-Encoding`, no HTTP/1.0 — is decided before.)
pub fn may_compress(status: StatusCode, headers: &HeaderMap) -> Result<(), NotCompressed> {
    if !matches!(status.as_u16(), 200 | 403 | 404) {
        return Err(NotCompressed::Status);
    }
    if headers.contains_key(http::header::CONTENT_ENCODING) {
        return Err(NotCompressed::AlreadyEncoded);
    }
    let len = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if !len.is_some_and(|n| (MIN_BYTES..=MAX_BYTES).contains(&n)) {
        return Err(NotCompressed::Size);
    }
    let media = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !COMPRESSIBLE.contains(&media.as_str()) {
        return Err(NotCompressed::ContentType);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn cloudfront_compression_rules() {
        let ok = headers(&[
            ("content-type", "text/html; charset=utf-8"),
            ("content-length", "5000"),
        ]);
        assert_eq!(may_compress(StatusCode::OK, &ok), Ok(()));
        assert_eq!(may_compress(StatusCode::NOT_FOUND, &ok), Ok(()));
        assert_eq!(may_compress(StatusCode::FORBIDDEN, &ok), Ok(()));
        assert_eq!(
            may_compress(StatusCode::CREATED, &ok),
            Err(NotCompressed::Status)
        );
        assert_eq!(
            may_compress(StatusCode::PARTIAL_CONTENT, &ok),
            Err(NotCompressed::Status)
        );
        let small = headers(&[("content-type", "text/html"), ("content-length", "999")]);
        assert_eq!(
            may_compress(StatusCode::OK, &small),
            Err(NotCompressed::Size)
        );
        let big = headers(&[
            ("content-type", "text/html"),
            ("content-length", "10000001"),
        ]);
        assert_eq!(may_compress(StatusCode::OK, &big), Err(NotCompressed::Size));
        let chunked = headers(&[("content-type", "text/html")]);
        assert_eq!(
            may_compress(StatusCode::OK, &chunked),
            Err(NotCompressed::Size)
        );
        let encoded = headers(&[
            ("content-type", "text/html"),
            ("content-length", "5000"),
            ("content-encoding", "identity"),
        ]);
        assert_eq!(
            may_compress(StatusCode::OK, &encoded),
            Err(NotCompressed::AlreadyEncoded)
        );
        let image = headers(&[("content-type", "image/png"), ("content-length", "5000")]);
        assert_eq!(
            may_compress(StatusCode::OK, &image),
            Err(NotCompressed::ContentType)
        );
        let json = headers(&[
            ("content-type", "application/json"),
            ("content-length", "1000"),
        ]);
        assert_eq!(may_compress(StatusCode::OK, &json), Ok(()));
    }
}
