//! The Extensions API 2020-01-01, as far as the Lambda Web Adapter and ordinary external
//! extensions need it: register during init, a held `event/next` that delivers `INVOKE` and
//! `SHUTDOWN`, `init/error` and `exit/error`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::invocation::InvokeInput;

/// Lambda allows at most 10 extensions per function.
const MAX_EXTENSIONS: usize = 10;

#[derive(Debug)]
struct Extension {
    id: String,
    invoke: bool,
    shutdown: bool,
    queue: VecDeque<Value>,
    failed: bool,
}

#[derive(Debug, Default)]
struct State {
    registration_closed: bool,
    closed: bool,
    list: Vec<Extension>,
}

/// An Extensions API error: status, Lambda's error type, message.
pub(crate) type ExtError = (u16, &'static str, String);

/// The extensions registered in one environment.
#[derive(Debug, Default)]
pub(crate) struct Extensions {
    state: Mutex<State>,
    notify: Arc<Notify>,
}

impl Extensions {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `POST /extension/register`: returns the new identifier.
    pub(crate) fn register(&self, name: &str, events: &[String]) -> Result<String, ExtError> {
        if name.is_empty() {
            return Err((
                403,
                "Extension.InvalidExtensionName",
                "Empty extension name".into(),
            ));
        }
        if let Some(bad) = events.iter().find(|e| *e != "INVOKE" && *e != "SHUTDOWN") {
            return Err((
                403,
                "Extension.InvalidEventType",
                format!("Invalid event type: {bad}"),
            ));
        }
        let mut st = self.lock();
        if st.registration_closed {
            return Err((
                403,
                "Extension.RegistrationClosed",
                "Extension registration is only allowed during the init phase".into(),
            ));
        }
        if st.list.len() >= MAX_EXTENSIONS {
            return Err((
                403,
                "Extension.TooManyExtensions",
                "Too many extensions registered".into(),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        st.list.push(Extension {
            id: id.clone(),
            invoke: events.iter().any(|e| e == "INVOKE"),
            shutdown: events.iter().any(|e| e == "SHUTDOWN"),
            queue: VecDeque::new(),
            failed: false,
        });
        Ok(id)
    }

    /// `GET /extension/event/next`: waits for the extension's next event. `None` once the
    /// environment is gone.
    pub(crate) async fn next_event(&self, id: &str) -> Result<Option<Value>, ExtError> {
        loop {
            let notified = self.notify.notified();
            {
                let mut st = self.lock();
                let closed = st.closed;
                let Some(ext) = st.list.iter_mut().find(|e| e.id == id) else {
                    return Err(unknown_id());
                };
                if ext.failed {
                    return Err((
                        403,
                        "Extension.InvalidExtensionState",
                        "The extension reported an error".into(),
                    ));
                }
                if let Some(ev) = ext.queue.pop_front() {
                    return Ok(Some(ev));
                }
                if closed {
                    return Ok(None);
                }
            }
            notified.await;
        }
    }

    /// `POST /extension/init/error` and `/extension/exit/error`.
    pub(crate) fn report_error(&self, id: &str) -> Result<(), ExtError> {
        let mut st = self.lock();
        let ext = st
            .list
            .iter_mut()
            .find(|e| e.id == id)
            .ok_or_else(unknown_id)?;
        ext.failed = true;
        Ok(())
    }

    /// Is `id` a registered extension?
    pub(crate) fn knows(&self, id: &str) -> bool {
        self.lock().list.iter().any(|e| e.id == id)
    }

    /// Init is over: no more registrations.
    pub(crate) fn close_registration(&self) {
        self.lock().registration_closed = true;
    }

    /// Delivers an `INVOKE` event (never the payload).
    pub(crate) fn invoke(&self, input: &InvokeInput, deadline_ms: u64) {
        let mut st = self.lock();
        if st.list.is_empty() {
            return;
        }
        let event = json!({
            "eventType": "INVOKE",
            "deadlineMs": deadline_ms,
            "requestId": input.request_id,
            "invokedFunctionArn": input.invoked_arn,
            "tracing": {"type": "X-Amzn-Trace-Id", "value": input.trace_id},
        });
        for ext in st.list.iter_mut().filter(|e| e.invoke) {
            ext.queue.push_back(event.clone());
        }
        drop(st);
        self.notify.notify_waiters();
    }

    /// Delivers `SHUTDOWN`; true when any extension subscribed to it.
    pub(crate) fn shutdown(&self, deadline_ms: u64) -> bool {
        let mut st = self.lock();
        let event = json!({"eventType": "SHUTDOWN", "shutdownReason": "spindown", "deadlineMs": deadline_ms});
        let mut any = false;
        for ext in st.list.iter_mut().filter(|e| e.shutdown) {
            ext.queue.push_back(event.clone());
            any = true;
        }
        drop(st);
        self.notify.notify_waiters();
        any
    }

    /// The environment is gone: waiting calls return.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.notify.notify_waiters();
    }
}

fn unknown_id() -> ExtError {
    (
        403,
        "Extension.InvalidExtensionIdentifier",
        "Invalid extension identifier".into(),
    )
}
