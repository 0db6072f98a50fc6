//! permessage-deflate (RFC 7692) parameters: what an endpoint is willing to use
//! ([`DeflateConfig`]) and what the handshake agreed on ([`PerMessageDeflate`]).

/// The parameters the opening handshake agreed on (RFC 7692 §7.1). Both roles see the
/// same values; the connection picks the compressor and decompressor side by [`crate::Role`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PerMessageDeflate {
    /// The server resets its compression context after each message.
    pub server_no_context_takeover: bool,
    /// The client resets its compression context after each message.
    pub client_no_context_takeover: bool,
    /// LZ77 window of the server's compressor, 8..=15 (15 when the parameter is absent).
    pub server_max_window_bits: u8,
    /// LZ77 window of the client's compressor, 8..=15 (15 when the parameter is absent).
    pub client_max_window_bits: u8,
}

impl Default for PerMessageDeflate {
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

/// What this endpoint offers (as a client) or accepts (as a server).
///
/// - As a client: the offer sent in `Sec-WebSocket-Extensions`. `server_no_context_takeover`
///   and `server_max_window_bits < 15` are requests to the server; `client_no_context_takeover`
///   and `client_max_window_bits` describe what this client will do.
/// - As a server: the limits applied to any offer. `server_*` values are what this server
///   will use (it always may use less context than the client asked for); `client_*`
///   values are asked of the client when its offer allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeflateConfig {
    /// Reset the server's context after each message. Default is `false`.
    pub server_no_context_takeover: bool,
    /// Reset the client's context after each message. Default is `false`.
    pub client_no_context_takeover: bool,
    /// Largest server window, 8..=15. Default is 15.
    pub server_max_window_bits: u8,
    /// Largest client window, 8..=15. Default is 15.
    pub client_max_window_bits: u8,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        Self {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

impl DeflateConfig {
    /// Sets `server_no_context_takeover`. Default is `false`.
    pub fn server_no_context_takeover(&mut self, v: bool) -> &mut Self {
        self.server_no_context_takeover = v;
        self
    }

    /// Sets `client_no_context_takeover`. Default is `false`.
    pub fn client_no_context_takeover(&mut self, v: bool) -> &mut Self {
        self.client_no_context_takeover = v;
        self
    }

    /// Sets `server_max_window_bits`, clamped to 8..=15. Default is 15.
    pub fn server_max_window_bits(&mut self, bits: u8) -> &mut Self {
        self.server_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Sets `client_max_window_bits`, clamped to 8..=15. Default is 15.
    pub fn client_max_window_bits(&mut self, bits: u8) -> &mut Self {
        self.client_max_window_bits = bits.clamp(8, 15);
        self
    }
}
