//! RFC 5322 §3.4 address lists (with the obsolete forms of §4.4), as ENVELOPE
//! needs them.

use super::content::{quoted_string, skip_comment};

/// One entry of an address list, in the neutral form pobox keeps before
/// building IMAP address structures (RFC 3501 §7.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AddrItem {
    /// A mailbox.
    Mailbox(Mailbox),
    /// `display-name ":"`: the start of a group (RFC 5322 §3.4).
    GroupStart(Vec<u8>),
    /// The `;` that ends a group.
    GroupEnd,
}

/// A mailbox: display name, obsolete source route, local part, domain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Mailbox {
    /// `display-name`, words joined by one space, quoted strings unquoted;
    /// when there is none, the text of the first comment (the old
    /// `user@host (Full Name)` convention).
    pub(crate) name: Option<Vec<u8>>,
    /// RFC 5322 §4.4 `obs-route`, as `@a,@b`.
    pub(crate) route: Option<Vec<u8>>,
    pub(crate) local: Vec<u8>,
    /// `None` when the address has no `@domain`.
    pub(crate) domain: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// `atext` run, dots included (dot-atom and obs-phrase).
    Word(Vec<u8>),
    /// Quoted string content.
    Quoted(Vec<u8>),
    /// `[...]` domain literal, brackets kept.
    Literal(Vec<u8>),
    /// Comment content (outer parentheses removed).
    Comment(Vec<u8>),
    /// One of `, ; : < > @`.
    Special(u8),
}

fn is_word_byte(b: u8) -> bool {
    b > b' '
        && b != 0x7f
        && !matches!(
            b,
            b'(' | b')' | b'<' | b'>' | b'@' | b',' | b';' | b':' | b'\\' | b'"' | b'[' | b']'
        )
}

/// Splits an unfolded header value into tokens; stops after `max_tokens`.
fn tokenize(s: &[u8], max_tokens: usize) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() && out.len() < max_tokens {
        let b = s[i];
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' => {
                let end = skip_comment(s, i);
                let inner_end = if s.get(end.wrapping_sub(1)) == Some(&b')') && end > i + 1 {
                    end - 1
                } else {
                    end
                };
                let content = s.get(i + 1..inner_end).unwrap_or_default();
                out.push(Tok::Comment(unescape(content)));
                i = end;
            }
            b'"' => {
                let (v, end) = quoted_string(s, i);
                out.push(Tok::Quoted(v));
                i = end;
            }
            b'[' => {
                let end = s[i..]
                    .iter()
                    .position(|&c| c == b']')
                    .map_or(s.len(), |p| i + p + 1);
                out.push(Tok::Literal(s[i..end].to_vec()));
                i = end;
            }
            b',' | b';' | b':' | b'<' | b'>' | b'@' => {
                out.push(Tok::Special(b));
                i += 1;
            }
            b')' | b']' | b'\\' => i += 1,
            _ => {
                let len = s[i..].iter().take_while(|&&c| is_word_byte(c)).count();
                out.push(Tok::Word(s[i..i + len].to_vec()));
                i += len.max(1);
            }
        }
    }
    out
}

fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 1 < s.len() {
            i += 1;
        }
        if !matches!(s[i], b'\r' | b'\n') {
            out.push(s[i]);
        }
        i += 1;
    }
    out
}

/// Parses an `address-list` (RFC 5322 §3.4, obsolete §4.4 forms: empty list
/// elements, routes, phrases with dots, missing domains), keeping at most
/// `max` mailboxes. Malformed pieces are skipped up to the next `,`; the
/// work is linear in the length of `s`.
pub(crate) fn address_list(s: &[u8], max: usize) -> Vec<AddrItem> {
    let toks = tokenize(s, max.saturating_mul(16).max(64));
    let mut out = Vec::new();
    let mut mailboxes = 0usize;
    let mut in_group = false;
    let mut i = 0;
    while i < toks.len() && mailboxes < max {
        // Collect one element up to `,` / `;` (or a group's `:`).
        let mut phrase: Vec<&Tok> = Vec::new();
        let mut first_comment: Option<&Vec<u8>> = None;
        let mut mailbox: Option<Mailbox> = None;
        while let Some(t) = toks.get(i) {
            match t {
                Tok::Special(b',') | Tok::Special(b';') => break,
                Tok::Special(b':') if !in_group && mailbox.is_none() => {
                    out.push(AddrItem::GroupStart(join_phrase(&phrase)));
                    in_group = true;
                    phrase.clear();
                    first_comment = None;
                    i += 1;
                    continue;
                }
                Tok::Special(b'<') => {
                    let (m, next) = angle_addr(&toks, i + 1);
                    mailbox = Some(m);
                    i = next;
                    continue;
                }
                Tok::Special(b'@') if mailbox.is_none() => {
                    let local = join_local(&phrase);
                    phrase.clear();
                    let (domain, next) = domain(&toks, i + 1);
                    mailbox = Some(Mailbox {
                        local,
                        domain: Some(domain),
                        ..Mailbox::default()
                    });
                    i = next;
                    continue;
                }
                Tok::Comment(c) if first_comment.is_none() => first_comment = Some(c),
                Tok::Word(_) | Tok::Quoted(_) | Tok::Literal(_) if mailbox.is_none() => {
                    phrase.push(t);
                }
                _ => {}
            }
            i += 1;
        }
        let mut m = match mailbox {
            Some(mut m) => {
                if !phrase.is_empty() && m.name.is_none() {
                    m.name = Some(join_phrase(&phrase));
                }
                Some(m)
            }
            None if !phrase.is_empty() => Some(Mailbox {
                local: join_local(&phrase),
                ..Mailbox::default()
            }),
            None => None,
        };
        if let Some(m) = m.as_mut() {
            if m.name.is_none() {
                m.name = first_comment.filter(|c| !c.is_empty()).cloned();
            }
        }
        if let Some(m) = m {
            out.push(AddrItem::Mailbox(m));
            mailboxes += 1;
        }
        match toks.get(i) {
            Some(Tok::Special(b';')) => {
                if in_group {
                    out.push(AddrItem::GroupEnd);
                    in_group = false;
                }
                i += 1;
            }
            Some(_) => i += 1,
            None => {}
        }
    }
    if in_group {
        out.push(AddrItem::GroupEnd);
    }
    out
}

/// Inside `<...>`: optional `obs-route` then `addr-spec`, up to `>`.
fn angle_addr(toks: &[Tok], mut i: usize) -> (Mailbox, usize) {
    let mut m = Mailbox::default();
    // obs-route = obs-domain-list ":"
    if matches!(toks.get(i), Some(Tok::Special(b'@') | Tok::Special(b','))) {
        let mut route = Vec::new();
        while let Some(t) = toks.get(i) {
            match t {
                Tok::Special(b':') => {
                    i += 1;
                    break;
                }
                Tok::Special(b'>') => break,
                Tok::Special(c) => route.push(*c),
                Tok::Word(w) | Tok::Literal(w) => route.extend_from_slice(w),
                _ => {}
            }
            i += 1;
        }
        m.route = Some(route);
    }
    let mut local: Vec<&Tok> = Vec::new();
    while let Some(t) = toks.get(i) {
        match t {
            Tok::Special(b'>') => {
                m.local = join_local(&local);
                return (m, i + 1);
            }
            Tok::Special(b'@') => {
                m.local = join_local(&local);
                let (d, next) = domain(toks, i + 1);
                m.domain = Some(d);
                i = next;
                while matches!(toks.get(i), Some(Tok::Comment(_))) {
                    i += 1;
                }
                if matches!(toks.get(i), Some(Tok::Special(b'>'))) {
                    i += 1;
                }
                return (m, i);
            }
            Tok::Special(b',' | b';') => break,
            Tok::Word(_) | Tok::Quoted(_) => local.push(t),
            _ => {}
        }
        i += 1;
    }
    m.local = join_local(&local);
    (m, i)
}

/// `domain = dot-atom / domain-literal / obs-domain`, up to a special.
fn domain(toks: &[Tok], mut i: usize) -> (Vec<u8>, usize) {
    let mut d = Vec::new();
    while let Some(t) = toks.get(i) {
        match t {
            Tok::Word(w) | Tok::Literal(w) => d.extend_from_slice(w),
            _ => break,
        }
        i += 1;
    }
    (d, i)
}

fn join_phrase(words: &[&Tok]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in words {
        let bytes = match w {
            Tok::Word(b) | Tok::Quoted(b) | Tok::Literal(b) => b,
            _ => continue,
        };
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(bytes);
    }
    out
}

fn join_local(words: &[&Tok]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in words {
        if let Tok::Word(b) | Tok::Quoted(b) | Tok::Literal(b) = w {
            out.extend_from_slice(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mb(name: Option<&str>, route: Option<&str>, local: &str, domain: Option<&str>) -> AddrItem {
        AddrItem::Mailbox(Mailbox {
            name: name.map(|s| s.as_bytes().to_vec()),
            route: route.map(|s| s.as_bytes().to_vec()),
            local: local.as_bytes().to_vec(),
            domain: domain.map(|s| s.as_bytes().to_vec()),
        })
    }

    #[test]
    fn rfc5322_a_1_1_simple_addressing() {
        assert_eq!(
            address_list(b"John Doe <jdoe@machine.example>", 10),
            [mb(Some("John Doe"), None, "jdoe", Some("machine.example"))]
        );
        assert_eq!(
            address_list(b"\"Joe Q. Public\" <john.q.public@example.com>", 10),
            [mb(
                Some("Joe Q. Public"),
                None,
                "john.q.public",
                Some("example.com")
            )]
        );
    }

    #[test]
    fn rfc5322_a_1_2_different_types_of_mailboxes() {
        let got = address_list(
            b"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
            10,
        );
        assert_eq!(
            got,
            [
                mb(Some("Mary Smith"), None, "mary", Some("x.test")),
                mb(None, None, "jdoe", Some("example.org")),
                mb(Some("Who?"), None, "one", Some("y.test")),
            ]
        );
        let got = address_list(
            b"<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
            10,
        );
        assert_eq!(
            got,
            [
                mb(None, None, "boss", Some("nil.test")),
                mb(
                    Some("Giant; \"Big\" Box"),
                    None,
                    "sysservices",
                    Some("example.net")
                ),
            ]
        );
    }

    #[test]
    fn rfc5322_a_1_3_group_addresses() {
        let got = address_list(
            b"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
            10,
        );
        assert_eq!(
            got,
            [
                AddrItem::GroupStart(b"A Group".to_vec()),
                mb(Some("Ed Jones"), None, "c", Some("a.test")),
                mb(None, None, "joe", Some("where.test")),
                mb(Some("John"), None, "jdoe", Some("one.test")),
                AddrItem::GroupEnd,
            ]
        );
        assert_eq!(
            address_list(b"Undisclosed recipients:;", 10),
            [
                AddrItem::GroupStart(b"Undisclosed recipients".to_vec()),
                AddrItem::GroupEnd
            ]
        );
    }

    #[test]
    fn rfc5322_a_5_white_space_comments_and_obsolete_forms() {
        let got = address_list(
            b"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
            10,
        );
        assert_eq!(got, [mb(Some("Pete"), None, "pete", Some("silly.test"))]);
        let got = address_list(
            b"<@route1.example,@route2.example:jack@example.org>, , x@y",
            10,
        );
        assert_eq!(
            got,
            [
                mb(
                    None,
                    Some("@route1.example,@route2.example"),
                    "jack",
                    Some("example.org")
                ),
                mb(None, None, "x", Some("y")),
            ]
        );
        assert_eq!(
            address_list(b"chris@example.org (Chris Comment)", 10),
            [mb(
                Some("Chris Comment"),
                None,
                "chris",
                Some("example.org")
            )]
        );
        assert_eq!(
            address_list(b"\"quoted local\"@example.org, bob", 10),
            [
                mb(None, None, "quoted local", Some("example.org")),
                mb(None, None, "bob", None)
            ]
        );
    }

    #[test]
    fn address_limit_is_respected() {
        let mut s = Vec::new();
        for i in 0..1000 {
            s.extend_from_slice(format!("u{i}@example.org, ").as_bytes());
        }
        assert_eq!(address_list(&s, 100).len(), 100);
    }
}
