//! Keepalive pings and the pong deadline, driven by a fake clock.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use pair::{Pair, parse_frames, take_transmit};
use std::time::Duration;
use wsgate_proto::{Config, Event, Message, ProtocolError, State};

fn config() -> Config {
    let mut c = Config::default();
    c.ping_interval(Some(Duration::from_secs(10)))
        .pong_timeout(Duration::from_secs(5));
    c
}

#[test]
fn no_timer_without_keepalive() {
    let p = Pair::new(&Config::default(), None);
    assert_eq!(p.server.poll_timeout(), None);
}

#[test]
fn idle_connection_is_pinged_and_a_pong_keeps_it_alive() {
    let mut p = Pair::new(&config(), None);
    let start = p.now;
    assert_eq!(
        p.server.poll_timeout(),
        Some(start + Duration::from_secs(10))
    );
    p.advance(Duration::from_secs(10));
    p.server.handle_timeout(p.now).unwrap();
    assert_eq!(
        p.server.poll_timeout(),
        Some(p.now + Duration::from_secs(5))
    );
    p.flush();
    assert_eq!(
        p.client_events(),
        [Ok(Event::Message(Message::Ping(Default::default())))]
    );
    p.advance(Duration::from_secs(1));
    p.flush();
    assert_eq!(
        p.server_events(),
        [Ok(Event::Message(Message::Pong(Default::default())))]
    );
    assert_eq!(
        p.server.poll_timeout(),
        Some(p.now + Duration::from_secs(10))
    );
    assert_eq!(p.server.state(), State::Open);
}

#[test]
fn traffic_postpones_the_ping() {
    let mut p = Pair::new(&config(), None);
    p.advance(Duration::from_secs(7));
    p.client.send(Message::text("hi"), p.now).unwrap();
    p.flush();
    assert_eq!(p.server_events().len(), 1);
    assert_eq!(
        p.server.poll_timeout(),
        Some(p.now + Duration::from_secs(10))
    );
    p.server
        .handle_timeout(p.now + Duration::from_secs(9))
        .unwrap();
    assert_eq!(p.server.transmit_len(), 0);
}

#[test]
fn silent_peer_fails_with_timeout_and_close_1008() {
    let mut p = Pair::new(&config(), None);
    p.advance(Duration::from_secs(10));
    p.server.handle_timeout(p.now).unwrap();
    let ping = parse_frames(&take_transmit(&mut p.server));
    assert_eq!(ping[0].opcode, 9);
    p.advance(Duration::from_secs(5));
    assert_eq!(p.server.handle_timeout(p.now), Err(ProtocolError::Timeout));
    assert_eq!(p.server.state(), State::Closed);
    let close = parse_frames(&take_transmit(&mut p.server));
    assert_eq!(close[0].close_code(), Some(1008));
    assert!(p.server.should_close_transport());
}

#[test]
fn a_repeated_poll_without_new_bytes_is_not_traffic() {
    let mut p = Pair::new(&config(), None);
    p.to_server.extend_from_slice(&[0x81]); // half a header, then silence
    p.server_events();
    p.advance(Duration::from_secs(10));
    p.server_events();
    p.server.handle_timeout(p.now).unwrap();
    assert_eq!(parse_frames(&take_transmit(&mut p.server))[0].opcode, 9);
}
