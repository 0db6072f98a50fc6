//! What every connection costs while idle, guarded against regressions. The figures
//! behind these bounds (RSS per idle connection at 19,000 connections) are in
//! docs/memory.md; `scripts/idle-memory` measures them.
#![cfg(target_pointer_width = "64")]

use std::mem::size_of;
use tokio::net::TcpStream;
use wsgate::{Acceptor, WebSocket};

/// The `WebSocket` lives inside the task of each connection: cold state (closing,
/// failures, subprotocol, deadlines, the transmit buffers) is allocated only when used.
#[test]
fn an_idle_websocket_is_small() {
    let size = size_of::<WebSocket<TcpStream>>();
    assert!(size <= 264, "WebSocket<TcpStream> grew to {size} bytes");
}

/// Cloned into every connection task, so it must be a pointer.
#[test]
fn an_acceptor_clone_is_a_pointer() {
    assert_eq!(size_of::<Acceptor>(), size_of::<usize>());
}
