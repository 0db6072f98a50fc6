//! `ClientHandshake::parse_response` on arbitrary bytes, on a valid 101 head with fuzzed
//! header lines appended, and a negotiation round trip: a client request built from
//! fuzzed settings, accepted by a fuzzed server, must be accepted back by the client
//! with the same permessage-deflate parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsgate_proto::DeflateConfig;
use wsgate_proto::handshake::{ClientConfig, ClientHandshake, Request, ServerConfig};

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const VALID_101: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => parse(&client(mode), input),
        1 => {
            let mut buf = VALID_101.to_vec();
            buf.extend_from_slice(input);
            buf.extend_from_slice(b"\r\n\r\n");
            parse(&client(mode), &buf);
        }
        _ => round_trip(mode, input),
    }
});

fn parse(hs: &ClientHandshake, buf: &[u8]) {
    if let Ok(Some((resp, n))) = hs.parse_response(buf) {
        assert!(n <= buf.len());
        assert!(resp.protocol.is_none() || resp.protocol.as_deref() == Some("chat")
            || resp.protocol.as_deref() == Some("superchat"));
    }
}

fn client(knobs: u8) -> ClientHandshake {
    let mut config = ClientConfig::default();
    config.subprotocols = vec!["chat".into(), "superchat".into()];
    config.deflate = (knobs & 4 == 0).then(|| deflate(knobs >> 3));
    config.max_header_size = 4096;
    ClientHandshake::new(&config, "example.com", "/", KEY.into())
}

fn deflate(bits: u8) -> DeflateConfig {
    let mut d = DeflateConfig::default();
    d.server_no_context_takeover(bits & 1 != 0)
        .client_no_context_takeover(bits & 2 != 0)
        .server_max_window_bits(8 + (bits >> 2) % 8)
        .client_max_window_bits(8 + (bits >> 5));
    d
}

/// Client request → server accept → client check: both ends must agree.
fn round_trip(mode: u8, input: &[u8]) {
    let (&a, &b) = match input {
        [a, b, ..] => (a, b),
        _ => return,
    };
    let mut client_config = ClientConfig::default();
    client_config.deflate = (mode & 8 == 0).then(|| deflate(a));
    client_config.subprotocols = vec!["a".into(), "b".into()];
    let hs = ClientHandshake::new(&client_config, "h", "/x", KEY.into());
    let mut request = Vec::new();
    hs.write_request(&mut request);
    let Ok(Some((req, _))) = Request::parse(&request, 8192) else {
        panic!("our own request must parse");
    };
    let mut server = ServerConfig::default();
    server.deflate = (mode & 16 == 0).then(|| deflate(b));
    server.subprotocols = vec!["b".into()];
    let Ok(accept) = server.accept(&req) else {
        panic!("our own request must be accepted");
    };
    let mut response = Vec::new();
    accept.write_response(&[], &mut response);
    let Ok(Some((resp, n))) = hs.parse_response(&response) else {
        panic!("our own response must be accepted: {:?}", String::from_utf8_lossy(&response));
    };
    assert_eq!(n, response.len());
    assert_eq!(resp.deflate, accept.deflate);
    assert_eq!(resp.protocol.as_deref(), Some("b"));
}
