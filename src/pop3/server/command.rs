//! The command dispatcher (which command is valid in which state,
//! RFC 1939 §3) and the TRANSACTION commands (§5, §7): STAT, LIST, UIDL,
//! DELE, RSET and NOOP from the maildrop listing, RETR and TOP through the
//! host.

use super::event::{Event, RetrieveError, RetrieveRequest};
use super::maildrop::{Lookup, Maildrop, MessageInfo};
use super::reply::drop_summary;
use super::{Phase, Session, Waiting, not_pending};
use crate::answer::AnswerError;
use crate::pop3::command::Command;
use crate::pop3::multiline::{self, Stuffed};
use crate::pop3::response::{Indicator, ResponseCode};
use crate::transmit::put_line;
use bytes::Bytes;

impl Session {
    /// Runs one parsed command. A command in the wrong state is a bad
    /// command, never a panic.
    pub(super) fn command(&mut self, command: Command<'_>) {
        let authorization = matches!(self.phase, Phase::Authorization { .. });
        let transaction = matches!(self.phase, Phase::Transaction { .. });
        match command {
            Command::Capa => self.capa(),
            Command::Quit => self.quit(),
            Command::Lang(range) if authorization || transaction => self.lang(range),
            Command::User(name) if authorization => self.user_command(name),
            Command::Pass(password) if authorization => self.pass(password.declassify()),
            Command::Apop { name, digest } if authorization && self.timestamp.is_some() => {
                self.apop(name, *digest.declassify());
            }
            Command::Auth {
                mechanism,
                initial_response,
            } if authorization => self.auth(mechanism, initial_response.map(|r| *r.declassify())),
            Command::Stls if authorization => self.stls(),
            Command::Utf8 if authorization => {
                self.utf8 = true;
                self.ok("UTF8 enabled");
            }
            Command::Stat if transaction => {
                let (count, size) = self.maildrop().map_or((0, 0), Maildrop::totals);
                self.ok(&format!("{count} {size}"));
            }
            Command::List(msg) if transaction => self.list(msg),
            Command::Uidl(msg) if transaction => self.uidl(msg),
            Command::Retr(msg) if transaction => self.retrieve(msg, None),
            Command::Top { msg, lines } if transaction => self.retrieve(msg, Some(lines)),
            Command::Dele(msg) if transaction => self.dele(msg),
            Command::Noop if transaction => self.ok(""),
            Command::Rset if transaction => self.rset(),
            Command::Apop { .. } => self.bad_command("APOP not available"),
            _ => self.bad_command("Command not valid in this state"),
        }
    }

    /// LANG (RFC 6856 §3). pobox's own texts exist in English only, so the
    /// one language listed and accepted is `en`.
    fn lang(&mut self, range: Option<&str>) {
        match range {
            None => {
                self.ok("Language listing follows:");
                self.transmit
                    .write(|out| out.extend_from_slice(b"en English\r\n.\r\n"));
            }
            Some(range) if range == "*" || range.eq_ignore_ascii_case("en") => {
                self.ok("en Language changed");
            }
            Some(range) => self.fail(&format!("invalid language {range}")),
        }
    }

    fn maildrop(&self) -> Option<&Maildrop> {
        match &self.phase {
            Phase::Transaction { maildrop, .. } => Some(maildrop),
            _ => None,
        }
    }

    /// Looks a message number up, answering `-ERR` when it is not live.
    fn live(&mut self, msg: u32) -> Option<(usize, MessageInfo)> {
        let maildrop = self.maildrop()?;
        let text = match maildrop.lookup(msg) {
            Lookup::Live(index, info) => return Some((index, info.clone())),
            Lookup::Deleted => format!("message {msg} already deleted"),
            Lookup::NoSuchMessage => {
                let n = maildrop.len();
                format!(
                    "no such message, only {n} message{} in maildrop",
                    if n == 1 { "" } else { "s" }
                )
            }
        };
        self.fail(&text);
        None
    }

    fn list(&mut self, msg: Option<u32>) {
        // RFC 1939 §5: "+OK 2 messages (320 octets)" heads the scan listings.
        let (count, size) = self.maildrop().map_or((0, 0), Maildrop::totals);
        let heading = drop_summary(count, size);
        self.listing(msg, &heading, |info| &info.size);
    }

    fn uidl(&mut self, msg: Option<u32>) {
        // RFC 1939 §7's example heads the unique-id listings with a bare "+OK".
        self.listing(msg, "", |info| &info.uid);
    }

    /// LIST and UIDL: `number SP field` for one message, or for all of them
    /// as a multi-line response (RFC 1939 §5, §7), written straight into the
    /// output.
    fn listing(
        &mut self,
        msg: Option<u32>,
        heading: &str,
        field: impl for<'a> Fn(&'a MessageInfo) -> &'a dyn std::fmt::Display,
    ) {
        if let Some(msg) = msg {
            if let Some((index, info)) = self.live(msg) {
                self.ok(&format!("{} {}", index + 1, field(&info)));
            }
            return;
        }
        self.ok(heading);
        let Phase::Transaction { maildrop, .. } = &self.phase else {
            return;
        };
        self.transmit.write(|out| {
            for (number, info) in maildrop.live() {
                put_line(out, format_args!("{number} {}", field(info)));
            }
            out.extend_from_slice(b".\r\n");
        });
    }

    fn dele(&mut self, msg: u32) {
        if let Some((index, _)) = self.live(msg) {
            if let Phase::Transaction { maildrop, .. } = &mut self.phase {
                maildrop.delete(index);
            }
            self.ok(&format!("message {msg} deleted"));
        }
    }

    fn rset(&mut self) {
        if let Phase::Transaction { maildrop, .. } = &mut self.phase {
            maildrop.reset();
        }
        let (count, size) = self.maildrop().map_or((0, 0), Maildrop::totals);
        self.ok(&format!("maildrop has {}", drop_summary(count, size)));
    }

    /// RETR and TOP: the bytes come from the host.
    fn retrieve(&mut self, msg: u32, lines: Option<u64>) {
        let Some((index, info)) = self.live(msg) else {
            return;
        };
        let id = self.next_id();
        let event = Event::Retrieve(RetrieveRequest {
            id,
            msg,
            index,
            uid: info.uid,
            lines,
            utf8: self.utf8,
        });
        let what = Waiting::Retrieve {
            lines,
            size: info.size,
        };
        self.wait_for(id, what, event);
    }

    /// The host's message (sent whole for RETR, cut for TOP, byte-stuffed
    /// without a copy), or why not.
    pub(super) fn answer_retrieve(
        &mut self,
        request: RetrieveRequest,
        answer: Result<Bytes, RetrieveError>,
    ) -> Result<(), AnswerError<RetrieveRequest>> {
        let Some(Waiting::Retrieve { lines, size }) = self.pending_for(&request) else {
            return Err(not_pending(request));
        };
        let message = match answer {
            Ok(message) => message,
            Err(error) => {
                let (code, text) = match error {
                    RetrieveError::Unavailable => {
                        (ResponseCode::SysTemp, "Message temporarily unavailable")
                    }
                    RetrieveError::Gone => {
                        (ResponseCode::SysPerm, "Message is no longer available")
                    }
                    RetrieveError::NeedsUtf8 => (ResponseCode::Utf8, "Message needs UTF8 mode"),
                };
                self.reply(Indicator::Err, Some(&code), text);
                return Ok(());
            }
        };
        let body = match lines {
            None => {
                self.reply(Indicator::Ok, None, &format!("{size} octets"));
                Stuffed::new(message)
            }
            Some(n) => {
                // RFC 1939 §7's example answers TOP with a bare "+OK".
                self.reply(Indicator::Ok, None, "");
                let len = multiline::top_len(&message, n);
                Stuffed::cut(message, len)
            }
        };
        self.transmit.body(body);
        Ok(())
    }
}
