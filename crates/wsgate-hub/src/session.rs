//! [`Session`]: the handle to one connected client, usable from any task.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use wsgate::{CloseCode, Message, PreparedMessage};

use crate::handler::Cause;
use crate::hub::{Hub, Shared};
use crate::queue::{CloseRequest, Delivery, Out, Queue};

/// A session's identifier, unique within its hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub(crate) u64);

impl SessionId {
    /// The number behind the id.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// A connected client: its id, its data, its outbound queue and its subscriptions.
///
/// Cheap to clone (one `Arc`); `Send` and `Sync` when `T` is, so any task can send to
/// it. Every method is non-blocking: sending only enqueues (the session's own task
/// writes), with the hub's [`SlowPolicy`](crate::SlowPolicy) applied when the queue is
/// full. A handle kept after the session ended still works: sends return
/// [`Delivery::Closed`] and subscriptions are refused.
pub struct Session<T> {
    pub(crate) inner: Arc<Inner<T>>,
}

pub(crate) struct Inner<T> {
    pub(crate) id: SessionId,
    pub(crate) data: T,
    pub(crate) queue: Queue,
    subs: Mutex<Subs>,
    pub(crate) hub: Arc<Shared<T>>,
}

#[derive(Default)]
struct Subs {
    topics: Vec<Arc<str>>,
    gone: bool,
}

impl<T> Clone for Session<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.inner.id)
            .field("queued_bytes", &self.inner.queue.bytes())
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> Session<T> {
    pub(crate) fn new(id: SessionId, data: T, hub: Arc<Shared<T>>) -> Self {
        let inner = Inner {
            id,
            data,
            queue: Queue::default(),
            subs: Mutex::default(),
            hub,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The session's id.
    pub fn id(&self) -> SessionId {
        self.inner.id
    }

    /// The data [`Handler::on_upgrade`](crate::Handler::on_upgrade) returned. Use
    /// atomics or a lock inside `T` for state that changes.
    pub fn data(&self) -> &T {
        &self.inner.data
    }

    /// The hub this session belongs to.
    pub fn hub(&self) -> Hub<T> {
        Hub::from_shared(Arc::clone(&self.inner.hub))
    }

    /// Queues a message for this session (non-blocking). A [`Message::Close`] is
    /// the same as [`close`](Self::close) (1000 when it has no code).
    pub fn send(&self, msg: impl Into<Message>) -> Delivery {
        match msg.into() {
            Message::Close(frame) => {
                let (code, reason) = frame.map_or((CloseCode::NORMAL, Default::default()), |f| {
                    (f.code, f.reason)
                });
                match self.close(code, reason.as_str()) {
                    true => Delivery::Queued,
                    false => Delivery::Closed,
                }
            }
            msg => self.push(Out::Plain(msg)),
        }
    }

    /// Queues a prepared message: its frame bytes are shared, not copied.
    pub fn send_prepared(&self, msg: &PreparedMessage) -> Delivery {
        self.push(Out::Prepared(msg.clone()))
    }

    /// Subscribes to `topic`. Returns `false` if already subscribed or the session
    /// has ended.
    pub fn subscribe(&self, topic: &str) -> bool {
        let mut subs = self.subs();
        if subs.gone || subs.topics.iter().any(|t| &**t == topic) {
            return false;
        }
        let key = self.inner.hub.registry.subscribe(topic, self);
        subs.topics.push(key);
        true
    }

    /// Unsubscribes from `topic`. Returns whether it was subscribed.
    pub fn unsubscribe(&self, topic: &str) -> bool {
        let mut subs = self.subs();
        let Some(i) = subs.topics.iter().position(|t| &**t == topic) else {
            return false;
        };
        let key = subs.topics.swap_remove(i);
        self.inner.hub.registry.unsubscribe(&key, self.id());
        true
    }

    /// The topics this session is subscribed to.
    pub fn topics(&self) -> Vec<String> {
        self.subs().topics.iter().map(|t| t.to_string()).collect()
    }

    /// Closes the session with `code` and `reason` (at most 123 bytes; longer is cut)
    /// after the messages already queued are sent. A code that may not be sent (1005,
    /// 1006, 1015, reserved) is sent as 1000. Returns `false` if it is already closing.
    pub fn close(&self, code: CloseCode, reason: &str) -> bool {
        self.request_close(code, reason, Cause::Closed)
    }

    /// Whether the session is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.inner.queue.is_closing() || self.subs().gone
    }

    /// Payload bytes waiting in the outbound queue.
    pub fn queued_bytes(&self) -> usize {
        self.inner.queue.bytes()
    }

    /// Messages waiting in the outbound queue.
    pub fn queued_messages(&self) -> usize {
        self.inner.queue.len()
    }

    /// Messages discarded by the slow-consumer policy.
    pub fn dropped(&self) -> u64 {
        self.inner.queue.dropped()
    }

    pub(crate) fn push(&self, out: Out) -> Delivery {
        let hub = &self.inner.hub;
        let (delivery, discarded) = self.inner.queue.push(out, &hub.config);
        hub.metrics.record_push(delivery, discarded);
        delivery
    }

    pub(crate) fn request_close(&self, code: CloseCode, reason: &str, cause: Cause) -> bool {
        let reason = truncate(reason, 123).into();
        self.inner.queue.close(CloseRequest {
            code,
            reason,
            cause,
        })
    }

    /// Unsubscribes from everything and refuses further subscriptions.
    pub(crate) fn leave_all(&self) {
        let mut subs = self.subs();
        subs.gone = true;
        for key in std::mem::take(&mut subs.topics) {
            self.inner.hub.registry.unsubscribe(&key, self.id());
        }
    }

    fn subs(&self) -> MutexGuard<'_, Subs> {
        self.inner
            .subs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
