//! The per-session outbound queue: bounded in messages and bytes, with the hub's
//! [`SlowPolicy`] applied at enqueue time, and one waker for the session task.
//!
//! A `Mutex<VecDeque>` is enough: producers hold the lock for a push (and, under
//! `DropOldest`, a few pops); the consumer takes one item at a time. An empty queue
//! owns no allocation (the deque is replaced when it drains after a burst), so an idle
//! session costs only the fixed fields.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use wsgate::{CloseCode, Message, PreparedMessage};

use crate::config::{HubConfig, SlowPolicy};
use crate::handler::Cause;

/// What happened to a message handed to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// Queued (under [`SlowPolicy::DropOldest`], older messages may have been dropped
    /// to make room; they are counted in [`Session::dropped`](crate::Session::dropped)).
    Queued,
    /// The queue was full and the policy is [`SlowPolicy::DropNewest`]: not queued.
    Dropped,
    /// The queue was full and the policy is [`SlowPolicy::Disconnect`]: the queue was
    /// discarded and the session is closing.
    Disconnected,
    /// The session is closing or closed: not queued.
    Closed,
}

/// An outgoing message: prepared (shared frame bytes) or plain.
#[derive(Debug)]
pub(crate) enum Out {
    Prepared(PreparedMessage),
    Plain(Message),
}

impl Out {
    fn len(&self) -> usize {
        match self {
            Self::Prepared(p) => p.message().len(),
            Self::Plain(m) => m.len(),
        }
    }
}

/// A request to end the session, seen by its task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CloseRequest {
    pub(crate) code: CloseCode,
    pub(crate) reason: Box<str>,
    pub(crate) cause: Cause,
}

/// What the session task should do next.
#[derive(Debug)]
pub(crate) enum Next {
    Send(Out),
    Close(CloseRequest),
    /// Drop the connection now (shutdown deadline passed).
    Abort,
}

#[derive(Debug, Default)]
pub(crate) struct Queue {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    items: VecDeque<Out>,
    bytes: usize,
    dropped: u64,
    close: Option<CloseRequest>,
    abort: bool,
    /// The task cannot write now: wake it for close requests only.
    blocked: bool,
    waker: Option<Waker>,
}

impl Queue {
    /// Queues `out` under the hub's limits and policy. The second value is how many
    /// messages were discarded (`DropOldest`: old ones; `DropNewest`: this one;
    /// `Disconnect`: the queue and this one).
    pub(crate) fn push(&self, out: Out, config: &HubConfig) -> (Delivery, usize) {
        let mut s = self.lock();
        if s.close.is_some() || s.abort {
            return (Delivery::Closed, 0);
        }
        let len = out.len();
        let mut discarded = 0;
        if !s.fits(len, config) {
            match config.slow_policy {
                SlowPolicy::DropNewest => {
                    s.dropped += 1;
                    return (Delivery::Dropped, 1);
                }
                SlowPolicy::DropOldest => {
                    while !s.fits(len, config) {
                        let Some(old) = s.items.pop_front() else {
                            break;
                        };
                        s.bytes -= old.len();
                        discarded += 1;
                    }
                    s.dropped += discarded as u64;
                }
                SlowPolicy::Disconnect(code) => {
                    // The queue and the message that did not fit.
                    let discarded = s.items.len() + 1;
                    s.clear();
                    s.dropped += 1;
                    s.close = Some(CloseRequest {
                        code,
                        reason: "slow consumer".into(),
                        cause: Cause::SlowConsumer,
                    });
                    s.wake();
                    return (Delivery::Disconnected, discarded);
                }
            }
        }
        s.bytes += len;
        s.items.push_back(out);
        if !s.blocked {
            s.wake();
        }
        (Delivery::Queued, discarded)
    }

    /// Asks the task to close after sending what is queued. The first request wins.
    /// Returns whether this one was taken.
    pub(crate) fn close(&self, request: CloseRequest) -> bool {
        let mut s = self.lock();
        if s.close.is_some() {
            return false;
        }
        s.close = Some(request);
        s.wake();
        true
    }

    /// Asks the task to drop the connection now.
    pub(crate) fn abort(&self) {
        let mut s = self.lock();
        s.abort = true;
        s.wake();
    }

    /// The next thing to do, registering the waker when there is nothing.
    pub(crate) fn poll_next(&self, cx: &mut Context<'_>) -> Poll<Next> {
        let mut s = self.lock();
        s.blocked = false;
        if s.abort {
            return Poll::Ready(Next::Abort);
        }
        if let Some(out) = s.items.pop_front() {
            s.bytes -= out.len();
            return Poll::Ready(Next::Send(out));
        }
        if s.items.capacity() > SHRINK_ABOVE {
            s.items = VecDeque::new();
        }
        if let Some(close) = s.close.take() {
            s.close = Some(close.clone());
            return Poll::Ready(Next::Close(close));
        }
        s.register(cx);
        Poll::Pending
    }

    /// Puts back a message the connection could not take yet; the task is woken by
    /// the connection, and by the queue only for close requests.
    pub(crate) fn unpop(&self, out: Out, cx: &mut Context<'_>) {
        let mut s = self.lock();
        s.bytes += out.len();
        s.items.push_front(out);
        s.blocked = true;
        s.register(cx);
    }

    /// Registers the waker without taking anything (used while closing).
    pub(crate) fn poll_abort(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.lock();
        if s.abort {
            return Poll::Ready(());
        }
        s.blocked = true;
        s.register(cx);
        Poll::Pending
    }

    /// Payload bytes waiting.
    pub(crate) fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Messages waiting.
    pub(crate) fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Messages discarded by the slow-consumer policy so far.
    pub(crate) fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// Whether a close was requested.
    pub(crate) fn is_closing(&self) -> bool {
        let s = self.lock();
        s.close.is_some() || s.abort
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    /// Whether a message of `len` bytes fits. An empty queue takes any one message, so
    /// a message larger than the byte limit still gets through to a keeping-up client.
    fn fits(&self, len: usize, config: &HubConfig) -> bool {
        self.items.is_empty()
            || (self.items.len() < config.queue_messages
                && self.bytes.saturating_add(len) <= config.queue_bytes)
    }

    fn clear(&mut self) {
        self.dropped += self.items.len() as u64;
        self.items = VecDeque::new();
        self.bytes = 0;
    }

    fn register(&mut self, cx: &mut Context<'_>) {
        match &self.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => self.waker = Some(cx.waker().clone()),
        }
    }

    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}

/// A drained deque with more slots than this is freed (idle sessions hold nothing).
const SHRINK_ABOVE: usize = 8;

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn config(policy: SlowPolicy) -> HubConfig {
        let mut c = HubConfig::default();
        c.queue_messages(3).queue_bytes(100).slow_policy(policy);
        c
    }

    fn msg(s: &str) -> Out {
        Out::Plain(Message::text(s.to_owned()))
    }

    fn drain(q: &Queue) -> Vec<String> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        while let Poll::Ready(Next::Send(Out::Plain(Message::Text(t)))) = q.poll_next(&mut cx) {
            out.push(t.as_str().to_owned());
        }
        out
    }

    #[test]
    fn drop_oldest_keeps_the_newest() {
        let (q, c) = (Queue::default(), config(SlowPolicy::DropOldest));
        for s in ["a", "b", "c", "d", "e"] {
            assert_eq!(q.push(msg(s), &c).0, Delivery::Queued);
        }
        assert_eq!(q.dropped(), 2);
        assert_eq!(drain(&q), ["c", "d", "e"]);
        assert_eq!(q.bytes(), 0);
    }

    #[test]
    fn drop_newest_keeps_the_oldest() {
        let (q, c) = (Queue::default(), config(SlowPolicy::DropNewest));
        let results: Vec<_> = ["a", "b", "c", "d"].map(|s| q.push(msg(s), &c).0).into();
        assert_eq!(results[3], Delivery::Dropped);
        assert_eq!(drain(&q), ["a", "b", "c"]);
    }

    #[test]
    fn disconnect_discards_and_requests_close() {
        let (q, c) = (Queue::default(), config(SlowPolicy::DISCONNECT));
        for s in ["a", "b", "c"] {
            q.push(msg(s), &c);
        }
        assert_eq!(q.push(msg("d"), &c), (Delivery::Disconnected, 4));
        assert_eq!(q.push(msg("e"), &c).0, Delivery::Closed);
        let mut cx = Context::from_waker(Waker::noop());
        match q.poll_next(&mut cx) {
            Poll::Ready(Next::Close(r)) => assert_eq!(r.code, CloseCode::TRY_AGAIN_LATER),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn byte_limit_applies_but_one_large_message_passes() {
        let (q, c) = (Queue::default(), config(SlowPolicy::DropNewest));
        let big = "x".repeat(150);
        assert_eq!(q.push(msg(&big), &c).0, Delivery::Queued);
        assert_eq!(q.push(msg("y"), &c).0, Delivery::Dropped);
        assert_eq!(q.bytes(), 150);
    }

    #[test]
    fn graceful_close_comes_after_the_queue() {
        let (q, c) = (Queue::default(), config(SlowPolicy::DISCONNECT));
        q.push(msg("a"), &c);
        let request = CloseRequest {
            code: CloseCode::GOING_AWAY,
            reason: "".into(),
            cause: Cause::Shutdown,
        };
        assert!(q.close(request));
        assert_eq!(drain(&q), ["a"]);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(q.poll_next(&mut cx), Poll::Ready(Next::Close(_))));
    }
}
