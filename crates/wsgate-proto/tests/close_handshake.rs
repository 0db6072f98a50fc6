//! The close handshake in both roles, the close timeout, and what happens to traffic
//! around close frames.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use bytes::Bytes;
use pair::{Pair, parse_frames, take_transmit};
use std::time::Duration;
use wsgate_proto::{CloseCode, CloseFrame, Config, Event, Message, SendError, State};

fn close_event(code: CloseCode, reason: &str) -> Event {
    Event::Message(Message::Close(Some(CloseFrame::new(code, reason))))
}

#[test]
fn server_initiated_close_server_closes_tcp_first() {
    let mut p = Pair::new(&Config::default(), None);
    p.server.close(CloseCode::GOING_AWAY, "bye", p.now).unwrap();
    assert_eq!(p.server.state(), State::CloseSent);
    p.flush();
    assert_eq!(
        p.client_events(),
        [Ok(close_event(CloseCode::GOING_AWAY, "bye"))]
    );
    assert_eq!(p.client.state(), State::Closed);
    assert_eq!(
        p.client.peer_close().map(|f| f.code),
        Some(CloseCode::GOING_AWAY)
    );
    let echo_bytes = take_transmit(&mut p.client);
    let echo = parse_frames(&echo_bytes);
    assert_eq!(echo.len(), 1);
    assert_eq!(
        (echo[0].close_code(), echo[0].payload.len()),
        (Some(1001), 2)
    );
    assert!(
        !p.client.should_close_transport(),
        "the client waits for the server's EOF"
    );
    p.to_server.extend_from_slice(&echo_bytes);
    assert_eq!(
        p.server_events(),
        [Ok(close_event(CloseCode::GOING_AWAY, ""))]
    );
    assert_eq!(p.server.state(), State::Closed);
    assert!(p.server.should_close_transport());
    assert_eq!(
        p.server.transmit_len(),
        0,
        "nothing follows our close frame"
    );
    // The client's timer now waits for EOF; EOF ends it.
    assert!(p.client.poll_timeout().is_some());
    p.client.handle_eof();
    assert!(p.client.should_close_transport());
}

#[test]
fn client_initiated_close_is_echoed_and_client_waits_for_eof_or_timeout() {
    let mut p = Pair::new(&Config::default(), None);
    p.client.close(CloseCode::NORMAL, "done", p.now).unwrap();
    p.flush();
    assert_eq!(
        p.server_events(),
        [Ok(close_event(CloseCode::NORMAL, "done"))]
    );
    assert_eq!(p.server.state(), State::Closed);
    assert!(!p.server.should_close_transport(), "echo still queued");
    p.flush();
    assert!(p.server.should_close_transport());
    assert_eq!(p.client_events(), [Ok(close_event(CloseCode::NORMAL, ""))]);
    assert_eq!(p.client.state(), State::Closed);
    assert!(!p.client.should_close_transport());
    let deadline = p.client.poll_timeout().unwrap();
    assert_eq!(deadline, p.now + Config::default().close_timeout);
    p.client
        .handle_timeout(deadline - Duration::from_millis(1))
        .unwrap();
    assert!(!p.client.should_close_transport());
    p.client.handle_timeout(deadline).unwrap();
    assert!(p.client.should_close_transport());
    assert_eq!(p.client.poll_timeout(), None);
}

#[test]
fn empty_close_is_echoed_empty() {
    let mut p = Pair::new(&Config::default(), None);
    p.client.send(Message::Close(None), p.now).unwrap();
    p.flush();
    assert_eq!(
        p.server_events(),
        [Ok(Event::Message(Message::Close(None)))]
    );
    let echo = parse_frames(&take_transmit(&mut p.server));
    assert_eq!((echo[0].opcode, echo[0].payload.len()), (8, 0));
    assert_eq!(p.server.peer_close(), None);
}

#[test]
fn data_sent_before_the_peer_saw_our_close_is_still_delivered() {
    let mut p = Pair::new(&Config::default(), None);
    p.server.close(CloseCode::NORMAL, "", p.now).unwrap();
    p.client.send(Message::text("in flight"), p.now).unwrap();
    p.client
        .send(Message::Ping(Bytes::from_static(b"p")), p.now)
        .unwrap();
    p.flush();
    let events = p.server_events();
    assert_eq!(events[0], Ok(Event::Message(Message::text("in flight"))));
    assert_eq!(events[1], Ok(Event::Message(Message::Ping("p".into()))));
    assert_eq!(p.server.transmit_len(), 0, "no pong after our close frame");
    assert_eq!(p.server.state(), State::CloseSent);
    assert_eq!(p.client_events(), [Ok(close_event(CloseCode::NORMAL, ""))]);
    p.flush();
    assert_eq!(p.server_events(), [Ok(close_event(CloseCode::NORMAL, ""))]);
    assert!(p.server.should_close_transport());
}

#[test]
fn simultaneous_close_completes_without_extra_frames() {
    let mut p = Pair::new(&Config::default(), None);
    p.server.close(CloseCode::NORMAL, "s", p.now).unwrap();
    p.client.close(CloseCode::GOING_AWAY, "c", p.now).unwrap();
    p.flush();
    assert_eq!(
        p.server_events(),
        [Ok(close_event(CloseCode::GOING_AWAY, "c"))]
    );
    assert_eq!(p.client_events(), [Ok(close_event(CloseCode::NORMAL, "s"))]);
    assert_eq!(
        (p.server.state(), p.client.state()),
        (State::Closed, State::Closed)
    );
    assert_eq!(p.server.transmit_len() + p.client.transmit_len(), 0);
    assert!(p.server.should_close_transport());
}

#[test]
fn nothing_is_queued_after_our_close_frame() {
    let mut p = Pair::new(&Config::default(), None);
    p.server.close(CloseCode::NORMAL, "", p.now).unwrap();
    let now = p.now;
    assert_eq!(
        p.server.send(Message::text("late"), now),
        Err(SendError::Closed)
    );
    assert_eq!(
        p.server.send(Message::Ping(Bytes::new()), now),
        Err(SendError::Closed)
    );
    assert_eq!(
        p.server.close(CloseCode::NORMAL, "", now),
        Err(SendError::Closed)
    );
    assert_eq!(
        p.server
            .send_chunk(wsgate_proto::DataKind::Binary, Bytes::new(), true),
        Err(SendError::Closed)
    );
    assert_eq!(parse_frames(&take_transmit(&mut p.server)).len(), 1);
}

#[test]
fn close_arguments_are_checked() {
    let mut p = Pair::new(&Config::default(), None);
    let now = p.now;
    assert_eq!(
        p.server.close(CloseCode::NO_STATUS, "", now),
        Err(SendError::InvalidCloseCode(1005))
    );
    assert_eq!(
        p.server.close(CloseCode::new(2999), "", now),
        Err(SendError::InvalidCloseCode(2999))
    );
    let long = "x".repeat(124);
    assert_eq!(
        p.server.close(CloseCode::NORMAL, &long, now),
        Err(SendError::ControlFrameTooLong)
    );
    assert_eq!(p.server.state(), State::Open);
    p.server
        .close(CloseCode::new(4000), &long[..123], now)
        .unwrap();
}

#[test]
fn close_timeout_gives_up_on_a_silent_peer() {
    let mut p = Pair::new(&Config::default(), None);
    p.server.close(CloseCode::NORMAL, "", p.now).unwrap();
    let deadline = p.server.poll_timeout().unwrap();
    assert_eq!(deadline, p.now + Duration::from_secs(5));
    p.server.handle_timeout(deadline).unwrap();
    assert_eq!(p.server.state(), State::Closed);
    assert!(
        p.server.should_close_transport(),
        "unsent bytes are dropped at the deadline"
    );
}

#[test]
fn eof_before_the_close_handshake_is_abnormal_but_closed() {
    let mut p = Pair::new(&Config::default(), None);
    p.server.handle_eof();
    assert_eq!(p.server.state(), State::Closed);
    assert!(p.server.should_close_transport());
    assert_eq!(p.server.peer_close(), None);
    p.to_server.extend_from_slice(b"junk");
    assert!(p.server_events().is_empty());
    assert!(p.to_server.is_empty(), "bytes after close are discarded");
}
