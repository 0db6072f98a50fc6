//! Connection settings: size limits, timeouts, keepalive and compression policy.

use std::time::Duration;

/// Size limits that protect against memory exhaustion. Every limit is finite by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest accepted frame payload, in bytes; a larger frame is closed with 1009.
    /// Default is 16 MiB.
    pub max_frame_size: usize,
    /// Largest accepted message, in bytes, after decompression; a larger message is
    /// closed with 1009, and inflation stops at the limit. Default is 64 MiB.
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
        }
    }
}

impl Limits {
    /// Sets the largest accepted frame payload. Default is 16 MiB.
    pub fn max_frame_size(&mut self, n: usize) -> &mut Self {
        self.max_frame_size = n;
        self
    }

    /// Sets the largest accepted message. Default is 64 MiB.
    pub fn max_message_size(&mut self, n: usize) -> &mut Self {
        self.max_message_size = n;
        self
    }
}

/// Per-connection settings for the protocol state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Size limits.
    pub limits: Limits,
    /// How long to wait for the peer's close frame (or, as a client, for the server to
    /// close TCP) after we sent ours. Default is 5 seconds.
    pub close_timeout: Duration,
    /// Send a ping after this much time without receiving anything. Default is `None`.
    pub ping_interval: Option<Duration>,
    /// Fail the connection (close 1008... then 1006 locally) if nothing arrives within this
    /// time after a keepalive ping. Default is 20 seconds (used only with `ping_interval`).
    pub pong_timeout: Duration,
    /// Messages shorter than this are sent uncompressed even when permessage-deflate was
    /// negotiated. Default is 64 bytes.
    pub compression_threshold: usize,
    /// zlib compression level, 0..=9. Default is 1 (fast; WebSocket payloads are small).
    pub compression_level: u32,
    /// Compress messages even when their deflate stream is larger than they are.
    /// Default is `false`: such messages (already compressed, encrypted or random data,
    /// which zlib grows by up to 1/8) are sent uncompressed, so that they never exceed a
    /// peer's size limit that the uncompressed message would meet. Streamed messages
    /// ([`Connection::send_chunk`](crate::Connection::send_chunk)) are always compressed
    /// when permessage-deflate is on: their first frame is sent before the rest is known.
    pub always_compress: bool,
    /// Largest chunk, in bytes, handed out per event in streaming mode. Default is 64 KiB.
    pub stream_chunk_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            close_timeout: Duration::from_secs(5),
            ping_interval: None,
            pong_timeout: Duration::from_secs(20),
            compression_threshold: 64,
            compression_level: 1,
            always_compress: false,
            stream_chunk_size: 64 << 10,
        }
    }
}

impl Config {
    /// Sets the size limits. Default is [`Limits::default`].
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.limits = limits;
        self
    }

    /// Sets the close-handshake timeout. Default is 5 seconds.
    pub fn close_timeout(&mut self, d: Duration) -> &mut Self {
        self.close_timeout = d;
        self
    }

    /// Sets the keepalive ping interval. Default is `None` (no keepalive pings).
    pub fn ping_interval(&mut self, d: Option<Duration>) -> &mut Self {
        self.ping_interval = d;
        self
    }

    /// Sets how long to wait for any traffic after a keepalive ping. Default is 20 seconds.
    pub fn pong_timeout(&mut self, d: Duration) -> &mut Self {
        self.pong_timeout = d;
        self
    }

    /// Sets the size below which messages are not compressed. Default is 64 bytes.
    pub fn compression_threshold(&mut self, n: usize) -> &mut Self {
        self.compression_threshold = n;
        self
    }

    /// Sets the zlib level (clamped to 0..=9). Default is 1.
    pub fn compression_level(&mut self, level: u32) -> &mut Self {
        self.compression_level = level.min(9);
        self
    }

    /// Sets whether to compress messages that deflate makes larger. Default is `false`.
    pub fn always_compress(&mut self, on: bool) -> &mut Self {
        self.always_compress = on;
        self
    }

    /// Sets the largest chunk per streaming event. Default is 64 KiB.
    pub fn stream_chunk_size(&mut self, n: usize) -> &mut Self {
        self.stream_chunk_size = n.max(1);
        self
    }
}
