//! The channels the server knows: for each, the offset of its last message, its
//! history and who is present.
//!
//! Publishing assigns the offset, remembers the message and fans it out through the
//! hub under one lock; subscribing joins the hub topic, takes the history and queues
//! the reply under the same lock. So every subscriber sees offsets in increasing
//! order, and the history in a subscribe reply meets the live stream after it with no
//! gap and no duplicate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use wsgate_hub::{Hub, Session};

use super::app::Client;
use super::history::History;
use super::presence::{Member, Presence};
use super::protocol::{self, Code, Error};

/// How much the channels remember. Every bound is finite.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Messages remembered per channel (and the most a subscribe may ask for).
    pub(crate) history: usize,
    /// Bytes of message data remembered per channel.
    pub(crate) history_bytes: usize,
    /// Channels tracked at once; idle ones (no subscribers) are forgotten first.
    pub(crate) channels: usize,
}

/// All channels, behind one lock (every operation under it is short and never waits).
#[derive(Debug)]
pub(crate) struct Channels {
    state: Mutex<HashMap<String, Channel>>,
    limits: Limits,
    /// Names this server's channel incarnations: the start time (ns), then a counter.
    start: u64,
    created: AtomicU64,
}

#[derive(Debug)]
struct Channel {
    /// Changes whenever the channel's offsets start again (a server restart, or the
    /// channel forgotten and created anew), so that clients know offsets restarted.
    epoch: String,
    /// The offset of the last message (0 before the first).
    offset: u64,
    history: History,
    presence: Presence,
}

/// What a publish did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Published {
    pub(crate) offset: u64,
    /// Sessions that queued the message.
    pub(crate) delivered: usize,
}

/// What a subscribe asks for besides the subscription.
#[derive(Debug)]
pub(crate) struct Join {
    pub(crate) member: Option<String>,
    pub(crate) history: usize,
    /// Whether the reply lists the members (namespaces with presence).
    pub(crate) list_members: bool,
}

impl Channels {
    pub(crate) fn new(limits: Limits) -> Self {
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        Self {
            state: Mutex::default(),
            limits,
            start,
            created: AtomicU64::new(0),
        }
    }

    /// Publishes `data` to `channel` (a valid name): the next offset, the history, then
    /// every subscriber.
    pub(crate) fn publish(
        &self,
        hub: &Hub<Client>,
        channel: &str,
        data: &Value,
    ) -> Result<Published, Error> {
        let data = Arc::<str>::from(data.to_string());
        let mut state = self.lock();
        let ch = self.entry(&mut state, hub, channel)?;
        ch.offset += 1;
        let offset = ch.offset;
        ch.history.push(offset, Arc::clone(&data));
        let fanout = hub.publish(channel, protocol::message_event(channel, offset, &data));
        Ok(Published {
            offset,
            delivered: fanout.queued,
        })
    }

    /// Subscribes `session` to `channel`, queues the reply for request `id` (with the
    /// history and the members), and announces the new member.
    pub(crate) fn subscribe(
        &self,
        session: &Session<Client>,
        channel: &str,
        join: Join,
        id: &Value,
    ) -> Result<(), Error> {
        let hub = session.hub();
        let mut state = self.lock();
        let ch = self.entry(&mut state, &hub, channel)?;
        if !session.subscribe(channel) {
            return Err(Error::new(
                Code::AlreadySubscribed,
                format!("already subscribed to {channel}"),
            ));
        }
        let member = join
            .member
            .map(|name| Member::new(session.id().to_string(), name));
        if let Some(member) = &member {
            ch.presence.join(session.id().as_u64(), member.clone());
            session.data().present_in(channel);
        }
        let history: Vec<Value> = ch
            .history
            .last(join.history.min(self.limits.history))
            .map(|e| {
                let data = serde_json::from_str::<Value>(&e.data).unwrap_or(Value::Null);
                json!({ "offset": e.offset, "data": data })
            })
            .collect();
        let mut fields = json!({ "channel": channel, "epoch": ch.epoch, "offset": ch.offset, "history": history });
        if join.list_members {
            fields["members"] = ch.presence.to_json();
        }
        session.send(protocol::ok_reply(id, fields));
        if let Some(member) = member {
            hub.publish(
                channel,
                protocol::presence_event(channel, "join", &member.to_json()),
            );
        }
        Ok(())
    }

    /// Unsubscribes `session` from `channel` and announces its leaving.
    pub(crate) fn unsubscribe(
        &self,
        session: &Session<Client>,
        channel: &str,
    ) -> Result<(), Error> {
        let hub = session.hub();
        let mut state = self.lock();
        if !session.unsubscribe(channel) {
            return Err(Error::new(
                Code::NotSubscribed,
                format!("not subscribed to {channel}"),
            ));
        }
        session.data().absent_from(channel);
        leave(&mut state, &hub, channel, session.id().as_u64());
        Ok(())
    }

    /// Announces that a session that ended left every channel it was present in (the
    /// hub already unsubscribed it from all of them).
    pub(crate) fn disconnected(&self, session: &Session<Client>) {
        let hub = session.hub();
        let mut state = self.lock();
        for channel in session.data().take_presence() {
            leave(&mut state, &hub, &channel, session.id().as_u64());
        }
    }

    /// The members of `channel` as a JSON array (empty for an unknown channel).
    pub(crate) fn members(&self, channel: &str) -> Value {
        self.lock()
            .get(channel)
            .map_or_else(|| json!([]), |ch| ch.presence.to_json())
    }

    /// Every tracked channel: name, subscribers, members, last offset, messages
    /// remembered; sorted by name.
    pub(crate) fn list(&self, hub: &Hub<Client>) -> Value {
        let state = self.lock();
        let mut names: Vec<&String> = state.keys().collect();
        names.sort();
        let list = names.into_iter().filter_map(|name| {
            let ch = state.get(name)?;
            Some(json!({
                "channel": name,
                "subscribers": hub.subscriber_count(name),
                "members": ch.presence.len(),
                "offset": ch.offset,
                "history": ch.history.len(),
            }))
        });
        Value::Array(list.collect())
    }

    /// The channel's state, created if needed (forgetting an idle channel when full).
    fn entry<'s>(
        &self,
        state: &'s mut HashMap<String, Channel>,
        hub: &Hub<Client>,
        channel: &str,
    ) -> Result<&'s mut Channel, Error> {
        if !state.contains_key(channel) {
            if state.len() >= self.limits.channels {
                let idle = state
                    .iter()
                    .find(|(name, ch)| ch.presence.is_empty() && hub.subscriber_count(name) == 0)
                    .map(|(name, _)| name.clone());
                let Some(idle) = idle else {
                    let message = format!(
                        "the server tracks {} channels, all in use",
                        self.limits.channels
                    );
                    return Err(Error::new(Code::TooManyChannels, message));
                };
                state.remove(&idle);
            }
            let history = History::new(self.limits.history, self.limits.history_bytes);
            let n = self.created.fetch_add(1, Ordering::Relaxed);
            let ch = Channel {
                epoch: format!("{:x}-{n:x}", self.start),
                offset: 0,
                history,
                presence: Presence::default(),
            };
            state.insert(channel.to_owned(), ch);
        }
        state
            .get_mut(channel)
            .ok_or_else(|| Error::new(Code::TooManyChannels, "channel vanished"))
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Channel>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Removes the session's member from `channel` and announces it.
fn leave(state: &mut HashMap<String, Channel>, hub: &Hub<Client>, channel: &str, session: u64) {
    let Some(member) = state
        .get_mut(channel)
        .and_then(|ch| ch.presence.leave(session))
    else {
        return;
    };
    hub.publish(
        channel,
        protocol::presence_event(channel, "leave", &member.to_json()),
    );
}
