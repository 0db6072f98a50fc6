//! Serving: the handshake ([`Hub::accept`], [`Hub::serve`]), session registration and
//! graceful [`Hub::shutdown`].

use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use wsgate::proto::handshake::{Rejection, Request};
use wsgate::{AcceptError, CloseCode, WebSocket};

use crate::handler::Cause;
use crate::hub::{Hub, Shared};
use crate::metrics::Refusal;
use crate::session::{Session, SessionId};
use crate::task::SessionTask;

/// What [`Hub::shutdown`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Sessions that were live when shutdown started.
    pub sessions: usize,
    /// Sessions still closing at the deadline, whose connections were dropped.
    pub forced: usize,
}

impl<T: Send + Sync + 'static> Hub<T> {
    /// Runs the opening handshake on `stream` (origin policy, then
    /// [`Handler::on_upgrade`](crate::Handler::on_upgrade), then WebSocket validation)
    /// and spawns the session's task. Returns once the session is registered; call it
    /// from a task per connection so that slow handshakes do not block each other.
    ///
    /// # Errors
    /// [`AcceptError::Rejected`] after the error response was written (403 for a
    /// foreign origin, the handler's status, 400/426/431 for invalid requests, 503
    /// while shutting down), [`AcceptError::Timeout`], [`AcceptError::Eof`] or
    /// [`AcceptError::Io`]. Each is counted in [`metrics`](Self::metrics).
    pub async fn accept<S>(&self, stream: S) -> Result<Session<T>, AcceptError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let shared = &self.shared;
        let mut data = None;
        let mut refusal = Refusal::Handshake;
        let result = shared
            .acceptor
            .accept_with(stream, |req| {
                admit(shared, req, &mut refusal).map(|d| data = Some(d))
            })
            .await;
        match (result, data) {
            (Ok(ws), Some(data)) => Ok(self.spawn(ws, data)),
            (Ok(_), None) => Err(AcceptError::Io(io::Error::other("no session data"))),
            (Err(e), _) => {
                let failed = !matches!(e, AcceptError::Rejected(_));
                let why = if failed { Refusal::Failed } else { refusal };
                shared.metrics.record_refusal(why);
                Err(e)
            }
        }
    }

    /// Accepts connections from `listener` (each handshake on its own task) until
    /// [`shutdown`](Self::shutdown) starts. Accept errors (a reset connection, too
    /// many open files) are logged and retried after a short pause.
    pub async fn serve(&self, listener: TcpListener) {
        loop {
            let stopped = self.shared.changed.notified();
            if self.is_shutting_down() {
                return;
            }
            let (tcp, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::debug!("hub accept: {e}");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
                () = stopped => continue,
            };
            let _ = tcp.set_nodelay(true);
            let hub = self.clone();
            tokio::spawn(async move {
                if let Err(e) = hub.accept(tcp).await {
                    tracing::debug!("hub handshake: {e}");
                }
            });
        }
    }

    /// Shuts down gracefully: refuses new handshakes (503), asks every session to send
    /// what it has queued and then Close 1001, and waits until all sessions have ended
    /// (their `on_disconnect` returned) or `deadline` passed; then drops the
    /// connections of the sessions still closing and waits for their tasks.
    pub async fn shutdown(&self, deadline: Duration) -> ShutdownReport {
        let shared = &self.shared;
        shared.shutting_down.store(true, Ordering::SeqCst);
        shared.changed.notify_waiters();
        let mut report = ShutdownReport::default();
        self.for_each_session(|s| {
            report.sessions += 1;
            s.request_close(CloseCode::GOING_AWAY, SHUTDOWN_REASON, Cause::Shutdown);
        });
        if tokio::time::timeout(deadline, self.drained())
            .await
            .is_err()
        {
            self.for_each_session(|s| {
                report.forced += 1;
                s.inner.queue.abort();
            });
            self.drained().await;
        }
        report
    }

    /// Waits until no session task is running.
    async fn drained(&self) {
        loop {
            let changed = self.shared.changed.notified();
            if self.shared.live.load(Ordering::SeqCst) == 0 {
                return;
            }
            changed.await;
        }
    }

    /// Registers a session (without a task): ids, index, live count.
    pub(crate) fn register(&self, data: T) -> Session<T> {
        let shared = &self.shared;
        let id = SessionId(shared.next_id.fetch_add(1, Ordering::Relaxed));
        let session = Session::new(id, data, Arc::clone(shared));
        shared.live.fetch_add(1, Ordering::SeqCst);
        shared.registry.insert(&session);
        if self.is_shutting_down() {
            session.request_close(CloseCode::GOING_AWAY, SHUTDOWN_REASON, Cause::Shutdown);
        }
        session
    }

    /// Registers a session for an upgraded connection and spawns its task.
    pub(crate) fn spawn<S>(&self, ws: WebSocket<S>, data: T) -> Session<T>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let session = self.register(data);
        tokio::spawn(SessionTask::new(ws, session.clone()));
        session
    }
}

/// Origin policy, shutdown, then the handler: the session data or the refusal.
pub(crate) fn admit<T: Send + Sync + 'static>(
    shared: &Shared<T>,
    req: &Request,
    why: &mut Refusal,
) -> Result<T, Rejection> {
    if shared.shutting_down.load(Ordering::SeqCst) {
        return Err(Rejection::new(503, "server shutting down"));
    }
    if let Err(r) = shared.origin.check(req) {
        *why = Refusal::Origin;
        return Err(r);
    }
    shared
        .handler
        .on_upgrade(req)
        .inspect_err(|_| *why = Refusal::Auth)
}

const SHUTDOWN_REASON: &str = "server shutting down";

/// Pause after a failed `accept()` (EMFILE and the like).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);
