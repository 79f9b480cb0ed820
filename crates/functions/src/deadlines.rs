//! Invocation deadlines, kept in one table that a single ticker checks every 10 ms, instead
//! of a timer task per invocation (spawning and aborting a task costs two task schedules,
//! often a thread wake each, on every invocation). A timeout fires at most one tick late;
//! Lambda reports timeouts in whole seconds.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::environment::Env;

const TICK: Duration = Duration::from_millis(10);
/// With nothing in flight for this long, the ticker sleeps until the next deadline is armed.
const PARK_AFTER: Duration = Duration::from_secs(1);

struct Armed {
    at: Instant,
    env: Weak<Env>,
    request_id: String,
}

/// The deadlines of the invocations in flight, one per environment.
#[derive(Default)]
pub(crate) struct Deadlines {
    armed: Mutex<HashMap<u64, Armed>>,
    parked: AtomicBool,
    wake: Notify,
}

impl std::fmt::Debug for Deadlines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deadlines").finish_non_exhaustive()
    }
}

impl Deadlines {
    /// Starts the ticker.
    pub(crate) fn start() -> Arc<Self> {
        let this = Arc::new(Self::default());
        tokio::spawn(tick(Arc::downgrade(&this)));
        this
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Armed>> {
        self.armed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Environment `env_id`'s invocation `request_id` times out at `at`.
    pub(crate) fn arm(&self, env_id: u64, env: Weak<Env>, request_id: String, at: Instant) {
        self.lock().insert(
            env_id,
            Armed {
                at,
                env,
                request_id,
            },
        );
        if self.parked.swap(false, Ordering::AcqRel) {
            self.wake.notify_one();
        }
    }

    /// The invocation of `env_id` ended.
    pub(crate) fn disarm(&self, env_id: u64) {
        self.lock().remove(&env_id);
    }
}

async fn tick(deadlines: Weak<Deadlines>) {
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_busy = Instant::now();
    loop {
        interval.tick().await;
        let Some(d) = deadlines.upgrade() else { return };
        let now = Instant::now();
        let (expired, park) = {
            let mut armed = d.lock();
            if armed.is_empty() {
                let park = now.duration_since(last_busy) > PARK_AFTER;
                if park {
                    d.parked.store(true, Ordering::Release);
                }
                (Vec::new(), park)
            } else {
                last_busy = now;
                let due: Vec<u64> = armed
                    .iter()
                    .filter(|(_, a)| a.at <= now)
                    .map(|(id, _)| *id)
                    .collect();
                let expired: Vec<Armed> =
                    due.into_iter().filter_map(|id| armed.remove(&id)).collect();
                (expired, false)
            }
        };
        if park {
            // `arm` clears `parked` and notifies; the stored permit covers a race.
            d.wake.notified().await;
            last_busy = Instant::now();
            continue;
        }
        for a in expired {
            if let Some(env) = a.env.upgrade() {
                env.on_timeout(&a.request_id);
            }
        }
    }
}
