//! Runs the built `wsgate` binary: servers on ephemeral loopback ports, the client
//! against them, and the exit statuses and messages a user sees.

// Tests may panic on broken invariants: that is how they fail.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod util;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use util::{Proc, TIMEOUT, stderr, stdout};

#[test]
fn echo_server_and_connect_one_message() {
    let server = start_server(&["echo"]);
    let out = connect(
        &[&format!("ws://{}/any/path", server.addr), "-1"],
        b"hello\n",
    );
    assert_success(&out);
    assert_eq!(stdout(&out), "hello\n");
}

#[test]
fn connect_sends_lines_and_prints_binary_as_hex_or_base64() {
    let server = start_server(&["echo"]);
    let url = format!("ws://{}/", server.addr);
    let out = connect(&[&url], b"one\ntwo\r\n\nthree");
    assert_success(&out);
    assert_eq!(stdout(&out), "one\ntwo\n\nthree\n");

    let out = connect(&[&url, "-b"], b"hi\n");
    assert_success(&out);
    assert_eq!(stdout(&out), "6869\n");

    let out = connect(&[&url, "-b", "--base64", "--compress"], b"hi\n");
    assert_success(&out);
    assert_eq!(stdout(&out), "aGk=\n");
}

#[test]
fn serve_answers_healthz_pages_and_the_echo_endpoint() {
    let server = start_server(&["serve"]);
    let (status, body) = http_get(&server.addr, "/healthz");
    assert_eq!(status, 200);
    assert_eq!(body.trim(), "ok");
    let (status, body) = http_get(&server.addr, "/");
    assert_eq!(status, 200);
    assert!(body.contains("<title>wsgate</title>"), "{body}");
    let (status, body) = http_get(&server.addr, "/echo");
    assert_eq!(status, 200);
    assert!(body.contains("Echo tester"), "{body}");
    assert_eq!(http_get(&server.addr, "/no-such-page").0, 404);
    assert_eq!(http_get(&server.addr, "/ws/echo").0, 426);

    let url = format!("ws://{}/ws/echo", server.addr);
    let out = connect(&[&url, "--compress"], "héllo\nworld\n".as_bytes());
    assert_success(&out);
    assert_eq!(stdout(&out), "héllo\nworld\n");
}

#[test]
fn connect_to_a_closed_port_fails_clearly() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let out = connect(&[&format!("ws://127.0.0.1:{port}/")], b"");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("wsgate: ws://127.0.0.1:"), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
}

#[test]
fn rejected_handshake_shows_the_status() {
    let server = start_server(&["serve"]);
    let out = connect(&[&format!("ws://{}/nowhere", server.addr)], b"");
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("HTTP 404"), "{err}");
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn invalid_url_is_an_error() {
    let out = connect(&["ftp://127.0.0.1:1/"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).starts_with("wsgate: "), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn ctrl_c_on_serve_closes_clients_with_1001() {
    let mut server = start_server(&["serve"]);
    let url = format!("ws://{}/ws/echo", server.addr);
    let mut client = Proc::start(&["connect", &url], false);
    // Once the echo arrives the client is connected.
    client.write("ping\n");
    assert_eq!(client.line(), "ping");

    server.signal("-INT");
    let status = client.wait();
    let err = client.stderr();
    assert_eq!(status.code(), Some(5), "{err}");
    assert!(err.contains("1001"), "{err}");
    assert!(server.wait().success());
}

// ---- helpers --------------------------------------------------------------------------

/// `wsgate ARGS` as a server on an ephemeral loopback port, killed on drop.
fn start_server(args: &[&str]) -> Proc {
    let args: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--listen", "127.0.0.1:0"])
        .collect();
    Proc::start(&args, true)
}

/// Runs `wsgate connect ARGS` with `input` on stdin, bounded in time.
fn connect(args: &[&str], input: &[u8]) -> Output {
    let args: Vec<&str> = std::iter::once("connect")
        .chain(args.iter().copied())
        .collect();
    util::run(&args, input)
}

/// A minimal HTTP/1.1 GET: the status code and the body.
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(TIMEOUT)).expect("timeout");
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(req.as_bytes()).expect("write request");
    let mut raw = String::new();
    tcp.read_to_string(&mut raw).expect("read response");
    let status = raw
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad response: {raw}"));
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(out)
    );
}
