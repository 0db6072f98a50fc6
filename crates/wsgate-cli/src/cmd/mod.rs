//! One module per subcommand, plus what the servers share.

pub(crate) mod connect;
pub(crate) mod echo;
pub(crate) mod serve;

use anyhow::Context as _;
use tokio::net::TcpListener;

/// Binds `addr` and prints `listening on ADDR` (the real port when `addr` asks for
/// port 0) to stderr: scripts and tests wait for that line.
pub(crate) async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    eprintln!("listening on {}", listener.local_addr()?);
    Ok(listener)
}
