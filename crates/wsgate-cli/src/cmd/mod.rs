//! One module per subcommand, plus what the servers share.

pub(crate) mod bench;
pub(crate) mod connect;
pub(crate) mod echo;
pub(crate) mod listen;
pub(crate) mod serve;

use std::io::Write as _;

use anyhow::Context as _;
use tokio::net::TcpListener;

/// Binds `addr` and prints `listening on ADDR` (the real port when `addr` asks for
/// port 0) to stderr: scripts and tests wait for that line.
pub(crate) async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    // One write, so that a reader scanning the log never sees half a line.
    let line = format!("listening on {}\n", listener.local_addr()?);
    std::io::stderr().write_all(line.as_bytes())?;
    Ok(listener)
}
