//! Puts a room's messages in id order before they are delivered. Messages may arrive in any
//! order (concurrent writers, other relay instances through Redis); each names the room's
//! message before it (`prev`), so a message is delivered only once its predecessor was, and a
//! missing predecessor shows as a gap that the hub fills from storage.

use std::collections::BTreeMap;

use zudui_shared::chat::live::Posted;
use zudui_shared::ids::MessageId;

/// Most messages held back behind one gap; past it, the gap is given up on.
pub const MAX_HELD: usize = 4096;

#[derive(Default)]
pub struct Sequencer {
    /// The last id delivered (`BEFORE_FIRST`: the room had none). `None` until the room's first session has
    /// read its history, which tells where the live stream starts.
    last: Option<MessageId>,
    /// Messages waiting for their predecessor, by id.
    held: BTreeMap<MessageId, Posted>,
}

impl Sequencer {
    /// Starts the stream after message `last` (the newest one in storage when the room's first
    /// session read it), unless it has started already. Returns what may now be delivered.
    pub fn start(&mut self, last: MessageId) -> Vec<Posted> {
        if self.last.is_none() {
            self.last = Some(last);
        }
        self.drain()
    }

    /// Takes a message; returns the messages now deliverable, in order.
    pub fn offer(&mut self, posted: Posted) -> Vec<Posted> {
        if self.last.is_some_and(|last| posted.id <= last) {
            return Vec::new();
        }
        self.held.entry(posted.id).or_insert(posted);
        if self.last.is_none() && self.held.len() > MAX_HELD {
            // Not started: the first session's history will show the oldest ones.
            self.held.pop_first();
        }
        let ready = self.drain();
        if self.held.len() > MAX_HELD {
            let mut skipped = ready;
            skipped.extend(self.skip_gap());
            return skipped;
        }
        ready
    }

    /// `Some(last delivered id)` while messages wait behind a gap.
    pub fn gap(&self) -> Option<MessageId> {
        self.last.filter(|_| !self.held.is_empty())
    }

    /// The last id delivered, once started.
    pub fn last(&self) -> Option<MessageId> {
        self.last
    }

    /// Gives up on the gap: delivers what is held from its oldest message on. Only for messages
    /// that storage cannot provide any more.
    pub fn skip_gap(&mut self) -> Vec<Posted> {
        if let (Some(_), Some((_, first))) = (self.last, self.held.first_key_value()) {
            self.last = Some(first.prev.unwrap_or(MessageId::BEFORE_FIRST));
        }
        self.drain()
    }

    fn drain(&mut self) -> Vec<Posted> {
        let mut ready = Vec::new();
        let Some(mut last) = self.last else {
            return ready;
        };
        while let Some(entry) = self.held.first_entry() {
            let posted = entry.get();
            if posted.id <= last {
                entry.remove();
            } else if posted.prev.unwrap_or(MessageId::BEFORE_FIRST) <= last {
                last = posted.id;
                ready.push(entry.remove());
            } else {
                break;
            }
        }
        self.last = Some(last);
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zudui_shared::db::chat_messages::Room;

    fn msg(id: i64, prev: Option<i64>) -> Posted {
        Posted {
            room: Room::Group(zudui_shared::ids::GroupId(1)),
            id: MessageId(id),
            prev: prev.map(MessageId),
            frame: format!("m{id}"),
        }
    }

    fn ids(v: Vec<Posted>) -> Vec<i64> {
        v.into_iter().map(|p| p.id.0).collect()
    }

    #[test]
    fn holds_messages_until_the_stream_starts() {
        let mut s = Sequencer::default();
        assert!(s.offer(msg(5, Some(3))).is_empty());
        assert!(s.offer(msg(3, None)).is_empty());
        assert_eq!(s.gap(), None);
        // History showed up to 3: 3 is dropped, 5 follows.
        assert_eq!(ids(s.start(MessageId(3))), vec![5]);
        assert_eq!(
            ids(s.start(MessageId(1))),
            Vec::<i64>::new(),
            "started once"
        );
    }

    #[test]
    fn delivers_in_order_whatever_the_arrival_order() {
        let mut s = Sequencer::default();
        s.start(MessageId(0));
        assert!(s.offer(msg(9, Some(7))).is_empty());
        assert_eq!(s.gap(), Some(MessageId(0)));
        assert!(s.offer(msg(7, Some(2))).is_empty());
        assert_eq!(ids(s.offer(msg(2, None))), vec![2, 7, 9]);
        assert_eq!(s.gap(), None);
        assert!(
            s.offer(msg(7, Some(2))).is_empty(),
            "duplicates are dropped"
        );
        assert_eq!(ids(s.offer(msg(10, Some(9)))), vec![10]);
    }

    #[test]
    fn a_gap_can_be_given_up() {
        let mut s = Sequencer::default();
        s.start(MessageId(4));
        s.offer(msg(8, Some(6)));
        s.offer(msg(11, Some(8)));
        assert_eq!(s.gap(), Some(MessageId(4)));
        assert_eq!(ids(s.skip_gap()), vec![8, 11]);
        assert_eq!(s.last(), Some(MessageId(11)));
    }

    #[test]
    fn before_the_start_only_the_newest_are_held() {
        let mut s = Sequencer::default();
        for id in 1..=(MAX_HELD as i64 + 10) {
            assert!(s.offer(msg(id, Some(id - 1))).is_empty());
        }
        assert_eq!(s.held.len(), MAX_HELD);
        let delivered = ids(s.start(MessageId(MAX_HELD as i64)));
        assert_eq!(
            delivered,
            ((MAX_HELD as i64 + 1)..=(MAX_HELD as i64 + 10)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn too_long_a_wait_skips_the_gap() {
        let mut s = Sequencer::default();
        s.start(MessageId(0));
        let mut delivered = Vec::new();
        for id in 2..(MAX_HELD as i64 + 3) {
            delivered.extend(ids(s.offer(msg(id, Some(id - 1)))));
        }
        assert_eq!(delivered.len(), MAX_HELD + 1);
        assert_eq!(delivered[0], 2);
        assert_eq!(s.gap(), None);
    }
}
