//! permessage-deflate (RFC 7692) end to end: every window/context combination, context
//! takeover, the RFC example bytes, and decompression bomb safety.
#![allow(clippy::unwrap_used, clippy::panic)]

mod counting;
mod pair;

use bytes::BytesMut;
use counting::allocated_by_this_thread;
use pair::{Pair, feed, frame, parse_frames, take_transmit};
use std::time::Instant;
use wsgate_proto::{
    Config, Connection, Event, Limits, Message, PerMessageDeflate, ProtocolError, Role, State,
};

fn pmd(server_bits: u8, client_bits: u8, server_nct: bool, client_nct: bool) -> PerMessageDeflate {
    PerMessageDeflate {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: client_nct,
        server_max_window_bits: server_bits,
        client_max_window_bits: client_bits,
    }
}

fn json(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"id\":{i},\"name\":\"user{}\",\"active\":{}}},",
                i % 37,
                i % 2 == 0
            )
        })
        .collect()
}

/// Sends `msg` from one side and returns the frames on the wire and what the other side got.
fn one_way(
    p: &mut Pair,
    from_client: bool,
    msg: Message,
) -> (Vec<pair::RawFrame>, Vec<pair::Polled>) {
    let (tx, now) = if from_client {
        (&mut p.client, p.now)
    } else {
        (&mut p.server, p.now)
    };
    tx.send(msg, now).unwrap();
    let wire = take_transmit(tx);
    let frames = parse_frames(&wire);
    if from_client {
        p.to_server.extend_from_slice(&wire);
        (frames, p.server_events())
    } else {
        p.to_client.extend_from_slice(&wire);
        (frames, p.client_events())
    }
}

#[test]
fn round_trips_for_every_window_and_context_combination() {
    let texts = [json(40), json(3), "short".to_owned(), json(200)];
    for sb in 8..=15 {
        for cb in 8..=15 {
            for (snct, cnct) in [(false, false), (true, false), (false, true), (true, true)] {
                let mut p = Pair::new(&Config::default(), Some(pmd(sb, cb, snct, cnct)));
                for t in &texts {
                    for from_client in [true, false] {
                        let (frames, got) = one_way(&mut p, from_client, Message::text(t.as_str()));
                        assert_eq!(
                            got,
                            [Ok(Event::Message(Message::text(t.as_str())))],
                            "{sb} {cb} {snct} {cnct}"
                        );
                        let our_bits = if from_client { cb } else { sb };
                        let expect_compressed = our_bits > 8 && t.len() >= 64;
                        assert_eq!(
                            frames[0].rsv == 4,
                            expect_compressed,
                            "{sb} {cb} {from_client}"
                        );
                    }
                }
                let bin: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
                let (_, got) = one_way(&mut p, true, Message::binary(bin.clone()));
                assert_eq!(got, [Ok(Event::Message(Message::binary(bin)))]);
            }
        }
    }
}

/// Bytes that deflate cannot shrink (xorshift noise).
fn noise(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// zlib-rs at level 1 grows random data by ~5 % (up to 1/8); such messages go out
/// uncompressed (RSV1 clear, the payload as is), and the compressed messages around
/// them still inflate, with and without context takeover, in both directions.
#[test]
fn incompressible_messages_are_sent_uncompressed() {
    let text = json(50);
    for (nct, from_client) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut p = Pair::new(&Config::default(), Some(pmd(15, 15, nct, nct)));
        for round in 0..3 {
            let (frames, got) = one_way(&mut p, from_client, Message::text(text.as_str()));
            assert_eq!(got, [Ok(Event::Message(Message::text(text.as_str())))]);
            assert_eq!(
                frames[0].rsv, 4,
                "compressible text is compressed ({round})"
            );

            let bin = noise(70_000 + round);
            let (frames, got) = one_way(&mut p, from_client, Message::binary(bin.clone()));
            assert_eq!(
                frames[0].rsv, 0,
                "noise goes out uncompressed ({nct} {round})"
            );
            assert_eq!(frames[0].payload.len(), bin.len());
            assert_eq!(got, [Ok(Event::Message(Message::binary(bin)))]);
        }
    }
}

/// A prepared message shares its uncompressed frame when compressing would grow it.
#[test]
fn incompressible_prepared_messages_are_sent_uncompressed() {
    let bin = noise(10_000);
    let prepared = wsgate_proto::PreparedMessage::new(Message::binary(bin.clone()));
    let mut p = Pair::new(&Config::default(), Some(pmd(15, 15, true, true)));
    p.server.send_prepared(&prepared, p.now).unwrap();
    let wire = take_transmit(&mut p.server);
    let frames = parse_frames(&wire);
    assert_eq!((frames[0].rsv, frames[0].payload.len()), (0, bin.len()));
    p.to_client.extend_from_slice(&wire);
    assert_eq!(
        p.client_events(),
        [Ok(Event::Message(Message::binary(bin)))]
    );
}

#[test]
fn context_takeover_makes_the_second_identical_message_smaller() {
    let text = json(20);
    let sizes = |nct: bool| {
        let mut p = Pair::new(&Config::default(), Some(pmd(15, 15, nct, nct)));
        let (a, _) = one_way(&mut p, false, Message::text(text.as_str()));
        let (b, got) = one_way(&mut p, false, Message::text(text.as_str()));
        assert_eq!(got, [Ok(Event::Message(Message::text(text.as_str())))]);
        (a[0].payload.len(), b[0].payload.len())
    };
    let (first, second) = sizes(false);
    assert!(second < first / 2, "{first} then {second}");
    let (first, second) = sizes(true);
    assert_eq!(first, second);
}

#[test]
fn rfc_7692_hello_example_bytes() {
    let mut config = Config::default();
    config.compression_threshold(0);
    let mut s = Connection::new(Role::Server, &config, Some(PerMessageDeflate::default()));
    // Compressed, "Hello" is the 7 bytes below: larger, so it goes out as is.
    s.send(Message::text("Hello"), Instant::now()).unwrap();
    assert_eq!(take_transmit(&mut s), b"\x81\x05Hello");
    let deflate = Some(PerMessageDeflate::default());
    let examples: [&[u8]; 4] = [
        // §7.2.3.1: a message compressed in one frame.
        &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
        // §7.2.3.2: the same, then a second message using the shared window.
        &[
            0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0xc1, 0x05, 0xf2, 0x00, 0x11,
            0x00, 0x00,
        ],
        // §7.2.3.3: a DEFLATE block with no compression.
        &[
            0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ],
        // §7.2.3.1 fragmented: the compressed payload split over two frames.
        &[
            0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
        ],
    ];
    for wire in examples {
        let (events, _) = feed(Role::Client, &Config::default(), deflate, wire);
        assert!(!events.is_empty());
        for ev in events {
            assert_eq!(ev, Ok(Event::Message(Message::text("Hello"))), "{wire:x?}");
        }
    }
}

/// Raw deflate of `n` zero bytes, in the permessage-deflate form (tail stripped).
fn compressed_zeros(n: usize) -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let zeros = vec![0u8; 1 << 20];
    let mut out = Vec::with_capacity(n / 512);
    for i in 0..n >> 20 {
        let flush = if i + 1 == n >> 20 {
            flate2::FlushCompress::Sync
        } else {
            flate2::FlushCompress::None
        };
        let before = c.total_in();
        while c.total_in() - before < zeros.len() as u64 {
            let done = (c.total_in() - before) as usize;
            out.reserve(64 << 10);
            c.compress_vec(&zeros[done..], &mut out, flush).unwrap();
        }
    }
    loop {
        out.reserve(64 << 10);
        let before = out.len();
        c.compress_vec(&[], &mut out, flate2::FlushCompress::Sync)
            .unwrap();
        if out.len() == before {
            break;
        }
    }
    out.truncate(out.len() - 4);
    out
}

#[test]
fn decompression_bomb_stops_at_the_message_limit_with_1009() {
    let bomb = compressed_zeros(256 << 20); // 256 MiB of zeros
    assert!(bomb.len() < 512 << 10, "{}", bomb.len());
    for streaming in [false, true] {
        let mut config = Config::default();
        config.limits(*Limits::default().max_message_size(1 << 20));
        let mut s = Connection::new(Role::Server, &config, Some(PerMessageDeflate::default()));
        s.set_streaming(streaming);
        let mut rx = BytesMut::from(&frame(true, 4, 2, &bomb, Some([9, 8, 7, 6]))[..]);
        let before = allocated_by_this_thread();
        let events = pair::poll_all(&mut s, &mut rx, Instant::now());
        // Inflating the whole bomb would allocate 256 MiB; stopping at the 1 MiB limit
        // leaves the inflater state plus at most the limit (and its growth slack).
        let allocated = allocated_by_this_thread() - before;
        println!("bomb (streaming: {streaming}): {allocated} bytes allocated");
        assert!(allocated < 8 << 20, "{allocated} bytes allocated");
        assert_eq!(events.last(), Some(&Err(ProtocolError::MessageTooLarge)));
        let delivered: usize = events
            .iter()
            .filter_map(|e| match e {
                Ok(Event::Chunk { data, .. }) => Some(data.len()),
                _ => None,
            })
            .sum();
        assert!(delivered <= 1 << 20);
        assert_eq!(s.state(), State::Closed);
        assert_eq!(
            parse_frames(&take_transmit(&mut s))[0].close_code(),
            Some(1009)
        );
    }
}

#[test]
fn contexts_are_released_after_each_message_without_context_takeover() {
    let mut p = Pair::new(&Config::default(), Some(pmd(15, 15, true, true)));
    assert!(
        !p.server.holds_deflate_context(),
        "nothing allocated before first use"
    );
    let (_, got) = one_way(&mut p, true, Message::text(json(10)));
    assert_eq!(got.len(), 1);
    assert!(!p.client.holds_deflate_context());
    assert!(!p.server.holds_deflate_context());
    let mut p = Pair::new(&Config::default(), Some(pmd(15, 15, false, false)));
    one_way(&mut p, true, Message::text(json(10)));
    assert!(
        p.client.holds_deflate_context(),
        "context takeover keeps the compressor"
    );
}

#[test]
fn invalid_utf8_inside_a_compressed_text_message_is_1007() {
    let mut c = flate2::Compress::new(flate2::Compression::fast(), false);
    let mut out = Vec::with_capacity(256);
    c.compress_vec(
        b"valid then \xff invalid",
        &mut out,
        flate2::FlushCompress::Sync,
    )
    .unwrap();
    out.truncate(out.len() - 4);
    let wire = frame(true, 4, 1, &out, Some([1, 2, 3, 4]));
    let (events, answer) = feed(
        Role::Server,
        &Config::default(),
        Some(PerMessageDeflate::default()),
        &wire,
    );
    assert_eq!(events, [Err(ProtocolError::InvalidUtf8)]);
    assert_eq!(answer[0].close_code(), Some(1007));
}

#[test]
fn compressed_streamed_chunks_set_rsv1_on_the_first_frame_only() {
    let mut p = Pair::new(&Config::default(), Some(pmd(15, 15, false, false)));
    let text = json(30);
    let (a, b) = text.split_at(text.len() / 2);
    p.client
        .send_chunk(
            wsgate_proto::DataKind::Text,
            a.as_bytes().to_vec().into(),
            false,
        )
        .unwrap();
    p.client
        .send_chunk(
            wsgate_proto::DataKind::Text,
            b.as_bytes().to_vec().into(),
            false,
        )
        .unwrap();
    p.client
        .send_chunk(wsgate_proto::DataKind::Text, bytes::Bytes::new(), true)
        .unwrap();
    let wire = take_transmit(&mut p.client);
    let frames = parse_frames(&wire);
    assert_eq!(
        frames
            .iter()
            .map(|f| (f.rsv, f.opcode, f.fin))
            .collect::<Vec<_>>(),
        [(4, 1, false), (0, 0, false), (0, 0, true)]
    );
    p.to_server.extend_from_slice(&wire);
    assert_eq!(
        p.server_events(),
        [Ok(Event::Message(Message::text(text.as_str())))]
    );
    // The context carried over: a second message still decodes.
    let (_, got) = one_way(&mut p, true, Message::text(text.as_str()));
    assert_eq!(got, [Ok(Event::Message(Message::text(text.as_str())))]);
}
