//! Prometheus handles per distribution and result. `metrics::counter!` with labels looks the
//! series up in the recorder's registry on every call (building and hashing its key); the
//! edge takes its handles once per distribution and result and reuses them.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use metrics::{Counter, Histogram};

use crate::access_log::EdgeResult;

/// The series of one distribution and result.
#[derive(Debug)]
pub struct Handles {
    /// `stratus_edge_requests_total`.
    pub requests: Counter,
    /// `stratus_edge_response_bytes_total`.
    pub bytes: Counter,
    /// `stratus_edge_request_duration_seconds`.
    pub duration: Histogram,
}

/// One distribution's series, registered on first use (after the recorder is installed).
#[derive(Debug, Default)]
pub struct DistributionStats {
    by_result: [OnceLock<Handles>; EdgeResult::ALL.len()],
    origins: Mutex<HashMap<String, Histogram>>,
}

impl DistributionStats {
    /// The handles for `result` of distribution `id`.
    pub fn get(&self, id: &str, result: EdgeResult) -> &Handles {
        self.by_result[result as usize].get_or_init(|| {
            let labels = [
                ("distribution", id.to_string()),
                ("result", result.as_str().to_string()),
            ];
            Handles {
                requests: metrics::counter!("stratus_edge_requests_total", &labels),
                bytes: metrics::counter!("stratus_edge_response_bytes_total", &labels),
                duration: metrics::histogram!("stratus_edge_request_duration_seconds", &labels),
            }
        })
    }

    /// `stratus_edge_origin_latency_seconds` of `origin` (its `Id`) in distribution `id`: from
    /// the origin request to the origin's response header.
    pub fn origin_latency(&self, id: &str, origin: &str) -> Histogram {
        let mut origins = self.origins.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(h) = origins.get(origin) {
            return h.clone();
        }
        let labels = [
            ("distribution", id.to_string()),
            ("origin", origin.to_string()),
        ];
        let h = metrics::histogram!("stratus_edge_origin_latency_seconds", &labels);
        origins.insert(origin.to_string(), h.clone());
        h
    }
}

/// `stratus_edge_cache_bytes` and `stratus_edge_cache_objects`, registered on first use.
pub fn cache_gauges() -> &'static (metrics::Gauge, metrics::Gauge) {
    static GAUGES: OnceLock<(metrics::Gauge, metrics::Gauge)> = OnceLock::new();
    GAUGES.get_or_init(|| {
        (
            metrics::gauge!("stratus_edge_cache_bytes"),
            metrics::gauge!("stratus_edge_cache_objects"),
        )
    })
}

/// `stratus_edge_lane_hits_total`: hits the accept loop's hit lane answered itself (they are
/// also counted in `stratus_edge_requests_total` with `result="Hit"`).
pub fn lane_hits() -> &'static Counter {
    static LANE: OnceLock<Counter> = OnceLock::new();
    LANE.get_or_init(|| metrics::counter!("stratus_edge_lane_hits_total"))
}
