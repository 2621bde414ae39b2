//! Message structure (RFC 5322, RFC 2045-2049): what IMAP computes from raw bytes.
