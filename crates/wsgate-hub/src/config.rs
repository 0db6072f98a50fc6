//! Hub settings: [`HubConfig`] (queue limits, [`SlowPolicy`], heartbeat, timeouts,
//! limits) and the slow-consumer policy.

use std::time::Duration;
use wsgate::{CloseCode, Limits};

/// What a session's outbound queue does when a message does not fit (see the crate
/// docs, "Backpressure and slow consumers"). Chosen per hub.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlowPolicy {
    /// Discard the queue and close the session with this code (1013 "try again later"
    /// or 1008 "policy violation"). Nothing is lost silently: the client learns it was
    /// too slow and can reconnect and resynchronise.
    Disconnect(CloseCode),
    /// Discard the oldest queued messages until the new one fits (latest state wins:
    /// tickers, presence, cursors).
    DropOldest,
    /// Discard the new message (the client sees a prefix of the stream).
    DropNewest,
}

impl SlowPolicy {
    /// Disconnect with 1013 (try again later): the default.
    pub const DISCONNECT: Self = Self::Disconnect(CloseCode::TRY_AGAIN_LATER);
}

impl Default for SlowPolicy {
    fn default() -> Self {
        Self::DISCONNECT
    }
}

/// Per-hub settings. `Copy`; build one with the setters and pass it to
/// [`HubBuilder::config`](crate::HubBuilder::config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HubConfig {
    /// Most messages waiting in one session's outbound queue. Default is 1024.
    pub queue_messages: usize,
    /// Most payload bytes waiting in one session's outbound queue. Default is 1 MiB.
    pub queue_bytes: usize,
    /// What to do when a message does not fit. Default is [`SlowPolicy::DISCONNECT`].
    pub slow_policy: SlowPolicy,
    /// Send a ping after this much silence from the peer. Default is 30 seconds.
    pub ping_interval: Option<Duration>,
    /// Close a peer that sends nothing within this time after a ping. Default is 20 s.
    pub pong_timeout: Duration,
    /// Close a session that sent no data message for this long. Default is `None`.
    pub idle_timeout: Option<Duration>,
    /// Close every session this long after it connected. Default is `None`.
    pub max_lifetime: Option<Duration>,
    /// How long to wait for the peer's close frame. Default is 5 seconds.
    pub close_timeout: Duration,
    /// Size limits for incoming messages (a larger one is closed with 1009).
    /// Default is 64 KiB per message and per frame.
    pub limits: Limits,
    /// Bytes the connection may hold in its write queue beyond the hub queue (the
    /// kernel holds more). Default is 64 KiB.
    pub write_buffer: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        let mut limits = Limits::default();
        limits.max_frame_size(DEFAULT_MAX_MESSAGE);
        limits.max_message_size(DEFAULT_MAX_MESSAGE);
        Self {
            queue_messages: 1024,
            queue_bytes: 1 << 20,
            slow_policy: SlowPolicy::default(),
            ping_interval: Some(Duration::from_secs(30)),
            pong_timeout: Duration::from_secs(20),
            idle_timeout: None,
            max_lifetime: None,
            close_timeout: Duration::from_secs(5),
            limits,
            write_buffer: 64 << 10,
        }
    }
}

impl HubConfig {
    /// Sets the most messages per session queue (at least 1). Default is 1024.
    pub fn queue_messages(&mut self, n: usize) -> &mut Self {
        self.queue_messages = n.max(1);
        self
    }

    /// Sets the most payload bytes per session queue. Default is 1 MiB.
    pub fn queue_bytes(&mut self, n: usize) -> &mut Self {
        self.queue_bytes = n;
        self
    }

    /// Sets the slow-consumer policy. Default is [`SlowPolicy::DISCONNECT`] (1013).
    pub fn slow_policy(&mut self, policy: SlowPolicy) -> &mut Self {
        self.slow_policy = policy;
        self
    }

    /// Sets the keepalive ping interval, `None` for no pings. Default is 30 seconds.
    pub fn ping_interval(&mut self, d: Option<Duration>) -> &mut Self {
        self.ping_interval = d;
        self
    }

    /// Sets the pong deadline after a ping. Default is 20 seconds.
    pub fn pong_timeout(&mut self, d: Duration) -> &mut Self {
        self.pong_timeout = d;
        self
    }

    /// Sets the idle timeout (no data message from the peer). Default is `None`.
    pub fn idle_timeout(&mut self, d: Option<Duration>) -> &mut Self {
        self.idle_timeout = d;
        self
    }

    /// Sets the maximum session lifetime. Default is `None`.
    pub fn max_lifetime(&mut self, d: Option<Duration>) -> &mut Self {
        self.max_lifetime = d;
        self
    }

    /// Sets the close-handshake timeout. Default is 5 seconds.
    pub fn close_timeout(&mut self, d: Duration) -> &mut Self {
        self.close_timeout = d;
        self
    }

    /// Sets the largest incoming message (and frame). Default is 64 KiB.
    pub fn max_message_size(&mut self, n: usize) -> &mut Self {
        self.limits.max_message_size(n);
        self.limits.max_frame_size(n);
        self
    }

    /// Sets the incoming size limits. Default is 64 KiB per message and per frame.
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Sets the connection's own write queue size. Default is 64 KiB.
    pub fn write_buffer(&mut self, n: usize) -> &mut Self {
        self.write_buffer = n.max(1);
        self
    }

    /// The connection settings for one session.
    pub(crate) fn connection(&self) -> wsgate::Config {
        let mut config = wsgate::Config::default();
        config
            .limits(self.limits)
            .ping_interval(self.ping_interval)
            .pong_timeout(self.pong_timeout)
            .close_timeout(self.close_timeout);
        config
    }
}

/// Default largest incoming message: 64 KiB (melody's 512 bytes is too small for JSON
/// payloads; 64 MiB, the connection default, is too large for a chat hub).
pub const DEFAULT_MAX_MESSAGE: usize = 64 << 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_finite_and_sane() {
        let c = HubConfig::default();
        assert_eq!(c.limits.max_message_size, 64 << 10);
        assert_eq!(
            c.slow_policy,
            SlowPolicy::Disconnect(CloseCode::TRY_AGAIN_LATER)
        );
        assert!(c.ping_interval.is_some());
        let conn = c.connection();
        assert_eq!(conn.limits, c.limits);
        assert_eq!(conn.ping_interval, c.ping_interval);
    }

    #[test]
    fn setters_clamp() {
        let mut c = HubConfig::default();
        c.queue_messages(0).write_buffer(0).max_message_size(10);
        assert_eq!(c.queue_messages, 1);
        assert_eq!(c.write_buffer, 1);
        assert_eq!(c.limits.max_frame_size, 10);
    }
}
