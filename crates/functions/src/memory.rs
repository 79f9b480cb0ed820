//! Memory limits for execution environments.
//!
//! One watcher task samples every process on the machine once per tick, sums resident memory
//! per process group (an environment is one group), records each environment's peak, and kills
//! a group that goes over its function's memory size, as Lambda does. RSS is the measure, not
//! address space: V8 reserves far more than it uses, so RLIMIT_AS would kill healthy functions.
//!
//! Where the machine gives Stratus a cgroup v2 memory controller, the kernel enforces the
//! limit instead (`cgroup.rs`) and this watcher leaves that environment alone.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the watcher knows of one environment.
#[derive(Debug, Default)]
pub(crate) struct MemoryStat {
    /// Highest group RSS seen, in bytes.
    pub(crate) peak_bytes: AtomicU64,
    /// Set when the watcher killed the group for going over its limit.
    pub(crate) exceeded: AtomicBool,
    /// The environment's cgroup, when the kernel enforces its limit.
    pub(crate) cgroup: Option<crate::cgroup::EnvCgroup>,
}

impl MemoryStat {
    /// Was the environment killed for going over its memory size?
    pub(crate) fn out_of_memory(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
            || self.cgroup.as_ref().is_some_and(|c| c.oom_killed())
    }

    /// The peak in MB, taking the main process's own high-water mark into account (it catches
    /// peaks shorter than one tick).
    pub(crate) fn peak_mb(&self, main_pid: Option<i32>) -> u64 {
        if let Some(cg) = &self.cgroup {
            return cg.peak_bytes().div_ceil(1024 * 1024);
        }
        // One small read of /proc/<pid>/status, not a full parse: this runs per invocation.
        let hwm = main_pid
            .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .and_then(|text| {
                let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map(|kb| kb * 1024)
            .unwrap_or(0);
        let bytes = self.peak_bytes.load(Ordering::Relaxed).max(hwm);
        bytes.div_ceil(1024 * 1024)
    }
}

struct Watched {
    limit_bytes: u64,
    stat: Arc<MemoryStat>,
}

/// Samples process groups and enforces limits.
#[derive(Default)]
pub(crate) struct MemoryWatcher {
    groups: Mutex<HashMap<i32, Watched>>,
    cgroups: Option<crate::cgroup::CgroupRoot>,
}

impl std::fmt::Debug for MemoryWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryWatcher").finish_non_exhaustive()
    }
}

impl MemoryWatcher {
    /// Starts sampling every `tick`.
    pub(crate) fn start(tick: Duration) -> Arc<Self> {
        let cgroups = crate::cgroup::CgroupRoot::detect();
        match &cgroups {
            Some(root) => tracing::info!(?root, "memory limits enforced with cgroup v2 memory.max"),
            None => tracing::info!(
                "memory limits enforced by watching RSS (no delegated cgroup v2 memory controller)"
            ),
        }
        let this = Arc::new(Self {
            groups: Mutex::default(),
            cgroups,
        });
        let weak = Arc::downgrade(&this);
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(tick);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                interval.tick().await;
                let Some(this) = weak.upgrade() else { return };
                if this.groups.lock().map(|g| g.is_empty()).unwrap_or(true) {
                    continue;
                }
                let _ = tokio::task::spawn_blocking(move || this.sample()).await;
            }
        });
        this
    }

    /// Limits process group `pgid` (its leader just started) to `limit_mb`: with a cgroup
    /// where the machine allows it, else by watching its RSS.
    pub(crate) fn watch(&self, name: &str, pgid: i32, limit_mb: u32) -> Arc<MemoryStat> {
        if let Some(cg) = self
            .cgroups
            .as_ref()
            .and_then(|root| root.attach(name, pgid as u32, limit_mb))
        {
            return Arc::new(MemoryStat {
                cgroup: Some(cg),
                ..Default::default()
            });
        }
        let stat = Arc::new(MemoryStat::default());
        if let Ok(mut g) = self.groups.lock() {
            g.insert(
                pgid,
                Watched {
                    limit_bytes: u64::from(limit_mb) * 1024 * 1024,
                    stat: stat.clone(),
                },
            );
        }
        stat
    }

    /// Stops watching `pgid`.
    pub(crate) fn forget(&self, pgid: i32) {
        if let Ok(mut g) = self.groups.lock() {
            g.remove(&pgid);
        }
    }

    fn sample(&self) {
        let page = procfs::page_size();
        let mut rss: HashMap<i32, u64> = HashMap::new();
        let Ok(all) = procfs::process::all_processes() else {
            return;
        };
        let watched: Vec<i32> = match self.groups.lock() {
            Ok(g) => g.keys().copied().collect(),
            Err(_) => return,
        };
        for p in all.flatten() {
            if let Ok(stat) = p.stat() {
                if watched.contains(&stat.pgrp) {
                    *rss.entry(stat.pgrp).or_default() += stat.rss * page;
                }
            }
        }
        let Ok(groups) = self.groups.lock() else {
            return;
        };
        for (pgid, bytes) in rss {
            let Some(w) = groups.get(&pgid) else { continue };
            w.stat.peak_bytes.fetch_max(bytes, Ordering::Relaxed);
            if bytes > w.limit_bytes && !w.stat.exceeded.swap(true, Ordering::Relaxed) {
                tracing::info!(pgid, bytes, "environment over its memory size: killing it");
                crate::environment::kill_group(pgid);
            }
        }
    }
}
