//! Split halves: [`ReadHalf`], [`WriteHalf`] and the cloneable [`Sender`].
//!
//! # Design: a driver task, no lock
//!
//! A generic `AsyncRead + AsyncWrite` transport cannot be read and written from two
//! places without a lock around it (`tokio::io::split` uses one), and the state machine
//! both decodes (answering pings) and encodes. So [`WebSocket::split`] moves the
//! [`WebSocket`] into a small task that owns the transport and the [`Connection`]
//! exclusively and runs the same driver loop; the halves talk to it through bounded
//! lock-free channels:
//!
//! ```text
//!  ReadHalf::recv ◄── events (EVENT_QUEUE) ◄──┐
//!                                             driver task: WebSocket (socket + Connection)
//!  WriteHalf / Sender ── commands (COMMAND_QUEUE) ──►┘   pings answered, close echoed,
//!                                                        keepalive timers armed
//! ```
//!
//! Nothing is shared but the channels and one atomic flag, so neither half ever waits
//! for the other; pings are answered and close frames echoed even when only the reader
//! is polled (or neither is). Writes coalesce naturally: the task drains every queued
//! command before one vectored write. Backpressure: the task stops decoding when
//! [`EVENT_QUEUE`] events wait for the reader (TCP then pushes back on the peer), and
//! stops taking commands while the write queue is over the write buffer size, so
//! senders wait once [`COMMAND_QUEUE`] messages are queued.
//!
//! # Cancel safety
//!
//! All methods are cancel-safe: [`ReadHalf::recv`] loses no message if dropped;
//! [`WriteHalf::send`] and [`Sender::send`] either queued the message or did not;
//! dropping a `flush` or `close` future leaves the flush or close in progress.
//!
//! # Ending
//!
//! The task ends when the connection is closed. When every sender (the [`WriteHalf`]
//! and all [`Sender`]s) and the [`ReadHalf`] are dropped, it closes with 1001 (going
//! away). The [`ReadHalf`] yields `None` after the end.
//!
//! [`Connection`]: wsgate_proto::Connection

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::PollSender;
use wsgate_proto::{CloseCode, Message, PreparedMessage, SendError};

use crate::error::Error;
use crate::websocket::WebSocket;

/// Most events the driver task decodes ahead of [`ReadHalf::recv`].
pub const EVENT_QUEUE: usize = 32;
/// Most messages queued by [`WriteHalf`] and [`Sender`]s ahead of the driver task.
pub const COMMAND_QUEUE: usize = 64;

/// The receiving half of a split [`WebSocket`].
#[derive(Debug)]
pub struct ReadHalf<S> {
    events: mpsc::Receiver<Result<Message, Error>>,
    /// Never used to send: keeps the command channel open while the reader lives, so
    /// the task learns that every half is gone when the channel closes.
    _alive: mpsc::Sender<Command>,
    _s: PhantomData<fn() -> S>,
}

/// The sending half of a split [`WebSocket`]. Also a `futures` `Sink<Message>`:
/// `start_send` queues for the driver task, `poll_flush` waits until what was queued is
/// written, `poll_close` closes with 1000 and waits for the end.
pub struct WriteHalf<S> {
    sender: Sender,
    finished: watch::Receiver<bool>,
    /// The `Sink` side: a slot reserved by `poll_ready`, the flush or close in progress.
    sink: PollSender<Command>,
    flushing: Option<oneshot::Receiver<()>>,
    ending: Option<Pin<Box<dyn Future<Output = ()> + Send + Sync>>>,
    _s: PhantomData<fn() -> S>,
}

impl<S> std::fmt::Debug for WriteHalf<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteHalf")
            .field("sender", &self.sender)
            .field("flushing", &self.flushing.is_some())
            .field("ending", &self.ending.is_some())
            .finish_non_exhaustive()
    }
}

/// A cloneable handle that sends messages on a split connection from many tasks.
#[derive(Clone, Debug)]
pub struct Sender {
    commands: mpsc::Sender<Command>,
    closing: Arc<AtomicBool>,
}

#[derive(Debug)]
enum Command {
    Send(Message),
    Prepared(PreparedMessage),
    Flush(oneshot::Sender<()>),
    Close(CloseCode, String),
}

pub(crate) fn spawn<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(
    ws: WebSocket<S>,
) -> (ReadHalf<S>, WriteHalf<S>) {
    let (event_tx, events) = mpsc::channel(EVENT_QUEUE);
    let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (finished_tx, finished) = watch::channel(false);
    let closing = Arc::new(AtomicBool::new(false));
    let task = Task {
        ws,
        commands: command_rx,
        commands_open: true,
        events: PollSender::new(event_tx),
        flushes: Vec::new(),
        closing: closing.clone(),
        finished: finished_tx,
    };
    tokio::spawn(task);
    let read = ReadHalf {
        events,
        _alive: commands.clone(),
        _s: PhantomData,
    };
    let sink = PollSender::new(commands.clone());
    let sender = Sender { commands, closing };
    let write = WriteHalf {
        sender,
        finished,
        sink,
        flushing: None,
        ending: None,
        _s: PhantomData,
    };
    (read, write)
}

impl<S> ReadHalf<S> {
    /// Receives the next message, as [`WebSocket::recv`]. Cancel-safe.
    pub async fn recv(&mut self) -> Option<Result<Message, Error>> {
        self.events.recv().await
    }
}

impl<S> futures_util::Stream for ReadHalf<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().events.poll_recv(cx)
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

    /// Queues a prepared message. Cancel-safe.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_prepared(&mut self, msg: &PreparedMessage) -> Result<(), Error> {
        self.sender.send_prepared(msg).await
    }

    /// A cloneable handle for sending from other tasks.
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    /// Waits until everything queued so far is written to the transport.
    ///
    /// # Errors
    /// [`Error::Closed`] if the connection ended first.
    pub async fn flush(&mut self) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.sender.command(Command::Flush(tx)).await?;
        rx.await.map_err(|_| Error::Closed)
    }

    /// Starts the close handshake and waits for the connection to end (at most the
    /// close timeout after the peer stops answering). If the connection is already
    /// closing, just waits.
    ///
    /// # Errors
    /// [`Error::Send`] for a close code that may not be sent or a reason over 123 bytes.
    pub async fn close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if !code.is_sendable() {
            return Err(Error::Send(SendError::InvalidCloseCode(code.as_u16())));
        }
        if reason.len() > 123 {
            return Err(Error::Send(SendError::ControlFrameTooLong));
        }
        if !self.sender.closing.swap(true, Ordering::AcqRel) {
            let cmd = Command::Close(code, reason.to_owned());
            let _ = self.sender.commands.send(cmd).await;
        }
        let _ = self.finished.wait_for(|done| *done).await;
        Ok(())
    }

    /// Whether the connection is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

impl<S> futures_util::Sink<Message> for WriteHalf<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.sender.closing.load(Ordering::Acquire) {
            return Poll::Ready(Err(Error::Closed));
        }
        this.sink.poll_reserve(cx).map_err(|_| Error::Closed)
    }

    fn start_send(self: Pin<&mut Self>, msg: Message) -> Result<(), Error> {
        let this = self.get_mut();
        let cmd = this.sender.to_command(msg)?;
        this.sink.send_item(cmd).map_err(|_| Error::Closed)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.flushing.is_none() {
            std::task::ready!(this.sink.poll_reserve(cx)).map_err(|_| Error::Closed)?;
            let (tx, rx) = oneshot::channel();
            this.sink
                .send_item(Command::Flush(tx))
                .map_err(|_| Error::Closed)?;
            this.flushing = Some(rx);
        }
        let Some(rx) = this.flushing.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let done = std::task::ready!(Pin::new(rx).poll(cx));
        this.flushing = None;
        Poll::Ready(done.map_err(|_| Error::Closed))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.ending.is_none() {
            let commands = this.sender.commands.clone();
            let start = !this.sender.closing.swap(true, Ordering::AcqRel);
            let mut finished = this.finished.clone();
            this.ending = Some(Box::pin(async move {
                if start {
                    let _ = commands
                        .send(Command::Close(CloseCode::NORMAL, String::new()))
                        .await;
                }
                let _ = finished.wait_for(|done| *done).await;
            }));
        }
        if let Some(ending) = this.ending.as_mut() {
            std::task::ready!(ending.as_mut().poll(cx));
        }
        Poll::Ready(Ok(()))
    }
}

impl Sender {
    /// Queues a message. Cancel-safe.
    ///
    /// # Errors
    /// [`Error::Closed`] once the connection is closing or closed, [`Error::Send`] for a
    /// control frame over 125 bytes.
    pub async fn send(&self, msg: impl Into<Message>) -> Result<(), Error> {
        let cmd = self.to_command(msg.into())?;
        self.command(cmd).await
    }

    /// The command for `msg`; a close frame marks the connection as closing.
    fn to_command(&self, msg: Message) -> Result<Command, Error> {
        if matches!(msg, Message::Ping(_) | Message::Pong(_)) && msg.len() > 125 {
            return Err(Error::Send(SendError::ControlFrameTooLong));
        }
        if let Message::Close(frame) = msg {
            let (code, reason) = frame.map_or((CloseCode::NORMAL, Default::default()), |f| {
                (f.code, f.reason.as_str().to_owned())
            });
            self.closing.store(true, Ordering::Release);
            return Ok(Command::Close(code, reason));
        }
        if self.closing.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(Command::Send(msg))
    }

    /// Queues a prepared message. Cancel-safe.
    ///
    /// # Errors
    /// As [`send`](Self::send).
    pub async fn send_prepared(&self, msg: &PreparedMessage) -> Result<(), Error> {
        self.command(Command::Prepared(msg.clone())).await
    }

    /// Whether the connection is closing or closed.
    pub fn is_closed(&self) -> bool {
        self.closing.load(Ordering::Acquire) || self.commands.is_closed()
    }

    async fn command(&self, cmd: Command) -> Result<(), Error> {
        if self.closing.load(Ordering::Acquire) && !matches!(cmd, Command::Close(..)) {
            return Err(Error::Closed);
        }
        self.commands.send(cmd).await.map_err(|_| Error::Closed)
    }
}

/// The driver task: owns the [`WebSocket`] and runs its loop.
struct Task<S> {
    ws: WebSocket<S>,
    commands: mpsc::Receiver<Command>,
    commands_open: bool,
    events: PollSender<Result<Message, Error>>,
    flushes: Vec<oneshot::Sender<()>>,
    closing: Arc<AtomicBool>,
    finished: watch::Sender<bool>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Task<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        loop {
            let took_commands = this.poll_commands(cx);
            match this.poll_events(cx) {
                Poll::Ready(true) => continue,
                Poll::Ready(false) => {
                    this.closing.store(true, Ordering::Release);
                    this.flushes.clear();
                    let _ = this.finished.send(true);
                    return Poll::Ready(());
                }
                Poll::Pending => {}
            }
            this.poll_flush_waiters(cx);
            if !took_commands {
                return Poll::Pending;
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Task<S> {
    /// Applies queued commands while the write queue is under the high-water mark.
    /// Returns whether any was taken.
    fn poll_commands(&mut self, cx: &mut Context<'_>) -> bool {
        let mut took = false;
        let driver = &mut self.ws.driver;
        while self.commands_open && driver.conn.transmit_len() < driver.high_water {
            let cmd = match self.commands.poll_recv(cx) {
                Poll::Ready(Some(cmd)) => cmd,
                Poll::Ready(None) => {
                    self.commands_open = false;
                    break;
                }
                Poll::Pending => break,
            };
            took = true;
            let result = match cmd {
                Command::Send(msg) => driver.queue(msg),
                Command::Prepared(msg) => driver.queue_prepared(&msg),
                Command::Flush(done) => {
                    self.flushes.push(done);
                    Ok(())
                }
                Command::Close(code, reason) => {
                    self.closing.store(true, Ordering::Release);
                    driver.start_close(code, &reason)
                }
            };
            if let Err(e) = result {
                tracing::debug!("split sender: {e}");
            }
        }
        if !self.commands_open && !self.closing.swap(true, Ordering::AcqRel) {
            let _ = driver.start_close(CloseCode::GOING_AWAY, "");
        }
        took
    }

    /// Decodes events into the reader's queue while it has room (or discards them when
    /// the reader is gone). `Ready(true)`: progress; `Ready(false)`: the connection ended.
    fn poll_events(&mut self, cx: &mut Context<'_>) -> Poll<bool> {
        let reader_alive = match self.events.poll_reserve(cx) {
            Poll::Ready(Ok(())) => true,
            Poll::Ready(Err(_)) => false,
            Poll::Pending => {
                // The reader is behind: keep writing, but decode nothing more.
                let _ = self.ws.driver.poll_flush(cx);
                return Poll::Pending;
            }
        };
        match std::task::ready!(self.ws.driver.poll_message(cx)) {
            Some(item) => {
                if reader_alive {
                    let _ = self.events.send_item(item);
                }
                Poll::Ready(true)
            }
            None => Poll::Ready(false),
        }
    }

    /// Answers flush requests once the write queue is empty.
    fn poll_flush_waiters(&mut self, cx: &mut Context<'_>) {
        if self.flushes.is_empty() {
            return;
        }
        if let Poll::Ready(result) = self.ws.driver.poll_flush(cx) {
            if result.is_ok() {
                for done in self.flushes.drain(..) {
                    let _ = done.send(());
                }
            }
        }
    }
}
