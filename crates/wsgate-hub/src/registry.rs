//! The hub's indexes: every live session by id, and every topic's subscribers.
//!
//! Both are split into [`SHARDS`] `RwLock<HashMap>`s (sessions by id, topics by a hash
//! of the name), so that subscribing in one room does not stall publishing in another.
//! Publishing takes one shard's read lock and visits only that topic's subscribers:
//! O(subscribers), never O(all sessions). A topic with no subscribers is removed.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::session::{Session, SessionId};

/// Sessions by id: every live session (in one shard), or one topic's subscribers.
type Sessions<T> = HashMap<SessionId, Session<T>>;
type SessionShard<T> = RwLock<Sessions<T>>;
type TopicShard<T> = RwLock<HashMap<Arc<str>, Sessions<T>>>;

pub(crate) struct Registry<T> {
    sessions: Box<[SessionShard<T>]>,
    topics: Box<[TopicShard<T>]>,
    hasher: RandomState,
}

impl<T: Send + Sync + 'static> Registry<T> {
    pub(crate) fn new() -> Self {
        Self {
            sessions: (0..SHARDS).map(|_| RwLock::default()).collect(),
            topics: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: RandomState::new(),
        }
    }

    pub(crate) fn insert(&self, session: &Session<T>) {
        let shard = self.session_shard(session.id());
        write(shard).insert(session.id(), session.clone());
    }

    pub(crate) fn remove(&self, id: SessionId) -> Option<Session<T>> {
        write(self.session_shard(id)).remove(&id)
    }

    pub(crate) fn get(&self, id: SessionId) -> Option<Session<T>> {
        read(self.session_shard(id)).get(&id).cloned()
    }

    /// Calls `f` for every live session, one shard (read-locked) at a time.
    pub(crate) fn for_each_session(&self, mut f: impl FnMut(&Session<T>)) {
        for shard in &*self.sessions {
            read(shard).values().for_each(&mut f);
        }
    }

    pub(crate) fn session_count(&self) -> usize {
        self.sessions.iter().map(|s| read(s).len()).sum()
    }

    /// Adds `session` to `topic`; returns the shared key for the session's own list.
    pub(crate) fn subscribe(&self, topic: &str, session: &Session<T>) -> Arc<str> {
        let mut shard = write(self.topic_shard(topic));
        if let Some(key) = shard.get_key_value(topic).map(|(k, _)| Arc::clone(k)) {
            if let Some(subs) = shard.get_mut(topic) {
                subs.insert(session.id(), session.clone());
            }
            return key;
        }
        let key: Arc<str> = topic.into();
        let subs = HashMap::from([(session.id(), session.clone())]);
        shard.insert(Arc::clone(&key), subs);
        key
    }

    pub(crate) fn unsubscribe(&self, topic: &str, id: SessionId) {
        let mut shard = write(self.topic_shard(topic));
        if let Some(subs) = shard.get_mut(topic) {
            subs.remove(&id);
            if subs.is_empty() {
                shard.remove(topic);
            }
        }
    }

    /// Calls `f` for every subscriber of `topic` under the shard's read lock.
    pub(crate) fn for_each_subscriber(&self, topic: &str, f: impl FnMut(&Session<T>)) {
        if let Some(subs) = read(self.topic_shard(topic)).get(topic) {
            subs.values().for_each(f);
        }
    }

    pub(crate) fn subscriber_count(&self, topic: &str) -> usize {
        read(self.topic_shard(topic))
            .get(topic)
            .map_or(0, HashMap::len)
    }

    pub(crate) fn topic_count(&self) -> usize {
        self.topics.iter().map(|s| read(s).len()).sum()
    }

    fn session_shard(&self, id: SessionId) -> &SessionShard<T> {
        &self.sessions[(id.0 % SHARDS as u64) as usize]
    }

    fn topic_shard(&self, topic: &str) -> &TopicShard<T> {
        &self.topics[(self.hasher.hash_one(topic) % SHARDS as u64) as usize]
    }
}

fn read<V>(lock: &RwLock<V>) -> RwLockReadGuard<'_, V> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<V>(lock: &RwLock<V>) -> RwLockWriteGuard<'_, V> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Lock shards per index. A power of two well above the core count of common hosts.
pub(crate) const SHARDS: usize = 16;
