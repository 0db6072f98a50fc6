//! Split halves: [`ReadHalf`], [`WriteHalf`] and the cloneable [`Sender`].
//!
//! todo: design notes
use std::marker::PhantomData;
use tokio::io::{AsyncRead, AsyncWrite};
use wsgate_proto::{CloseCode, Message, PreparedMessage};

use crate::error::Error;
use crate::websocket::WebSocket;

/// Most events the driver task decodes ahead of [`ReadHalf::recv`].
pub const EVENT_QUEUE: usize = 32;
/// Most messages queued by [`WriteHalf`] and [`Sender`]s ahead of the driver task.
pub const COMMAND_QUEUE: usize = 64;

/// The receiving half of a split [`WebSocket`].
#[derive(Debug)]
pub struct ReadHalf<S> {
    _s: PhantomData<fn() -> S>,
}

/// The sending half of a split [`WebSocket`].
#[derive(Debug)]
pub struct WriteHalf<S> {
    sender: Sender,
    _s: PhantomData<fn() -> S>,
}

/// A cloneable handle that sends messages on a split connection from many tasks.
#[derive(Clone, Debug)]
pub struct Sender {
    _todo: (),
}

pub(crate) fn spawn<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    ws: WebSocket<S>,
) -> (ReadHalf<S>, WriteHalf<S>) {
    let _ = ws;
    todo!()
}

impl<S> ReadHalf<S> {
    /// Receives the next message, as [`WebSocket::recv`]. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        todo!()
    }
}

impl<S> WriteHalf<S> {
    /// Queues a message for the driver task. Cancel-safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once the connection is closing or closed.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), Error> {
        self.sender.send(msg).await
    }

    /// A cloneable handle for sending from other tasks.
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Writes everything queued so far.
    ///
    /// # Errors
    /// [`Error::Closed`] if the connection ended first.
    pub async fn flush(&mut self) -> Result<(), Error> {
        todo!()
    }

    /// Starts the close handshake and waits for the connection to end.
    ///
    /// # Errors
    /// [`Error::Send`] for a close code that may not be sent or a reason over 123 bytes.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let _ = (code, reason);
        todo!()
    }
}

impl Sender {
    /// Queues a message. Cancel-safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once the connection is closing or closed.
    pub async fn send(&self, msg: impl Into<Message>) -> Result<(), Error> {
        let _ = msg.into();
        todo!()
    }

    /// Queues a prepared message. Cancel-safe.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_prepared(&self, msg: &PreparedMessage) -> Result<(), Error> {
        let _ = msg;
        todo!()
    }
}
