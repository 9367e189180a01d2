//! Inboxes of the tasks a host runs, so `send_message` can deliver (or refuse) at once, inside
//! the sender's call, and `next_message` can hand over the oldest message.

use std::collections::{BTreeMap, VecDeque};

use parity_scale_codec::Encode;

use crate::{AbiError, Inbound, MAX_INBOX, TaskId};

/// Encoded `Inbound` envelopes waiting for each task; task 0 is the host.
#[derive(Debug, Default)]
pub struct Mailboxes {
    inboxes: BTreeMap<TaskId, VecDeque<Vec<u8>>>,
}

impl Mailboxes {
    /// Gives `task` an (empty) inbox; messages to tasks without one are refused.
    pub fn open(&mut self, task: TaskId) {
        self.inboxes.entry(task).or_default();
    }

    pub fn close(&mut self, task: TaskId) {
        self.inboxes.remove(&task);
    }

    /// Whether `task` has an inbox here.
    pub fn has(&self, task: TaskId) -> bool {
        self.inboxes.contains_key(&task)
    }

    /// Queues `body` from `from` for `to`, refusing unknown tasks and full inboxes.
    pub fn deliver(&mut self, from: TaskId, to: TaskId, body: Vec<u8>) -> Result<(), AbiError> {
        let inbox = self.inboxes.get_mut(&to).ok_or(AbiError::NoSuchTask(to))?;
        if inbox.len() >= MAX_INBOX {
            return Err(AbiError::InboxFull(to));
        }
        inbox.push_back(Inbound { from, body }.encode());
        Ok(())
    }

    pub fn peek(&self, task: TaskId) -> Option<&Vec<u8>> {
        self.inboxes.get(&task)?.front()
    }

    pub fn pop(&mut self, task: TaskId) -> Option<Vec<u8>> {
        self.inboxes.get_mut(&task)?.pop_front()
    }

    /// The unread envelopes of `task`, oldest first (for snapshots).
    pub fn queued(&self, task: TaskId) -> impl Iterator<Item = &Vec<u8>> {
        self.inboxes.get(&task).into_iter().flatten()
    }

    /// Queues an already encoded `Inbound` envelope (restoring a snapshot's inbox); unlike
    /// [`Mailboxes::deliver`] it ignores the flood limit, since the envelope was accepted once.
    pub fn requeue(&mut self, task: TaskId, envelope: Vec<u8>) {
        self.inboxes.entry(task).or_default().push_back(envelope);
    }

    pub fn pending(&self, task: TaskId) -> usize {
        self.inboxes.get(&task).map_or(0, VecDeque::len)
    }
}

#[cfg(test)]
mod tests {
    use parity_scale_codec::DecodeAll;

    use super::*;

    #[test]
    fn delivers_in_order_and_refuses_unknown_or_full_inboxes() {
        let mut boxes = Mailboxes::default();
        boxes.open(1);
        assert_eq!(boxes.deliver(0, 2, vec![]), Err(AbiError::NoSuchTask(2)));
        boxes.deliver(0, 1, vec![1]).expect("first");
        boxes.deliver(3, 1, vec![2]).expect("second");
        assert_eq!(boxes.pending(1), 2);
        let first = Inbound::decode_all(&mut &boxes.pop(1).expect("queued")[..]).expect("envelope");
        assert_eq!(
            first,
            Inbound {
                from: 0,
                body: vec![1]
            }
        );
        for _ in 1..MAX_INBOX {
            boxes.deliver(0, 1, vec![]).expect("room");
        }
        assert_eq!(boxes.deliver(0, 1, vec![]), Err(AbiError::InboxFull(1)));
        boxes.close(1);
        assert!(!boxes.has(1));
    }
}
