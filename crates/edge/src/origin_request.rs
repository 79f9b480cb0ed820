//! The origin request: what CloudFront sends to the origin on a miss.
//!
//! [`build_origin_request`] takes the behavior's cache policy, its optional origin request
//! policy (ORP), the origin (as plain values), the [`ViewerRequest`] and the edge's identity, and
//! returns the path + query and the header map to send. The rules, with the spec section each
//! comes from:
//!
//! - **Path** (§2, "Origin fields"): `OriginPath` + the viewer's path.
//! - **Query string, cookies, viewer headers** (§5, "Cache policy × ORP merge"): the union of
//!   what the cache policy puts in the key and what the ORP forwards. An explicit allow in one
//!   policy beats a deny in the other; `all` means everything. Query parameters keep request
//!   order; cookies are sorted by name.
//! - **Viewer headers by behavior**: `whitelist` (the listed ones; never `Authorization`, which
//!   only "all viewer headers" or the cache policy forward), `allViewer`,
//!   `allViewerAndWhitelistCloudFront`, `allExcept` (every header but the listed ones).
//!   "All viewer headers" never includes the `CloudFront-*` headers CloudFront generates.
//! - **CloudFront's own headers** (§4, "What reaches the origin when the policies add nothing";
//!   §7, "Origin request headers"): `Host` = the origin's `DomainName` unless a policy forwards
//!   the viewer's `Host` (§2, "Host header sent to a custom origin" — which a Function URL answers
//!   with 403); `User-Agent: Amazon CloudFront` unless forwarded; `Via` = the viewer's, then
//!   `<viewer HTTP version> <edge host> (CloudFront)`; `X-Forwarded-For` = the viewer's with the
//!   viewer IP appended; `X-Amz-Cf-Id`; the normalised `Accept-Encoding` ([`AcceptEncoding`]).
//! - **CloudFront-generated headers** (§5, "CloudFront-generated request headers"): only when a
//!   policy names them; see [`CloudFrontHeader`]. A viewer-sent header of the same name never
//!   reaches the origin.
//! - **Origin custom headers** (§2, "Origin fields"): added last, overriding anything else.
//! - **Hop-by-hop headers** are removed (`Upgrade` stays for WebSocket).
//!
//! OAC signing is not done here: it signs the request this module returns.

use std::fmt;

use http::header::{self, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Version};
use stratus_model::cloudfront::distribution::OriginCustomHeader;
use stratus_model::cloudfront::policies::{
    CachePolicyConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig,
    OriginRequestPolicyConfig, OriginRequestPolicyHeaderBehavior, OriginRequestPolicyHeadersConfig,
};

use crate::cache_key::{
    cookie_selected, join, parse_cookies, query_params, query_selected, sort_cookies,
    AcceptEncoding, ViewerRequest,
};

#[cfg(test)]
mod tests;

/// CloudFront's `User-Agent` when the viewer's is not forwarded.
pub const CLOUDFRONT_USER_AGENT: &str = "Amazon CloudFront";

/// The request id header CloudFront adds to every origin request.
pub const X_AMZ_CF_ID: HeaderName = HeaderName::from_static("x-amz-cf-id");

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The origin a request goes to, as plain values (from the distribution's `Origin`).
#[derive(Debug, Clone, Copy)]
pub struct OriginTarget<'a> {
    /// `DomainName`: the host alone, e.g. `abc.lambda-url.us-east-1.on.aws`.
    pub domain_name: &'a str,
    /// `OriginPath`: `""`, or starting with `/` and without a trailing `/`.
    pub origin_path: &'a str,
    /// `OriginCustomHeaders`, compiled with [`compile_custom_headers`].
    pub custom_headers: &'a [(HeaderName, HeaderValue)],
}

/// Who the edge is, for the headers CloudFront writes about itself.
#[derive(Debug, Clone, Copy)]
pub struct EdgeIdentity<'a> {
    /// The request id: `X-Amz-Cf-Id` (CloudFront: 56 characters of URL-safe base64).
    pub request_id: &'a str,
    /// The host in this edge's `Via` (CloudFront: `<32 hex>.cloudfront.net`; Stratus: whatever
    /// the POP is configured with). The same value belongs in the viewer response's `Via`.
    pub via_host: &'a str,
}

/// The request to send to the origin.
#[derive(Debug, Clone)]
pub struct OriginRequest {
    /// `OriginPath` + path, then `?` and the forwarded query string when there is one.
    pub path_and_query: String,
    /// Every header to send, `Host` included.
    pub headers: HeaderMap,
    /// Whether `Host` is the viewer's rather than the origin's `DomainName` (the origin's TLS
    /// certificate must then match the viewer's host).
    pub viewer_host_forwarded: bool,
}

/// A value that cannot be put in a header. Validated configuration never produces one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginRequestError {
    /// An origin custom header's name is not a valid HTTP field name.
    #[error("origin custom header name {0:?} is not a valid HTTP header name")]
    InvalidHeaderName(String),
    /// A value is not a valid HTTP field value.
    #[error("{field} {value:?} is not a valid HTTP header value")]
    InvalidHeaderValue {
        /// What the value is for.
        field: &'static str,
        /// The value.
        value: String,
    },
}

/// Turns an origin's `OriginCustomHeaders` into header pairs, once per deployment.
///
/// # Errors
///
/// [`OriginRequestError`] when a name or value is not valid HTTP (the model's validation
/// refuses both first).
pub fn compile_custom_headers(
    headers: &[OriginCustomHeader],
) -> Result<Vec<(HeaderName, HeaderValue)>, OriginRequestError> {
    headers
        .iter()
        .map(|h| {
            let name = HeaderName::from_bytes(h.header_name.as_bytes())
                .map_err(|_| OriginRequestError::InvalidHeaderName(h.header_name.clone()))?;
            Ok((name, value("origin custom header", &h.header_value)?))
        })
        .collect()
}

/// The HTTP version as CloudFront writes it in `Via` and `CloudFront-Viewer-Http-Version`:
/// `1.0`, `1.1`, `2.0`, `3.0`.
pub fn http_version_str(version: Version) -> &'static str {
    if version == Version::HTTP_09 {
        "0.9"
    } else if version == Version::HTTP_10 {
        "1.0"
    } else if version == Version::HTTP_2 {
        "2.0"
    } else if version == Version::HTTP_3 {
        "3.0"
    } else {
        "1.1"
    }
}

/// CloudFront's `Via` entry: `<viewer HTTP version> <edge host> (CloudFront)`, e.g.
/// `2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)` for an HTTP/2 viewer
/// (spec §7: the origin request's `Via` carries the viewer's version).
pub fn via_value(version: Version, via_host: &str) -> String {
    format!("{} {via_host} (CloudFront)", http_version_str(version))
}

/// A header CloudFront generates from the viewer request when a cache policy or ORP names it
/// (spec §5, "CloudFront-generated request headers").
///
/// Stratus computes the protocol, HTTP version, address, device and header-count headers, and
/// the country when the proxy knows it. The others (city, region, ASN, TLS, JA3/JA4, header
/// order…) need data Stratus does not have: they are recognised, so a viewer-sent copy is
/// dropped, but never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CloudFrontHeader {
    /// `http` or `https`.
    ForwardedProto,
    /// `1.0`, `1.1`, `2.0` or `3.0`.
    ViewerHttpVersion,
    /// Device flags from the `User-Agent`; see [`DeviceKind`].
    IsAndroidViewer,
    /// See [`DeviceKind`].
    IsDesktopViewer,
    /// See [`DeviceKind`].
    IsIosViewer,
    /// See [`DeviceKind`].
    IsMobileViewer,
    /// See [`DeviceKind`].
    IsSmartTvViewer,
    /// See [`DeviceKind`].
    IsTabletViewer,
    /// `ip:port` (IPv6 unbracketed, as CloudFront writes it). ORP only.
    ViewerAddress,
    /// Not computed. ORP only.
    ViewerAsn,
    /// Not computed.
    ViewerCity,
    /// ISO 3166-1 alpha-2, when [`ViewerRequest::country`] is known.
    ViewerCountry,
    /// Not computed.
    ViewerCountryName,
    /// Not computed.
    ViewerCountryRegion,
    /// Not computed.
    ViewerCountryRegionName,
    /// Not computed.
    ViewerLatitude,
    /// Not computed.
    ViewerLongitude,
    /// Not computed.
    ViewerMetroCode,
    /// Not computed.
    ViewerPostalCode,
    /// Not computed.
    ViewerTimeZone,
    /// Not computed. ORP only.
    ViewerTls,
    /// Not computed. ORP only.
    ViewerJa3Fingerprint,
    /// Not computed. ORP only.
    ViewerJa4Fingerprint,
    /// Not computed: it needs the viewer's header names in wire order and case.
    ViewerHeaderOrder,
    /// The number of viewer header lines.
    ViewerHeaderCount,
}

impl CloudFrontHeader {
    /// Every generated header.
    pub const ALL: [CloudFrontHeader; 25] = [
        Self::ForwardedProto,
        Self::ViewerHttpVersion,
        Self::IsAndroidViewer,
        Self::IsDesktopViewer,
        Self::IsIosViewer,
        Self::IsMobileViewer,
        Self::IsSmartTvViewer,
        Self::IsTabletViewer,
        Self::ViewerAddress,
        Self::ViewerAsn,
        Self::ViewerCity,
        Self::ViewerCountry,
        Self::ViewerCountryName,
        Self::ViewerCountryRegion,
        Self::ViewerCountryRegionName,
        Self::ViewerLatitude,
        Self::ViewerLongitude,
        Self::ViewerMetroCode,
        Self::ViewerPostalCode,
        Self::ViewerTimeZone,
        Self::ViewerTls,
        Self::ViewerJa3Fingerprint,
        Self::ViewerJa4Fingerprint,
        Self::ViewerHeaderOrder,
        Self::ViewerHeaderCount,
    ];

    /// The header name as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ForwardedProto => "CloudFront-Forwarded-Proto",
            Self::ViewerHttpVersion => "CloudFront-Viewer-Http-Version",
            Self::IsAndroidViewer => "CloudFront-Is-Android-Viewer",
            Self::IsDesktopViewer => "CloudFront-Is-Desktop-Viewer",
            Self::IsIosViewer => "CloudFront-Is-IOS-Viewer",
            Self::IsMobileViewer => "CloudFront-Is-Mobile-Viewer",
            Self::IsSmartTvViewer => "CloudFront-Is-SmartTV-Viewer",
            Self::IsTabletViewer => "CloudFront-Is-Tablet-Viewer",
            Self::ViewerAddress => "CloudFront-Viewer-Address",
            Self::ViewerAsn => "CloudFront-Viewer-ASN",
            Self::ViewerCity => "CloudFront-Viewer-City",
            Self::ViewerCountry => "CloudFront-Viewer-Country",
            Self::ViewerCountryName => "CloudFront-Viewer-Country-Name",
            Self::ViewerCountryRegion => "CloudFront-Viewer-Country-Region",
            Self::ViewerCountryRegionName => "CloudFront-Viewer-Country-Region-Name",
            Self::ViewerLatitude => "CloudFront-Viewer-Latitude",
            Self::ViewerLongitude => "CloudFront-Viewer-Longitude",
            Self::ViewerMetroCode => "CloudFront-Viewer-Metro-Code",
            Self::ViewerPostalCode => "CloudFront-Viewer-Postal-Code",
            Self::ViewerTimeZone => "CloudFront-Viewer-Time-Zone",
            Self::ViewerTls => "CloudFront-Viewer-TLS",
            Self::ViewerJa3Fingerprint => "CloudFront-Viewer-JA3-Fingerprint",
            Self::ViewerJa4Fingerprint => "CloudFront-Viewer-JA4-Fingerprint",
            Self::ViewerHeaderOrder => "CloudFront-Viewer-Header-Order",
            Self::ViewerHeaderCount => "CloudFront-Viewer-Header-Count",
        }
    }

    /// The generated header with this name (case-insensitive), if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|h| h.as_str().eq_ignore_ascii_case(name))
    }

    /// The header's value for this viewer, or `None` when Stratus cannot compute it (the
    /// header is then not sent).
    pub fn value(self, viewer: &ViewerRequest<'_>) -> Option<HeaderValue> {
        let flag = |set: bool| Some(HeaderValue::from_static(if set { "true" } else { "false" }));
        let device = || DeviceKind::from_headers(viewer.headers);
        match self {
            Self::ForwardedProto => Some(HeaderValue::from_static(viewer.scheme.as_str())),
            Self::ViewerHttpVersion => {
                Some(HeaderValue::from_static(http_version_str(viewer.version)))
            }
            Self::IsAndroidViewer => flag(device().android),
            Self::IsDesktopViewer => flag(device().desktop),
            Self::IsIosViewer => flag(device().ios),
            Self::IsMobileViewer => flag(device().mobile),
            Self::IsSmartTvViewer => flag(device().smart_tv),
            Self::IsTabletViewer => flag(device().tablet),
            // CloudFront: `198.51.100.10:46532`; IPv6 without brackets. An IPv4 viewer on a
            // dual-stack socket shows as IPv4.
            Self::ViewerAddress => HeaderValue::from_str(&format!(
                "{}:{}",
                viewer.peer.ip().to_canonical(),
                viewer.peer.port()
            ))
            .ok(),
            Self::ViewerCountry => viewer.country.and_then(|c| HeaderValue::from_str(c).ok()),
            Self::ViewerHeaderCount => Some(HeaderValue::from(viewer.headers.len())),
            Self::ViewerAsn
            | Self::ViewerCity
            | Self::ViewerCountryName
            | Self::ViewerCountryRegion
            | Self::ViewerCountryRegionName
            | Self::ViewerLatitude
            | Self::ViewerLongitude
            | Self::ViewerMetroCode
            | Self::ViewerPostalCode
            | Self::ViewerTimeZone
            | Self::ViewerTls
            | Self::ViewerJa3Fingerprint
            | Self::ViewerJa4Fingerprint
            | Self::ViewerHeaderOrder => None,
        }
    }
}

impl fmt::Display for CloudFrontHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the `CloudFront-Is-*-Viewer` headers say about a `User-Agent`.
///
/// CloudFront's classifier is not published; several flags can be true at once ("for some
/// tablet devices, CloudFront might set both CloudFront-Is-Mobile-Viewer and
/// CloudFront-Is-Tablet-Viewer to true"). Stratus's heuristic, case-insensitive substrings:
///
/// - **smart TV**: `smart-tv`, `smarttv`, `googletv`, `appletv`, `hbbtv`, `roku`, `crkey`,
///   `netcast`;
/// - **tablet**: `ipad`, `tablet`, `kindle`, `silk`, `playbook`, or `android` without `mobile`
///   (Android tablets drop the token) on a non-TV;
/// - **mobile**: `mobi`, `iphone`, `ipod`, `windows phone`, `blackberry`, `opera mini` (so an
///   iPad, whose Safari says `Mobile/`, is mobile and tablet);
/// - **desktop**: none of the three — including an empty or missing `User-Agent`;
/// - **Android**: `android`; **iOS**: `iphone`, `ipad` or `ipod`, but not `windows phone`.
///   iPadOS's desktop-class Safari says `Macintosh` and counts as a desktop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceKind {
    /// `CloudFront-Is-Android-Viewer`.
    pub android: bool,
    /// `CloudFront-Is-Desktop-Viewer`.
    pub desktop: bool,
    /// `CloudFront-Is-IOS-Viewer`.
    pub ios: bool,
    /// `CloudFront-Is-Mobile-Viewer`.
    pub mobile: bool,
    /// `CloudFront-Is-SmartTV-Viewer`.
    pub smart_tv: bool,
    /// `CloudFront-Is-Tablet-Viewer`.
    pub tablet: bool,
}

impl DeviceKind {
    /// Classifies a `User-Agent` value.
    pub fn from_user_agent(user_agent: &str) -> Self {
        let ua = user_agent.to_ascii_lowercase();
        let any = |needles: &[&str]| needles.iter().any(|n| ua.contains(n));
        let smart_tv = any(&[
            "smart-tv", "smarttv", "googletv", "appletv", "hbbtv", "roku", "crkey", "netcast",
        ]);
        let android = any(&["android"]);
        let tablet = any(&["ipad", "tablet", "kindle", "silk", "playbook"])
            || (android && !any(&["mobile"]) && !smart_tv);
        let windows_phone = any(&["windows phone"]);
        let mobile = windows_phone || any(&["mobi", "iphone", "ipod", "blackberry", "opera mini"]);
        let ios = !windows_phone && any(&["iphone", "ipad", "ipod"]);
        Self {
            android,
            desktop: !(mobile || tablet || smart_tv),
            ios,
            mobile,
            smart_tv,
            tablet,
        }
    }

    /// Classifies the first `User-Agent` header (none counts as an empty one).
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let ua = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Self::from_user_agent(ua)
    }
}

/// Which viewer headers the two policies forward.
struct HeaderSelection<'p> {
    cache: &'p CachePolicyHeadersConfig,
    orp: Option<&'p OriginRequestPolicyHeadersConfig>,
}

impl HeaderSelection<'_> {
    /// CloudFront: the union of the cache policy's key headers and the ORP's headers.
    fn forwards(&self, name: &HeaderName) -> bool {
        let listed = |list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case(name.as_str()));
        let in_key = self.cache.header_behavior == CachePolicyHeaderBehavior::Whitelist
            && listed(&self.cache.headers);
        in_key
            || self.orp.is_some_and(|orp| match orp.header_behavior {
                OriginRequestPolicyHeaderBehavior::None => false,
                // CloudFront: Authorization cannot be whitelisted in an ORP; it goes only with
                // "all viewer headers" or when the cache policy lists it.
                OriginRequestPolicyHeaderBehavior::Whitelist => {
                    name != header::AUTHORIZATION && listed(&orp.headers)
                }
                OriginRequestPolicyHeaderBehavior::AllViewer
                | OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront => true,
                OriginRequestPolicyHeaderBehavior::AllExcept => !listed(&orp.headers),
            })
    }

    /// The CloudFront-generated headers either policy names, sorted and deduplicated.
    fn generated(&self) -> Vec<CloudFrontHeader> {
        let mut names: Vec<&String> = Vec::new();
        if self.cache.header_behavior == CachePolicyHeaderBehavior::Whitelist {
            names.extend(self.cache.headers.iter());
        }
        if let Some(orp) = self.orp {
            if matches!(
                orp.header_behavior,
                OriginRequestPolicyHeaderBehavior::Whitelist
                    | OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront
            ) {
                names.extend(orp.headers.iter());
            }
        }
        let mut generated: Vec<CloudFrontHeader> = names
            .into_iter()
            .filter_map(|n| CloudFrontHeader::from_name(n))
            .collect();
        generated.sort();
        generated.dedup();
        generated
    }
}

/// Hop-by-hop headers: never forwarded (RFC 9110 §7.6.1, and CloudFront's "removed" rows in
/// spec §7). `Upgrade` comes back for WebSocket. `Expect` is answered by the edge.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

/// What happens to a viewer header before the policies are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disposition {
    /// Hop-by-hop, CloudFront's own namespace, or a header CloudFront writes itself.
    Skip,
    /// Forwarded whatever the policies say.
    Always,
    /// Forwarded when a policy selects it.
    ByPolicy,
}

fn disposition(name: &HeaderName, accept_encoding: AcceptEncoding) -> Disposition {
    let n = name.as_str();
    if HOP_BY_HOP.contains(&n)
        // CloudFront's own namespaces (spec §2: not even allowed as origin custom headers).
        || n.starts_with("x-amz-cf-")
        || n.starts_with("x-edge-")
        // CloudFront: a viewer-sent header of a generated name is overwritten.
        || CloudFrontHeader::from_name(n).is_some()
    {
        return Disposition::Skip;
    }
    match n {
        // Written below from the policies' selections.
        "host" | "user-agent" | "via" | "x-forwarded-for" | "cookie" => Disposition::Skip,
        "accept-encoding" if accept_encoding.is_normalized() => Disposition::Skip,
        // The body always travels (spec §4), so its framing and type do too (without a type
        // a Function URL would base64 a POST body).
        "content-length" | "transfer-encoding" | "content-type" => Disposition::Always,
        // CloudFront forwards conditional and range headers (spec §7's table); for a cache
        // fill pingora has already removed `Range` and the viewer's `If-*`, and for a
        // revalidation it has added its own `If-None-Match` / `If-Modified-Since`.
        "if-match"
        | "if-none-match"
        | "if-modified-since"
        | "if-unmodified-since"
        | "if-range"
        | "range" => Disposition::Always,
        // ⚠ Spec §4: a captured Function URL request whose policies forwarded no viewer
        // headers still carried the browser's cache-control and pragma.
        "cache-control" | "pragma" => Disposition::Always,
        _ => Disposition::ByPolicy,
    }
}

/// Builds the request CloudFront sends to `origin` for `viewer` on a cache miss.
///
/// # Errors
///
/// [`OriginRequestError::InvalidHeaderValue`] when the origin's domain name, the request id or
/// the `Via` host is not a valid header value (validated configuration never is).
pub fn build_origin_request(
    cache_policy: &CachePolicyConfig,
    origin_request_policy: Option<&OriginRequestPolicyConfig>,
    origin: &OriginTarget<'_>,
    viewer: &ViewerRequest<'_>,
    edge: &EdgeIdentity<'_>,
) -> Result<OriginRequest, OriginRequestError> {
    let params = &cache_policy.parameters_in_cache_key_and_forwarded_to_origin;
    let selection = HeaderSelection {
        cache: &params.headers_config,
        orp: origin_request_policy.map(|p| &p.headers_config),
    };
    let accept_encoding = AcceptEncoding::normalize(
        params.enable_accept_encoding_gzip,
        params.enable_accept_encoding_brotli,
        viewer.headers,
        viewer.version,
    );
    let mut out = HeaderMap::new();

    // Viewer headers: the union of both policies' selections.
    for name in viewer.headers.keys() {
        let forward = match disposition(name, accept_encoding) {
            Disposition::Skip => false,
            Disposition::Always => true,
            Disposition::ByPolicy => selection.forwards(name),
        };
        if forward {
            for v in viewer.headers.get_all(name) {
                out.append(name.clone(), v.clone());
            }
        }
    }

    // CloudFront: Upgrade is removed unless WebSocket.
    if let Some(upgrade) = websocket_upgrade(viewer) {
        out.insert(header::UPGRADE, upgrade.clone());
        out.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    }

    // CloudFront: Host is the origin's domain name unless a policy forwards the viewer's.
    let viewer_host = selection
        .forwards(&header::HOST)
        .then(|| viewer.headers.get(header::HOST))
        .flatten();
    let host = match viewer_host {
        Some(h) => h.clone(),
        None => value("origin DomainName", origin.domain_name)?,
    };
    out.insert(header::HOST, host);

    // CloudFront: User-Agent is replaced by "Amazon CloudFront" unless forwarded.
    let user_agent = selection
        .forwards(&header::USER_AGENT)
        .then(|| viewer.headers.get(header::USER_AGENT))
        .flatten()
        .cloned()
        .unwrap_or(HeaderValue::from_static(CLOUDFRONT_USER_AGENT));
    out.insert(header::USER_AGENT, user_agent);

    // CloudFront: the viewer's Via is forwarded and CloudFront appends its own; the viewer's
    // IP is appended to X-Forwarded-For, or starts it.
    let via = appended(
        viewer.headers,
        &header::VIA,
        &via_value(viewer.version, edge.via_host),
    );
    out.insert(header::VIA, value("Via", &via)?);
    let viewer_ip = viewer.peer.ip().to_canonical().to_string();
    let xff = appended(viewer.headers, &X_FORWARDED_FOR, &viewer_ip);
    out.insert(X_FORWARDED_FOR, value("X-Forwarded-For", &xff)?);

    out.insert(X_AMZ_CF_ID, value("request id", edge.request_id)?);

    // CloudFront: with Gzip or Brotli enabled the normalised Accept-Encoding always goes (an
    // ORP listing the header changes nothing); absent stays absent.
    if let Some(ae) = accept_encoding.origin_value() {
        out.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(ae));
    }

    // Cookies: the union of both policies, sorted by name.
    let orp_cookies = origin_request_policy.map(|p| &p.cookies_config);
    let mut cookies: Vec<_> = parse_cookies(viewer.headers)
        .into_iter()
        .filter(|c| {
            cookie_selected(&params.cookies_config, &c.name)
                || orp_cookies.is_some_and(|cfg| cookie_selected(cfg, &c.name))
        })
        .collect();
    sort_cookies(&mut cookies);
    if !cookies.is_empty() {
        out.insert(header::COOKIE, value("Cookie", &join(&cookies, "; "))?);
    }

    // CloudFront-generated headers, only those a policy names.
    for generated in selection.generated() {
        if let (Ok(name), Some(v)) = (
            HeaderName::from_bytes(generated.as_str().as_bytes()),
            generated.value(viewer),
        ) {
            out.insert(name, v);
        }
    }

    // CloudFront: origin custom headers are always added and override viewer values. A name
    // listed twice keeps both values.
    let mut written: Vec<&HeaderName> = Vec::with_capacity(origin.custom_headers.len());
    for (name, v) in origin.custom_headers {
        if written.contains(&name) {
            out.append(name.clone(), v.clone());
        } else {
            out.insert(name.clone(), v.clone());
            written.push(name);
        }
    }

    Ok(OriginRequest {
        path_and_query: origin_path_and_query(cache_policy, origin_request_policy, origin, viewer),
        headers: out,
        viewer_host_forwarded: viewer_host.is_some(),
    })
}

/// The origin's `Vary` as CloudFront passes it to viewers (spec §7, "Vary"): the cache key
/// comes only from the policies, so `Vary` keeps only `Accept-Encoding`, `Cookie`, the headers
/// a policy forwards, `User-Agent` when a device-type header (`CloudFront-Is-*-Viewer`) is
/// forwarded, and `*`; other names are dropped, and a `Vary` left empty is removed. Returns
/// whether the origin said `Vary: *`.
pub fn viewer_vary(
    cache_policy: &CachePolicyConfig,
    origin_request_policy: Option<&OriginRequestPolicyConfig>,
    response: &mut HeaderMap,
) -> bool {
    if !response.contains_key(header::VARY) {
        return false;
    }
    let selection = HeaderSelection {
        cache: &cache_policy
            .parameters_in_cache_key_and_forwarded_to_origin
            .headers_config,
        orp: origin_request_policy.map(|p| &p.headers_config),
    };
    let device_headers = selection.generated().iter().any(|h| {
        matches!(
            h,
            CloudFrontHeader::IsAndroidViewer
                | CloudFrontHeader::IsDesktopViewer
                | CloudFrontHeader::IsIosViewer
                | CloudFrontHeader::IsMobileViewer
                | CloudFrontHeader::IsSmartTvViewer
                | CloudFrontHeader::IsTabletViewer
        )
    });
    let mut star = false;
    let mut kept: Vec<String> = Vec::new();
    for value in response.get_all(header::VARY) {
        let Ok(text) = value.to_str() else { continue };
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let keep = if name == "*" {
                star = true;
                true
            } else if name.eq_ignore_ascii_case("accept-encoding")
                || name.eq_ignore_ascii_case("cookie")
            {
                true
            } else if name.eq_ignore_ascii_case("user-agent") {
                device_headers || selection.forwards(&header::USER_AGENT)
            } else {
                HeaderName::from_bytes(name.as_bytes()).is_ok_and(|n| {
                    selection.forwards(&n)
                        || CloudFrontHeader::from_name(name)
                            .is_some_and(|h| selection.generated().contains(&h))
                })
            };
            if keep && !kept.iter().any(|k| k.eq_ignore_ascii_case(name)) {
                kept.push(name.to_string());
            }
        }
    }
    response.remove(header::VARY);
    if let Ok(v) = HeaderValue::from_str(&kept.join(", ")) {
        if !kept.is_empty() {
            response.insert(header::VARY, v);
        }
    }
    star
}

/// `OriginPath` + path, and the union of both policies' query parameters in request order.
///
/// The forwarded query string is rebuilt from the same parsed parameters the cache key holds
/// (empty `&&` segments dropped), so the origin sees exactly what the key distinguishes.
fn origin_path_and_query(
    cache_policy: &CachePolicyConfig,
    origin_request_policy: Option<&OriginRequestPolicyConfig>,
    origin: &OriginTarget<'_>,
    viewer: &ViewerRequest<'_>,
) -> String {
    let cache_qs = &cache_policy
        .parameters_in_cache_key_and_forwarded_to_origin
        .query_strings_config;
    let orp_qs = origin_request_policy.map(|p| &p.query_strings_config);
    let path = if viewer.path.is_empty() {
        "/"
    } else {
        viewer.path
    };
    // CloudFront: `/production` + `/a/b.html` → `/production/a/b.html`.
    let mut out = String::with_capacity(
        origin.origin_path.len() + path.len() + viewer.query.map_or(0, |q| q.len() + 1),
    );
    out.push_str(origin.origin_path);
    out.push_str(path);
    let mut first = true;
    for (name, v) in query_params(viewer.query) {
        if !(query_selected(cache_qs, name) || orp_qs.is_some_and(|q| query_selected(q, name))) {
            continue;
        }
        out.push(if first { '?' } else { '&' });
        first = false;
        out.push_str(name);
        if let Some(v) = v {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

/// The viewer's `Upgrade` value on a WebSocket handshake (GET with `Upgrade: websocket`).
fn websocket_upgrade<'a>(viewer: &ViewerRequest<'a>) -> Option<&'a HeaderValue> {
    if viewer.method != Method::GET {
        return None;
    }
    viewer.headers.get(header::UPGRADE).filter(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"websocket"))
    })
}

/// The viewer's lines of `name`, comma-joined, then `last`. Lines that are not text are dropped.
fn appended(headers: &HeaderMap, name: &HeaderName, last: &str) -> String {
    let mut out = String::new();
    for line in headers.get_all(name) {
        if let Ok(s) = line.to_str() {
            let s = s.trim();
            if !s.is_empty() {
                out.push_str(s);
                out.push_str(", ");
            }
        }
    }
    out.push_str(last);
    out
}

fn value(field: &'static str, v: &str) -> Result<HeaderValue, OriginRequestError> {
    HeaderValue::from_str(v).map_err(|_| OriginRequestError::InvalidHeaderValue {
        field,
        value: v.to_owned(),
    })
}
