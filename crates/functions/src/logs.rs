//! Function logs: each environment's stdout/stderr lines and the platform's START / END / REPORT
//! lines, kept per function in `<logs>/<function>.log` as `<timestamp> <stream> <message>` lines
//! (the shape `aws logs tail` prints).
//!
//! Lines are handed to one writer task over a channel, so the request path never waits on the
//! disk.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A line for a function's log.
#[derive(Debug)]
struct LogLine {
    at: chrono::DateTime<chrono::Utc>,
    function: String,
    stream: String,
    message: String,
}

/// Collects lines for the writer task. Cheap to clone.
///
/// Adding a line only takes a short lock: the writer drains the buffer on its own tick, so
/// logging never wakes another thread on the request path. [`LogSink::flush`] writes what is
/// pending at once, after the END and REPORT lines of every answered invocation.
#[derive(Debug, Clone)]
pub struct LogSink {
    shared: std::sync::Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    dir: PathBuf,
    pending: std::sync::Mutex<Vec<LogLine>>,
    /// The open files; held while a batch is written, so batches reach a file in order.
    files: std::sync::Mutex<Files>,
    /// Invocations answered whose END and REPORT lines are not written yet.
    unreported: std::sync::atomic::AtomicUsize,
}

type Files = HashMap<String, std::io::BufWriter<std::fs::File>>;

/// An answered invocation whose END and REPORT lines are still to come; dropped once they
/// are in the sink.
#[derive(Debug)]
pub(crate) struct ReportDue(std::sync::Arc<Shared>);

impl Drop for ReportDue {
    fn drop(&mut self) {
        self.0
            .unreported
            .fetch_sub(1, std::sync::atomic::Ordering::Release);
    }
}

impl LogSink {
    /// Starts the writer task for `dir`.
    pub fn start(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let sink = Self {
            shared: std::sync::Arc::new(Shared {
                dir,
                pending: Default::default(),
                files: Default::default(),
                unreported: Default::default(),
            }),
        };
        tokio::spawn(write_loop(std::sync::Arc::downgrade(&sink.shared)));
        Ok(sink)
    }

    /// Appends `message` to `function`'s log under `stream`.
    pub fn line(&self, function: &str, stream: &str, message: impl Into<String>) {
        let line = LogLine {
            at: chrono::Utc::now(),
            function: function.to_string(),
            stream: stream.to_string(),
            message: message.into(),
        };
        if let Ok(mut p) = self.shared.pending.lock() {
            p.push(line);
        }
    }

    /// Marks an invocation answered before its END and REPORT lines are written, so
    /// [`LogSink::flush`] waits for them.
    pub(crate) fn report_due(&self) -> ReportDue {
        self.shared
            .unreported
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        ReportDue(self.shared.clone())
    }

    /// Writes every pending line to its file now, once the END and REPORT lines of the
    /// invocations already answered are among them.
    pub async fn flush(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while self
            .shared
            .unreported
            .load(std::sync::atomic::Ordering::Acquire)
            > 0
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        self.shared.write_pending(&mut Vec::new());
    }
}

impl Shared {
    /// Takes the pending lines and writes them (`batch` is scratch space, left empty).
    fn write_pending(&self, batch: &mut Vec<LogLine>) {
        let Ok(mut files) = self.files.lock() else {
            return;
        };
        if let Ok(mut p) = self.pending.lock() {
            std::mem::swap(&mut *p, batch);
        }
        if batch.is_empty() {
            return;
        }
        for line in batch.drain(..) {
            write_line(&self.dir, &mut files, line);
        }
        flush_and_rotate(&self.dir, &mut files);
    }
}

/// The log file of `function` under `dir`.
pub fn log_path(dir: &Path, function: &str) -> PathBuf {
    dir.join(format!("{function}.log"))
}

/// Rotate a function's log once it passes this size (the previous file is kept as `.1`).
const ROTATE_BYTES: u64 = 64 * 1024 * 1024;

/// How long a line may wait in memory before it reaches the file.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

async fn write_loop(shared: std::sync::Weak<Shared>) {
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batch = Vec::new();
    loop {
        tick.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        shared.write_pending(&mut batch);
    }
}

fn flush_and_rotate(dir: &Path, files: &mut Files) {
    for f in files.values_mut() {
        let _ = f.flush();
    }
    // Rotate big files; close files of functions that went quiet.
    files.retain(|name, f| {
        let size = f.get_ref().metadata().map(|m| m.len()).unwrap_or(0);
        if size > ROTATE_BYTES {
            let path = log_path(dir, name);
            let _ = std::fs::rename(&path, path.with_extension("log.1"));
            return false;
        }
        true
    });
    if files.len() > 256 {
        files.clear();
    }
}

fn write_line(dir: &Path, files: &mut Files, line: LogLine) {
    let file = match files.get_mut(&line.function) {
        Some(f) => f,
        None => {
            let path = log_path(dir, &line.function);
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
            {
                Ok(f) => files
                    .entry(line.function.clone())
                    .or_insert_with(|| std::io::BufWriter::new(f)),
                Err(e) => {
                    tracing::warn!(path = %path.display(), "cannot open log file: {e}");
                    return;
                }
            }
        }
    };
    let ts = line.at.format("%Y-%m-%dT%H:%M:%S%.6f%:z");
    let _ = writeln!(file, "{ts} {} {}", line.stream, line.message);
}

/// Platform report for one invocation.
#[derive(Debug, Clone)]
pub(crate) struct Report<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) duration: Duration,
    pub(crate) memory_size_mb: u32,
    pub(crate) max_memory_used_mb: u64,
    pub(crate) init_duration: Option<Duration>,
    /// `timeout`, `error`…; `None` on success.
    pub(crate) status: Option<&'a str>,
    pub(crate) error_type: Option<&'a str>,
}

impl Report<'_> {
    /// Lambda's REPORT line: tab-separated fields in AWS's order, `Init Duration` after
    /// `Max Memory Used` and only on an environment's first invocation, a trailing tab.
    pub(crate) fn line(&self) -> String {
        let ms = self.duration.as_secs_f64() * 1000.0;
        // Lambda: billed duration is the duration rounded up to the next millisecond.
        let billed = ms.ceil().max(1.0) as u64;
        let mut s = format!(
            "REPORT RequestId: {}\tDuration: {ms:.2} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {} MB\t",
            self.request_id, self.memory_size_mb, self.max_memory_used_mb
        );
        if let Some(init) = self.init_duration {
            s.push_str(&format!(
                "Init Duration: {:.2} ms\t",
                init.as_secs_f64() * 1000.0
            ));
        }
        if let Some(status) = self.status {
            s.push_str(&format!("Status: {status}\t"));
            if let Some(t) = self.error_type {
                s.push_str(&format!("Error Type: {t}\t"));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_line_matches_lambda() {
        let r = Report {
            request_id: "id-1",
            duration: Duration::from_micros(12_341),
            memory_size_mb: 128,
            max_memory_used_mb: 67,
            init_duration: Some(Duration::from_micros(150_120)),
            status: None,
            error_type: None,
        };
        assert_eq!(
            r.line(),
            "REPORT RequestId: id-1\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 67 MB\tInit Duration: 150.12 ms\t"
        );
        let warm = Report {
            init_duration: None,
            status: Some("timeout"),
            ..r
        };
        assert!(!warm.line().contains("Init Duration"));
        assert!(warm.line().ends_with("Status: timeout\t"));
    }
}
