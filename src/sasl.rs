//! Server side of the SASL mechanisms POP3 and IMAP offer (PLAIN, LOGIN, CRAM-MD5).
