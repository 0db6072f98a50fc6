//! Running the built `wsgate` binary in tests: interactive processes whose stdout and
//! stderr are read line by line, one-shot runs bounded in time, and small in-process
//! servers (TLS echo, altering echo, fixed HTTP answers) on ephemeral loopback ports.

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_wsgate");
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// `wsgate` with proxies from the environment removed (all traffic stays on loopback),
/// and no `WSGATE_*` setting or `RUST_LOG` of the caller's.
pub fn wsgate() -> Command {
    let mut cmd = Command::new(BIN);
    for (name, _) in std::env::vars().filter(|(n, _)| n.starts_with("WSGATE_")) {
        cmd.env_remove(name);
    }
    for var in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

/// A running `wsgate` process with piped stdio, killed on drop.
pub struct Proc {
    pub child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// The address from `listening on ADDR`, for servers.
    pub addr: String,
}

impl Proc {
    /// Starts `wsgate ARGS`; with `server`, waits for `listening on ADDR`.
    pub fn start(args: &[&str], server: bool) -> Self {
        let mut cmd = wsgate();
        cmd.args(args);
        Self::spawn(cmd, server)
    }

    /// Starts `cmd` (made by [`wsgate`]); with `server`, waits for `listening on ADDR`.
    pub fn spawn(mut cmd: Command, server: bool) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn wsgate");
        let stdin = child.stdin.take();
        let (out_tx, stdout) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = out_tx.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (addr_tx, addr_rx) = mpsc::channel();
        let err = child.stderr.take().expect("stderr");
        let log = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = addr_tx.send(addr.to_owned());
                }
                let mut log = log.lock().expect("lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut proc = Self {
            child,
            stdin,
            stdout,
            stderr,
            addr: String::new(),
        };
        if server {
            proc.addr = addr_rx
                .recv_timeout(TIMEOUT)
                .unwrap_or_else(|_| panic!("no 'listening on' line; stderr: {}", proc.stderr()));
        }
        proc
    }

    pub fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(text.as_bytes()).expect("write stdin");
        stdin.flush().expect("flush stdin");
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next line on stdout, or a panic after `TIMEOUT`.
    pub fn line(&self) -> String {
        self.stdout
            .recv_timeout(TIMEOUT)
            .unwrap_or_else(|_| panic!("no line on stdout; stderr: {}", self.stderr()))
    }

    /// Everything on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }

    /// Waits until stderr contains `needle` (or panics after `TIMEOUT`).
    pub fn wait_stderr(&self, needle: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "no {needle:?} on stderr: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the exit status (or kills and panics after `TIMEOUT`).
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader threads catch up with the last lines.
                std::thread::sleep(Duration::from_millis(50));
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "process {} did not exit in time: {}",
                    self.child.id(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([sig, &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill {sig} {pid}");
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `wsgate ARGS` with `input` on stdin, bounded by `TIMEOUT`.
pub fn run(args: &[&str], input: &[u8]) -> Output {
    let mut child = wsgate()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wsgate");
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
        .unwrap_or_else(|_| panic!("wsgate {args:?} (pid {pid}) did not exit in time"));
    let _ = writer.join();
    out.expect("wsgate output")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A server on a thread that answers every connection with `response` (raw HTTP) after
/// reading the request head, then closes. Returns its address.
pub fn http_answer(response: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    std::thread::spawn(move || {
        for tcp in listener.incoming().take(8) {
            let Ok(mut tcp) = tcp else { continue };
            let _ = tcp.set_read_timeout(Some(TIMEOUT));
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && tcp.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let _ = tcp.write_all(response.as_bytes());
        }
    });
    addr
}

/// A tokio runtime on its own thread, running `server` (which gets a bound listener);
/// returns the listener's address. The thread lives as long as the test process.
pub fn tokio_server<F, Fut>(server: F) -> String
where
    F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let _ = tx.send(listener.local_addr().expect("addr").to_string());
            server(listener).await;
        });
    });
    rx.recv_timeout(TIMEOUT).expect("server address")
}
