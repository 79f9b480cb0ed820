//! Standard access logs (CloudFront's legacy format): one [`AccessRecord`] per viewer request,
//! written as one tab-separated W3C line per request to `<dir>/<distribution-id>.log`.
//!
//! The proxy builds the record in its `logging` phase and hands it to [`AccessLogWriter::log`],
//! which only pushes it onto an in-memory buffer under a short lock. A background task drains the
//! buffer every [`FLUSH_EVERY`], formats the lines and writes them, so the request path never
//! waits on the disk (the same shape as the function logs in `stratus-functions`).
//!
//! This module must not decide what a request's result was: the proxy tells it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{Method, Version};

/// The 33 field names of a standard log line, in CloudFront's order.
pub const FIELDS: [&str; 33] = [
    "date",
    "time",
    "x-edge-location",
    "sc-bytes",
    "c-ip",
    "cs-method",
    "cs(Host)",
    "cs-uri-stem",
    "sc-status",
    "cs(Referer)",
    "cs(User-Agent)",
    "cs-uri-query",
    "cs(Cookie)",
    "x-edge-result-type",
    "x-edge-request-id",
    "x-host-header",
    "cs-protocol",
    "cs-bytes",
    "time-taken",
    "x-forwarded-for",
    "ssl-protocol",
    "ssl-cipher",
    "x-edge-response-result-type",
    "cs-protocol-version",
    "fle-status",
    "fle-encrypted-fields",
    "c-port",
    "time-to-first-byte",
    "x-edge-detailed-result-type",
    "sc-content-type",
    "sc-content-len",
    "sc-range-start",
    "sc-range-end",
];

/// The two header lines at the top of every log file (CloudFront: W3C extended format,
/// `#Version` then `#Fields` with the field names separated by spaces), each ending in `\n`.
pub const HEADER: &str = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n";

/// How CloudFront classified a response (`x-edge-result-type`, `x-edge-response-result-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeResult {
    /// Served from the cache.
    Hit,
    /// Found in the cache but expired; revalidated with the origin.
    RefreshHit,
    /// Served from the Origin Shield cache.
    OriginShieldHit,
    /// Not in the cache (or not cacheable): forwarded to the origin. WebSocket requests are
    /// always `Miss`.
    Miss,
    /// Denied because a CloudFront quota was exceeded.
    LimitExceeded,
    /// The edge answered 503 for lack of capacity.
    CapacityExceeded,
    /// A 4xx/5xx, or (as the final result of a 200) the viewer left mid-download.
    Error,
    /// Redirected from HTTP to HTTPS by the viewer protocol policy.
    Redirect,
}

impl EdgeResult {
    /// Every result, in declaration order (`result as usize` indexes it).
    pub const ALL: [EdgeResult; 8] = [
        Self::Hit,
        Self::RefreshHit,
        Self::OriginShieldHit,
        Self::Miss,
        Self::LimitExceeded,
        Self::CapacityExceeded,
        Self::Error,
        Self::Redirect,
    ];

    /// The log value, e.g. `RefreshHit`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "Hit",
            Self::RefreshHit => "RefreshHit",
            Self::OriginShieldHit => "OriginShieldHit",
            Self::Miss => "Miss",
            Self::LimitExceeded => "LimitExceeded",
            Self::CapacityExceeded => "CapacityExceeded",
            Self::Error => "Error",
            Self::Redirect => "Redirect",
        }
    }
}

/// `x-edge-detailed-result-type` when it differs from `x-edge-result-type`: the kind of error
/// (CloudFront: when the result type is not `Error`, the detailed type repeats it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetailedResult {
    /// Served from the Origin Shield cache.
    OriginShieldHit,
    /// The edge had an issue with the origin.
    AbortedOrigin,
    /// The response to the viewer was interrupted by a viewer communication problem.
    ClientCommError,
    /// Refused by the distribution's geographic restriction.
    ClientGeoBlocked,
    /// The viewer stopped while sending the request.
    ClientHungUpRequest,
    /// An error that fits no other kind (also: an error response served from the cache).
    Error,
    /// The request was invalid.
    InvalidRequest,
    /// Access to the resource is blocked.
    InvalidRequestBlocked,
    /// The distribution does not match the certificate of the TLS connection.
    InvalidRequestCertificate,
    /// The request had an invalid header.
    InvalidRequestHeader,
    /// The behavior does not allow the method.
    InvalidRequestMethod,
    /// Communication with the origin failed.
    OriginCommError,
    /// The origin could not be connected to.
    OriginConnectError,
    /// The origin's `Content-Length` did not match its `Content-Range`.
    OriginContentRangeLengthError,
    /// The origin's domain name did not resolve.
    OriginDnsError,
    /// The origin returned an incorrect response.
    OriginError,
    /// An origin header was too big.
    OriginHeaderTooBigError,
    /// The origin returned an invalid response.
    OriginInvalidResponseError,
    /// Reading from the origin failed.
    OriginReadError,
    /// Writing to the origin failed.
    OriginWriteError,
    /// A zero-size object from the origin caused an error.
    OriginZeroSizeObjectError,
    /// The viewer read too slowly the message that caused an origin error.
    SlowReaderOriginError,
    /// A CloudFront Function generated the response.
    FunctionGeneratedResponse,
    /// A CloudFront Function failed.
    FunctionExecutionError,
    /// A Lambda@Edge function generated the response.
    LambdaGeneratedResponse,
    /// A Lambda@Edge function failed.
    LambdaExecutionError,
    /// A Lambda@Edge function returned an invalid result.
    LambdaValidationError,
    /// A Lambda@Edge function was throttled.
    LambdaLimitExceeded,
}

impl DetailedResult {
    /// The log value, e.g. `OriginDnsError`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OriginShieldHit => "OriginShieldHit",
            Self::AbortedOrigin => "AbortedOrigin",
            Self::ClientCommError => "ClientCommError",
            Self::ClientGeoBlocked => "ClientGeoBlocked",
            Self::ClientHungUpRequest => "ClientHungUpRequest",
            Self::Error => "Error",
            Self::InvalidRequest => "InvalidRequest",
            Self::InvalidRequestBlocked => "InvalidRequestBlocked",
            Self::InvalidRequestCertificate => "InvalidRequestCertificate",
            Self::InvalidRequestHeader => "InvalidRequestHeader",
            Self::InvalidRequestMethod => "InvalidRequestMethod",
            Self::OriginCommError => "OriginCommError",
            Self::OriginConnectError => "OriginConnectError",
            Self::OriginContentRangeLengthError => "OriginContentRangeLengthError",
            Self::OriginDnsError => "OriginDnsError",
            Self::OriginError => "OriginError",
            Self::OriginHeaderTooBigError => "OriginHeaderTooBigError",
            Self::OriginInvalidResponseError => "OriginInvalidResponseError",
            Self::OriginReadError => "OriginReadError",
            Self::OriginWriteError => "OriginWriteError",
            Self::OriginZeroSizeObjectError => "OriginZeroSizeObjectError",
            Self::SlowReaderOriginError => "SlowReaderOriginError",
            Self::FunctionGeneratedResponse => "FunctionGeneratedResponse",
            Self::FunctionExecutionError => "FunctionExecutionError",
            Self::LambdaGeneratedResponse => "LambdaGeneratedResponse",
            Self::LambdaExecutionError => "LambdaExecutionError",
            Self::LambdaValidationError => "LambdaValidationError",
            Self::LambdaLimitExceeded => "LambdaLimitExceeded",
        }
    }
}

/// `cs-protocol`: the viewer's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewerProtocol {
    /// `http`.
    Http,
    /// `https`.
    Https,
    /// `ws` (WebSocket over HTTP).
    Ws,
    /// `wss` (WebSocket over HTTPS).
    Wss,
}

impl ViewerProtocol {
    /// The log value, e.g. `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
            Self::Ws => "ws",
            Self::Wss => "wss",
        }
    }
}

/// One viewer request, as the standard log records it. Each field is named after its log field;
/// `None` and empty strings are logged as `-`. String values are logged as received; [`line`]
/// applies CloudFront's encoding.
///
/// [`line`]: AccessRecord::line
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    /// `date` and `time`: when the edge finished responding (for WebSocket: when the
    /// connection closed). Logged in UTC, to the second.
    pub time: SystemTime,
    /// `x-edge-location`: the POP that served the request, e.g. `SEA19-C1`.
    pub edge_location: String,
    /// `sc-bytes`: bytes sent to the viewer, headers included.
    pub sc_bytes: u64,
    /// `c-ip`: the address the connection came from (a proxy's when the viewer used one).
    pub c_ip: IpAddr,
    /// `cs-method`.
    pub cs_method: Method,
    /// `cs(Host)`: the distribution's own domain (`d….cloudfront.net`), even when the viewer
    /// used an alias.
    pub cs_host: String,
    /// `cs-uri-stem`: the path as received, without `?` and the query.
    pub cs_uri_stem: String,
    /// `sc-status`: the status sent (or started) to the viewer; `0` (logged `000`) when the
    /// viewer left before the response began.
    pub sc_status: u16,
    /// `cs(Referer)`: the `Referer` header.
    pub cs_referer: Option<String>,
    /// `cs(User-Agent)`: the `User-Agent` header.
    pub cs_user_agent: Option<String>,
    /// `cs-uri-query`: the query string as received, without the `?`.
    pub cs_uri_query: Option<String>,
    /// `cs(Cookie)`: the whole `Cookie` header; logged only when the distribution's logging
    /// config has `IncludeCookies`.
    pub cs_cookie: Option<String>,
    /// `x-edge-result-type`: the final classification, after the last byte left.
    pub edge_result_type: EdgeResult,
    /// `x-edge-request-id`: the request's `X-Amz-Cf-Id`.
    pub edge_request_id: String,
    /// `x-host-header`: the viewer's `Host` header (an alias or the distribution domain).
    pub host_header: String,
    /// `cs-protocol`.
    pub cs_protocol: ViewerProtocol,
    /// `cs-bytes`: bytes the viewer sent, headers included.
    pub cs_bytes: u64,
    /// `time-taken`: from receiving the request to queueing the last byte of the response.
    /// Logged in seconds to the millisecond.
    pub time_taken: Duration,
    /// `x-forwarded-for`: the viewer's `X-Forwarded-For` header, when it sent one.
    pub x_forwarded_for: Option<String>,
    /// `ssl-protocol`: the negotiated TLS version in CloudFront's spelling (`TLSv1.2`,
    /// `TLSv1.3`); `None` over plain HTTP.
    pub ssl_protocol: Option<String>,
    /// `ssl-cipher`: the negotiated cipher in CloudFront's (OpenSSL) spelling
    /// (`ECDHE-RSA-AES128-GCM-SHA256`, `TLS_AES_128_GCM_SHA256`); `None` over plain HTTP.
    pub ssl_cipher: Option<String>,
    /// `x-edge-response-result-type`: the classification just before responding.
    pub edge_response_result_type: EdgeResult,
    /// `cs-protocol-version`: the viewer's HTTP version (`HTTP/2.0`, `HTTP/3.0`…).
    pub cs_protocol_version: Version,
    /// `fle-status`: field-level encryption outcome; `None` when it is not configured.
    pub fle_status: Option<String>,
    /// `fle-encrypted-fields`: how many fields field-level encryption encrypted.
    pub fle_encrypted_fields: Option<u32>,
    /// `c-port`: the viewer's source port.
    pub c_port: u16,
    /// `time-to-first-byte`: from receiving the request to writing the first response byte.
    pub time_to_first_byte: Duration,
    /// `x-edge-detailed-result-type`; `None` logs the value of `x-edge-result-type`.
    pub edge_detailed_result_type: Option<DetailedResult>,
    /// `sc-content-type`: the response's `Content-Type`.
    pub sc_content_type: Option<String>,
    /// `sc-content-len`: the response's `Content-Length`.
    pub sc_content_len: Option<u64>,
    /// `sc-range-start`: the first byte of the response's `Content-Range`.
    pub sc_range_start: Option<u64>,
    /// `sc-range-end`: the last byte of the response's `Content-Range`.
    pub sc_range_end: Option<u64>,
}

impl Default for AccessRecord {
    /// An empty record: the epoch, `0.0.0.0`, `GET`, status `000`, `Miss`, HTTP/1.1.
    fn default() -> Self {
        Self {
            time: UNIX_EPOCH,
            edge_location: String::new(),
            sc_bytes: 0,
            c_ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            cs_method: Method::GET,
            cs_host: String::new(),
            cs_uri_stem: String::new(),
            sc_status: 0,
            cs_referer: None,
            cs_user_agent: None,
            cs_uri_query: None,
            cs_cookie: None,
            edge_result_type: EdgeResult::Miss,
            edge_request_id: String::new(),
            host_header: String::new(),
            cs_protocol: ViewerProtocol::Http,
            cs_bytes: 0,
            time_taken: Duration::ZERO,
            x_forwarded_for: None,
            ssl_protocol: None,
            ssl_cipher: None,
            edge_response_result_type: EdgeResult::Miss,
            cs_protocol_version: Version::HTTP_11,
            fle_status: None,
            fle_encrypted_fields: None,
            c_port: 0,
            time_to_first_byte: Duration::ZERO,
            edge_detailed_result_type: None,
            sc_content_type: None,
            sc_content_len: None,
            sc_range_start: None,
            sc_range_end: None,
        }
    }
}

impl AccessRecord {
    /// The record as one standard log line (no trailing newline): the 33 fields of [`FIELDS`]
    /// separated by tabs, `-` for missing or empty values, and every value encoded the
    /// CloudFront way (see [`encode_into`]). `cs(Cookie)` is logged only when `include_cookies`
    /// (the distribution's `Logging.IncludeCookies`).
    pub fn line(&self, include_cookies: bool) -> String {
        let mut out = String::with_capacity(512);
        let (date, time) = utc_date_time(self.time);
        out.push_str(&date);
        out.push('\t');
        out.push_str(&time);
        out.push('\t');
        encode_into(&mut out, &self.edge_location);
        out.push('\t');
        let _ = write!(out, "{}", self.sc_bytes);
        out.push('\t');
        let _ = write!(out, "{}", self.c_ip);
        out.push('\t');
        encode_into(&mut out, self.cs_method.as_str());
        out.push('\t');
        encode_into(&mut out, &self.cs_host);
        out.push('\t');
        encode_into(&mut out, &self.cs_uri_stem);
        out.push('\t');
        // CloudFront: `000` when the viewer closed the connection before the response began.
        let _ = write!(out, "{:03}", self.sc_status);
        out.push('\t');
        encode_opt(&mut out, self.cs_referer.as_deref());
        out.push('\t');
        encode_opt(&mut out, self.cs_user_agent.as_deref());
        out.push('\t');
        encode_opt(&mut out, self.cs_uri_query.as_deref());
        out.push('\t');
        let cookie = if include_cookies {
            self.cs_cookie.as_deref()
        } else {
            None
        };
        encode_opt(&mut out, cookie);
        out.push('\t');
        out.push_str(self.edge_result_type.as_str());
        out.push('\t');
        encode_into(&mut out, &self.edge_request_id);
        out.push('\t');
        encode_into(&mut out, &self.host_header);
        out.push('\t');
        out.push_str(self.cs_protocol.as_str());
        out.push('\t');
        let _ = write!(out, "{}", self.cs_bytes);
        out.push('\t');
        push_seconds(&mut out, self.time_taken);
        out.push('\t');
        encode_opt(&mut out, self.x_forwarded_for.as_deref());
        out.push('\t');
        encode_opt(&mut out, self.ssl_protocol.as_deref());
        out.push('\t');
        encode_opt(&mut out, self.ssl_cipher.as_deref());
        out.push('\t');
        out.push_str(self.edge_response_result_type.as_str());
        out.push('\t');
        out.push_str(protocol_version(self.cs_protocol_version));
        out.push('\t');
        encode_opt(&mut out, self.fle_status.as_deref());
        out.push('\t');
        push_opt_num(&mut out, self.fle_encrypted_fields.map(u64::from));
        out.push('\t');
        let _ = write!(out, "{}", self.c_port);
        out.push('\t');
        push_seconds(&mut out, self.time_to_first_byte);
        out.push('\t');
        out.push_str(match self.edge_detailed_result_type {
            Some(d) => d.as_str(),
            None => self.edge_result_type.as_str(),
        });
        out.push('\t');
        encode_opt(&mut out, self.sc_content_type.as_deref());
        out.push('\t');
        push_opt_num(&mut out, self.sc_content_len);
        out.push('\t');
        push_opt_num(&mut out, self.sc_range_start);
        out.push('\t');
        push_opt_num(&mut out, self.sc_range_end);
        out
    }
}

/// Appends `value` to `out` as CloudFront logs a field value: `-` when empty; otherwise each
/// byte with code 0–32 or ≥127, and each of `< > " # % { } | \ ^ ~ [ ] ` '`, as `%XX`
/// (upper-case hex), every other byte as is.
///
/// CloudFront: `%` itself is always encoded, so a value that arrived percent-encoded (a query
/// string `q=a%20b`, a user agent containing `%20`) is logged double-encoded (`q=a%2520b`).
/// Tabs and newlines are encoded too, so a value can never break a line or a column.
pub fn encode_into(out: &mut String, value: &str) {
    if value.is_empty() {
        out.push('-');
        return;
    }
    for &b in value.as_bytes() {
        if must_encode(b) {
            let _ = write!(out, "%{b:02X}");
        } else {
            out.push(char::from(b));
        }
    }
}

fn must_encode(b: u8) -> bool {
    b <= 32
        || b >= 127
        || matches!(
            b,
            b'<' | b'>'
                | b'"'
                | b'#'
                | b'%'
                | b'{'
                | b'}'
                | b'|'
                | b'\\'
                | b'^'
                | b'~'
                | b'['
                | b']'
                | b'`'
                | b'\''
        )
}

fn encode_opt(out: &mut String, value: Option<&str>) {
    encode_into(out, value.unwrap_or(""));
}

fn push_opt_num(out: &mut String, value: Option<u64>) {
    match value {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push('-'),
    }
}

/// Seconds to the thousandth (`0.082`), rounded to the nearest millisecond.
fn push_seconds(out: &mut String, d: Duration) {
    let ms = (d.as_micros() + 500) / 1000;
    let _ = write!(out, "{}.{:03}", ms / 1000, ms % 1000);
}

fn protocol_version(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_11 => "HTTP/1.1",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "-",
    }
}

/// `YYYY-MM-DD` and `HH:MM:SS` in UTC; times before the epoch are logged as the epoch.
fn utc_date_time(t: SystemTime) -> (String, String) {
    let t = chrono::DateTime::<chrono::Utc>::from(t.max(UNIX_EPOCH));
    (
        t.format("%Y-%m-%d").to_string(),
        t.format("%H:%M:%S").to_string(),
    )
}

/// Rotate a distribution's log once it passes this size; the previous file is kept as
/// `<distribution-id>.log.1`. Default of [`AccessLogWriter::start`].
pub const ROTATE_BYTES: u64 = 64 * 1024 * 1024;

/// How long a record may wait in memory before its line reaches the file.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// Records kept in memory at most between two flushes; beyond, new records are dropped (and
/// counted in a warning), as CloudFront's logs are best-effort.
const MAX_PENDING: usize = 100_000;

/// Distributions with an open file at most; beyond, all files are closed and reopened on use.
const MAX_OPEN_FILES: usize = 256;

/// The log file of `distribution_id` under `dir`: `<dir>/<distribution-id>.log`.
pub fn log_path(dir: &Path, distribution_id: &str) -> PathBuf {
    dir.join(format!("{distribution_id}.log"))
}

/// A record waiting for the writer task.
#[derive(Debug)]
struct Pending {
    distribution_id: String,
    include_cookies: bool,
    record: AccessRecord,
}

#[derive(Debug, Default)]
struct Shared {
    pending: Mutex<Vec<Pending>>,
    dropped: AtomicU64,
}

/// Writes access logs, one file per distribution, from a background task. Cheap to clone.
///
/// [`log`](Self::log) only takes a short lock to push the record; the task drains the buffer
/// every [`FLUSH_EVERY`], formats and appends the lines, and rotates big files. The task
/// writes what is left and stops once every clone of the writer is dropped.
#[derive(Debug, Clone)]
pub struct AccessLogWriter {
    shared: Arc<Shared>,
}

impl AccessLogWriter {
    /// Creates `dir` and starts the writer task on the current tokio runtime, rotating files
    /// at [`ROTATE_BYTES`]. Fails when `dir` cannot be created or there is no runtime.
    pub fn start(dir: PathBuf) -> std::io::Result<Self> {
        Self::start_with_rotation(dir, ROTATE_BYTES)
    }

    /// Like [`start`](Self::start), rotating a file once it passes `rotate_bytes`.
    pub fn start_with_rotation(dir: PathBuf, rotate_bytes: u64) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| std::io::Error::other(format!("access log writer: {e}")))?;
        std::fs::create_dir_all(&dir)?;
        let writer = Self {
            shared: Arc::default(),
        };
        runtime.spawn(write_loop(dir, Arc::clone(&writer.shared), rotate_bytes));
        Ok(writer)
    }

    /// Queues `record` for `distribution_id`'s log. `include_cookies` is the distribution's
    /// `Logging.IncludeCookies`. Never waits on the disk.
    pub fn log(&self, distribution_id: &str, record: AccessRecord, include_cookies: bool) {
        let pending = Pending {
            distribution_id: distribution_id.to_owned(),
            include_cookies,
            record,
        };
        let mut p = self
            .shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if p.len() < MAX_PENDING {
            p.push(pending);
        } else {
            drop(p);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

type Files = HashMap<String, std::io::BufWriter<std::fs::File>>;

async fn write_loop(dir: PathBuf, shared: Arc<Shared>, rotate_bytes: u64) {
    let mut files = Files::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = Vec::new();
    loop {
        tick.tick().await;
        // Only this task holds the buffer: nobody can log any more.
        let last = Arc::strong_count(&shared) == 1;
        {
            let mut p = shared
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut *p, &mut batch);
        }
        let dropped = shared.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            tracing::warn!(dropped, "access log buffer full: records dropped");
        }
        if !batch.is_empty() {
            for p in batch.drain(..) {
                write_record(&dir, &mut files, p);
            }
            flush_and_rotate(&dir, &mut files, rotate_bytes);
        }
        if last {
            return;
        }
    }
}

/// Distribution IDs name files: only `[A-Za-z0-9_-]` may reach the path.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn write_record(dir: &Path, files: &mut Files, p: Pending) {
    if !valid_id(&p.distribution_id) {
        tracing::warn!(id = %p.distribution_id, "access log: invalid distribution id");
        return;
    }
    let file = match files.get_mut(&p.distribution_id) {
        Some(f) => f,
        None => match open_log(dir, &p.distribution_id) {
            Ok(f) => files.entry(p.distribution_id.clone()).or_insert(f),
            Err(e) => {
                let path = log_path(dir, &p.distribution_id);
                tracing::warn!(path = %path.display(), "cannot open access log: {e}");
                return;
            }
        },
    };
    let line = p.record.line(p.include_cookies);
    let _ = writeln!(file, "{line}");
}

/// Opens a distribution's log for appending, writing the header lines if the file is new.
fn open_log(dir: &Path, id: &str) -> std::io::Result<std::io::BufWriter<std::fs::File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(dir, id))?;
    let fresh = file.metadata()?.len() == 0;
    let mut w = std::io::BufWriter::new(file);
    if fresh {
        w.write_all(HEADER.as_bytes())?;
    }
    Ok(w)
}

fn flush_and_rotate(dir: &Path, files: &mut Files, rotate_bytes: u64) {
    for f in files.values_mut() {
        let _ = f.flush();
    }
    // Rotate big files (the next record reopens a fresh file with headers).
    files.retain(|id, f| {
        let size = f.get_ref().metadata().map_or(0, |m| m.len());
        if size > rotate_bytes {
            let path = log_path(dir, id);
            if let Err(e) = std::fs::rename(&path, dir.join(format!("{id}.log.1"))) {
                tracing::warn!(path = %path.display(), "cannot rotate access log: {e}");
            }
            return false;
        }
        true
    });
    if files.len() > MAX_OPEN_FILES {
        files.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-03-05T07:08:09Z
    const T: u64 = 1_709_622_489;

    fn hit() -> AccessRecord {
        AccessRecord {
            time: UNIX_EPOCH + Duration::from_secs(T),
            edge_location: "SEA19-C1".into(),
            sc_bytes: 392,
            c_ip: "192.0.2.100".parse().unwrap(),
            cs_method: Method::GET,
            cs_host: "d111111abcdef8.cloudfront.net".into(),
            cs_uri_stem: "/index.html".into(),
            sc_status: 200,
            cs_referer: None,
            cs_user_agent: Some("curl/8.5.0".into()),
            cs_uri_query: None,
            cs_cookie: None,
            edge_result_type: EdgeResult::Hit,
            edge_request_id: "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==".into(),
            host_header: "www.example.com".into(),
            cs_protocol: ViewerProtocol::Https,
            cs_bytes: 23,
            time_taken: Duration::from_micros(1_200),
            x_forwarded_for: None,
            ssl_protocol: Some("TLSv1.3".into()),
            ssl_cipher: Some("TLS_AES_128_GCM_SHA256".into()),
            edge_response_result_type: EdgeResult::Hit,
            cs_protocol_version: Version::HTTP_2,
            fle_status: None,
            fle_encrypted_fields: None,
            c_port: 11040,
            time_to_first_byte: Duration::from_micros(900),
            edge_detailed_result_type: None,
            sc_content_type: Some("text/html".into()),
            sc_content_len: Some(78),
            sc_range_start: None,
            sc_range_end: None,
        }
    }

    fn miss() -> AccessRecord {
        AccessRecord {
            time: UNIX_EPOCH + Duration::from_secs(T + 1),
            edge_location: "DFW3".into(),
            sc_bytes: 1_405,
            c_ip: "2001:db8::1".parse().unwrap(),
            cs_method: Method::GET,
            cs_host: "d111111abcdef8.cloudfront.net".into(),
            cs_uri_stem: "/api/search".into(),
            sc_status: 200,
            cs_referer: Some("https://www.example.com/".into()),
            cs_user_agent: Some(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0.0.0 Safari/537.36"
                    .into(),
            ),
            cs_uri_query: Some("q=caf%C3%A9%20au%20lait&page=2".into()),
            cs_cookie: Some("session=abc; theme=dark".into()),
            edge_result_type: EdgeResult::Miss,
            edge_request_id: "1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==".into(),
            host_header: "www.example.com".into(),
            cs_protocol: ViewerProtocol::Http,
            cs_bytes: 675,
            time_taken: Duration::from_millis(102),
            x_forwarded_for: Some("203.0.113.7, 198.51.100.2".into()),
            ssl_protocol: None,
            ssl_cipher: None,
            edge_response_result_type: EdgeResult::Miss,
            cs_protocol_version: Version::HTTP_11,
            fle_status: None,
            fle_encrypted_fields: None,
            c_port: 52_144,
            time_to_first_byte: Duration::from_millis(95),
            edge_detailed_result_type: None,
            sc_content_type: Some("application/json; charset=utf-8".into()),
            sc_content_len: Some(1_024),
            sc_range_start: None,
            sc_range_end: None,
        }
    }

    // Written field by field from the standard log file format (CloudFront Developer Guide,
    // "Standard log file fields").
    const HIT_LINE: &str = "2024-03-05\t07:08:09\tSEA19-C1\t392\t192.0.2.100\tGET\t\
        d111111abcdef8.cloudfront.net\t/index.html\t200\t-\tcurl/8.5.0\t-\t-\tHit\t\
        SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\twww.example.com\thttps\t23\t\
        0.001\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t11040\t0.001\tHit\t\
        text/html\t78\t-\t-";

    const MISS_LINE_NO_COOKIES: &str = "2024-03-05\t07:08:10\tDFW3\t1405\t2001:db8::1\tGET\t\
        d111111abcdef8.cloudfront.net\t/api/search\t200\thttps://www.example.com/\t\
        Mozilla/5.0%20(X11;%20Linux%20x86_64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)\
        %20Chrome/120.0.0.0%20Safari/537.36\t\
        q=caf%25C3%25A9%2520au%2520lait&page=2\t-\tMiss\t\
        1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==\twww.example.com\thttp\t675\t\
        0.102\t203.0.113.7,%20198.51.100.2\t-\t-\tMiss\tHTTP/1.1\t-\t-\t52144\t0.095\tMiss\t\
        application/json;%20charset=utf-8\t1024\t-\t-";

    #[test]
    fn standard_log_file_fields_hit_line() {
        let line = hit().line(true);
        assert_eq!(line, HIT_LINE);
        assert_eq!(line.split('\t').count(), FIELDS.len());
    }

    #[test]
    fn standard_log_file_fields_miss_with_query_and_user_agent() {
        let r = miss();
        assert_eq!(r.line(false), MISS_LINE_NO_COOKIES);
        // With IncludeCookies, the whole Cookie header, encoded, in field 13.
        let with = r.line(true);
        let fields: Vec<&str> = with.split('\t').collect();
        assert_eq!(fields.len(), 33);
        assert_eq!(fields[12], "session=abc;%20theme=dark");
        assert_eq!(
            with.replacen("\tsession=abc;%20theme=dark\t", "\t-\t", 1),
            MISS_LINE_NO_COOKIES
        );
    }

    #[test]
    fn standard_log_file_format_url_encodes_listed_characters() {
        let mut s = String::new();
        encode_into(&mut s, "<>\"#%{}|\\^~[]`' \t\n\u{7f}é!$&()*+,-./:;=?@_");
        assert_eq!(
            s,
            "%3C%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60%27%20%09%0A%7F%C3%A9!$&()*+,-./:;=?@_"
        );
        let mut empty = String::new();
        encode_into(&mut empty, "");
        assert_eq!(empty, "-");
    }

    #[test]
    fn error_line_status_000_and_detailed_type() {
        let r = AccessRecord {
            sc_status: 0,
            edge_result_type: EdgeResult::Error,
            edge_response_result_type: EdgeResult::Error,
            edge_detailed_result_type: Some(DetailedResult::OriginDnsError),
            sc_content_type: None,
            sc_content_len: None,
            sc_range_start: Some(0),
            sc_range_end: Some(99),
            cs_protocol_version: Version::HTTP_3,
            fle_encrypted_fields: Some(2),
            ..hit()
        };
        let line = r.line(false);
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f[8], "000");
        assert_eq!(f[13], "Error");
        assert_eq!(f[22], "Error");
        assert_eq!(f[23], "HTTP/3.0");
        assert_eq!(f[25], "2");
        assert_eq!(f[28], "OriginDnsError");
        assert_eq!(&f[29..], ["-", "-", "0", "99"]);
    }

    #[test]
    fn utc_dates() {
        let at = |s| utc_date_time(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), ("1970-01-01".into(), "00:00:00".into()));
        assert_eq!(at(951_868_799), ("2000-02-29".into(), "23:59:59".into()));
        assert_eq!(at(T), ("2024-03-05".into(), "07:08:09".into()));
        assert_eq!(at(4_107_542_400), ("2100-03-01".into(), "00:00:00".into()));
    }

    #[test]
    fn header_lines() {
        let mut lines = HEADER.lines();
        assert_eq!(lines.next(), Some("#Version: 1.0"));
        assert_eq!(
            lines.next().map(str::to_owned),
            Some(format!("#Fields: {}", FIELDS.join(" ")))
        );
        assert_eq!(lines.next(), None);
        assert!(HEADER.ends_with('\n'));
    }

    async fn wait_for(path: &Path, lines: usize) -> String {
        for _ in 0..200 {
            if let Ok(s) = std::fs::read_to_string(path) {
                if s.lines().count() >= lines {
                    return s;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{} never reached {lines} lines", path.display());
    }

    #[tokio::test]
    async fn writer_creates_per_distribution_files_with_headers_once() {
        let dir = tempfile::tempdir().unwrap();
        let w = AccessLogWriter::start(dir.path().to_path_buf()).unwrap();
        w.log("E2QWRUHEXAMPLE", hit(), false);
        w.log("E2QWRUHEXAMPLE", miss(), false);
        w.log("EOTHERDIST", hit(), false);
        let a = wait_for(&log_path(dir.path(), "E2QWRUHEXAMPLE"), 4).await;
        assert_eq!(a, format!("{HEADER}{HIT_LINE}\n{MISS_LINE_NO_COOKIES}\n"));
        let b = wait_for(&log_path(dir.path(), "EOTHERDIST"), 3).await;
        assert_eq!(b, format!("{HEADER}{HIT_LINE}\n"));

        // Later records append without new headers.
        w.log("E2QWRUHEXAMPLE", hit(), false);
        let a = wait_for(&log_path(dir.path(), "E2QWRUHEXAMPLE"), 5).await;
        assert_eq!(
            a,
            format!("{HEADER}{HIT_LINE}\n{MISS_LINE_NO_COOKIES}\n{HIT_LINE}\n")
        );
        assert_eq!(a.matches("#Version").count(), 1);

        // Ids that are not file names never reach the disk.
        w.log("../escape", hit(), false);
        drop(w);
        tokio::time::sleep(FLUSH_EVERY * 4).await;
        assert!(!dir.path().join("../escape.log").exists());
    }

    #[tokio::test]
    async fn writer_reopens_existing_file_without_headers() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path(), "EDIST");
        std::fs::write(&path, format!("{HEADER}{HIT_LINE}\n")).unwrap();
        let w = AccessLogWriter::start(dir.path().to_path_buf()).unwrap();
        w.log("EDIST", hit(), false);
        let s = wait_for(&path, 4).await;
        assert_eq!(s, format!("{HEADER}{HIT_LINE}\n{HIT_LINE}\n"));
    }

    #[tokio::test]
    async fn writer_rotates_big_files_keeping_one() {
        let dir = tempfile::tempdir().unwrap();
        let w = AccessLogWriter::start_with_rotation(dir.path().to_path_buf(), 1_000).unwrap();
        let path = log_path(dir.path(), "EROT");
        let old = dir.path().join("EROT.log.1");
        // Header + 3 lines ≈ 1.4 kB: rotated after the batch.
        for _ in 0..3 {
            w.log("EROT", hit(), false);
        }
        for _ in 0..200 {
            if old.exists() && !path.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let rotated = std::fs::read_to_string(&old).unwrap();
        assert_eq!(
            rotated,
            format!("{HEADER}{HIT_LINE}\n{HIT_LINE}\n{HIT_LINE}\n")
        );

        // The next record starts a fresh file with the headers.
        w.log("EROT", miss(), false);
        let fresh = wait_for(&path, 3).await;
        assert_eq!(fresh, format!("{HEADER}{MISS_LINE_NO_COOKIES}\n"));

        // A second rotation replaces `.1`.
        for _ in 0..3 {
            w.log("EROT", hit(), false);
        }
        for _ in 0..200 {
            if !path.exists() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let rotated = std::fs::read_to_string(&old).unwrap();
        assert!(rotated.starts_with(&format!("{HEADER}{MISS_LINE_NO_COOKIES}\n")));
        assert!(!dir.path().join("EROT.log.2").exists());
    }

    #[tokio::test]
    async fn writer_drains_what_is_left_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let w = AccessLogWriter::start(dir.path().to_path_buf()).unwrap();
        w.log("EDROP", hit(), false);
        drop(w);
        let s = wait_for(&log_path(dir.path(), "EDROP"), 3).await;
        assert_eq!(s, format!("{HEADER}{HIT_LINE}\n"));
    }

    #[test]
    fn start_outside_a_runtime_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(AccessLogWriter::start(dir.path().to_path_buf()).is_err());
    }
}
