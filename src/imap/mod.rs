//! IMAP4rev1 (RFC 3501): the codec (parse and encode, both directions).
