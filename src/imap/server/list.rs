//! LIST and LSUB (RFC 3501 §6.3.8–9): the host hands every mailbox and subscription; the
//! session matches the reference and pattern, encodes names to modified UTF-7, fills in
//! the hierarchy levels that exist only as parents, and adds the CHILDREN attributes
//! (RFC 3348) and the SPECIAL-USE selection (RFC 6154 §5.2).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::answer::{AnswerError, UsageError};
use crate::imap::{Atom, Data, ListData, ListMailbox, Mailbox, MailboxAttribute, Tag, utf7};

use super::event::sealed::Kind;
use super::event::{Event, ListRequest, MailboxEntry, MailboxError};
use super::{Session, Waiting};

/// Longest pattern matched (reference and pattern together). Matching costs the pattern's
/// length times the name's, per mailbox.
const MAX_PATTERN: usize = 1024;

/// A LIST or LSUB waiting for the host's list.
#[derive(Debug)]
pub(super) struct ListCommand {
    /// Reference and pattern, concatenated (RFC 3501 §6.3.8), wire form.
    pattern: Vec<u8>,
    lsub: bool,
    special_use_only: bool,
    /// `\HasChildren` / `\HasNoChildren` are added: always for the RFC 3501 syntax,
    /// with the RFC 5258 syntax only for `RETURN (CHILDREN)`.
    children: bool,
}

/// `true` for the RFC 6154 §2 attributes.
fn is_special_use(a: &MailboxAttribute) -> bool {
    use MailboxAttribute as A;
    matches!(
        a,
        A::All | A::Archive | A::Drafts | A::Flagged | A::Junk | A::Sent | A::Trash
    )
}

/// Whether `name` matches `pattern`, where `*` matches anything and `%` anything but the
/// delimiter (RFC 3501 §6.3.8). The `INBOX` at the start of a name matches without regard
/// to case (§5.1). Dynamic programming over positions: linear in the product of lengths.
pub(super) fn matches(pattern: &[u8], name: &[u8], delimiter: u8) -> bool {
    let inbox = name.len() >= 5
        && name[..5].eq_ignore_ascii_case(b"INBOX")
        && (name.len() == 5 || name[5] == delimiter);
    let same = |p: u8, i: usize, c: u8| p == c || (inbox && i < 5 && p.eq_ignore_ascii_case(&c));
    // reach[i]: the pattern so far can match name[..i].
    let mut reach = vec![false; name.len() + 1];
    reach[0] = true;
    for &p in pattern {
        let mut next = vec![false; name.len() + 1];
        match p {
            b'*' => {
                let mut on = false;
                for i in 0..=name.len() {
                    on |= reach[i];
                    next[i] = on;
                }
            }
            b'%' => {
                let mut on = false;
                for i in 0..=name.len() {
                    on |= reach[i];
                    next[i] = on;
                    if name.get(i) == Some(&delimiter) {
                        on = false;
                    }
                }
            }
            _ => {
                for i in 0..name.len() {
                    if reach[i] && same(p, i, name[i]) {
                        next[i + 1] = true;
                    }
                }
            }
        }
        reach = next;
        if !reach.contains(&true) {
            return false;
        }
    }
    reach[name.len()]
}

/// One node of the hierarchy: a mailbox, a subscription, or a parent level that exists
/// only because something is below it.
#[derive(Debug, Default)]
struct Node {
    attributes: Vec<MailboxAttribute>,
    exists: bool,
    subscribed: bool,
    children: bool,
}

impl Session {
    pub(super) fn list(
        &mut self,
        tag: Tag,
        reference: Mailbox,
        pattern: ListMailbox,
        selection: &[Atom],
        return_options: &[Atom],
        lsub: bool,
    ) {
        let known = |a: &Atom, names: &[&[u8]]| names.iter().any(|n| a.eq_ignore_case(n));
        if let Some(unknown) = selection.iter().find(|a| !known(a, &[b"SPECIAL-USE"])) {
            let _ = unknown;
            return self.bad(Some(&tag), None, "Unsupported LIST selection option");
        }
        if return_options
            .iter()
            .any(|a| !known(a, &[b"SPECIAL-USE", b"CHILDREN"]))
        {
            return self.bad(Some(&tag), None, "Unsupported LIST return option");
        }
        let delimiter = self.config.delimiter.get();
        let done = if lsub {
            "LSUB completed"
        } else {
            "LIST completed"
        };
        if pattern.as_bytes().is_empty() && !lsub {
            // RFC 3501 §6.3.8: an empty pattern asks for the delimiter and the root name of
            // the reference.
            let reference = reference.as_bytes();
            let root = match reference.iter().position(|&b| b == delimiter) {
                Some(i) => &reference[..=i],
                None => &b""[..],
            };
            if let Ok(mailbox) = Mailbox::new(Bytes::copy_from_slice(root)) {
                self.data(Data::List(ListData {
                    attributes: vec![MailboxAttribute::Noselect],
                    delimiter: Some(self.config.delimiter),
                    mailbox,
                }));
            }
            return self.done(&tag, true, done);
        }
        let mut full = reference.as_bytes().to_vec();
        full.extend_from_slice(pattern.as_bytes());
        if full.len() > MAX_PATTERN {
            return self.bad(
                Some(&tag),
                Some(crate::imap::Code::Limit),
                "Pattern too long",
            );
        }
        let id = self.id();
        let extended = !selection.is_empty() || !return_options.is_empty();
        let command = ListCommand {
            pattern: full,
            lsub,
            special_use_only: !selection.is_empty(),
            children: !extended || return_options.iter().any(|a| a.eq_ignore_case(b"CHILDREN")),
        };
        let request = ListRequest {
            id,
            subscribed: lsub,
        };
        self.wait(
            tag,
            id,
            Kind::List,
            Waiting::List(command),
            Event::List(request),
        );
    }

    pub(super) fn answer_list(
        &mut self,
        request: ListRequest,
        answer: Result<Vec<MailboxEntry>, MailboxError>,
    ) -> Result<(), AnswerError<ListRequest>> {
        let Some(pending) = self.pending_for(&request) else {
            return Err(AnswerError::new(request, UsageError::NotPending));
        };
        let Waiting::List(command) = pending.what else {
            return Ok(());
        };
        let entries = match answer {
            Ok(entries) => entries,
            Err(e) => {
                let (code, s) = super::mailbox::refusal(e, false);
                self.tagged_no(&pending.tag, Some(code), s);
                return Ok(());
            }
        };
        let delimiter = self.config.delimiter.get();
        // Wire names, sorted, with their parents filled in.
        let mut nodes: BTreeMap<Vec<u8>, Node> = BTreeMap::new();
        for entry in entries {
            let wire = utf7::encode(entry.name.as_str()).into_bytes();
            let node = nodes.entry(wire).or_default();
            node.exists |= entry.exists;
            node.subscribed |= entry.subscribed;
            for a in entry.attributes {
                if !node.attributes.contains(&a) {
                    node.attributes.push(a);
                }
            }
        }
        let names: Vec<Vec<u8>> = nodes.keys().cloned().collect();
        for name in &names {
            let mut at = 0;
            while let Some(i) = name[at..].iter().position(|&b| b == delimiter) {
                let parent = name[..at + i].to_vec();
                at += i + 1;
                if !parent.is_empty() {
                    nodes.entry(parent).or_default().children = true;
                }
            }
        }
        let trailing_percent = command.pattern.last() == Some(&b'%');
        let mut out = Vec::new();
        for (name, node) in &nodes {
            if !matches(&command.pattern, name, delimiter) {
                continue;
            }
            let mut attributes: Vec<MailboxAttribute> = Vec::new();
            if command.lsub {
                if node.subscribed {
                    attributes.extend(
                        node.attributes
                            .iter()
                            .filter(|a| a.is_selectability())
                            .cloned(),
                    );
                } else if trailing_percent && node.children {
                    // RFC 3501 §6.3.9: a level that "%" matches and that is not subscribed
                    // is returned with \Noselect.
                    attributes.push(MailboxAttribute::Noselect);
                } else {
                    continue;
                }
            } else {
                // A level that is no mailbox is listed only where RFC 3501 §6.3.8 asks: "%"
                // at the end of the pattern returns the levels it matches.
                if !(node.exists || node.children && trailing_percent) {
                    continue;
                }
                if command.special_use_only && !node.attributes.iter().any(is_special_use) {
                    continue;
                }
                attributes.extend(node.attributes.iter().cloned());
                if !node.exists && !attributes.contains(&MailboxAttribute::Noselect) {
                    attributes.insert(0, MailboxAttribute::Noselect);
                }
                if command.children {
                    if node.children {
                        attributes.push(MailboxAttribute::HasChildren);
                    } else if !attributes.contains(&MailboxAttribute::Noinferiors) {
                        attributes.push(MailboxAttribute::HasNoChildren);
                    }
                }
            }
            if let Ok(mailbox) = Mailbox::new(Bytes::copy_from_slice(name)) {
                out.push(ListData {
                    attributes,
                    delimiter: Some(self.config.delimiter),
                    mailbox,
                });
            }
        }
        // INBOX first, as clients expect; the rest sorted.
        out.sort_by_key(|l| !l.mailbox.is_inbox());
        for l in out {
            self.data(if command.lsub {
                Data::Lsub(l)
            } else {
                Data::List(l)
            });
        }
        let done = if command.lsub {
            "LSUB completed"
        } else {
            "LIST completed"
        };
        self.done(&pending.tag, true, done);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3501 §6.3.8: "*" matches zero or more characters at this position; "%" is
    /// similar but does not match a hierarchy delimiter.
    #[test]
    fn rfc3501_6_3_8_wildcards() {
        assert!(matches(b"*", b"a/b/c", b'/'));
        assert!(matches(b"%", b"abc", b'/'));
        assert!(!matches(b"%", b"a/b", b'/'));
        assert!(matches(b"a/%", b"a/b", b'/'));
        assert!(!matches(b"a/%", b"a/b/c", b'/'));
        assert!(matches(b"a/*", b"a/b/c", b'/'));
        assert!(matches(b"%/%/c", b"a/b/c", b'/'));
        assert!(matches(b"inbox", b"INBOX", b'/'));
        assert!(matches(b"InBox/%", b"INBOX/x", b'/'));
        assert!(
            !matches(b"inbox/x", b"INBOX/X", b'/'),
            "only INBOX itself folds case"
        );
        assert!(!matches(b"a", b"ab", b'/'));
        assert!(matches(b"*b*%", b"xbyz", b'/'));
        // A long pattern of wildcards against a long name stays linear per character.
        let long = b"*%".repeat(500);
        assert!(matches(&long, &[b'x'; 900], b'/'));
    }
}
