//! Who is present in one channel: members keyed by session, in joining order.

use serde_json::{Value, json};

/// One present member: the session's id (as clients see it, `s12`) and its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    pub(crate) id: String,
    pub(crate) name: String,
}

impl Member {
    pub(crate) fn new(id: String, name: String) -> Self {
        Self { id, name }
    }

    /// `{"id":…,"name":…}`.
    pub(crate) fn to_json(&self) -> Value {
        json!({ "id": self.id, "name": self.name })
    }
}

/// The members of a channel, keyed by session number. Small (bounded by the channel's
/// subscribers), so a vector in joining order.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    members: Vec<(u64, Member)>,
}

impl Presence {
    /// Adds a member; `false` when the session is already present.
    pub(crate) fn join(&mut self, session: u64, member: Member) -> bool {
        if self.members.iter().any(|(s, _)| *s == session) {
            return false;
        }
        self.members.push((session, member));
        true
    }

    /// Removes the session's member, if present.
    pub(crate) fn leave(&mut self, session: u64) -> Option<Member> {
        let i = self.members.iter().position(|(s, _)| *s == session)?;
        Some(self.members.remove(i).1)
    }

    /// The members as a JSON array, in joining order.
    pub(crate) fn to_json(&self) -> Value {
        Value::Array(self.members.iter().map(|(_, m)| m.to_json()).collect())
    }

    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_leave_and_list_in_order() {
        let mut p = Presence::default();
        assert!(p.join(1, Member::new("s1".into(), "ann".into())));
        assert!(p.join(2, Member::new("s2".into(), "bob".into())));
        assert!(!p.join(1, Member::new("s1".into(), "again".into())));
        assert_eq!(
            p.to_json(),
            json!([{"id":"s1","name":"ann"},{"id":"s2","name":"bob"}])
        );
        assert_eq!(p.leave(1).map(|m| m.name), Some("ann".to_owned()));
        assert_eq!(p.leave(1), None);
        assert_eq!(p.len(), 1);
        assert!(!p.is_empty());
    }
}
