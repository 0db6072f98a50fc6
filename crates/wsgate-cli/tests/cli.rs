//! Runs the built `wsgate` binary: servers on ephemeral loopback ports, the client
//! against them, and the exit statuses and messages a user sees.

// Tests may panic on broken invariants: that is how they fail.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_wsgate");
const TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn echo_server_and_connect_one_message() {
    let server = Server::start(&["echo"]);
    let out = connect(
        &[&format!("ws://{}/any/path", server.addr), "-1"],
        b"hello\n",
    );
    assert_success(&out);
    assert_eq!(stdout(&out), "hello\n");
}

#[test]
fn connect_sends_lines_and_prints_binary_as_hex_or_base64() {
    let server = Server::start(&["echo"]);
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
    let server = Server::start(&["serve"]);
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
    let server = Server::start(&["serve"]);
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
    let mut server = Server::start(&["serve"]);
    let url = format!("ws://{}/ws/echo", server.addr);
    let mut client = Command::new(BIN)
        .args(["connect", &url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wsgate connect");
    // Once the echo arrives the client is connected.
    let mut stdin = client.stdin.take().expect("stdin");
    stdin.write_all(b"ping\n").expect("write stdin");
    let mut first = String::new();
    let mut out = BufReader::new(client.stdout.take().expect("stdout"));
    out.read_line(&mut first).expect("read echo");
    assert_eq!(first, "ping\n");

    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()));
    let status = wait(&mut client);
    let mut err = String::new();
    client.stderr.take().map(|mut e| e.read_to_string(&mut err));
    assert_eq!(status.code(), Some(5), "{err}");
    assert!(err.contains("1001"), "{err}");
    assert!(wait(&mut server.child).success());
    drop(stdin);
}

// ---- helpers --------------------------------------------------------------------------

/// A `wsgate` server on an ephemeral loopback port, killed on drop.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wsgate");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        // Keep draining stderr so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.to_owned());
                }
            }
        });
        let addr = rx
            .recv_timeout(TIMEOUT)
            .expect("server prints 'listening on ADDR'");
        Self { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `wsgate connect ARGS` with `input` on stdin, bounded by `TIMEOUT`.
fn connect(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .arg("connect")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wsgate connect");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let (tx, rx) = mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(TIMEOUT)
        .unwrap_or_else(|_| panic!("wsgate connect (pid {pid}) did not exit in time"));
    let _ = writer.join();
    out.expect("wsgate connect output")
}

fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process {} did not exit in time", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
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

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(out)
    );
}
