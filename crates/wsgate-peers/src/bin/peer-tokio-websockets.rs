//! Echo server on tokio-websockets, as its `echo_server` example: `ServerBuilder::accept`,
//! then `next` and `send` (which flushes) for every data message.

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpStream;
use tokio_websockets::{Error, ServerBuilder};

#[tokio::main]
async fn main() {
    let listener = wsgate_peers::listener().await;
    loop {
        match listener.accept().await {
            Ok((tcp, _)) => {
                tokio::spawn(tokio::task::unconstrained(async move {
                    let _ = echo(tcp).await;
                }));
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
    let (_request, mut ws) = ServerBuilder::new().accept(tcp).await?;
    while let Some(msg) = ws.next().await {
        let msg = msg?;
        if msg.is_text() || msg.is_binary() {
            ws.send(msg).await?;
        }
    }
    Ok(())
}
