//! Status lines and the bad-command count: the one place that writes a
//! `+OK` or `-ERR`, and decides when too many errors end the session.

use super::{CloseReason, Phase, Session};
use crate::pop3::command::CommandError;
use crate::pop3::response::{self, Indicator, ResponseCode};

impl Session {
    /// The one place that writes a status line.
    pub(super) fn reply(&mut self, indicator: Indicator, code: Option<&ResponseCode>, text: &str) {
        self.transmit
            .write(|out| response::encode_status(out, indicator, code, text));
    }

    /// `+OK` to a valid command.
    pub(super) fn ok(&mut self, text: &str) {
        self.good_command();
        self.reply(Indicator::Ok, None, text);
    }

    /// `-ERR` to a valid command that failed (not a bad command).
    pub(super) fn fail(&mut self, text: &str) {
        self.good_command();
        self.reply(Indicator::Err, None, text);
    }

    /// Bad commands count only in a row: a valid one resets the count.
    pub(super) fn good_command(&mut self) {
        self.bad_commands = 0;
    }

    /// `-ERR` to a bad command: unknown, malformed, or in the wrong state.
    /// Too many in a row close the session (cross-protocol attacks send
    /// nothing but bad commands).
    pub(super) fn bad_command(&mut self, text: &str) {
        self.bad_commands = self.bad_commands.saturating_add(1);
        let limit = match self.phase {
            Phase::Authorization { .. } => self.config.max_bad_commands_before_login,
            _ => self.config.max_bad_commands_after_login,
        };
        if self.bad_commands >= limit {
            self.reply(
                Indicator::Err,
                None,
                "Too many bad commands, closing connection",
            );
            self.close(CloseReason::TooManyBadCommands);
        } else {
            self.reply(Indicator::Err, None, text);
        }
    }
}

/// "2 messages (320 octets)", as RFC 1939 §5 and §10 word it.
pub(super) fn drop_summary(count: usize, size: u64) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} message{plural} ({size} octets)")
}

/// The one mapping from command syntax errors to reply texts.
pub(super) fn command_error_text(error: CommandError) -> &'static str {
    match error {
        CommandError::Empty | CommandError::UnknownCommand => "Unknown command",
        CommandError::Nul => "NUL octet in command",
        CommandError::BareCr => "Bare CR in command",
        CommandError::MissingArgument(_) => "Missing argument",
        CommandError::TooManyArguments(_) => "Too many arguments",
        CommandError::Syntax(_) => "Malformed arguments",
        CommandError::InvalidNumber(_) => "Invalid number",
        CommandError::InvalidUtf8(_) => "Invalid UTF-8",
    }
}
