//! Streaming in both directions: [`MessageReader`] hands out a message chunk by chunk as
//! it arrives ([`Connection::set_streaming`](wsgate_proto::Connection::set_streaming)),
//! [`MessageWriter`] sends one as fragments
//! ([`Connection::send_chunk`](wsgate_proto::Connection::send_chunk)).

use bytes::Bytes;
use std::future::poll_fn;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite};
use wsgate_proto::{DataKind, Event, Message};

use crate::driver::Driver;
use crate::error::Error;
use crate::websocket::WebSocket;

/// One incoming data message, read chunk by chunk; from [`WebSocket::recv_stream`].
///
/// Dropping it before the last chunk discards the rest of the message.
#[derive(Debug)]
pub struct MessageReader<'a, S: AsyncRead + AsyncWrite + Unpin> {
    ws: &'a mut WebSocket<S>,
    kind: DataKind,
    first: Option<Bytes>,
    done: bool,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> MessageReader<'a, S> {
    pub(crate) fn new(ws: &'a mut WebSocket<S>, kind: DataKind, first: Bytes, fin: bool) -> Self {
        Self {
            ws,
            kind,
            first: Some(first),
            done: fin,
        }
    }

    /// Text or binary.
    pub fn kind(&self) -> DataKind {
        self.kind
    }

    /// The next chunk, `None` after the last one. Cancel-safe.
    ///
    /// # Errors
    /// As [`WebSocket::recv`]; [`Error::Closed`] if the peer closed mid-message.
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, Error>> {
        if let Some(first) = self.first.take() {
            return Some(Ok(first));
        }
        if self.done {
            return None;
        }
        let next = poll_fn(|cx| self.ws.driver.poll_next_chunk(cx)).await;
        if !matches!(next, Some(Ok((_, false)))) {
            self.done = true;
        }
        match next {
            Some(Ok((chunk, _))) => Some(Ok(chunk)),
            Some(Err(e)) => Some(Err(e)),
            None => Some(Err(Error::Closed)),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Drop for MessageReader<'_, S> {
    fn drop(&mut self) {
        if !self.done {
            self.ws.driver.skip_chunks = true;
        }
    }
}

/// One outgoing data message, written chunk by chunk; from [`WebSocket::send_stream`].
///
/// Each [`write`](Self::write) becomes one frame. Dropping it without
/// [`finish`](Self::finish) ends the message with what was written so far.
#[derive(Debug)]
pub struct MessageWriter<'a, S: AsyncRead + AsyncWrite + Unpin> {
    ws: &'a mut WebSocket<S>,
    kind: DataKind,
    finished: bool,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> MessageWriter<'a, S> {
    pub(crate) fn new(ws: &'a mut WebSocket<S>, kind: DataKind) -> Self {
        Self {
            ws,
            kind,
            finished: false,
        }
    }

    /// Sends one chunk as a frame of the message, waiting while the write queue is over
    /// the write buffer size.
    ///
    /// # Errors
    /// [`Error::Send`] when the message cannot be continued (e.g. a text chunk sequence
    /// that is not UTF-8), [`Error::Closed`], [`Error::Io`].
    pub async fn write(&mut self, data: Bytes) -> Result<(), Error> {
        let mut data = Some(data);
        let (driver, kind) = (&mut self.ws.driver, self.kind);
        poll_fn(|cx| {
            ready!(driver.poll_send_ready(cx))?;
            if let Some(data) = data.take() {
                driver.conn.send_chunk(kind, data, false)?;
            }
            Poll::Ready(driver.write_eager(cx))
        })
        .await
    }

    /// Ends the message and flushes it.
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub async fn finish(mut self) -> Result<(), Error> {
        self.finished = true;
        self.ws
            .driver
            .conn
            .send_chunk(self.kind, Bytes::new(), true)?;
        self.ws.flush().await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Drop for MessageWriter<'_, S> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self
                .ws
                .driver
                .conn
                .send_chunk(self.kind, Bytes::new(), true);
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    /// The first chunk of the next data message: `(kind, data, fin)`. Control frames
    /// are handled and skipped; `None` once closed.
    pub(crate) fn poll_first_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<FirstChunk, Error>>> {
        self.conn.set_streaming(true);
        if let Some((kind, buf)) = self.take_assembled() {
            // A `recv` dropped mid-message: hand over what it had gathered.
            return Poll::Ready(Some(Ok((kind, buf.freeze(), false))));
        }
        loop {
            match ready!(self.poll_event(cx)) {
                Some(Ok(Event::Chunk {
                    kind,
                    data,
                    first,
                    fin,
                })) => {
                    if self.skip_chunks {
                        self.skip_chunks = !fin;
                    } else if first {
                        return Poll::Ready(Some(Ok((kind, data, fin))));
                    }
                }
                Some(Ok(Event::Message(m))) => {
                    if let Some(chunk) = whole_as_chunk(m) {
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                }
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }

    /// The next chunk of the message in progress: `(data, fin)`.
    pub(crate) fn poll_next_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Bytes, bool), Error>>> {
        loop {
            match ready!(self.poll_event(cx)) {
                Some(Ok(Event::Chunk { data, fin, .. })) => {
                    return Poll::Ready(Some(Ok((data, fin))));
                }
                Some(Ok(Event::Message(Message::Close(_)))) => {}
                Some(Ok(Event::Message(_))) => {}
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => return Poll::Ready(None),
            }
        }
    }
}

/// The start of a streamed message: kind, first chunk, whether it is also the last.
pub(crate) type FirstChunk = (DataKind, Bytes, bool);

/// A whole data message delivered while streaming (one the peer sent before streaming
/// was switched on) as its only chunk.
fn whole_as_chunk(m: Message) -> Option<(DataKind, Bytes, bool)> {
    match m {
        Message::Text(t) => Some((DataKind::Text, t.into_bytes(), true)),
        Message::Binary(b) => Some((DataKind::Binary, b, true)),
        _ => None,
    }
}
