//! Heap cost of an idle hub session with one subscription, measured with a counting
//! allocator over real loopback connections (the clients are blocking std sockets,
//! which allocate nothing, so the growth is the server's). The target is 2 KiB per
//! session; run with `--nocapture` to see the figures.
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::time::Duration;
use wsgate::proto::handshake::{Rejection, Request};
use wsgate_hub::{Handler, HubBuilder, Session};

/// Counts live heap bytes (as requested; malloc's own headers are not included).
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees hold; the counter has no effect on the returned memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        BLOCKS.fetch_add(1, Relaxed);
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        BLOCKS.fetch_sub(1, Relaxed);
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Subscribes every session to one room on connect.
struct OneRoom;

impl Handler<()> for OneRoom {
    fn on_upgrade(&self, _: &Request) -> Result<(), Rejection> {
        Ok(())
    }

    fn on_connect(&self, session: &Session<()>) {
        session.subscribe("room");
    }
}

/// Opens a WebSocket with a blocking socket and a stack buffer.
fn open(addr: std::net::SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut buf = [0u8; 512];
    let mut n = 0;
    while !buf[..n].ends_with(b"\r\n\r\n") {
        let got = tcp.read(&mut buf[n..]).unwrap();
        assert!(got > 0, "eof during the handshake");
        n += got;
    }
    assert!(buf.starts_with(b"HTTP/1.1 101"));
    tcp
}

const SESSIONS: usize = 4000;

#[test]
fn idle_session_with_one_subscription_costs_under_2_kib() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hub = HubBuilder::new().build(OneRoom);
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn({
        let hub = hub.clone();
        async move { hub.serve(listener).await }
    });
    let settle = |n: usize| {
        for _ in 0..500 {
            if hub.subscriber_count("room") == n {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(hub.subscriber_count("room"), n);
    };

    // Warm up: registry shards, timer wheel, runtime slabs.
    let mut clients: Vec<TcpStream> = (0..200).map(|_| open(addr)).collect();
    settle(200);
    clients.reserve(SESSIONS);
    let (before, blocks_before) = (LIVE.load(Relaxed), BLOCKS.load(Relaxed));
    clients.extend((0..SESSIONS).map(|_| open(addr)));
    settle(SESSIONS + 200);
    let (after, blocks_after) = (LIVE.load(Relaxed), BLOCKS.load(Relaxed));

    let per_session = (after - before) / SESSIONS as isize;
    let blocks = (blocks_after - blocks_before) as f64 / SESSIONS as f64;
    println!(
        "heap per idle session with one subscription: {per_session} bytes in {blocks:.1} blocks"
    );
    assert!(per_session <= 2048, "{per_session} bytes per session");

    drop(clients);
    runtime.block_on(hub.shutdown(Duration::from_secs(5)));
}
