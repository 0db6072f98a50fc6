//! Echo server on tokio-tungstenite: feed each data message, flush when no more input
//! is ready (so a burst of pipelined messages costs one write, not one per message).

use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{Error, Message};

#[tokio::main]
async fn main() {
    let listener = wsgate_peers::listener().await;
    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                tokio::spawn(async move {
                    let _ = echo(tcp).await;
                });
            }
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn echo(tcp: TcpStream) -> Result<(), Error> {
    let _ = tcp.set_nodelay(true);
    let mut ws = tokio_tungstenite::accept_async(tcp).await?;
    while let Some(msg) = ws.next().await {
        feed(&mut ws, msg?).await?;
        // Everything already received goes into the same write.
        while let Some(next) = ws.next().now_or_never() {
            match next {
                Some(msg) => feed(&mut ws, msg?).await?,
                None => return Ok(()),
            }
        }
        ws.flush().await?;
    }
    Ok(())
}

async fn feed(
    ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>,
    msg: Message,
) -> Result<(), Error> {
    if msg.is_text() || msg.is_binary() {
        ws.feed(msg).await?;
    }
    Ok(())
}
