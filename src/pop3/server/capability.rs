//! CAPA (RFC 2449 §5): what this session and its config implement, and
//! nothing else, since clients act on every capability they see.

use super::{Expire, Phase, Session, Tls};
use crate::pop3::response::Capability;

impl Session {
    pub(super) fn capa(&mut self) {
        let capabilities = self.capabilities();
        // RFC 2449 §5's example text.
        self.ok("Capability list follows");
        self.transmit.write(|out| {
            for capability in &capabilities {
                capability.encode(out);
            }
            out.extend_from_slice(b".\r\n");
        });
    }

    /// The list for the current state: plaintext mechanisms and USER only
    /// where they may be used, STLS only where it is permitted.
    fn capabilities(&self) -> Vec<Capability> {
        let mut capabilities = vec![Capability::Top];
        let plaintext = self.plaintext_allowed();
        if plaintext {
            capabilities.push(Capability::User);
        }
        let mechanisms: Vec<String> = (self.config.mechanisms.iter())
            .filter(|m| plaintext || !m.sends_plaintext_password())
            .map(|m| m.name().to_owned())
            .collect();
        if !mechanisms.is_empty() {
            capabilities.push(Capability::Sasl(mechanisms));
        }
        capabilities.extend([Capability::RespCodes, Capability::AuthRespCode]);
        if let Some(seconds) = self.config.login_delay {
            capabilities.push(Capability::LoginDelay {
                seconds,
                per_user: false,
            });
        }
        capabilities.push(Capability::Pipelining);
        if let Some(expire) = self.config.expire {
            capabilities.push(Capability::Expire {
                days: match expire {
                    Expire::Never => None,
                    Expire::Days(days) => Some(days),
                },
                per_user: false,
            });
        }
        capabilities.push(Capability::Uidl);
        // RFC 2595 §4: STLS is listed only where it is "permitted in the
        // current state"; never over TLS or after UTF8 (RFC 6856 §2.1).
        if self.config.stls
            && self.tls == Tls::Off
            && !self.utf8
            && matches!(self.phase, Phase::Authorization { .. })
        {
            capabilities.push(Capability::Stls);
        }
        capabilities.extend([Capability::Utf8 { user: true }, Capability::Lang]);
        if let Some(name) = &self.config.implementation {
            capabilities.push(Capability::Implementation(name.to_string()));
        }
        capabilities
    }
}
