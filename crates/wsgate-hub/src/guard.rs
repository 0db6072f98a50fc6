//! [`Guard`]: keeps `on_connect` and `on_disconnect` paired and the hub's indexes
//! clean, whichever way a session task ends (returned, dropped, panicked).

use std::sync::atomic::Ordering;

use crate::config::HubConfig;
use crate::handler::{Disconnect, Handler};
use crate::metrics::Metrics;
use crate::session::Session;

pub(crate) struct Guard<T: Send + Sync + 'static> {
    session: Session<T>,
    outcome: Option<Disconnect>,
    connected: bool,
}

impl<T: Send + Sync + 'static> Guard<T> {
    pub(crate) fn new(session: Session<T>) -> Self {
        Self {
            session,
            outcome: None,
            connected: false,
        }
    }

    pub(crate) fn session(&self) -> &Session<T> {
        &self.session
    }

    pub(crate) fn handler(&self) -> &dyn Handler<T> {
        &*self.session.inner.hub.handler
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.session.inner.hub.metrics
    }

    pub(crate) fn config(&self) -> &HubConfig {
        &self.session.inner.hub.config
    }

    /// Records how the session ends; the first report wins.
    pub(crate) fn set(&mut self, outcome: Disconnect) {
        self.outcome.get_or_insert(outcome);
    }

    /// Calls `on_connect`; from now on `on_disconnect` will be called.
    pub(crate) fn connect(&mut self) {
        self.connected = true;
        self.metrics().record_connect();
        self.handler().on_connect(&self.session);
    }
}

impl<T: Send + Sync + 'static> Drop for Guard<T> {
    fn drop(&mut self) {
        let session = &self.session;
        session.leave_all();
        let hub = &session.inner.hub;
        hub.registry.remove(session.id());
        if self.connected {
            let outcome = self.outcome.take().unwrap_or_else(Disconnect::lost);
            hub.metrics.record_disconnect(outcome.cause);
            hub.handler.on_disconnect(session, outcome);
        }
        if hub.live.fetch_sub(1, Ordering::SeqCst) == 1 {
            hub.changed.notify_waiters();
        }
    }
}
