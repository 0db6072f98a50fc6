//! Every `ProtocolError` path produces the right close code on the wire, moves the
//! connection to `Closed`, is reported once, and lets the transport go.
#![allow(clippy::unwrap_used, clippy::panic)]

mod pair;

use bytes::BytesMut;
use pair::{frame, masked, parse_frames, poll_all, take_transmit};
use std::time::Instant;
use wsgate_proto::{Config, Connection, Limits, PerMessageDeflate, ProtocolError, Role, State};

struct Case {
    name: &'static str,
    role: Role,
    deflate: bool,
    wire: Vec<u8>,
    error: ProtocolError,
    code: u16,
}

fn case(name: &'static str, role: Role, wire: Vec<u8>, error: ProtocolError, code: u16) -> Case {
    Case {
        name,
        role,
        deflate: false,
        wire,
        error,
        code,
    }
}

fn small_limits() -> Config {
    let mut config = Config::default();
    let mut limits = Limits::default();
    limits.max_frame_size(1000).max_message_size(1500);
    config.limits(limits);
    config
}

fn cases() -> Vec<Case> {
    use ProtocolError as E;
    use Role::{Client, Server};
    let cat = |parts: &[Vec<u8>]| parts.concat();
    let mut v = vec![
        case(
            "unmasked to server",
            Server,
            frame(true, 0, 1, b"hi", None),
            E::UnmaskedFrame,
            1002,
        ),
        case(
            "masked to client",
            Client,
            masked(true, 1, b"hi"),
            E::MaskedFrame,
            1002,
        ),
        case(
            "rsv2",
            Server,
            frame(true, 2, 1, b"hi", Some([1, 2, 3, 4])),
            E::ReservedBits,
            1002,
        ),
        case(
            "rsv1 without deflate",
            Server,
            frame(true, 4, 1, b"hi", Some([1, 2, 3, 4])),
            E::ReservedBits,
            1002,
        ),
        case(
            "reserved data opcode",
            Server,
            masked(true, 3, b""),
            E::ReservedOpcode(3),
            1002,
        ),
        case(
            "reserved control opcode",
            Server,
            masked(true, 0xb, b""),
            E::ReservedOpcode(0xb),
            1002,
        ),
        case(
            "fragmented ping",
            Server,
            masked(false, 9, b""),
            E::FragmentedControlFrame,
            1002,
        ),
        case(
            "ping of 126 bytes",
            Server,
            masked(true, 9, &[0; 126]),
            E::ControlFrameTooLong,
            1002,
        ),
        case(
            "64-bit length with msb",
            Client,
            vec![0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1],
            E::InvalidLength,
            1002,
        ),
        case(
            "continuation first",
            Server,
            masked(true, 0, b"x"),
            E::UnexpectedContinuation,
            1002,
        ),
        case(
            "text inside fragmented",
            Server,
            cat(&[masked(false, 1, b"a"), masked(true, 1, b"b")]),
            E::ExpectedContinuation,
            1002,
        ),
        case(
            "invalid utf-8",
            Server,
            masked(true, 1, b"\xce\xba\xed\xa0\x80"),
            E::InvalidUtf8,
            1007,
        ),
        case(
            "utf-8 cut at end",
            Server,
            cat(&[masked(false, 1, b"\xe2\x82"), masked(true, 0, b"")]),
            E::InvalidUtf8,
            1007,
        ),
        case(
            "close of 1 byte",
            Server,
            masked(true, 8, b"\x03"),
            E::InvalidCloseLength,
            1002,
        ),
        case(
            "close 1005",
            Server,
            masked(true, 8, b"\x03\xed"),
            E::InvalidCloseCode(1005),
            1002,
        ),
        case(
            "close 999",
            Server,
            masked(true, 8, b"\x03\xe7"),
            E::InvalidCloseCode(999),
            1002,
        ),
        case(
            "close 5000",
            Client,
            frame(true, 0, 8, b"\x13\x88", None),
            E::InvalidCloseCode(5000),
            1002,
        ),
        case(
            "close reason not utf-8",
            Server,
            masked(true, 8, b"\x03\xe8\xff"),
            E::InvalidUtf8,
            1007,
        ),
    ];
    let limited = [
        case(
            "frame over max_frame_size",
            Server,
            masked(true, 2, &[0; 1001]),
            E::FrameTooLarge,
            1009,
        ),
        case(
            "message over max_message_size",
            Server,
            cat(&[masked(false, 2, &[0; 1000]), masked(true, 0, &[0; 501])]),
            E::MessageTooLarge,
            1009,
        ),
    ];
    v.extend(limited);
    let compressed = [
        Case {
            deflate: true,
            ..case(
                "garbage deflate",
                Server,
                frame(true, 4, 2, &[0xff; 8], Some([1, 2, 3, 4])),
                E::InvalidCompressedData,
                1002,
            )
        },
        Case {
            deflate: true,
            ..case(
                "rsv1 on continuation",
                Server,
                cat(&[
                    masked(false, 2, b"a"),
                    frame(true, 4, 0, b"b", Some([1, 2, 3, 4])),
                ]),
                E::CompressedFlagMisplaced,
                1002,
            )
        },
        Case {
            deflate: true,
            ..case(
                "rsv1 on ping",
                Client,
                frame(true, 4, 9, b"", None),
                E::CompressedFlagMisplaced,
                1002,
            )
        },
    ];
    v.extend(compressed);
    v
}

#[test]
fn every_protocol_error_closes_with_its_code() {
    for c in cases() {
        let config = small_limits();
        let deflate = c.deflate.then(PerMessageDeflate::default);
        let mut conn = Connection::new(c.role, &config, deflate);
        let mut rx = BytesMut::from(&c.wire[..]);
        let now = Instant::now();
        let events = poll_all(&mut conn, &mut rx, now);
        assert_eq!(events.last(), Some(&Err(c.error.clone())), "{}", c.name);
        assert_eq!(c.error.close_code().as_u16(), c.code, "{}", c.name);
        assert_eq!(conn.state(), State::Closed, "{}", c.name);
        // Reported once; afterwards nothing is read.
        rx.extend_from_slice(&masked(true, 1, b"more"));
        assert_eq!(conn.poll_event(&mut rx, now), Ok(None), "{}", c.name);
        assert!(
            !conn.should_close_transport(),
            "{}: close frame not yet written",
            c.name
        );
        let frames = parse_frames(&take_transmit(&mut conn));
        assert_eq!(frames.len(), 1, "{}", c.name);
        assert_eq!(frames[0].close_code(), Some(c.code), "{}", c.name);
        assert_eq!(frames[0].masked, c.role == Role::Client, "{}", c.name);
        assert!(std::str::from_utf8(&frames[0].payload[2..]).is_ok());
        assert!(conn.should_close_transport(), "{}", c.name);
        assert!(conn.send(wsgate_proto::Message::text("x"), now).is_err());
    }
}

#[test]
fn errors_are_detected_from_the_header_before_the_payload_arrives() {
    let config = small_limits();
    let mut conn = Connection::new(Role::Server, &config, None);
    // Only the header of an oversized frame has arrived.
    let wire = masked(true, 2, &[0; 1001]);
    let mut rx = BytesMut::from(&wire[..8]);
    assert_eq!(
        conn.poll_event(&mut rx, Instant::now()),
        Err(ProtocolError::FrameTooLarge)
    );
    // A reserved opcode is visible from the first two bytes.
    let mut conn = Connection::new(Role::Server, &config, None);
    let mut rx = BytesMut::from(&[0x85, 0x80][..]);
    assert_eq!(
        conn.poll_event(&mut rx, Instant::now()),
        Err(ProtocolError::ReservedOpcode(5))
    );
}

#[test]
fn control_frames_interleave_with_fragments() {
    let wire = [
        masked(false, 1, b"Hel"),
        masked(true, 9, b"p"),
        masked(false, 0, b"l"),
        masked(true, 10, b"q"),
        masked(true, 0, b"o"),
    ]
    .concat();
    let (events, answer) = pair::feed(Role::Server, &Config::default(), None, &wire);
    use wsgate_proto::{Event, Message};
    let expect = [
        Event::Message(Message::Ping("p".into())),
        Event::Message(Message::Pong("q".into())),
        Event::Message(Message::text("Hello")),
    ];
    assert_eq!(events, expect.map(Ok));
    assert_eq!(answer.len(), 1);
    assert_eq!((answer[0].opcode, &answer[0].payload[..]), (10, &b"p"[..]));
}
