//! The connection reads the caller's clock only when a timer needs the time: never for
//! plain traffic without keepalive, once per batch of received bytes with keepalive,
//! and once when the close handshake starts.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use bytes::BytesMut;
use pair::take_transmit;
use std::cell::Cell;
use std::time::{Duration, Instant};
use wsgate_proto::{CloseCode, Config, Connection, Event, Message, Role};

/// A clock that counts how often it is read.
struct Counted {
    reads: Cell<u32>,
    at: Instant,
}

impl Counted {
    fn new() -> Self {
        Self {
            reads: Cell::new(0),
            at: Instant::now(),
        }
    }

    fn clock(&self) -> impl FnMut() -> Instant + '_ {
        || {
            self.reads.set(self.reads.get() + 1);
            self.at
        }
    }
}

/// Client and server connections and the bytes `n` client messages make.
fn setup(config: &Config, n: usize) -> (Connection, BytesMut) {
    let mut client = Connection::new(Role::Client, config, None);
    let server = Connection::new(Role::Server, config, None);
    for i in 0..n {
        client
            .send(Message::text(format!("m{i}")), Instant::now())
            .unwrap();
    }
    (server, BytesMut::from(&take_transmit(&mut client)[..]))
}

fn echo_all(server: &mut Connection, rx: &mut BytesMut, clock: &Counted) -> usize {
    let mut echoed = 0;
    while let Some(Event::Message(m)) = server.poll_event(rx, clock.clock()).unwrap() {
        server.send(m, clock.clock()).unwrap();
        echoed += 1;
    }
    echoed
}

#[test]
fn traffic_without_keepalive_never_reads_the_clock() {
    let (mut server, mut rx) = setup(&Config::default(), 100);
    let clock = Counted::new();
    assert_eq!(echo_all(&mut server, &mut rx, &clock), 100);
    assert_eq!(clock.reads.get(), 0);
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn keepalive_reads_the_clock_once_per_batch_of_bytes() {
    let mut config = Config::default();
    config.ping_interval(Some(Duration::from_secs(10)));
    let (mut server, mut rx) = setup(&config, 100);
    let clock = Counted::new();
    assert_eq!(echo_all(&mut server, &mut rx, &clock), 100);
    // The first poll sees new bytes; the ones after it see only what is left of them.
    assert_eq!(clock.reads.get(), 1);
    assert_eq!(
        server.poll_timeout(),
        Some(clock.at + Duration::from_secs(10))
    );
}

#[test]
fn closing_reads_the_clock_to_start_the_close_timeout() {
    let config = Config::default();
    let (mut server, _) = setup(&config, 0);
    let clock = Counted::new();
    server
        .close(CloseCode::NORMAL, "bye", clock.clock())
        .unwrap();
    assert_eq!(clock.reads.get(), 1);
    assert_eq!(server.poll_timeout(), Some(clock.at + config.close_timeout));
}
