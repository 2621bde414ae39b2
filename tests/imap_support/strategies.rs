//! proptest strategies for IMAP values whose encoding must parse back to the same value.
#![allow(dead_code)]

use std::num::NonZeroU32;

use bytes::Bytes;
use pobox::Secret;
use pobox::imap::*;
use proptest::collection::vec;
use proptest::prelude::*;

pub fn atom_str() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[a-zA-Z0-9!#$&'+\\-./:;<=>?@^_`|~}\\[]{1,8}").unwrap()
}

pub fn atom() -> impl Strategy<Value = Atom> {
    atom_str().prop_map(|s| Atom::try_from(s).unwrap())
}

/// Atoms that are not system flag / attribute / code names.
pub fn x_atom() -> impl Strategy<Value = Atom> {
    atom_str().prop_map(|s| Atom::try_from(format!("X{s}")).unwrap())
}

pub fn tag() -> impl Strategy<Value = Tag> {
    proptest::string::string_regex("[a-zA-Z0-9.\\-_\\]]{1,6}")
        .unwrap()
        .prop_map(|s| Tag::try_from(s).unwrap())
}

/// Strings of every shape: atoms, quotable text with specials, CR/LF, 8-bit, empty.
pub fn istring() -> impl Strategy<Value = IString> {
    prop_oneof![
        atom_str().prop_map(|s| IString::try_from(s).unwrap()),
        proptest::string::string_regex("[ -~]{0,12}")
            .unwrap()
            .prop_map(|s| IString::try_from(s).unwrap()),
        vec(1u8..=255, 0..20).prop_map(|v| IString::try_from(v).unwrap()),
        Just(IString::try_from("NIL").unwrap()),
        Just(IString::empty()),
    ]
}

pub fn nstring() -> impl Strategy<Value = NString> {
    proptest::option::of(istring())
}

/// Response text: starts with a letter, no "[" lead, never ends in "}" (a literal marker).
pub fn text() -> impl Strategy<Value = Text> {
    proptest::string::string_regex("[A-Za-z][A-Za-z0-9 ,.!()\"\\\\%*\\]-]{0,20}[A-Za-z0-9.]")
        .unwrap()
        .prop_map(|s| Text::try_from(s).unwrap())
}

pub fn mailbox() -> impl Strategy<Value = Mailbox> {
    prop_oneof![
        istring().prop_map(|s| Mailbox::new(s.into_bytes()).unwrap()),
        Just(Mailbox::inbox()),
        "[a-zA-Z ]{0,3}".prop_map(|s| Mailbox::from_utf8(&format!("{s}台北&")).unwrap()),
    ]
}

pub fn nz() -> impl Strategy<Value = NonZeroU32> {
    prop_oneof![1u32..20, 1u32..=u32::MAX].prop_map(|n| NonZeroU32::new(n).unwrap())
}

pub fn seq_number() -> impl Strategy<Value = SeqNumber> {
    prop_oneof![4 => nz().prop_map(SeqNumber::Value), 1 => Just(SeqNumber::Asterisk)]
}

pub fn sequence_set() -> impl Strategy<Value = SequenceSet> {
    vec(
        prop_oneof![
            seq_number().prop_map(Sequence::Single),
            (seq_number(), seq_number()).prop_map(|(a, b)| Sequence::Range(a, b)),
        ],
        1..6,
    )
    .prop_map(|v| SequenceSet::new(v).unwrap())
}

/// A uid-set (RFC 4315): no "*".
pub fn uid_set() -> impl Strategy<Value = SequenceSet> {
    vec(
        prop_oneof![
            nz().prop_map(|n| Sequence::Single(SeqNumber::Value(n))),
            (nz(), nz())
                .prop_map(|(a, b)| Sequence::Range(SeqNumber::Value(a), SeqNumber::Value(b))),
        ],
        1..4,
    )
    .prop_map(|v| SequenceSet::new(v).unwrap())
}

pub fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        atom().prop_map(Flag::Keyword),
        x_atom().prop_map(Flag::Extension),
    ]
}

pub fn date() -> impl Strategy<Value = Date> {
    (0u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

pub fn date_time() -> impl Strategy<Value = DateTime> {
    (date(), 0u8..24, 0u8..60, 0u8..=60, -1439i16..=1439)
        .prop_map(|(d, h, m, s, z)| DateTime::new(d, h, m, s, z).unwrap())
}

pub fn search_key() -> impl Strategy<Value = SearchKey> {
    use SearchKey as K;
    let leaf = prop_oneof![
        Just(K::All),
        Just(K::Answered),
        Just(K::Deleted),
        Just(K::Draft),
        Just(K::Flagged),
        Just(K::New),
        Just(K::Old),
        Just(K::Recent),
        Just(K::Seen),
        Just(K::Unanswered),
        Just(K::Undeleted),
        Just(K::Undraft),
        Just(K::Unflagged),
        Just(K::Unseen),
        istring().prop_map(K::Bcc),
        istring().prop_map(K::Body),
        istring().prop_map(K::Cc),
        istring().prop_map(K::From),
        istring().prop_map(K::Subject),
        istring().prop_map(K::Text),
        istring().prop_map(K::To),
        (istring(), istring()).prop_map(|(a, b)| K::Header(a, b)),
        atom().prop_map(K::Keyword),
        atom().prop_map(K::Unkeyword),
        any::<u32>().prop_map(K::Larger),
        any::<u32>().prop_map(K::Smaller),
        date().prop_map(K::Before),
        date().prop_map(K::On),
        date().prop_map(K::Since),
        date().prop_map(K::SentBefore),
        date().prop_map(K::SentOn),
        date().prop_map(K::SentSince),
        sequence_set().prop_map(K::Uid),
        sequence_set().prop_map(K::SequenceSet),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            vec(inner, 1..4).prop_map(K::And),
        ]
    })
}

pub fn section() -> impl Strategy<Value = Section> {
    let text = prop_oneof![
        Just(SectionText::Header),
        Just(SectionText::Text),
        Just(SectionText::Mime),
        vec(istring(), 1..3).prop_map(SectionText::HeaderFields),
        vec(istring(), 1..3).prop_map(SectionText::HeaderFieldsNot),
    ];
    (vec(nz(), 0..4), proptest::option::of(text))
        .prop_filter_map("MIME needs a part", |(p, t)| Section::new(p, t).ok())
}

pub fn fetch_attribute() -> impl Strategy<Value = FetchAttribute> {
    use FetchAttribute as A;
    prop_oneof![
        Just(A::Envelope),
        Just(A::Flags),
        Just(A::InternalDate),
        Just(A::Rfc822),
        Just(A::Rfc822Header),
        Just(A::Rfc822Size),
        Just(A::Rfc822Text),
        Just(A::Body),
        Just(A::BodyStructure),
        Just(A::Uid),
        (
            any::<bool>(),
            section(),
            proptest::option::of((any::<u32>(), nz()))
        )
            .prop_map(|(peek, section, p)| A::BodySection {
                peek,
                section,
                partial: p.map(|(origin, length)| Partial { origin, length }),
            }),
    ]
}

pub fn mailbox_attribute() -> impl Strategy<Value = MailboxAttribute> {
    use MailboxAttribute as M;
    prop_oneof![
        Just(M::Noinferiors),
        Just(M::HasChildren),
        Just(M::HasNoChildren),
        Just(M::NonExistent),
        Just(M::Subscribed),
        Just(M::Remote),
        Just(M::All),
        Just(M::Archive),
        Just(M::Drafts),
        Just(M::Flagged),
        Just(M::Junk),
        Just(M::Sent),
        Just(M::Trash),
        x_atom().prop_map(M::Extension),
    ]
}

fn id_params() -> impl Strategy<Value = Option<Vec<(IString, NString)>>> {
    proptest::option::of(vec((istring(), nstring()), 0..4))
}

pub fn command() -> impl Strategy<Value = Command> {
    use CommandBody as C;
    let body = prop_oneof![
        Just(C::Capability),
        Just(C::Noop),
        Just(C::Logout),
        Just(C::StartTls),
        (atom(), proptest::option::of(vec(any::<u8>(), 0..20))).prop_map(|(mechanism, ir)| {
            C::Authenticate {
                mechanism,
                initial_response: ir.map(|v| Secret::new(Bytes::from(v))),
            }
        }),
        (istring(), istring()).prop_map(|(u, p)| C::Login {
            username: u,
            password: Secret::new(p)
        }),
        mailbox().prop_map(C::Select),
        mailbox().prop_map(C::Examine),
        (mailbox(), vec(mailbox_attribute(), 0..3)).prop_map(|(mailbox, special_use)| C::Create {
            mailbox,
            special_use
        }),
        mailbox().prop_map(C::Delete),
        (mailbox(), mailbox()).prop_map(|(from, to)| C::Rename { from, to }),
        mailbox().prop_map(C::Subscribe),
        mailbox().prop_map(C::Unsubscribe),
        (mailbox(), istring(), vec(atom(), 0..2), vec(atom(), 0..2)).prop_map(
            |(reference, p, selection, return_options)| {
                C::List {
                    reference,
                    pattern: ListMailbox(p),
                    selection,
                    return_options,
                }
            }
        ),
        (mailbox(), istring()).prop_map(|(reference, p)| C::Lsub {
            reference,
            pattern: ListMailbox(p)
        }),
        (
            mailbox(),
            vec(
                prop_oneof![
                    Just(StatusAttribute::Messages),
                    Just(StatusAttribute::Recent),
                    Just(StatusAttribute::UidNext),
                    Just(StatusAttribute::UidValidity),
                    Just(StatusAttribute::Unseen),
                ],
                1..5
            )
        )
            .prop_map(|(mailbox, items)| C::Status { mailbox, items }),
        (
            mailbox(),
            vec(flag(), 0..3),
            proptest::option::of(date_time()),
            vec(any::<u8>(), 0..40),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(|(mailbox, flags, date, data, nonsync, binary)| {
                let mode = if nonsync {
                    LiteralMode::NonSync
                } else {
                    LiteralMode::Sync
                };
                let message = if binary {
                    Literal::new_binary(data, mode).unwrap()
                } else {
                    let data: Vec<u8> = data.into_iter().map(|b| b.max(1)).collect();
                    Literal::new(data, mode).unwrap()
                };
                C::Append {
                    mailbox,
                    flags,
                    date,
                    message,
                }
            }),
        Just(C::Check),
        Just(C::Close),
        Just(C::Expunge),
        sequence_set().prop_map(C::UidExpunge),
        (
            proptest::option::of(istring()),
            vec(search_key(), 1..4),
            any::<bool>()
        )
            .prop_map(|(charset, criteria, uid)| C::Search {
                charset,
                criteria,
                uid
            }),
        (
            sequence_set(),
            prop_oneof![
                Just(FetchItems::All),
                Just(FetchItems::Fast),
                Just(FetchItems::Full),
                vec(fetch_attribute(), 1..4).prop_map(FetchItems::Attributes),
            ],
            any::<bool>()
        )
            .prop_map(|(set, items, uid)| C::Fetch { set, items, uid }),
        (
            sequence_set(),
            prop_oneof![
                Just(StoreKind::Replace),
                Just(StoreKind::Add),
                Just(StoreKind::Remove)
            ],
            any::<bool>(),
            vec(flag(), 0..4),
            any::<bool>()
        )
            .prop_map(|(set, kind, silent, flags, uid)| C::Store {
                set,
                kind,
                silent,
                flags,
                uid
            }),
        (sequence_set(), mailbox(), any::<bool>()).prop_map(|(set, mailbox, uid)| C::Copy {
            set,
            mailbox,
            uid
        }),
        (sequence_set(), mailbox(), any::<bool>()).prop_map(|(set, mailbox, uid)| C::Move {
            set,
            mailbox,
            uid
        }),
        Just(C::Idle),
        Just(C::Unselect),
        Just(C::Namespace),
        vec(atom(), 1..4).prop_map(C::Enable),
        id_params().prop_map(C::Id),
        (atom_str(), "( [a-z0-9]{1,5}){0,3}").prop_map(|(n, a)| C::Extension {
            name: Atom::try_from(format!("X{n}")).unwrap(),
            arguments: ExtensionArguments::new(a).unwrap(),
        }),
    ];
    (tag(), body).prop_map(|(tag, body)| Command { tag, body })
}

pub fn address() -> impl Strategy<Value = Address> {
    (nstring(), nstring(), nstring(), nstring()).prop_map(|(name, adl, mailbox, host)| Address {
        name,
        adl,
        mailbox,
        host,
    })
}

pub fn envelope() -> impl Strategy<Value = Envelope> {
    let addrs = || vec(address(), 0..3);
    (
        nstring(),
        nstring(),
        addrs(),
        addrs(),
        addrs(),
        addrs(),
        addrs(),
        addrs(),
        nstring(),
        nstring(),
    )
        .prop_map(
            |(date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id)| {
                Envelope {
                    date,
                    subject,
                    from,
                    sender,
                    reply_to,
                    to,
                    cc,
                    bcc,
                    in_reply_to,
                    message_id,
                }
            },
        )
}

fn params() -> impl Strategy<Value = Vec<(IString, IString)>> {
    vec((istring(), istring()), 0..3)
}

fn body_extension() -> impl Strategy<Value = BodyExtension> {
    prop_oneof![
        nstring().prop_map(BodyExtension::NString),
        any::<u32>().prop_map(BodyExtension::Number)
    ]
    .prop_recursive(3, 10, 3, |inner| {
        vec(inner, 1..3).prop_map(BodyExtension::List)
    })
}

fn dsp_tail() -> impl Strategy<Value = Option<DispositionTail>> {
    proptest::option::of(
        (
            proptest::option::of(
                (istring(), params()).prop_map(|(kind, params)| Disposition { kind, params }),
            ),
            proptest::option::of(
                (
                    vec(istring(), 0..3),
                    proptest::option::of((nstring(), vec(body_extension(), 0..3)).prop_map(
                        |(location, extensions)| LocationTail {
                            location,
                            extensions,
                        },
                    )),
                )
                    .prop_map(|(languages, tail)| LanguageTail { languages, tail }),
            ),
        )
            .prop_map(|(disposition, tail)| DispositionTail { disposition, tail }),
    )
}

fn media_name() -> impl Strategy<Value = IString> {
    istring().prop_filter("not TEXT or MESSAGE", |s| {
        !s.as_bytes().eq_ignore_ascii_case(b"TEXT")
            && !s.as_bytes().eq_ignore_ascii_case(b"MESSAGE")
    })
}

fn body_fields() -> impl Strategy<Value = BodyFields> {
    (params(), nstring(), nstring(), istring(), any::<u32>()).prop_map(
        |(params, id, description, encoding, octets)| BodyFields {
            params,
            id,
            description,
            encoding,
            octets,
        },
    )
}

pub fn body_structure() -> impl Strategy<Value = BodyStructure> {
    fn single_ext() -> impl Strategy<Value = Option<SinglePartExtension>> {
        proptest::option::of(
            (nstring(), dsp_tail()).prop_map(|(md5, tail)| SinglePartExtension { md5, tail }),
        )
    }
    let leaf = prop_oneof![
        (body_fields(), media_name(), istring(), single_ext()).prop_map(
            |(fields, media_type, subtype, extension)| {
                BodyStructure::Single {
                    body: Body {
                        fields,
                        kind: BodyKind::Basic {
                            media_type,
                            subtype,
                        },
                    },
                    extension,
                }
            }
        ),
        (body_fields(), istring(), any::<u32>(), single_ext()).prop_map(
            |(fields, subtype, lines, extension)| {
                BodyStructure::Single {
                    body: Body {
                        fields,
                        kind: BodyKind::Text { subtype, lines },
                    },
                    extension,
                }
            }
        ),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            (
                vec(inner.clone(), 1..3),
                istring(),
                proptest::option::of(
                    (params(), dsp_tail())
                        .prop_map(|(params, tail)| MultipartExtension { params, tail })
                )
            )
                .prop_map(|(bodies, subtype, extension)| BodyStructure::Multipart {
                    bodies,
                    subtype,
                    extension
                }),
            (body_fields(), envelope(), inner, any::<u32>(), single_ext()).prop_map(
                |(fields, envelope, body, lines, extension)| BodyStructure::Single {
                    body: Body {
                        fields,
                        kind: BodyKind::Message {
                            envelope: Box::new(envelope),
                            body: Box::new(body),
                            lines
                        },
                    },
                    extension,
                }
            ),
        ]
    })
}

pub fn code() -> impl Strategy<Value = Code> {
    prop_oneof![
        Just(Code::Alert),
        vec(istring(), 0..3).prop_map(Code::BadCharset),
        vec(atom(), 0..3).prop_map(|mut v| {
            v.insert(0, Atom::try_from("IMAP4rev1").unwrap());
            Code::Capability(v)
        }),
        Just(Code::Parse),
        vec(
            prop_oneof![flag().prop_map(FlagPerm::Flag), Just(FlagPerm::Asterisk)],
            0..3
        )
        .prop_map(Code::PermanentFlags),
        Just(Code::ReadOnly),
        Just(Code::ReadWrite),
        Just(Code::TryCreate),
        nz().prop_map(Code::UidNext),
        nz().prop_map(Code::UidValidity),
        nz().prop_map(Code::Unseen),
        (nz(), uid_set()).prop_map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids }),
        (nz(), uid_set(), uid_set()).prop_map(|(uid_validity, source, destination)| {
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            }
        }),
        Just(Code::UidNotSticky),
        Just(Code::Limit),
        Just(Code::OverQuota),
        Just(Code::TooBig),
        Just(Code::NonExistent),
        (x_atom(), proptest::option::of("[a-z0-9 :,]{0,6}[a-z]")).prop_map(|(name, a)| {
            Code::Other {
                name,
                argument: a.map(Bytes::from),
            }
        }),
    ]
}

pub fn msg_att() -> impl Strategy<Value = MessageDataItem> {
    use MessageDataItem as M;
    prop_oneof![
        vec(
            prop_oneof![flag().prop_map(FlagFetch::Flag), Just(FlagFetch::Recent)],
            0..4
        )
        .prop_map(M::Flags),
        envelope().prop_map(|e| M::Envelope(Box::new(e))),
        date_time().prop_map(M::InternalDate),
        nstring().prop_map(M::Rfc822),
        nstring().prop_map(M::Rfc822Header),
        nstring().prop_map(M::Rfc822Text),
        any::<u32>().prop_map(M::Rfc822Size),
        body_structure().prop_map(M::Body),
        body_structure().prop_map(M::BodyStructure),
        (section(), proptest::option::of(any::<u32>()), nstring()).prop_map(
            |(section, origin, data)| M::BodySection {
                section,
                origin,
                data
            }
        ),
        nz().prop_map(M::Uid),
    ]
}

fn delimiter() -> impl Strategy<Value = Option<Delimiter>> {
    proptest::option::of(prop_oneof![
        Just(b'/'),
        Just(b'.'),
        Just(b'"'),
        Just(b'\\'),
        1u8..=127
    ])
    .prop_filter_map("QUOTED-CHAR", |d| match d {
        None => Some(None),
        Some(c) => Delimiter::new(c).ok().map(Some),
    })
}

pub fn list_data() -> impl Strategy<Value = ListData> {
    (
        vec(mailbox_attribute(), 0..3),
        proptest::option::of(prop_oneof![
            Just(MailboxAttribute::Noselect),
            Just(MailboxAttribute::Marked),
            Just(MailboxAttribute::Unmarked)
        ]),
        delimiter(),
        mailbox(),
    )
        .prop_map(|(mut attributes, sflag, delimiter, mailbox)| {
            attributes.extend(sflag);
            ListData {
                attributes,
                delimiter,
                mailbox,
            }
        })
}

fn namespace() -> impl Strategy<Value = Vec<NamespaceDescription>> {
    vec(
        (
            istring(),
            delimiter(),
            vec((istring(), vec(istring(), 1..3)), 0..2),
        )
            .prop_map(|(prefix, delimiter, extensions)| NamespaceDescription {
                prefix,
                delimiter,
                extensions,
            }),
        0..3,
    )
}

pub fn response() -> impl Strategy<Value = Response> {
    let status = (
        proptest::option::of(tag()),
        prop_oneof![
            Just(StatusKind::Ok),
            Just(StatusKind::No),
            Just(StatusKind::Bad),
            Just(StatusKind::Bye)
        ],
        proptest::option::of(code()),
        text(),
    )
        .prop_map(|(tag, kind, code, text)| {
            let tag = if kind == StatusKind::Bye { None } else { tag };
            Response::Status(StatusResponse {
                tag,
                kind,
                code,
                text,
            })
        });
    let data = prop_oneof![
        vec(atom(), 0..3).prop_map(|mut v| {
            v.push(Atom::try_from("IMAP4rev1").unwrap());
            Data::Capability(v)
        }),
        list_data().prop_map(Data::List),
        list_data().prop_map(Data::Lsub),
        (
            mailbox(),
            vec(
                (
                    prop_oneof![
                        Just(StatusAttribute::Messages),
                        Just(StatusAttribute::Recent),
                        Just(StatusAttribute::UidNext),
                        Just(StatusAttribute::UidValidity),
                        Just(StatusAttribute::Unseen),
                    ],
                    any::<u32>()
                )
                    .prop_map(|(attribute, value)| StatusItem { attribute, value }),
                0..4
            )
        )
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        vec(nz(), 0..5).prop_map(Data::Search),
        vec(flag(), 0..5).prop_map(Data::Flags),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        nz().prop_map(Data::Expunge),
        (nz(), vec(msg_att(), 1..4)).prop_map(|(seq, items)| Data::Fetch { seq, items }),
        vec(atom(), 0..3).prop_map(Data::Enabled),
        (namespace(), namespace(), namespace()).prop_map(|(personal, other, shared)| {
            Data::Namespace {
                personal,
                other,
                shared,
            }
        }),
        id_params().prop_map(Data::Id),
    ];
    prop_oneof![
        status,
        data.prop_map(Response::Data),
        (
            proptest::option::of(code()),
            "[A-Za-z]{1,3} [A-Za-z ]{0,8}[a-z]"
        )
            .prop_map(|(code, t)| {
                Response::Continue(Continue::Text {
                    code,
                    text: Text::try_from(t).unwrap(),
                })
            }),
        vec(any::<u8>(), 0..30).prop_map(|v| Response::Continue(Continue::Base64(Bytes::from(v)))),
    ]
}

pub fn greeting() -> impl Strategy<Value = Greeting> {
    (
        prop_oneof![
            Just(GreetingKind::Ok),
            Just(GreetingKind::PreAuth),
            Just(GreetingKind::Bye)
        ],
        proptest::option::of(code()),
        text(),
    )
        .prop_map(|(kind, code, text)| Greeting { kind, code, text })
}
