//! `Request::parse` on arbitrary bytes, then `ServerConfig::accept` and the response
//! writers. Invariants: no panic, the head length is within the input, and every
//! response we write is a complete HTTP/1.1 response head.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsgate_proto::DeflateConfig;
use wsgate_proto::handshake::{Request, ServerConfig};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, input)) = data.split_first() else {
        return;
    };
    let config = server_config(knobs);
    let mut out = Vec::new();
    match Request::parse(input, config.max_header_size) {
        Ok(None) => assert!(input.len() < config.max_header_size),
        Ok(Some((req, n))) => {
            assert!(n <= input.len().min(config.max_header_size));
            let _ = (req.origin(), req.subprotocols(), req.header("host"), req.target());
            match config.accept(&req) {
                Ok(accept) => accept.write_response(&[("X-Fuzz", "1")], &mut out),
                Err(rejection) => rejection.write_response(&mut out),
            }
            assert_response_head(&out);
        }
        Err(rejection) => {
            rejection.write_response(&mut out);
            assert_response_head(&out);
        }
    }
});

/// Varies the server policy with one input byte.
fn server_config(knobs: u8) -> ServerConfig {
    let mut config = ServerConfig::default();
    config.max_header_size = if knobs & 1 == 0 { 8 << 10 } else { 512 };
    if knobs & 2 != 0 {
        config.subprotocols = vec!["chat".into(), "superchat".into()];
    }
    config.deflate = (knobs & 4 == 0).then(|| {
        let mut d = DeflateConfig::default();
        d.server_no_context_takeover(knobs & 8 != 0)
            .client_no_context_takeover(knobs & 16 != 0)
            .server_max_window_bits(8 + (knobs >> 5))
            .client_max_window_bits(15 - (knobs >> 5));
        d
    });
    config
}

/// The bytes must parse as one complete response head.
fn assert_response_head(out: &[u8]) {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let status = httparse::Response::new(&mut headers).parse(out);
    assert!(matches!(status, Ok(httparse::Status::Complete(_))), "{status:?}");
}
