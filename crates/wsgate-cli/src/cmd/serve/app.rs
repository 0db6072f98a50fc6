//! The hub's handler for `/ws`: one JSON request per text message, answered on the
//! same session (see [`protocol`] and `docs/protocol.md`).
//!
//! ```text
//!  text message ─► protocol::parse ─► op ─► Channels (offsets, history, presence)
//!                        │ error            └─► Hub::publish ─► subscribers' queues
//!                        └─► {"id":…,"error":{…}}   (the connection stays open)
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use serde_json::{Value, json};
use tracing::debug;
use wsgate::proto::handshake::{Rejection, Request};
use wsgate_hub::{Disconnect, Handler, Message, Session};

use super::channels::{Channels, Join};
use super::metrics::Stats;
use super::protocol::{self, Code, Error, Op, PresenceInfo};
use super::rate::Bucket;

/// Per-session data: the channels this session is present in (for the leave notices
/// when it ends) and its publish rate limiter.
#[derive(Debug)]
pub(crate) struct Client {
    presence: Mutex<Vec<String>>,
    publishes: Mutex<Bucket>,
}

impl Client {
    fn new(publish_rate: u32) -> Self {
        Self {
            presence: Mutex::default(),
            publishes: Mutex::new(Bucket::new(publish_rate, Instant::now())),
        }
    }

    /// Whether the rate limit allows one more publish now.
    fn may_publish(&self, rate: u32) -> bool {
        let mut bucket = self
            .publishes
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        bucket.take(rate, Instant::now())
    }

    pub(crate) fn present_in(&self, channel: &str) {
        self.lock().push(channel.to_owned());
    }

    pub(crate) fn absent_from(&self, channel: &str) {
        self.lock().retain(|c| c != channel);
    }

    pub(crate) fn take_presence(&self) -> Vec<String> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        self.presence.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The `/ws` application.
#[derive(Debug)]
pub(crate) struct App {
    pub(crate) channels: Arc<Channels>,
    pub(crate) stats: Arc<Stats>,
    /// Most subscriptions per session.
    pub(crate) max_subscriptions: usize,
    /// Publishes per second per session (bursts of twice that).
    pub(crate) publish_rate: u32,
}

impl Handler<Client> for App {
    fn on_upgrade(&self, _: &Request) -> Result<Client, Rejection> {
        Ok(Client::new(self.publish_rate))
    }

    fn on_connect(&self, session: &Session<Client>) {
        debug!(session = %session.id(), "ws session connected");
    }

    fn on_message(&self, session: &Session<Client>, msg: Message) {
        match msg {
            Message::Text(text) => self.request(session, text.as_str()),
            _ => {
                let error = Error::new(Code::Unsupported, "send json requests as text messages");
                self.fail(session, &Value::Null, &error);
            }
        }
    }

    fn on_error(&self, session: &Session<Client>, error: &wsgate::Error) {
        debug!(session = %session.id(), "ws session failed: {error}");
    }

    fn on_disconnect(&self, session: &Session<Client>, d: Disconnect) {
        self.channels.disconnected(session);
        debug!(session = %session.id(), code = d.code.as_u16(), cause = %d.cause, "ws session ended");
    }
}

impl App {
    /// Handles one request and queues its reply.
    fn request(&self, session: &Session<Client>, text: &str) {
        let request = match protocol::parse(text) {
            Ok(request) => request,
            Err((id, error)) => return self.fail(session, &id, &error),
        };
        let id = request.id;
        match self.op(session, request.op, &id) {
            Ok(Some(fields)) => drop(session.send(protocol::ok_reply(&id, fields))),
            Ok(None) => {}
            Err(error) => self.fail(session, &id, &error),
        }
    }

    /// Runs one op: `Some(fields)` for the reply, or `None` when the op replied itself.
    fn op(&self, session: &Session<Client>, op: Op, id: &Value) -> Result<Option<Value>, Error> {
        match op {
            Op::Subscribe {
                channel,
                presence,
                history,
            } => {
                self.subscribe(session, &channel, presence, history, id)?;
                Ok(None)
            }
            Op::Unsubscribe { channel } => {
                protocol::channel(&channel)?;
                self.channels.unsubscribe(session, &channel)?;
                Ok(Some(json!({ "channel": channel })))
            }
            Op::Publish { channel, data } => self.publish(session, &channel, &data).map(Some),
            Op::Presence { channel } => {
                let ns = protocol::channel(&channel)?;
                if !ns.presence {
                    return Err(forbidden("presence", ns.name));
                }
                let members = self.channels.members(&channel);
                Ok(Some(json!({ "channel": channel, "members": members })))
            }
        }
    }

    /// Checks a subscribe and lets [`Channels::subscribe`] join and reply.
    fn subscribe(
        &self,
        session: &Session<Client>,
        channel: &str,
        presence: Option<PresenceInfo>,
        history: Option<usize>,
        id: &Value,
    ) -> Result<(), Error> {
        let ns = protocol::channel(channel)?;
        let member = match presence {
            Some(_) if !ns.presence => return Err(forbidden("presence", ns.name)),
            Some(p) => Some(protocol::member_name(&p.name)?),
            None => None,
        };
        if session.topics().len() >= self.max_subscriptions {
            let message = format!(
                "at most {} subscriptions per connection",
                self.max_subscriptions
            );
            return Err(Error::new(Code::TooManySubscriptions, message));
        }
        let join = Join {
            member,
            history: history.unwrap_or(0),
            list_members: ns.presence,
        };
        self.channels.subscribe(session, channel, join, id)
    }

    /// Publishes from a client (namespaces that allow it).
    fn publish(
        &self,
        session: &Session<Client>,
        channel: &str,
        data: &Value,
    ) -> Result<Value, Error> {
        let ns = protocol::channel(channel)?;
        if !ns.publish {
            return Err(forbidden("publishing", ns.name));
        }
        if !session.data().may_publish(self.publish_rate) {
            let message = format!("at most {} publishes per second", self.publish_rate);
            return Err(Error::new(Code::RateLimited, message));
        }
        let published = self.channels.publish(&session.hub(), channel, data)?;
        Ok(json!({
            "channel": channel,
            "offset": published.offset,
            "delivered": published.delivered,
        }))
    }

    /// Queues an error reply; the connection stays open.
    fn fail(&self, session: &Session<Client>, id: &Value, error: &Error) {
        self.stats.error(error.code);
        debug!(session = %session.id(), code = error.code.as_str(), "request failed: {}", error.message);
        session.send(protocol::error_reply(id, error));
    }
}

fn forbidden(what: &str, namespace: &str) -> Error {
    Error::new(
        Code::Forbidden,
        format!("{what} is not allowed in {namespace}: channels"),
    )
}
