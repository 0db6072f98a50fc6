//! [`Hub`]: the shared state (sessions, topics, metrics) and the fan-out API.
//!
//! Every fan-out frames its message once ([`PreparedMessage`]) and enqueues a
//! reference-counted handle to it on each recipient's queue, so N recipients cost one
//! encoding, N pointer copies and N queue locks; the connections then write the same
//! bytes (and, with compression negotiated without context takeover, one shared
//! compressed copy per window size).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use tokio::sync::Notify;
use wsgate::{Acceptor, Message, PreparedMessage};

use crate::auth::OriginPolicy;
use crate::config::HubConfig;
use crate::handler::Handler;
use crate::metrics::{Metrics, MetricsSnapshot};
use crate::queue::Delivery;
use crate::registry::Registry;
use crate::session::{Session, SessionId};

/// A WebSocket hub: sessions, topics, broadcast. Cheap to clone (one `Arc`).
///
/// Build one with [`HubBuilder`](crate::HubBuilder), serve connections with [`accept`](Self::accept)
/// (any stream), [`serve`](Self::serve) (a TCP listener) or
/// [`upgrade`](Self::upgrade) (hyper), and fan messages out with the methods below.
/// Every fan-out method is synchronous and non-blocking: it only enqueues.
pub struct Hub<T> {
    pub(crate) shared: Arc<Shared<T>>,
}

pub(crate) struct Shared<T> {
    pub(crate) config: HubConfig,
    pub(crate) acceptor: Acceptor,
    pub(crate) origin: OriginPolicy,
    pub(crate) handler: Box<dyn Handler<T>>,
    pub(crate) registry: Registry<T>,
    pub(crate) metrics: Metrics,
    pub(crate) next_id: AtomicU64,
    pub(crate) shutting_down: AtomicBool,
    /// Session tasks not yet finished (including their `on_disconnect`).
    pub(crate) live: AtomicUsize,
    /// Notified when `live` drops to zero and when shutdown starts.
    pub(crate) changed: Notify,
}

/// What a fan-out did: how many sessions it reached and what their queues did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fanout {
    /// Sessions the message was offered to.
    pub recipients: usize,
    /// Sessions that queued it.
    pub queued: usize,
    /// Sessions whose full queue dropped it ([`SlowPolicy::DropNewest`](crate::SlowPolicy)).
    pub dropped: usize,
    /// Sessions disconnected for slowness by this message.
    pub disconnected: usize,
}

impl Fanout {
    fn add(&mut self, delivery: Delivery) {
        self.recipients += 1;
        match delivery {
            Delivery::Queued => self.queued += 1,
            Delivery::Dropped => self.dropped += 1,
            Delivery::Disconnected => self.disconnected += 1,
            Delivery::Closed => {}
        }
    }
}

impl<T> Clone for Hub<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> fmt::Debug for Hub<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("config", &self.shared.config)
            .field("live", &self.shared.live.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> Hub<T> {
    pub(crate) fn from_shared(shared: Arc<Shared<T>>) -> Self {
        Self { shared }
    }

    /// Sends `msg` to every subscriber of `topic`, framing it once.
    /// Costs O(subscribers of `topic`).
    pub fn publish(&self, topic: &str, msg: impl Into<Message>) -> Fanout {
        self.publish_prepared(topic, &PreparedMessage::new(msg.into()))
    }

    /// Sends an already prepared message to every subscriber of `topic`.
    pub fn publish_prepared(&self, topic: &str, msg: &PreparedMessage) -> Fanout {
        self.shared.metrics.record_publish();
        let mut fanout = Fanout::default();
        let registry = &self.shared.registry;
        registry.for_each_subscriber(topic, |s| fanout.add(s.send_prepared(msg)));
        fanout
    }

    /// Sends `msg` to every session.
    pub fn broadcast(&self, msg: impl Into<Message>) -> Fanout {
        self.broadcast_filter(msg, |_| true)
    }

    /// Sends `msg` to every session but `except` (typically the sender).
    pub fn broadcast_except(&self, msg: impl Into<Message>, except: SessionId) -> Fanout {
        self.broadcast_filter(msg, |s| s.id() != except)
    }

    /// Sends `msg` to every session for which `filter` returns `true`. The filter runs
    /// for every session (O(all sessions)); prefer topics for large fan-outs.
    pub fn broadcast_filter<F>(&self, msg: impl Into<Message>, mut filter: F) -> Fanout
    where
        F: FnMut(&Session<T>) -> bool,
    {
        let msg = PreparedMessage::new(msg.into());
        self.shared.metrics.record_publish();
        let mut fanout = Fanout::default();
        self.shared.registry.for_each_session(|s| {
            if filter(s) {
                fanout.add(s.send_prepared(&msg));
            }
        });
        fanout
    }

    /// Sends `msg` to one session; [`Delivery::Closed`] if there is no such session.
    pub fn send_to(&self, id: SessionId, msg: impl Into<Message>) -> Delivery {
        self.session(id).map_or(Delivery::Closed, |s| s.send(msg))
    }

    /// The live session with this id.
    pub fn session(&self, id: SessionId) -> Option<Session<T>> {
        self.shared.registry.get(id)
    }

    /// Calls `f` for every live session (shard by shard, under read locks: do not
    /// subscribe or unsubscribe from `f`).
    pub fn for_each_session(&self, f: impl FnMut(&Session<T>)) {
        self.shared.registry.for_each_session(f);
    }

    /// Live sessions.
    pub fn session_count(&self) -> usize {
        self.shared.registry.session_count()
    }

    /// Subscribers of `topic`.
    pub fn subscriber_count(&self, topic: &str) -> usize {
        self.shared.registry.subscriber_count(topic)
    }

    /// Topics with at least one subscriber.
    pub fn topic_count(&self) -> usize {
        self.shared.registry.topic_count()
    }

    /// The hub's counters.
    pub fn metrics(&self) -> MetricsSnapshot {
        self.shared.metrics.snapshot()
    }

    /// The hub's settings.
    pub fn config(&self) -> &HubConfig {
        &self.shared.config
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.shutting_down.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use crate::queue::{Next, Out};
    use std::task::{Context, Poll, Waker};
    use wsgate::proto::handshake::{Rejection, Request};

    struct Nop;
    impl Handler<u32> for Nop {
        fn on_upgrade(&self, _: &Request) -> Result<u32, Rejection> {
            Ok(0)
        }
    }

    fn hub_with(n: u32) -> (Hub<u32>, Vec<Session<u32>>) {
        let hub = crate::HubBuilder::new().build(Nop);
        let sessions = (0..n).map(|i| hub.register(i)).collect();
        (hub, sessions)
    }

    fn frame_ptr(s: &Session<u32>) -> *const u8 {
        let mut cx = Context::from_waker(Waker::noop());
        match s.inner.queue.poll_next(&mut cx) {
            Poll::Ready(Next::Send(Out::Prepared(p))) => p.frame_bytes().as_ptr(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn publish_reaches_only_subscribers_and_frames_once() {
        let (hub, sessions) = hub_with(100);
        for s in &sessions[..3] {
            assert!(s.subscribe("room"));
        }
        assert!(!sessions[0].subscribe("room"));
        let fanout = hub.publish("room", "hi");
        assert_eq!((fanout.recipients, fanout.queued), (3, 3));
        let ptrs: Vec<_> = sessions[..3].iter().map(frame_ptr).collect();
        assert!(ptrs.iter().all(|p| *p == ptrs[0]), "one framing shared");
        assert_eq!(sessions[3].queued_messages(), 0);
        assert_eq!(hub.metrics().publishes, 1);
    }

    #[test]
    fn broadcast_variants_pick_their_recipients() {
        let (hub, sessions) = hub_with(5);
        assert_eq!(hub.broadcast("a").queued, 5);
        assert_eq!(hub.broadcast_except("b", sessions[0].id()).queued, 4);
        assert_eq!(hub.broadcast_filter("c", |s| *s.data() % 2 == 0).queued, 3);
        assert_eq!(hub.send_to(sessions[4].id(), "d"), Delivery::Queued);
        assert_eq!(sessions[0].queued_messages(), 2);
        assert_eq!(sessions[4].queued_messages(), 4);
    }

    #[test]
    fn unsubscribe_and_leave_remove_empty_topics() {
        let (hub, sessions) = hub_with(2);
        sessions[0].subscribe("a");
        sessions[1].subscribe("a");
        sessions[1].subscribe("b");
        assert_eq!(hub.topic_count(), 2);
        assert!(sessions[0].unsubscribe("a"));
        sessions[1].leave_all();
        assert_eq!(hub.topic_count(), 0);
        assert!(
            !sessions[1].subscribe("c"),
            "an ended session cannot subscribe"
        );
        assert_eq!(hub.publish("a", "x").recipients, 0);
    }
}
