//! The maildrop listing a host hands over after login, and the session's
//! view of it (deletion marks, totals).

use std::fmt;

/// A message's unique id (RFC 1939 §7, UIDL): 1 to 70 octets in the range
/// 0x21 to 0x7E, stable across sessions.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UniqueId(String);

/// Why a unique id was refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
#[error("a unique id is 1 to 70 octets in the range 0x21 to 0x7E (RFC 1939 section 7)")]
pub struct InvalidUniqueId;

impl UniqueId {
    /// Validates a unique id.
    pub fn new(id: impl Into<String>) -> Result<UniqueId, InvalidUniqueId> {
        let id = id.into();
        let valid = (1..=70).contains(&id.len()) && id.bytes().all(|b| (0x21..=0x7e).contains(&b));
        if valid {
            Ok(UniqueId(id))
        } else {
            Err(InvalidUniqueId)
        }
    }

    /// The id as sent in UIDL listings.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for UniqueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl TryFrom<&str> for UniqueId {
    type Error = InvalidUniqueId;
    fn try_from(id: &str) -> Result<Self, Self::Error> {
        UniqueId::new(id)
    }
}

/// One message of the maildrop, as the host lists it after login.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MessageInfo {
    /// The size RFC 1939 §11 asks for: octets as sent, with CRLF line ends,
    /// before byte-stuffing. For stores with LF line ends use
    /// [`wire_size`](crate::pop3::wire_size).
    pub size: u64,
    /// The message's unique id.
    pub uid: UniqueId,
}

impl MessageInfo {
    /// A listing entry.
    pub fn new(size: u64, uid: UniqueId) -> MessageInfo {
        MessageInfo { size, uid }
    }
}

/// The session's view of the maildrop during TRANSACTION.
#[derive(Debug)]
pub(crate) struct Maildrop {
    messages: Vec<MessageInfo>,
    deleted: Vec<bool>,
    live_count: usize,
    /// Exact: a u128 cannot overflow on 2^32 sizes of at most u64::MAX, so deleting a
    /// message after a saturated total still gives the right sum.
    live_size: u128,
}

/// What a message number refers to.
pub(crate) enum Lookup<'a> {
    Live(usize, &'a MessageInfo),
    Deleted,
    NoSuchMessage,
}

impl Maildrop {
    pub(crate) fn new(messages: Vec<MessageInfo>) -> Maildrop {
        let live_size = messages.iter().map(|m| u128::from(m.size)).sum();
        Maildrop {
            deleted: vec![false; messages.len()],
            live_count: messages.len(),
            live_size,
            messages,
        }
    }

    /// Message count and total size, deleted messages excluded (RFC 1939 §5 STAT); a total
    /// past u64::MAX is reported as u64::MAX.
    pub(crate) fn totals(&self) -> (usize, u64) {
        (
            self.live_count,
            u64::try_from(self.live_size).unwrap_or(u64::MAX),
        )
    }

    /// Number of messages, deleted ones included (the highest message number).
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    pub(crate) fn lookup(&self, msg: u32) -> Lookup<'_> {
        let Some(index) = usize::try_from(msg).ok().and_then(|m| m.checked_sub(1)) else {
            return Lookup::NoSuchMessage;
        };
        match (self.messages.get(index), self.deleted.get(index)) {
            (Some(_), Some(true)) => Lookup::Deleted,
            (Some(info), Some(false)) => Lookup::Live(index, info),
            _ => Lookup::NoSuchMessage,
        }
    }

    /// Marks a live message deleted (RFC 1939 §5 DELE).
    pub(crate) fn delete(&mut self, index: usize) {
        if let (Some(flag @ false), Some(info)) =
            (self.deleted.get_mut(index), self.messages.get(index))
        {
            *flag = true;
            self.live_count -= 1;
            self.live_size = self.live_size.saturating_sub(u128::from(info.size));
        }
    }

    /// Unmarks every deleted message (RFC 1939 §5 RSET).
    pub(crate) fn reset(&mut self) {
        *self = Maildrop::new(std::mem::take(&mut self.messages));
    }

    /// Live messages with their 1-based numbers.
    pub(crate) fn live(&self) -> impl Iterator<Item = (usize, &MessageInfo)> {
        self.messages
            .iter()
            .zip(&self.deleted)
            .enumerate()
            .filter(|(_, (_, deleted))| !**deleted)
            .map(|(i, (info, _))| (i + 1, info))
    }

    /// Indices of the messages marked deleted, ascending.
    pub(crate) fn deleted_indices(&self) -> Vec<usize> {
        (0..self.deleted.len())
            .filter(|&i| self.deleted[i])
            .collect()
    }

    pub(crate) fn info(&self, index: usize) -> Option<&MessageInfo> {
        self.messages.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1939_7_unique_id_syntax() {
        assert!(UniqueId::new("whqtswO00WBw418f9t5JxYwZ").is_ok());
        assert!(UniqueId::new("QhdPYR:00WBw1Ph7x7").is_ok());
        assert!(UniqueId::new("x".repeat(70)).is_ok());
        assert_eq!(UniqueId::new("x".repeat(71)), Err(InvalidUniqueId));
        assert_eq!(UniqueId::new(""), Err(InvalidUniqueId));
        assert_eq!(UniqueId::new("a b"), Err(InvalidUniqueId));
        assert_eq!(UniqueId::new("a\r\n"), Err(InvalidUniqueId));
        assert_eq!(UniqueId::new("ü"), Err(InvalidUniqueId));
        assert_eq!(UniqueId::new("\x7f"), Err(InvalidUniqueId));
    }

    #[test]
    fn deletion_marks_and_totals() {
        let uid = |s: &str| UniqueId::new(s).unwrap();
        let mut drop = Maildrop::new(vec![
            MessageInfo::new(120, uid("a")),
            MessageInfo::new(200, uid("b")),
        ]);
        assert_eq!(drop.totals(), (2, 320));
        drop.delete(0);
        drop.delete(0);
        assert_eq!(drop.totals(), (1, 200));
        assert!(matches!(drop.lookup(1), Lookup::Deleted));
        assert!(matches!(drop.lookup(2), Lookup::Live(1, _)));
        assert!(matches!(drop.lookup(3), Lookup::NoSuchMessage));
        assert!(matches!(drop.lookup(0), Lookup::NoSuchMessage));
        assert_eq!(drop.deleted_indices(), vec![0]);
        drop.reset();
        assert_eq!(drop.totals(), (2, 320));
        assert_eq!(drop.live().map(|(n, _)| n).collect::<Vec<_>>(), vec![1, 2]);
    }

    /// Found by tests/hostile.rs: with a saturating u64 total, deleting one of two messages
    /// of u64::MAX octets made STAT report 0 octets for the one left.
    #[test]
    fn rfc1939_5_stat_total_stays_exact_past_u64() {
        let uid = |s: &str| UniqueId::new(s).unwrap();
        let mut drop = Maildrop::new(vec![
            MessageInfo::new(u64::MAX, uid("a")),
            MessageInfo::new(u64::MAX, uid("b")),
            MessageInfo::new(7, uid("c")),
        ]);
        assert_eq!(drop.totals(), (3, u64::MAX));
        drop.delete(0);
        assert_eq!(drop.totals(), (2, u64::MAX));
        drop.delete(1);
        assert_eq!(drop.totals(), (1, 7));
    }
}
