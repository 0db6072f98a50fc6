//! Async WebSocket connections on tokio (in progress).
