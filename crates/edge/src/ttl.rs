//! How long CloudFront keeps an origin response: the TTL decision.
//!
//! One pure function, [`freshness`], takes the cache behavior's MinTTL / DefaultTTL / MaxTTL, the
//! origin response's status, `Cache-Control`, `Expires` and `Date`, and "now", and answers either
//! "do not store" with a [`NotCacheableReason`], or "fresh for N seconds" with the [`TtlRule`]
//! that decided N. The rules, with the spec section each comes from:
//!
//! **Ordinary responses** (spec §4, "TTL computation"; CloudFront Developer Guide, "Manage how
//! long content stays in the cache (expiration)"). Freshness source: `s-maxage` > `max-age` >
//! `Expires`.
//!
//! | Origin response                        | MinTTL = 0                | MinTTL > 0                     |
//! |----------------------------------------|---------------------------|--------------------------------|
//! | `s-maxage=S` (with/without `max-age`)  | min(S, MaxTTL)            | clamp(S, MinTTL, MaxTTL)       |
//! | `max-age=M` only                       | min(M, MaxTTL)            | clamp(M, MinTTL, MaxTTL)       |
//! | `Expires: T` only                      | min(T − Date, MaxTTL)     | clamp(T − Date, MinTTL, MaxTTL)|
//! | none of the above                      | DefaultTTL                | max(MinTTL, DefaultTTL)        |
//! | `no-cache`, `no-store` and/or `private`| not cached                | MinTTL                         |
//!
//! MaxTTL applies only when the origin sent a freshness header, DefaultTTL only when it sent none.
//! A resulting TTL of 0 means "not cached" ([`NotCacheableReason::ZeroTtl`]).
//!
//! **Which statuses** (spec §7, "Caching of errors"; Developer Guide, "How CloudFront processes
//! HTTP 3xx / 4xx and 5xx status codes"): see [`StatusClass`].
//!
//! **Errors** (spec §7): 404, 414, 500, 501, 502, 503, 504 are always cached; 400, 403, 405, 412,
//! 415 only when the origin sent `max-age` or `s-maxage`. Either way for the greater of the error
//! caching minimum TTL (a `CustomErrorResponse`'s `ErrorCachingMinTTL`, default 10 s) and the
//! origin's `s-maxage` / `max-age` / `Expires` lifetime capped at MaxTTL. `no-cache`, `no-store`
//! and `private` do not stop error caching, and MinTTL does not apply.
//!
//! **Stale serving** (spec §4, "Stale-serving"): `stale-while-revalidate` and `stale-if-error`
//! are handed through in seconds, unclamped, for the edge to apply past the TTL.

use std::time::SystemTime;

use http::StatusCode;

use crate::cache_control::CacheControl;

/// CloudFront: errors are cached for 10 seconds unless a `CustomErrorResponse` sets
/// `ErrorCachingMinTTL` for the status code.
pub const DEFAULT_ERROR_CACHING_MIN_TTL: u64 = 10;

/// A cache behavior's TTL settings, in seconds (cache policy, or legacy `MinTTL`/`DefaultTTL`/
/// `MaxTTL`). Expected to satisfy Min ≤ Default ≤ Max (the model validates it); [`freshness`]
/// never panics when it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlSettings {
    /// `MinTTL`.
    pub min_ttl: u64,
    /// `DefaultTTL`.
    pub default_ttl: u64,
    /// `MaxTTL`.
    pub max_ttl: u64,
}

impl TtlSettings {
    /// Builds the settings from MinTTL, DefaultTTL and MaxTTL.
    pub const fn new(min_ttl: u64, default_ttl: u64, max_ttl: u64) -> Self {
        Self {
            min_ttl,
            default_ttl,
            max_ttl,
        }
    }
}

impl Default for TtlSettings {
    /// Default: the legacy cache settings' 0 / 86400 / 31536000.
    fn default() -> Self {
        Self::new(0, 86_400, 31_536_000)
    }
}

/// What [`freshness`] needs to know about the origin's response.
#[derive(Debug, Clone, Copy)]
pub struct OriginResponse<'a> {
    /// The origin's status code.
    pub status: StatusCode,
    /// The parsed `Cache-Control` header lines.
    pub cache_control: &'a CacheControl,
    /// The `Expires` header, if any.
    pub expires: Option<&'a str>,
    /// The `Date` header, if any.
    pub date: Option<&'a str>,
}

/// How CloudFront treats a status code when deciding whether to cache it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// 200, 203, 204, 206, and 3xx other than 304, 307, 308: the TTL table applies.
    Ordinary,
    /// 307, 308: the TTL table applies, but only when the origin sent `Cache-Control`.
    OrdinaryWithCacheControl,
    /// 404, 414, 500, 501, 502, 503, 504: always cached, for the error caching TTL.
    ErrorAlways,
    /// 400, 403, 405, 412, 415: cached for the error caching TTL only when the origin sent
    /// `max-age` or `s-maxage`.
    ErrorWithMaxAge,
    /// Everything else (1xx, other 2xx, 304, 416, other 4xx/5xx): never stored.
    Never,
}

impl StatusClass {
    /// Stable name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusClass::Ordinary => "Ordinary",
            StatusClass::OrdinaryWithCacheControl => "OrdinaryWithCacheControl",
            StatusClass::ErrorAlways => "ErrorAlways",
            StatusClass::ErrorWithMaxAge => "ErrorWithMaxAge",
            StatusClass::Never => "Never",
        }
    }
}

/// Sorts a status code into its [`StatusClass`].
pub fn classify_status(status: StatusCode) -> StatusClass {
    match status.as_u16() {
        // 2xx: AWS lists none; these are the 2xx codes RFC 9110 §15.1 calls heuristically
        // cacheable. 201/202/205/207… are not stored (⚠ assumption).
        200 | 203 | 204 | 206 => StatusClass::Ordinary,
        // CloudFront: a 304 answers a revalidation and refreshes the stored copy (spec §7,
        // "Revalidation"); it is never stored as an object of its own.
        304 => StatusClass::Never,
        // CloudFront caches 307 and 308 responses only when the origin sent Cache-Control.
        307 | 308 => StatusClass::OrdinaryWithCacheControl,
        // CloudFront: 3xx are ordinary cacheable responses; a redirect is cached, never followed.
        300..=399 => StatusClass::Ordinary,
        // CloudFront always caches these (for the error caching TTL).
        404 | 414 | 500..=504 => StatusClass::ErrorAlways,
        // CloudFront caches these only if the origin sent max-age or s-maxage.
        400 | 403 | 405 | 412 | 415 => StatusClass::ErrorWithMaxAge,
        // 416 is documented as never cached; other codes are in neither list (⚠ assumed not
        // cached, spec §7).
        _ => StatusClass::Never,
    }
}

/// Which rule decided a cacheable response's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlRule {
    /// The origin's `s-maxage`, within MinTTL..=MaxTTL.
    SMaxAge,
    /// The origin's `max-age`, within MinTTL..=MaxTTL.
    MaxAge,
    /// The origin's `Expires`, within MinTTL..=MaxTTL.
    Expires,
    /// No freshness header: the policy's DefaultTTL.
    DefaultTtl,
    /// The origin asked for less than MinTTL (or DefaultTTL < MinTTL): MinTTL.
    MinTtlFloor,
    /// The origin asked for more than MaxTTL: MaxTTL.
    MaxTtlCeiling,
    /// `no-cache` / `no-store` / `private` with MinTTL > 0: cached for MinTTL anyway.
    MinTtlForUncacheable,
    /// An error response cached for the error caching minimum TTL.
    ErrorCachingMinTtl,
}

impl TtlRule {
    /// Stable name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            TtlRule::SMaxAge => "SMaxAge",
            TtlRule::MaxAge => "MaxAge",
            TtlRule::Expires => "Expires",
            TtlRule::DefaultTtl => "DefaultTtl",
            TtlRule::MinTtlFloor => "MinTtlFloor",
            TtlRule::MaxTtlCeiling => "MaxTtlCeiling",
            TtlRule::MinTtlForUncacheable => "MinTtlForUncacheable",
            TtlRule::ErrorCachingMinTtl => "ErrorCachingMinTtl",
        }
    }
}

/// Why a response is not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCacheableReason {
    /// `Cache-Control: no-store` with MinTTL = 0.
    NoStore,
    /// `Cache-Control: private` with MinTTL = 0.
    Private,
    /// `Cache-Control: no-cache` with MinTTL = 0.
    NoCache,
    /// The rules came to a TTL of 0 seconds.
    ZeroTtl,
    /// The status code is never cached.
    StatusNotCacheable,
    /// 400, 403, 405, 412 or 415 without `max-age` or `s-maxage`.
    ErrorWithoutMaxAge,
    /// 307 or 308 without a `Cache-Control` header.
    RedirectWithoutCacheControl,
    /// `Vary: *` with MinTTL = 0: every request goes to the origin.
    VaryStar,
}

impl NotCacheableReason {
    /// Stable name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            NotCacheableReason::NoStore => "NoStore",
            NotCacheableReason::Private => "Private",
            NotCacheableReason::NoCache => "NoCache",
            NotCacheableReason::ZeroTtl => "ZeroTtl",
            NotCacheableReason::StatusNotCacheable => "StatusNotCacheable",
            NotCacheableReason::ErrorWithoutMaxAge => "ErrorWithoutMaxAge",
            NotCacheableReason::RedirectWithoutCacheControl => "RedirectWithoutCacheControl",
            NotCacheableReason::VaryStar => "VaryStar",
        }
    }
}

/// A storable response's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cacheable {
    /// Seconds the stored copy is fresh, from the moment it is stored. Always > 0.
    pub ttl: u64,
    /// The rule that decided `ttl`.
    pub rule: TtlRule,
    /// The origin's `stale-while-revalidate`, in seconds past `ttl`: serve the expired copy at
    /// once while refreshing it in the background.
    pub stale_while_revalidate: Option<u64>,
    /// The origin's `stale-if-error`, in seconds past `ttl`: serve the expired copy when the
    /// origin errors or is unreachable. `None` leaves CloudFront's default (the expired copy is
    /// served on a 5xx for the error caching minimum TTL); `Some(0)` turns stale serving off.
    pub stale_if_error: Option<u64>,
}

/// The TTL decision for one origin response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Do not store the response.
    NotCacheable(NotCacheableReason),
    /// Store the response.
    Cacheable(Cacheable),
}

impl Freshness {
    /// The TTL in seconds, if the response is stored.
    pub fn ttl(&self) -> Option<u64> {
        match self {
            Freshness::Cacheable(c) => Some(c.ttl),
            Freshness::NotCacheable(_) => None,
        }
    }

    /// The deciding rule or the reason, for logs and debug headers.
    pub fn as_str(&self) -> &'static str {
        match self {
            Freshness::Cacheable(c) => c.rule.as_str(),
            Freshness::NotCacheable(r) => r.as_str(),
        }
    }
}

/// Decides whether and for how long CloudFront stores an origin response.
///
/// `error_caching_min_ttl` is the `ErrorCachingMinTTL` of a `CustomErrorResponse` for this status
/// code, if the distribution has one; otherwise 10 s applies. `now` is used only for `Expires`
/// when the response has no valid `Date`.
///
/// The method is the caller's concern (only GET and HEAD, and OPTIONS when cached, are stored).
/// For a `304` refresh, call this with the stored object's status and the headers of the 304
/// merged over the stored ones.
pub fn freshness(
    settings: TtlSettings,
    response: &OriginResponse<'_>,
    now: SystemTime,
    error_caching_min_ttl: Option<u64>,
) -> Freshness {
    let cc = response.cache_control;
    match classify_status(response.status) {
        StatusClass::Never => Freshness::NotCacheable(NotCacheableReason::StatusNotCacheable),
        StatusClass::OrdinaryWithCacheControl if !cc.present => {
            Freshness::NotCacheable(NotCacheableReason::RedirectWithoutCacheControl)
        }
        StatusClass::Ordinary | StatusClass::OrdinaryWithCacheControl => {
            ordinary(settings, response, now)
        }
        StatusClass::ErrorWithMaxAge if !cc.has_max_age() => {
            Freshness::NotCacheable(NotCacheableReason::ErrorWithoutMaxAge)
        }
        StatusClass::ErrorAlways | StatusClass::ErrorWithMaxAge => error(
            settings,
            response,
            now,
            error_caching_min_ttl.unwrap_or(DEFAULT_ERROR_CACHING_MIN_TTL),
        ),
    }
}

/// The spec §4 table.
fn ordinary(settings: TtlSettings, response: &OriginResponse<'_>, now: SystemTime) -> Freshness {
    let cc = response.cache_control;

    if let Some(reason) = uncacheable_directive(cc) {
        // CloudFront: with MinTTL = 0, no-cache / no-store / private are honored; with
        // MinTTL > 0 the object is cached for MinTTL anyway.
        return if settings.min_ttl == 0 {
            Freshness::NotCacheable(reason)
        } else {
            cacheable(settings.min_ttl, TtlRule::MinTtlForUncacheable, cc)
        };
    }

    let (ttl, rule) = match origin_lifetime(response, now) {
        Some((secs, rule)) => {
            // CloudFront: MaxTTL applies only when the origin sent a freshness header.
            let (ttl, rule) = if secs > settings.max_ttl {
                (settings.max_ttl, TtlRule::MaxTtlCeiling)
            } else {
                (secs, rule)
            };
            // CloudFront: MinTTL wins over max-age (s-maxage, Expires) when larger. Applied
            // after the ceiling, so MinTTL also wins if a bad policy has MinTTL > MaxTTL.
            if ttl < settings.min_ttl {
                (settings.min_ttl, TtlRule::MinTtlFloor)
            } else {
                (ttl, rule)
            }
        }
        // CloudFront: DefaultTTL applies only when the origin sent no freshness header, and is
        // raised to MinTTL: max(MinTTL, DefaultTTL). MaxTTL does not cap it.
        None if settings.default_ttl < settings.min_ttl => (settings.min_ttl, TtlRule::MinTtlFloor),
        None => (settings.default_ttl, TtlRule::DefaultTtl),
    };
    cacheable(ttl, rule, cc)
}

/// Spec §7, "Caching of errors".
fn error(
    settings: TtlSettings,
    response: &OriginResponse<'_>,
    now: SystemTime,
    error_caching_min_ttl: u64,
) -> Freshness {
    // CloudFront: the origin's max-age / s-maxage (and Expires) cannot exceed the behavior's
    // MaxTTL; the error is cached for the greater of that and the error caching minimum TTL.
    // Other Cache-Control directives (no-store included) leave the error caching minimum TTL.
    let from_origin = origin_lifetime(response, now).map(|(secs, rule)| {
        if secs > settings.max_ttl {
            (settings.max_ttl, TtlRule::MaxTtlCeiling)
        } else {
            (secs, rule)
        }
    });
    let (ttl, rule) = match from_origin {
        Some((secs, rule)) if secs > error_caching_min_ttl => (secs, rule),
        _ => (error_caching_min_ttl, TtlRule::ErrorCachingMinTtl),
    };
    cacheable(ttl, rule, response.cache_control)
}

fn cacheable(ttl: u64, rule: TtlRule, cc: &CacheControl) -> Freshness {
    if ttl == 0 {
        return Freshness::NotCacheable(NotCacheableReason::ZeroTtl);
    }
    Freshness::Cacheable(Cacheable {
        ttl,
        rule,
        stale_while_revalidate: cc.stale_while_revalidate,
        stale_if_error: cc.stale_if_error,
    })
}

/// The strongest of `no-store`, `private`, `no-cache`. With field names (`private="Set-Cookie"`)
/// they count as the bare directive: storing a response the origin marked even partly private
/// is the worse mistake.
fn uncacheable_directive(cc: &CacheControl) -> Option<NotCacheableReason> {
    if cc.no_store {
        Some(NotCacheableReason::NoStore)
    } else if cc.private.is_some() {
        Some(NotCacheableReason::Private)
    } else if cc.no_cache.is_some() {
        Some(NotCacheableReason::NoCache)
    } else {
        None
    }
}

/// The origin's own lifetime for the response. CloudFront: `s-maxage` > `max-age` > `Expires`;
/// when `max-age` (or `s-maxage`) is present, `Expires` is ignored.
fn origin_lifetime(response: &OriginResponse<'_>, now: SystemTime) -> Option<(u64, TtlRule)> {
    let cc = response.cache_control;
    if let Some(s) = cc.s_maxage {
        return Some((s, TtlRule::SMaxAge));
    }
    if let Some(m) = cc.max_age {
        return Some((m, TtlRule::MaxAge));
    }
    response.expires.map(|expires| {
        (
            expires_lifetime(expires, response.date, now),
            TtlRule::Expires,
        )
    })
}

/// Seconds from the response's `Date` (or `now`, without a valid one) to `Expires`; 0 when that
/// is in the past. Measuring from the origin's own `Date` keeps clock skew between origin and
/// edge out of the TTL (RFC 9111 §4.2.1). An `Expires` that is not an HTTP date (`0`, `-1`)
/// means "already expired" (RFC 9111 §5.3).
fn expires_lifetime(expires: &str, date: Option<&str>, now: SystemTime) -> u64 {
    let Ok(expires_at) = httpdate::parse_http_date(expires.trim()) else {
        return 0;
    };
    let base = date
        .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
        .unwrap_or(now);
    expires_at
        .duration_since(base)
        .map_or(0, |lifetime| lifetime.as_secs())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    const MAX: u64 = 31_536_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn at(offset: i64) -> String {
        let t = if offset >= 0 {
            now() + Duration::from_secs(offset.unsigned_abs())
        } else {
            now() - Duration::from_secs(offset.unsigned_abs())
        };
        httpdate::fmt_http_date(t)
    }

    /// Freshness of a response with the given status, Cache-Control value and Expires.
    fn decide(
        settings: TtlSettings,
        status: u16,
        cache_control: Option<&str>,
        expires: Option<&str>,
        ecmt: Option<u64>,
    ) -> Freshness {
        let cc = CacheControl::parse(cache_control);
        let date = at(0);
        let response = OriginResponse {
            status: StatusCode::from_u16(status).unwrap(),
            cache_control: &cc,
            expires,
            date: Some(&date),
        };
        freshness(settings, &response, now(), ecmt)
    }

    fn ok(settings: TtlSettings, cache_control: Option<&str>, expires: Option<&str>) -> Freshness {
        decide(settings, 200, cache_control, expires, None)
    }

    fn fresh(ttl: u64, rule: TtlRule) -> Freshness {
        Freshness::Cacheable(Cacheable {
            ttl,
            rule,
            stale_while_revalidate: None,
            stale_if_error: None,
        })
    }

    fn not(reason: NotCacheableReason) -> Freshness {
        Freshness::NotCacheable(reason)
    }

    fn s(min: u64, default: u64, max: u64) -> TtlSettings {
        TtlSettings::new(min, default, max)
    }

    // ---- §4 table, row "s-maxage=S (with/without max-age)" ----

    #[test]
    fn s_maxage_min_ttl_0_is_min_of_s_maxage_and_max_ttl() {
        let p = s(0, 86_400, 1_000);
        assert_eq!(
            ok(p, Some("s-maxage=600"), None),
            fresh(600, TtlRule::SMaxAge)
        );
        assert_eq!(
            ok(p, Some("s-maxage=600, max-age=5"), None),
            fresh(600, TtlRule::SMaxAge)
        );
        assert_eq!(
            ok(p, Some("s-maxage=5000"), None),
            fresh(1_000, TtlRule::MaxTtlCeiling)
        );
        assert_eq!(
            ok(p, Some("s-maxage=1000"), None),
            fresh(1_000, TtlRule::SMaxAge)
        );
    }

    #[test]
    fn s_maxage_min_ttl_positive_is_clamped_to_min_and_max_ttl() {
        let p = s(100, 86_400, 1_000);
        assert_eq!(
            ok(p, Some("s-maxage=10"), None),
            fresh(100, TtlRule::MinTtlFloor)
        );
        assert_eq!(
            ok(p, Some("s-maxage=0"), None),
            fresh(100, TtlRule::MinTtlFloor)
        );
        assert_eq!(
            ok(p, Some("s-maxage=100"), None),
            fresh(100, TtlRule::SMaxAge)
        );
        assert_eq!(
            ok(p, Some("s-maxage=500"), None),
            fresh(500, TtlRule::SMaxAge)
        );
        assert_eq!(
            ok(p, Some("s-maxage=5000, max-age=1"), None),
            fresh(1_000, TtlRule::MaxTtlCeiling)
        );
    }

    #[test]
    fn s_maxage_wins_over_max_age_and_expires() {
        let exp = at(50);
        let p = s(0, 86_400, MAX);
        assert_eq!(
            ok(p, Some("max-age=10, s-maxage=20"), Some(&exp)),
            fresh(20, TtlRule::SMaxAge)
        );
        // s-maxage=0 is an explicit "stale at once" for CloudFront, whatever max-age says.
        assert_eq!(
            ok(p, Some("max-age=3600, s-maxage=0"), None),
            not(NotCacheableReason::ZeroTtl)
        );
    }

    // ---- row "max-age=M only" ----

    #[test]
    fn max_age_min_ttl_0_is_min_of_max_age_and_max_ttl() {
        let p = s(0, 86_400, 1_000);
        assert_eq!(ok(p, Some("max-age=60"), None), fresh(60, TtlRule::MaxAge));
        assert_eq!(
            ok(p, Some("max-age=3155760000"), None),
            fresh(1_000, TtlRule::MaxTtlCeiling)
        );
        assert_eq!(
            ok(p, Some("max-age=0"), None),
            not(NotCacheableReason::ZeroTtl)
        );
    }

    #[test]
    fn max_age_min_ttl_positive_is_clamped_to_min_and_max_ttl() {
        let p = s(60, 86_400, 1_000);
        // CloudFront: MinTTL wins over max-age when larger.
        assert_eq!(
            ok(p, Some("max-age=0"), None),
            fresh(60, TtlRule::MinTtlFloor)
        );
        assert_eq!(
            ok(p, Some("max-age=59"), None),
            fresh(60, TtlRule::MinTtlFloor)
        );
        assert_eq!(ok(p, Some("max-age=61"), None), fresh(61, TtlRule::MaxAge));
        assert_eq!(
            ok(p, Some("max-age=1001"), None),
            fresh(1_000, TtlRule::MaxTtlCeiling)
        );
    }

    // ---- row "Expires: T only" ----

    #[test]
    fn expires_min_ttl_0_is_until_expires_or_max_ttl_whichever_is_sooner() {
        let p = s(0, 86_400, 1_000);
        assert_eq!(ok(p, None, Some(&at(300))), fresh(300, TtlRule::Expires));
        assert_eq!(
            ok(p, None, Some(&at(5_000))),
            fresh(1_000, TtlRule::MaxTtlCeiling)
        );
        assert_eq!(
            ok(p, None, Some(&at(-300))),
            not(NotCacheableReason::ZeroTtl)
        );
        assert_eq!(ok(p, None, Some(&at(0))), not(NotCacheableReason::ZeroTtl));
    }

    #[test]
    fn expires_min_ttl_positive_is_clamped_to_min_and_max_ttl() {
        let p = s(100, 86_400, 1_000);
        assert_eq!(ok(p, None, Some(&at(10))), fresh(100, TtlRule::MinTtlFloor));
        assert_eq!(
            ok(p, None, Some(&at(-10))),
            fresh(100, TtlRule::MinTtlFloor)
        );
        assert_eq!(ok(p, None, Some(&at(500))), fresh(500, TtlRule::Expires));
        assert_eq!(
            ok(p, None, Some(&at(5_000))),
            fresh(1_000, TtlRule::MaxTtlCeiling)
        );
    }

    #[test]
    fn max_age_and_expires_means_expires_is_ignored() {
        let p = s(0, 86_400, MAX);
        assert_eq!(
            ok(p, Some("max-age=60"), Some(&at(9_999))),
            fresh(60, TtlRule::MaxAge)
        );
        assert_eq!(
            ok(p, Some("max-age=60"), Some("0")),
            fresh(60, TtlRule::MaxAge)
        );
    }

    #[test]
    fn expires_is_measured_from_the_origin_date() {
        // The origin's clock runs 1000 s behind the edge's: Date and Expires agree on 300 s.
        let cc = CacheControl::default();
        let date = at(-1_000);
        let expires = at(-700);
        let response = OriginResponse {
            status: StatusCode::OK,
            cache_control: &cc,
            expires: Some(&expires),
            date: Some(&date),
        };
        assert_eq!(
            freshness(s(0, 86_400, MAX), &response, now(), None),
            fresh(300, TtlRule::Expires)
        );
    }

    #[test]
    fn expires_without_a_valid_date_is_measured_from_now() {
        let cc = CacheControl::default();
        let expires = at(300);
        for date in [None, Some("yesterday")] {
            let response = OriginResponse {
                status: StatusCode::OK,
                cache_control: &cc,
                expires: Some(&expires),
                date,
            };
            assert_eq!(
                freshness(s(0, 86_400, MAX), &response, now(), None),
                fresh(300, TtlRule::Expires)
            );
        }
    }

    #[test]
    fn invalid_expires_means_already_expired() {
        // RFC 9111 §5.3: `Expires: 0` and other non-dates are in the past. It is still a
        // freshness header, so DefaultTTL does not apply.
        for bad in ["0", "-1", "never", ""] {
            assert_eq!(
                ok(s(0, 86_400, MAX), None, Some(bad)),
                not(NotCacheableReason::ZeroTtl),
                "{bad}"
            );
            assert_eq!(
                ok(s(5, 86_400, MAX), None, Some(bad)),
                fresh(5, TtlRule::MinTtlFloor),
                "{bad}"
            );
        }
    }

    #[test]
    fn expires_accepts_all_three_http_date_formats() {
        let p = s(0, 86_400, MAX);
        let cc = CacheControl::default();
        // 1_700_000_000 = Tue, 14 Nov 2023 22:13:20 GMT; Expires 100 s later.
        for expires in [
            "Tue, 14 Nov 2023 22:15:00 GMT",
            "Tuesday, 14-Nov-23 22:15:00 GMT",
            "Tue Nov 14 22:15:00 2023",
        ] {
            let response = OriginResponse {
                status: StatusCode::OK,
                cache_control: &cc,
                expires: Some(expires),
                date: None,
            };
            assert_eq!(
                freshness(p, &response, now(), None),
                fresh(100, TtlRule::Expires),
                "{expires}"
            );
        }
    }

    // ---- row "none of the above" ----

    #[test]
    fn no_freshness_header_min_ttl_0_is_default_ttl() {
        assert_eq!(
            ok(s(0, 86_400, MAX), None, None),
            fresh(86_400, TtlRule::DefaultTtl)
        );
        assert_eq!(
            ok(s(0, 86_400, MAX), Some("public"), None),
            fresh(86_400, TtlRule::DefaultTtl)
        );
        // UseOriginCacheControlHeaders: DefaultTTL 0, so no header means not cached.
        assert_eq!(
            ok(s(0, 0, MAX), None, None),
            not(NotCacheableReason::ZeroTtl)
        );
    }

    #[test]
    fn no_freshness_header_min_ttl_positive_is_max_of_min_and_default_ttl() {
        // CachingOptimized: 1 / 86400 / 31536000.
        assert_eq!(
            ok(s(1, 86_400, MAX), None, None),
            fresh(86_400, TtlRule::DefaultTtl)
        );
        // Amplify: 2 / 2 / 600.
        assert_eq!(ok(s(2, 2, 600), None, None), fresh(2, TtlRule::DefaultTtl));
        // Min > Default cannot pass validation, but the table still says max(Min, Default).
        assert_eq!(
            ok(s(50, 10, MAX), None, None),
            fresh(50, TtlRule::MinTtlFloor)
        );
    }

    #[test]
    fn malformed_max_age_counts_as_no_freshness_header() {
        assert_eq!(
            ok(s(0, 86_400, MAX), Some("max-age=soon"), None),
            fresh(86_400, TtlRule::DefaultTtl)
        );
    }

    // ---- row "no-cache, no-store and/or private" ----

    #[test]
    fn no_cache_no_store_private_min_ttl_0_are_honored() {
        let p = s(0, 86_400, MAX);
        assert_eq!(
            ok(p, Some("no-store"), None),
            not(NotCacheableReason::NoStore)
        );
        assert_eq!(
            ok(p, Some("private"), None),
            not(NotCacheableReason::Private)
        );
        assert_eq!(
            ok(p, Some("no-cache"), None),
            not(NotCacheableReason::NoCache)
        );
        assert_eq!(
            ok(p, Some("no-cache, no-store, private"), None),
            not(NotCacheableReason::NoStore)
        );
        assert_eq!(
            ok(p, Some("no-cache, private"), None),
            not(NotCacheableReason::Private)
        );
        // With field names they count as the bare directive.
        assert_eq!(
            ok(p, Some("private=\"Set-Cookie\", max-age=60"), None),
            not(NotCacheableReason::Private)
        );
        assert_eq!(
            ok(p, Some("no-cache=\"Set-Cookie\", max-age=60"), None),
            not(NotCacheableReason::NoCache)
        );
    }

    #[test]
    fn no_cache_no_store_private_min_ttl_positive_are_cached_for_min_ttl() {
        let p = s(30, 86_400, MAX);
        for cc in [
            "no-store",
            "private",
            "no-cache",
            "no-cache, no-store, private",
        ] {
            assert_eq!(
                ok(p, Some(cc), None),
                fresh(30, TtlRule::MinTtlForUncacheable),
                "{cc}"
            );
        }
    }

    #[test]
    fn uncacheable_directives_win_over_freshness_headers() {
        let exp = at(600);
        assert_eq!(
            ok(s(0, 86_400, MAX), Some("s-maxage=600, no-store"), None),
            not(NotCacheableReason::NoStore)
        );
        assert_eq!(
            ok(s(0, 86_400, MAX), Some("no-cache"), Some(&exp)),
            not(NotCacheableReason::NoCache)
        );
        assert_eq!(
            ok(s(5, 86_400, MAX), Some("max-age=600, private"), None),
            fresh(5, TtlRule::MinTtlForUncacheable)
        );
    }

    // ---- "MaxTTL only when the origin sent a freshness header; DefaultTTL only when none" ----

    #[test]
    fn max_ttl_applies_only_when_the_origin_sent_a_freshness_header() {
        // Default > Max cannot pass validation; it shows MaxTTL is not applied to DefaultTTL.
        assert_eq!(
            ok(s(0, 500, 100), None, None),
            fresh(500, TtlRule::DefaultTtl)
        );
        assert_eq!(
            ok(s(0, 500, 100), Some("max-age=500"), None),
            fresh(100, TtlRule::MaxTtlCeiling)
        );
    }

    #[test]
    fn default_ttl_applies_only_when_the_origin_sent_no_freshness_header() {
        let p = s(0, 86_400, MAX);
        assert_eq!(ok(p, Some("max-age=5"), None), fresh(5, TtlRule::MaxAge));
        assert_eq!(ok(p, Some("s-maxage=5"), None), fresh(5, TtlRule::SMaxAge));
        assert_eq!(ok(p, None, Some(&at(5))), fresh(5, TtlRule::Expires));
    }

    #[test]
    fn caching_disabled_policy_stores_nothing() {
        // CachingDisabled: 0 / 0 / 0.
        let p = s(0, 0, 0);
        for cc in [
            None,
            Some("max-age=3600"),
            Some("s-maxage=60"),
            Some("public"),
        ] {
            assert_eq!(ok(p, cc, None), not(NotCacheableReason::ZeroTtl), "{cc:?}");
        }
        assert_eq!(ok(p, None, Some(&at(60))), not(NotCacheableReason::ZeroTtl));
    }

    #[test]
    fn min_ttl_above_max_ttl_does_not_panic_and_min_ttl_wins() {
        let p = s(100, 100, 10);
        assert_eq!(
            ok(p, Some("max-age=50"), None),
            fresh(100, TtlRule::MinTtlFloor)
        );
        assert_eq!(
            ok(p, Some("max-age=5000"), None),
            fresh(100, TtlRule::MinTtlFloor)
        );
    }

    // ---- Stale serving ----

    #[test]
    fn stale_directives_are_handed_through_in_seconds() {
        let f = ok(
            s(0, 86_400, 100),
            Some("max-age=600, stale-while-revalidate=30, stale-if-error=86400"),
            None,
        );
        assert_eq!(
            f,
            Freshness::Cacheable(Cacheable {
                ttl: 100,
                rule: TtlRule::MaxTtlCeiling,
                stale_while_revalidate: Some(30),
                stale_if_error: Some(86_400),
            })
        );
    }

    #[test]
    fn stale_if_error_0_is_kept_for_objects_cached_despite_no_cache() {
        // CloudFront: `stale-if-error=0` stops the old copy of a MinTTL-cached no-cache object
        // being served when the origin is unreachable; the edge needs to see the 0.
        let f = ok(s(10, 86_400, MAX), Some("no-cache, stale-if-error=0"), None);
        assert_eq!(
            f,
            Freshness::Cacheable(Cacheable {
                ttl: 10,
                rule: TtlRule::MinTtlForUncacheable,
                stale_while_revalidate: None,
                stale_if_error: Some(0),
            })
        );
    }

    // ---- Statuses (spec §7) ----

    #[test]
    fn cacheable_2xx_statuses_follow_the_table() {
        for status in [200, 203, 204, 206] {
            assert_eq!(
                decide(s(0, 86_400, MAX), status, Some("max-age=60"), None, None),
                fresh(60, TtlRule::MaxAge),
                "{status}"
            );
        }
        for status in [100, 101, 201, 202, 205, 207, 226] {
            assert_eq!(
                decide(s(0, 86_400, MAX), status, Some("max-age=60"), None, None),
                not(NotCacheableReason::StatusNotCacheable),
                "{status}"
            );
        }
    }

    #[test]
    fn redirects_are_ordinary_cacheable_responses() {
        // CloudFront caches a 3xx like any object (and never follows it).
        for status in [300, 301, 302, 303] {
            assert_eq!(
                decide(s(0, 86_400, MAX), status, None, None, None),
                fresh(86_400, TtlRule::DefaultTtl),
                "{status}"
            );
            assert_eq!(
                decide(s(0, 86_400, MAX), status, Some("no-store"), None, None),
                not(NotCacheableReason::NoStore),
                "{status}"
            );
        }
    }

    #[test]
    fn redirects_307_and_308_are_cached_only_with_cache_control() {
        for status in [307, 308] {
            assert_eq!(
                decide(s(0, 86_400, MAX), status, None, None, None),
                not(NotCacheableReason::RedirectWithoutCacheControl)
            );
            assert_eq!(
                decide(s(0, 86_400, MAX), status, None, Some(&at(60)), None),
                not(NotCacheableReason::RedirectWithoutCacheControl)
            );
            assert_eq!(
                decide(s(0, 86_400, MAX), status, Some("max-age=60"), None, None),
                fresh(60, TtlRule::MaxAge)
            );
            assert_eq!(
                decide(s(0, 86_400, MAX), status, Some("public"), None, None),
                fresh(86_400, TtlRule::DefaultTtl)
            );
        }
    }

    #[test]
    fn not_modified_is_never_stored_as_an_object() {
        assert_eq!(
            decide(s(0, 86_400, MAX), 304, Some("max-age=60"), None, None),
            not(NotCacheableReason::StatusNotCacheable)
        );
    }

    // ---- Caching of errors (spec §7) ----

    #[test]
    fn errors_always_cached_for_the_default_error_caching_min_ttl_of_10s() {
        for status in [404, 414, 500, 501, 502, 503, 504] {
            assert_eq!(
                decide(s(0, 86_400, MAX), status, None, None, None),
                fresh(10, TtlRule::ErrorCachingMinTtl),
                "{status}"
            );
        }
    }

    #[test]
    fn error_caching_min_ttl_of_a_custom_error_response_replaces_the_default() {
        assert_eq!(
            decide(s(0, 86_400, MAX), 404, None, None, Some(300)),
            fresh(300, TtlRule::ErrorCachingMinTtl)
        );
        assert_eq!(
            decide(s(0, 86_400, MAX), 503, None, None, Some(0)),
            not(NotCacheableReason::ZeroTtl)
        );
    }

    #[test]
    fn errors_are_cached_for_the_greater_of_error_caching_min_ttl_and_the_origin_header() {
        let p = s(0, 86_400, MAX);
        assert_eq!(
            decide(p, 404, Some("max-age=60"), None, None),
            fresh(60, TtlRule::MaxAge)
        );
        assert_eq!(
            decide(p, 404, Some("max-age=5"), None, None),
            fresh(10, TtlRule::ErrorCachingMinTtl)
        );
        assert_eq!(
            decide(p, 500, Some("max-age=5, s-maxage=120"), None, None),
            fresh(120, TtlRule::SMaxAge)
        );
        assert_eq!(
            decide(p, 502, None, Some(&at(600)), None),
            fresh(600, TtlRule::Expires)
        );
        assert_eq!(
            decide(p, 404, Some("max-age=0"), None, Some(0)),
            not(NotCacheableReason::ZeroTtl)
        );
        assert_eq!(
            decide(p, 404, Some("max-age=30"), None, Some(0)),
            fresh(30, TtlRule::MaxAge)
        );
    }

    #[test]
    fn error_header_ttl_cannot_exceed_max_ttl() {
        assert_eq!(
            decide(s(0, 60, 100), 404, Some("max-age=5000"), None, None),
            fresh(100, TtlRule::MaxTtlCeiling)
        );
        // The error caching minimum still wins over a smaller MaxTTL.
        assert_eq!(
            decide(s(0, 0, 0), 404, Some("max-age=5000"), None, None),
            fresh(10, TtlRule::ErrorCachingMinTtl)
        );
    }

    #[test]
    fn error_caching_ignores_min_ttl_and_default_ttl() {
        assert_eq!(
            decide(s(60, 86_400, MAX), 404, None, None, None),
            fresh(10, TtlRule::ErrorCachingMinTtl)
        );
    }

    #[test]
    fn errors_with_no_store_are_still_cached_for_error_caching_min_ttl() {
        // CloudFront: other Cache-Control directives leave the error caching minimum TTL.
        for cc in [
            "no-store",
            "no-cache",
            "private",
            "no-cache, no-store, must-revalidate",
        ] {
            assert_eq!(
                decide(s(0, 86_400, MAX), 503, Some(cc), None, None),
                fresh(10, TtlRule::ErrorCachingMinTtl),
                "{cc}"
            );
        }
    }

    #[test]
    fn errors_400_403_405_412_415_are_cached_only_with_max_age_or_s_maxage() {
        let p = s(0, 86_400, MAX);
        for status in [400, 403, 405, 412, 415] {
            assert_eq!(
                decide(p, status, None, None, None),
                not(NotCacheableReason::ErrorWithoutMaxAge),
                "{status}"
            );
            assert_eq!(
                decide(p, status, Some("no-store"), Some(&at(600)), None),
                not(NotCacheableReason::ErrorWithoutMaxAge),
                "{status}"
            );
            assert_eq!(
                decide(p, status, Some("max-age=60"), None, None),
                fresh(60, TtlRule::MaxAge),
                "{status}"
            );
            assert_eq!(
                decide(p, status, Some("s-maxage=1"), None, None),
                fresh(10, TtlRule::ErrorCachingMinTtl),
                "{status}"
            );
        }
    }

    #[test]
    fn status_416_is_never_cached() {
        assert_eq!(
            decide(s(0, 86_400, MAX), 416, Some("max-age=60"), None, Some(300)),
            not(NotCacheableReason::StatusNotCacheable)
        );
    }

    #[test]
    fn errors_in_neither_list_are_not_cached() {
        for status in [401, 402, 406, 408, 409, 410, 413, 422, 429, 505, 511] {
            assert_eq!(
                decide(s(0, 86_400, MAX), status, Some("max-age=60"), None, None),
                not(NotCacheableReason::StatusNotCacheable),
                "{status}"
            );
        }
    }

    #[test]
    fn classify_status_matches_the_documented_lists() {
        assert_eq!(classify_status(StatusCode::OK), StatusClass::Ordinary);
        assert_eq!(
            classify_status(StatusCode::MOVED_PERMANENTLY),
            StatusClass::Ordinary
        );
        assert_eq!(
            classify_status(StatusCode::PERMANENT_REDIRECT),
            StatusClass::OrdinaryWithCacheControl
        );
        assert_eq!(
            classify_status(StatusCode::NOT_FOUND),
            StatusClass::ErrorAlways
        );
        assert_eq!(
            classify_status(StatusCode::FORBIDDEN),
            StatusClass::ErrorWithMaxAge
        );
        assert_eq!(
            classify_status(StatusCode::NOT_MODIFIED),
            StatusClass::Never
        );
        assert_eq!(
            classify_status(StatusCode::RANGE_NOT_SATISFIABLE),
            StatusClass::Never
        );
    }

    #[test]
    fn as_str_names_are_distinct() {
        let rules = [
            TtlRule::SMaxAge,
            TtlRule::MaxAge,
            TtlRule::Expires,
            TtlRule::DefaultTtl,
            TtlRule::MinTtlFloor,
            TtlRule::MaxTtlCeiling,
            TtlRule::MinTtlForUncacheable,
            TtlRule::ErrorCachingMinTtl,
        ];
        let reasons = [
            NotCacheableReason::NoStore,
            NotCacheableReason::Private,
            NotCacheableReason::NoCache,
            NotCacheableReason::ZeroTtl,
            NotCacheableReason::StatusNotCacheable,
            NotCacheableReason::ErrorWithoutMaxAge,
            NotCacheableReason::RedirectWithoutCacheControl,
        ];
        let mut names: Vec<&str> = rules.iter().map(|r| r.as_str()).collect();
        names.extend(reasons.iter().map(|r| r.as_str()));
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert_eq!(fresh(5, TtlRule::MaxAge).as_str(), "MaxAge");
        assert_eq!(not(NotCacheableReason::ZeroTtl).as_str(), "ZeroTtl");
        assert_eq!(fresh(5, TtlRule::MaxAge).ttl(), Some(5));
        assert_eq!(not(NotCacheableReason::NoStore).ttl(), None);
    }

    #[test]
    fn default_settings_are_the_legacy_ttls() {
        assert_eq!(TtlSettings::default(), s(0, 86_400, 31_536_000));
    }
}
