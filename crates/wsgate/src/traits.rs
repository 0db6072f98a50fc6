//! `futures` [`Stream`] and [`Sink`] for [`WebSocket`], on the same driver loop.

use futures_util::{Sink, Stream};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite};
use wsgate_proto::{CloseCode, Message};

use crate::error::Error;
use crate::websocket::WebSocket;

/// Yields what [`WebSocket::recv`] returns.
impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocket<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().driver.poll_message(cx)
    }
}

/// `start_send` only queues; `poll_flush` writes. `poll_close` runs the close handshake
/// with 1000 (normal closure).
impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocket<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().driver.poll_send_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        self.get_mut().driver.queue(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().driver.poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let driver = &mut self.get_mut().driver;
        driver.start_close(CloseCode::NORMAL, "")?;
        ready!(driver.poll_closed(cx))?;
        Poll::Ready(Ok(()))
    }
}
