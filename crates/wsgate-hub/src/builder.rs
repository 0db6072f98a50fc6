//! [`HubBuilder`]: hub settings, admission policy and handshake options.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::time::Duration;
use tokio::sync::Notify;
use wsgate::{Acceptor, DeflateConfig};

use crate::auth::OriginPolicy;
use crate::config::HubConfig;
use crate::handler::Handler;
use crate::hub::{Hub, Shared};
use crate::metrics::Metrics;
use crate::registry::Registry;

/// Builds a [`Hub`]. Reusable: [`build`](Self::build) borrows it.
#[derive(Clone, Debug)]
pub struct HubBuilder {
    config: HubConfig,
    origin: OriginPolicy,
    subprotocols: Vec<String>,
    deflate: Option<DeflateConfig>,
    handshake_timeout: Duration,
}

impl Default for HubBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl HubBuilder {
    /// A builder with default settings.
    pub fn new() -> Self {
        Self {
            config: HubConfig::default(),
            origin: OriginPolicy::default(),
            subprotocols: Vec::new(),
            deflate: None,
            handshake_timeout: Duration::from_secs(10),
        }
    }

    /// Sets the hub settings. Default is [`HubConfig::default`].
    pub fn config(&mut self, config: HubConfig) -> &mut Self {
        self.config = config;
        self
    }

    /// Also accepts these origins (exact `scheme://host[:port]`, ASCII
    /// case-insensitive), besides same-origin requests. Default is same-origin only.
    pub fn allow_origins<I, O>(&mut self, origins: I) -> &mut Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        origins
            .into_iter()
            .for_each(|o| self.origin.allow(&o.into()));
        self
    }

    /// Accepts any origin (for APIs protected by tokens that browsers do not send
    /// automatically). Default is same-origin only.
    pub fn allow_any_origin(&mut self) -> &mut Self {
        self.origin.allow_any();
        self
    }

    /// Sets the subprotocols the hub speaks, in order of preference. Default is none.
    pub fn subprotocols<I, P>(&mut self, protocols: I) -> &mut Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.subprotocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the permessage-deflate policy. With `server_no_context_takeover`, a
    /// broadcast is compressed once per window size and the compressed bytes are
    /// shared; with context takeover every session compresses on its own (and keeps a
    /// compressor, ~300 KiB, for its lifetime). Default is `None` (no compression).
    pub fn deflate(&mut self, deflate: Option<DeflateConfig>) -> &mut Self {
        self.deflate = deflate;
        self
    }

    /// Sets how long a client may take to send its request head. Default is 10 seconds.
    pub fn handshake_timeout(&mut self, d: Duration) -> &mut Self {
        self.handshake_timeout = d;
        self
    }

    /// Builds the hub with `handler` for its hooks.
    pub fn build<T, H>(&self, handler: H) -> Hub<T>
    where
        T: Send + Sync + 'static,
        H: Handler<T>,
    {
        let mut acceptor = Acceptor::new();
        acceptor
            .config(self.config.connection())
            .subprotocols(self.subprotocols.iter().cloned())
            .deflate(self.deflate)
            .handshake_timeout(self.handshake_timeout)
            .write_buffer_size(self.config.write_buffer);
        let shared = Shared {
            config: self.config,
            acceptor,
            origin: self.origin.clone(),
            handler: Box::new(handler),
            registry: Registry::new(),
            metrics: Metrics::default(),
            next_id: AtomicU64::new(1),
            shutting_down: AtomicBool::new(false),
            live: AtomicUsize::new(0),
            changed: Notify::new(),
        };
        Hub::from_shared(Arc::new(shared))
    }
}
