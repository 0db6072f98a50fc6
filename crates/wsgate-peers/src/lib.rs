//! Echo servers built on other Rust WebSocket libraries, so that `wsgate echo` can be
//! measured side by side with them (`scripts/bench-compare`, `docs/benchmarks.md`).
//!
//! ```text
//!   wsgate bench (CPU 0) ──ws://127.0.0.1:PORT──► peer-* or wsgate echo (CPU 1)
//! ```
//!
//! Each binary is the echo server its library's own examples show, with the same
//! command line as `wsgate echo`: `--listen HOST:PORT` (port 0 picks a free one) and a
//! `listening on ADDR` line on stderr once bound. Every data message is sent back
//! unchanged; pings are answered by the library. All use tokio's multi-threaded runtime
//! (`#[tokio::main]`), as `wsgate echo` does; pinned to one CPU it has one worker.
//!
//! - `peer-tungstenite`: tokio-tungstenite, reading and `feed`ing, and flushing only
//!   when no further input is ready (the fair way to use a `Sink`: one write per burst).
//! - `peer-fastwebsockets`: fastwebsockets behind hyper's upgrade, `FragmentCollector`,
//!   the task run `unconstrained`, as in its `echo_server` example.
//! - `peer-tokio-websockets`: `ServerBuilder::accept`, `next` / `send`, the task run
//!   `unconstrained`, as in its `echo_server` example.
//!
//! What this crate does not do: TLS, compression, anything but echo.

use std::io::Write as _;

use tokio::net::TcpListener;

/// Parses `--listen HOST:PORT` (default `127.0.0.1:9001`) from the command line.
///
/// # Errors
/// An unknown argument or a missing value.
pub fn listen_arg() -> Result<String, String> {
    let mut addr = DEFAULT_LISTEN.to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--listen" => addr = args.next().ok_or("--listen needs HOST:PORT")?,
            "-h" | "--help" => return Err("usage: [--listen HOST:PORT]".to_owned()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(addr)
}

/// Binds `addr` and prints `listening on ADDR` to stderr (the real port for port 0).
///
/// # Errors
/// When the address cannot be bound.
pub async fn bind(addr: &str) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(addr).await?;
    let line = format!("listening on {}\n", listener.local_addr()?);
    std::io::stderr().write_all(line.as_bytes())?;
    Ok(listener)
}

/// Parses the arguments and binds, or prints the problem and exits with status 2.
pub async fn listener() -> TcpListener {
    let bound = match listen_arg() {
        Ok(addr) => bind(&addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}")),
        Err(e) => Err(e),
    };
    match bound {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}

const DEFAULT_LISTEN: &str = "127.0.0.1:9001";
