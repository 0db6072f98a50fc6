//! The session task: one future per connection that owns its [`WebSocket`] and
//! alternates between the outbound queue and `recv`, with one optional timer for the
//! idle timeout and the maximum lifetime.
//!
//! It is a hand-written future rather than an `async fn` with `select!`, so that its
//! size is just its fields (see the crate docs for the figures), and so that every
//! operation on the socket is a single poll of a cancel-safe method (`recv`, `send`,
//! `send_prepared`, `close`): a message the connection cannot take yet goes back to
//! the front of the queue, and nothing is lost between polls.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use wsgate::{CloseCode, Message, WebSocket};

use crate::config::HubConfig;
use crate::guard::Guard;
use crate::handler::{Cause, Disconnect};
use crate::queue::{CloseRequest, Next, Out};
use crate::session::Session;

pub(crate) struct SessionTask<S, T: Send + Sync + 'static> {
    ws: WebSocket<S>,
    guard: Guard<T>,
    phase: Phase,
    /// Idle timeout and maximum lifetime (allocated only when configured).
    deadlines: Option<Box<Deadlines>>,
}

/// The timer for the idle timeout and the maximum lifetime, and what it measures.
struct Deadlines {
    sleep: Pin<Box<Sleep>>,
    started: Instant,
    last_data: Instant,
}

/// What the outbound side did in one poll.
enum Outbound {
    /// Queue empty or connection full: wakers are registered.
    Idle,
    /// Budget used up with more queued.
    Busy,
    End(Phase),
}

enum Phase {
    Start,
    Running,
    /// Sending our close frame (or echoing the peer's) and waiting for the end.
    Closing(CloseCode, Box<str>),
    Done,
}

impl<S, T> SessionTask<S, T>
where
    S: AsyncRead + AsyncWrite + Unpin,
    T: Send + Sync + 'static,
{
    pub(crate) fn new(ws: WebSocket<S>, session: Session<T>) -> Self {
        Self {
            ws,
            guard: Guard::new(session),
            phase: Phase::Start,
            deadlines: None,
        }
    }

    fn session(&self) -> &Session<T> {
        self.guard.session()
    }

    /// Sends queued messages and handles received ones until neither makes progress.
    fn poll_running(&mut self, cx: &mut Context<'_>) -> Poll<Phase> {
        for _ in 0..BUDGET {
            let sent = match self.poll_outbound(cx) {
                Outbound::Idle => false,
                Outbound::Busy => true,
                Outbound::End(phase) => return Poll::Ready(phase),
            };
            let polled = pin!(self.ws.recv()).poll(cx);
            let received = match polled {
                Poll::Ready(Some(Ok(msg))) => match self.dispatch(msg) {
                    Some(phase) => return Poll::Ready(phase),
                    None => true,
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(self.failed(&e)),
                Poll::Ready(None) => return Poll::Ready(Phase::Done),
                Poll::Pending => false,
            };
            if let Poll::Ready(request) = self.poll_deadlines(cx) {
                return Poll::Ready(self.closing(request));
            }
            if !sent && !received {
                return Poll::Pending;
            }
        }
        // Yield to other sessions after a burst.
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Moves queued messages into the connection while it takes them, then writes
    /// them.
    fn poll_outbound(&mut self, cx: &mut Context<'_>) -> Outbound {
        let result = self.poll_feed(cx);
        // Nothing to do when nothing was fed. Errors come back from `recv` on this same
        // poll; `Pending` means the socket is full and the driver waits for it to drain.
        let _ = pin!(self.ws.flush()).poll(cx);
        result
    }

    fn poll_feed(&mut self, cx: &mut Context<'_>) -> Outbound {
        for _ in 0..BUDGET {
            let out = match self.session().inner.queue.poll_next(cx) {
                Poll::Pending => return Outbound::Idle,
                Poll::Ready(Next::Send(out)) => out,
                Poll::Ready(Next::Close(request)) => return Outbound::End(self.closing(request)),
                Poll::Ready(Next::Abort) => return Outbound::End(Phase::Done),
            };
            let len = match &out {
                Out::Prepared(p) => p.message().len(),
                Out::Plain(m) => m.len(),
            };
            // Queued, not written: `poll_outbound` writes everything it queued at the
            // end, in one vectored write, so a burst costs one system call, not one each.
            let sent = match &out {
                Out::Prepared(p) => pin!(self.ws.feed_prepared(p)).poll(cx),
                Out::Plain(m) => pin!(self.ws.feed(m.clone())).poll(cx),
            };
            match sent {
                Poll::Ready(Ok(())) => self.guard.metrics().record_out(len),
                // Closed or failed: `recv` reports why on this same poll.
                Poll::Ready(Err(_)) => return Outbound::Idle,
                Poll::Pending => {
                    self.session().inner.queue.unpop(out, cx);
                    return Outbound::Idle;
                }
            }
        }
        Outbound::Busy
    }

    /// Hands a received message to the handler; `Some` when the peer is closing.
    fn dispatch(&mut self, msg: Message) -> Option<Phase> {
        let handler = self.guard.handler();
        match msg {
            Message::Text(_) | Message::Binary(_) => {
                self.guard.metrics().record_in(msg.len());
                if let Some(d) = self.deadlines.as_mut() {
                    d.last_data = Instant::now();
                }
                handler.on_message(self.session(), msg);
            }
            Message::Pong(payload) => handler.on_pong(self.session(), payload),
            Message::Ping(_) => {}
            Message::Close(frame) => {
                let (code, reason) = frame.map_or((CloseCode::NO_STATUS, String::new()), |f| {
                    (f.code, f.reason.as_str().to_owned())
                });
                self.guard.set(Disconnect::new(code, reason, Cause::Peer));
                return Some(Phase::Closing(code, "".into()));
            }
        }
        None
    }

    fn failed(&mut self, e: &wsgate::Error) -> Phase {
        self.guard.handler().on_error(self.session(), e);
        let cause = if e.is_protocol() {
            Cause::Error
        } else {
            Cause::Lost
        };
        let code = e.close_code().unwrap_or(CloseCode::ABNORMAL);
        self.guard.set(Disconnect::new(code, e.to_string(), cause));
        Phase::Done
    }

    fn closing(&mut self, request: CloseRequest) -> Phase {
        let code = sendable(request.code);
        let reason = request.reason.to_string();
        self.guard.set(Disconnect::new(code, reason, request.cause));
        Phase::Closing(code, request.reason)
    }

    /// Drives the close handshake (bounded by the close timeout), or stops at once when
    /// the session is aborted.
    fn poll_closing(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.session().inner.queue.poll_abort(cx).is_ready() {
            return Poll::Ready(());
        }
        let Phase::Closing(code, reason) = &self.phase else {
            return Poll::Ready(());
        };
        match ready!(pin!(self.ws.close(*code, reason)).poll(cx)) {
            Ok(()) => {}
            Err(e) => tracing::debug!("session close: {e}"),
        }
        Poll::Ready(())
    }

    /// The idle timeout and the maximum lifetime.
    fn poll_deadlines(&mut self, cx: &mut Context<'_>) -> Poll<CloseRequest> {
        let config = *self.guard.config();
        let Some(deadlines) = self.deadlines.as_mut() else {
            return Poll::Pending;
        };
        deadlines.poll_expired(&config, cx)
    }

    fn start(&mut self) {
        let config = self.guard.config();
        let first = [config.max_lifetime, config.idle_timeout]
            .into_iter()
            .flatten()
            .min();
        self.deadlines = first.map(|d| {
            let now = Instant::now();
            Box::new(Deadlines {
                sleep: Box::pin(tokio::time::sleep_until(now + d)),
                started: now,
                last_data: now,
            })
        });
        self.guard.connect();
    }
}

impl Deadlines {
    /// `Ready` with the close request once a deadline passed; re-arms otherwise.
    fn poll_expired(&mut self, config: &HubConfig, cx: &mut Context<'_>) -> Poll<CloseRequest> {
        let lifetime = config.max_lifetime.map(|d| self.started + d);
        loop {
            ready!(self.sleep.as_mut().poll(cx));
            let now = Instant::now();
            if lifetime.is_some_and(|at| now >= at) {
                return Poll::Ready(request(CloseCode::NORMAL, "lifetime", Cause::Lifetime));
            }
            let idle = config.idle_timeout.map(|d| self.last_data + d);
            if idle.is_some_and(|at| now >= at) {
                return Poll::Ready(request(CloseCode::NORMAL, "idle", Cause::IdleTimeout));
            }
            let next = [lifetime, idle].into_iter().flatten().min();
            self.sleep.as_mut().reset(next.unwrap_or(now + FAR));
        }
    }
}

impl<S, T> Future for SessionTask<S, T>
where
    S: AsyncRead + AsyncWrite + Unpin,
    T: Send + Sync + 'static,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            this.phase = match &this.phase {
                Phase::Start => {
                    this.start();
                    Phase::Running
                }
                Phase::Running => ready!(this.poll_running(cx)),
                Phase::Closing(..) => {
                    ready!(this.poll_closing(cx));
                    Phase::Done
                }
                Phase::Done => return Poll::Ready(()),
            };
        }
    }
}

fn request(code: CloseCode, reason: &str, cause: Cause) -> CloseRequest {
    CloseRequest {
        code,
        reason: reason.into(),
        cause,
    }
}

/// `code`, or 1000 for codes that may not be sent (1005, 1006, 1015, reserved).
fn sendable(code: CloseCode) -> CloseCode {
    if code.is_sendable() {
        code
    } else {
        CloseCode::NORMAL
    }
}

/// Messages moved (and received) per poll before yielding to other tasks.
const BUDGET: usize = 64;

/// A deadline far enough away to mean "never".
const FAR: std::time::Duration = std::time::Duration::from_secs(86400 * 365);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_future_is_small() {
        let task = size_of::<SessionTask<tokio::net::TcpStream, ()>>();
        let ws = size_of::<WebSocket<tokio::net::TcpStream>>();
        println!("session task future: {task} bytes (WebSocket<TcpStream>: {ws})");
        assert!(task <= ws + 96, "{task} bytes");
    }
}
