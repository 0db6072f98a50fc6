//! Test support: a client/server [`Pair`] that shuttles real wire bytes between two
//! connections with a fake clock, and a raw frame builder/parser for scripted peers.
#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::panic
)]

use bytes::BytesMut;
use std::io::IoSlice;
use std::time::{Duration, Instant};
use wsgate_proto::{Config, Connection, Event, PerMessageDeflate, ProtocolError, Role};

pub type Polled = Result<Event, ProtocolError>;

/// A client and a server connection joined by in-memory byte pipes.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    /// Bytes on their way to the client / the server.
    pub to_client: BytesMut,
    pub to_server: BytesMut,
    pub now: Instant,
}

impl Pair {
    pub fn new(config: &Config, deflate: Option<PerMessageDeflate>) -> Self {
        let mut pair = Self {
            client: Connection::new(Role::Client, config, deflate),
            server: Connection::new(Role::Server, config, deflate),
            to_client: BytesMut::new(),
            to_server: BytesMut::new(),
            now: Instant::now(),
        };
        // Anchor the timers, as a driver does right after the handshake.
        pair.server_events();
        pair.client_events();
        pair
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    /// Moves everything each side queued into the other side's receive buffer.
    pub fn flush(&mut self) {
        self.to_server
            .extend_from_slice(&take_transmit(&mut self.client));
        self.to_client
            .extend_from_slice(&take_transmit(&mut self.server));
    }

    pub fn server_events(&mut self) -> Vec<Polled> {
        poll_all(&mut self.server, &mut self.to_server, self.now)
    }

    pub fn client_events(&mut self) -> Vec<Polled> {
        poll_all(&mut self.client, &mut self.to_client, self.now)
    }
}

/// Polls until `Ok(None)` or an error.
pub fn poll_all(conn: &mut Connection, rx: &mut BytesMut, now: Instant) -> Vec<Polled> {
    let mut out = Vec::new();
    loop {
        match conn.poll_event(rx, now) {
            Ok(Some(ev)) => out.push(Ok(ev)),
            Ok(None) => return out,
            Err(e) => {
                out.push(Err(e));
                return out;
            }
        }
    }
}

/// Writes everything queued, the way a driver would (vectored, then advance).
pub fn take_transmit(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while conn.transmit_len() > 0 {
        let mut slots = [IoSlice::new(&[]); 8];
        let n = conn.transmit_slices(&mut slots);
        let written: usize = slots[..n].iter().map(|s| s.len()).sum();
        for s in &slots[..n] {
            out.extend_from_slice(s);
        }
        conn.advance_transmit(written);
    }
    out
}

/// A raw frame as seen on the wire (payload unmasked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawFrame {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub masked: bool,
    pub payload: Vec<u8>,
}

impl RawFrame {
    /// The close code of a close frame.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == 8 && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

/// Builds a frame; `rsv` is the three RSV bits (0..=7, RSV1 = 4).
pub fn frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | (rsv << 4) | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..126 => out.push(m | n as u8),
        n @ 126..=0xffff => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    let mut body = payload.to_vec();
    if let Some(key) = mask {
        out.extend_from_slice(&key);
        for (i, b) in body.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    out.extend_from_slice(&body);
    out
}

/// A masked frame, as a client sends.
pub fn masked(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame(fin, 0, opcode, payload, Some([0x37, 0xfa, 0x21, 0x3d]))
}

/// Parses a byte stream of complete frames.
pub fn parse_frames(mut b: &[u8]) -> Vec<RawFrame> {
    let mut out = Vec::new();
    while b.len() >= 2 {
        let masked = b[1] & 0x80 != 0;
        let (len, mut at) = match b[1] & 0x7f {
            126 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        let key = masked.then(|| {
            let k: [u8; 4] = b[at..at + 4].try_into().unwrap();
            at += 4;
            k
        });
        let mut payload = b[at..at + len].to_vec();
        if let Some(k) = key {
            for (i, x) in payload.iter_mut().enumerate() {
                *x ^= k[i % 4];
            }
        }
        out.push(RawFrame {
            fin: b[0] & 0x80 != 0,
            rsv: (b[0] >> 4) & 7,
            opcode: b[0] & 0x0f,
            masked,
            payload,
        });
        b = &b[at + len..];
    }
    out
}

/// Feeds `wire` to a fresh connection of `role` and returns the events, the error if
/// any, and the frames it queued in answer.
pub fn feed(
    role: Role,
    config: &Config,
    deflate: Option<PerMessageDeflate>,
    wire: &[u8],
) -> (Vec<Polled>, Vec<RawFrame>) {
    let mut conn = Connection::new(role, config, deflate);
    let mut rx = BytesMut::from(wire);
    let events = poll_all(&mut conn, &mut rx, Instant::now());
    let answer = parse_frames(&take_transmit(&mut conn));
    (events, answer)
}
