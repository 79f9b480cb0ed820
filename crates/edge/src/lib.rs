//! The CloudFront half of Stratus: distribution router, behavior matching, cache keys, TTLs,
//! cache storage, origin requests, response headers, compression, invalidations, access logs.
//! The proxy itself will be pingora's; the rules each phase applies are small, pure functions
//! here, tested alone.
//!
//! This crate must not know how functions run: a Function URL is an origin like any other.

pub mod access_log;
pub mod cache_control;
pub mod cache_key;
pub mod certs;
pub mod compression;
pub mod debug;
pub mod error_pages;
pub mod holdoff;
pub mod invalidation;
pub mod origin_request;
pub mod pattern;
pub mod proxy;
pub mod response_headers;
pub mod responses;
pub mod router;
pub mod serve;
pub mod stats;
pub mod storage;
pub mod ttl;
