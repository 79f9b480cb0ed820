//! cgroup v2 memory limits, where the machine allows them: each execution environment gets a
//! child cgroup with `memory.max` set to the function's memory size (swap off), so the kernel
//! enforces the limit exactly; `memory.peak` gives Max Memory Used and `memory.events`
//! tells an out-of-memory kill.
//!
//! It needs a pure cgroup v2 hierarchy at `/sys/fs/cgroup` and a cgroup of our own whose
//! children may use the memory controller (a systemd service with `Delegate=yes`, a
//! container with a private cgroup namespace and nothing else in its root, or root on a
//! plain host). When any of that is missing, [`CgroupRoot::detect`] returns `None` and
//! memory is watched through RSS instead (`memory.rs`).

use std::path::{Path, PathBuf};

const MOUNT: &str = "/sys/fs/cgroup";

/// The directory under which environments' cgroups are made.
#[derive(Debug, Clone)]
pub(crate) struct CgroupRoot {
    dir: PathBuf,
}

/// One environment's cgroup.
#[derive(Debug)]
pub(crate) struct EnvCgroup {
    dir: PathBuf,
}

/// Our own cgroup v2 path from the text of `/proc/self/cgroup` (the `0::<path>` line).
fn own_cgroup(proc_self_cgroup: &str) -> Option<&str> {
    proc_self_cgroup
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::trim)
}

fn has_memory(controllers_file: &Path) -> bool {
    std::fs::read_to_string(controllers_file)
        .map(|s| s.split_whitespace().any(|c| c == "memory"))
        .unwrap_or(false)
}

impl CgroupRoot {
    /// Finds (or makes) `<own cgroup>/stratus` with the memory controller for its children.
    pub(crate) fn detect() -> Option<Self> {
        if !Path::new(MOUNT).join("cgroup.controllers").exists() {
            return None; // not a pure cgroup v2 mount
        }
        let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let own = own_cgroup(&text)?;
        let base = Path::new(MOUNT).join(own.trim_start_matches('/'));
        let dir = base.join("stratus");
        if !dir.exists() {
            std::fs::create_dir(&dir).ok()?;
        }
        if !has_memory(&dir.join("cgroup.controllers")) {
            // Ask our own cgroup to give its children the memory controller; this fails when
            // processes live in it (cgroup v2's no-internal-processes rule), and then we stop.
            std::fs::write(base.join("cgroup.subtree_control"), "+memory").ok()?;
            if !has_memory(&dir.join("cgroup.controllers")) {
                return None;
            }
        }
        std::fs::write(dir.join("cgroup.subtree_control"), "+memory").ok()?;
        // Empty cgroups left by a previous run that was killed (rmdir refuses busy ones).
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("env-") {
                    let _ = std::fs::remove_dir(e.path());
                }
            }
        }
        Some(Self { dir })
    }

    /// Puts process `pid` in a new cgroup limited to `limit_mb`.
    pub(crate) fn attach(&self, name: &str, pid: u32, limit_mb: u32) -> Option<EnvCgroup> {
        let dir = self.dir.join(name);
        std::fs::create_dir(&dir).ok()?;
        let cg = EnvCgroup { dir };
        let bytes = u64::from(limit_mb) * 1024 * 1024;
        let ok = std::fs::write(cg.dir.join("memory.max"), bytes.to_string()).is_ok()
            // Lambda has no swap; not every kernel has the file.
            && (std::fs::write(cg.dir.join("memory.swap.max"), "0").is_ok()
                || !cg.dir.join("memory.swap.max").exists())
            && std::fs::write(cg.dir.join("cgroup.procs"), pid.to_string()).is_ok();
        if ok {
            Some(cg)
        } else {
            cg.remove();
            None
        }
    }
}

/// `oom_kill N` from the text of `memory.events`.
fn oom_kills(events: &str) -> u64 {
    events
        .lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

impl EnvCgroup {
    /// Peak memory of the environment in bytes (`memory.peak`, else `memory.current`).
    pub(crate) fn peak_bytes(&self) -> u64 {
        ["memory.peak", "memory.current"]
            .iter()
            .find_map(|f| std::fs::read_to_string(self.dir.join(f)).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Did the kernel kill something in it for going over `memory.max`?
    pub(crate) fn oom_killed(&self) -> bool {
        std::fs::read_to_string(self.dir.join("memory.events"))
            .map(|s| oom_kills(&s) > 0)
            .unwrap_or(false)
    }

    /// Removes the cgroup once its processes are gone (retrying briefly: killed processes
    /// leave it a moment after they are reaped).
    pub(crate) fn remove(&self) {
        let dir = self.dir.clone();
        if std::fs::remove_dir(&dir).is_ok() {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                for _ in 0..50 {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    if std::fs::remove_dir(&dir).is_ok() || !dir.exists() {
                        return;
                    }
                }
                tracing::debug!(dir = %dir.display(), "could not remove an environment's cgroup");
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_self_cgroup_and_memory_events() {
        assert_eq!(
            own_cgroup("0::/system.slice/stratus.service\n"),
            Some("/system.slice/stratus.service")
        );
        assert_eq!(
            own_cgroup("12:memory:/x\n1:name=systemd:/\n0::/\n"),
            Some("/")
        );
        assert_eq!(own_cgroup("4:memory:/x\n"), None, "cgroup v1 only");
        let events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
        assert_eq!(oom_kills(events), 1);
        assert_eq!(oom_kills("low 0\n"), 0);
    }

    #[test]
    fn detection_never_fails_loudly() {
        // On a machine without a delegated cgroup v2 memory controller this is None; on one
        // with it, the directory exists. Either way it must not panic.
        if let Some(root) = CgroupRoot::detect() {
            assert!(root.dir.exists());
        }
    }
}
