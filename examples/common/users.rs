//! The users file, in Dovecot's passwd-file format: one user per line,
//!
//! ```text
//! user:{SCHEME}password[:uid:gid:gecos:home:shell:extra_fields]
//! ```
//!
//! Empty lines and lines starting with `#` are skipped. Supported schemes (names are
//! case-insensitive, as in Dovecot):
//!
//! | scheme | stored as | verified with |
//! |--------|-----------|---------------|
//! | `PLAIN` (alias `CLEARTEXT`) | the password itself | constant-time comparison of MD5 digests, so that not even the length leaks |
//! | `SHA512-CRYPT` | `$6$[rounds=N$]salt$hash` (`mkpasswd -m sha-512`, `doveadm pw -s SHA512-CRYPT`) | the `sha-crypt` crate (constant-time) |
//! | `ARGON2ID` | `$argon2id$v=19$m=..,t=..,p=..$salt$hash` (`doveadm pw -s ARGON2ID`) | the `argon2` crate (constant-time) |
//!
//! Anything else (a missing `{SCHEME}`, an empty password, an unknown scheme, a hash that
//! does not parse, a repeated user) is refused when the file is loaded, with its line
//! number, rather than at some later login.
//!
//! **Unknown users.** [`Users::authenticate`] verifies the password of an unknown user
//! against a dummy hash, so an unknown user takes as long as a wrong password and timing
//! does not tell which user names exist. The dummy is the hash of a real entry with the
//! file's most common scheme (and so that scheme's cost parameters); its result is thrown
//! away.
//!
//! **APOP and CRAM-MD5** (RFC 1939 §7, RFC 2195) need the plaintext password on the server:
//! the client sends `MD5(challenge + password)`, which no stored hash can check. Only
//! `PLAIN` users can use them ([`Users::plaintext_password`]); for the others the server
//! answers as for a wrong password.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use argon2::{Argon2, PasswordVerifier as _};
use md5::{Digest, Md5};
use pobox::Secret;
use sha_crypt::ShaCrypt;
use subtle::ConstantTimeEq;

/// A password scheme of the users file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `{PLAIN}`: the password itself.
    Plain,
    /// `{SHA512-CRYPT}`: `$6$` crypt(3) hash.
    Sha512Crypt,
    /// `{ARGON2ID}`: PHC-format Argon2id hash.
    Argon2id,
}

impl Scheme {
    /// The scheme for a name between braces (case-insensitive).
    pub fn from_name(name: &str) -> Option<Scheme> {
        match name.to_ascii_uppercase().as_str() {
            "PLAIN" | "CLEARTEXT" => Some(Scheme::Plain),
            "SHA512-CRYPT" => Some(Scheme::Sha512Crypt),
            "ARGON2ID" => Some(Scheme::Argon2id),
            _ => None,
        }
    }

    /// Orders schemes by verification cost, for choosing the dummy hash on ties.
    fn cost_rank(self) -> u8 {
        match self {
            Scheme::Plain => 0,
            Scheme::Sha512Crypt => 1,
            Scheme::Argon2id => 2,
        }
    }
}

/// A stored password.
#[derive(Debug, Clone)]
enum Password {
    Plain(Secret<Vec<u8>>),
    Sha512Crypt(Secret<String>),
    Argon2id(Secret<String>),
}

impl Password {
    /// Parses `{SCHEME}value`, checking that a hash is well-formed.
    fn parse(field: &str) -> Result<Password, String> {
        let rest = field
            .strip_prefix('{')
            .ok_or("the password has no {SCHEME} prefix")?;
        let (name, value) = rest
            .split_once('}')
            .ok_or("the password has no {SCHEME} prefix")?;
        let scheme = Scheme::from_name(name).ok_or_else(|| {
            format!(
                "unsupported password scheme {{{name}}} (supported: PLAIN, SHA512-CRYPT, ARGON2ID)"
            )
        })?;
        if value.is_empty() {
            return Err("empty password".into());
        }
        match scheme {
            Scheme::Plain => Ok(Password::Plain(Secret::new(value.as_bytes().to_vec()))),
            Scheme::Sha512Crypt => {
                if !value.starts_with("$6$") {
                    return Err("a SHA512-CRYPT hash starts with $6$".into());
                }
                sha_crypt::PasswordHashRef::new(value)
                    .map_err(|e| format!("malformed SHA512-CRYPT hash: {e}"))?;
                Ok(Password::Sha512Crypt(Secret::new(value.to_owned())))
            }
            Scheme::Argon2id => {
                let hash = argon2::PasswordHash::new(value)
                    .map_err(|e| format!("malformed ARGON2ID hash: {e}"))?;
                if hash.algorithm.as_str() != "argon2id" {
                    return Err(format!(
                        "an ARGON2ID hash must be $argon2id$, not ${}$",
                        hash.algorithm
                    ));
                }
                Ok(Password::Argon2id(Secret::new(value.to_owned())))
            }
        }
    }

    fn scheme(&self) -> Scheme {
        match self {
            Password::Plain(_) => Scheme::Plain,
            Password::Sha512Crypt(_) => Scheme::Sha512Crypt,
            Password::Argon2id(_) => Scheme::Argon2id,
        }
    }

    /// `true` when `candidate` is the password; every scheme compares in constant time.
    fn verify(&self, candidate: &[u8]) -> bool {
        match self {
            Password::Plain(stored) => {
                // Equal-length digests, so the comparison time does not depend on where
                // (or whether, by length) the two passwords differ.
                let stored = Md5::digest(stored.declassify());
                let candidate = Md5::digest(candidate);
                stored.as_slice().ct_eq(candidate.as_slice()).into()
            }
            Password::Sha512Crypt(hash) => ShaCrypt::default()
                .verify_password(candidate, hash.declassify().as_str())
                .is_ok(),
            Password::Argon2id(hash) => Argon2::default()
                .verify_password(candidate, hash.declassify().as_str())
                .is_ok(),
        }
    }
}

/// One entry of the users file.
#[derive(Debug, Clone)]
pub struct User {
    name: String,
    password: Password,
    /// Numeric user id (field 3), if given.
    pub uid: Option<u32>,
    /// Numeric group id (field 4), if given.
    pub gid: Option<u32>,
    /// Home directory (field 6), if given.
    pub home: Option<PathBuf>,
    /// Extra fields (field 8: space-separated `key=value`), as written.
    pub extra: Vec<String>,
}

impl User {
    /// The user name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The password scheme.
    pub fn scheme(&self) -> Scheme {
        self.password.scheme()
    }
}

/// A line of the users file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A line is malformed.
    #[error("users file line {line}: {reason}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// The users file, loaded.
#[derive(Debug, Clone)]
pub struct Users {
    by_name: HashMap<String, User>,
    /// Verified for unknown users; see the module docs.
    dummy: Password,
}

impl Users {
    /// Reads and parses the users file at `path`.
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let text = std::fs::read_to_string(path).map_err(|source| UsersError::Io {
            path: path.to_owned(),
            source,
        })?;
        Users::parse(&text)
    }

    /// Parses the text of a users file.
    pub fn parse(text: &str) -> Result<Users, UsersError> {
        let mut by_name = HashMap::new();
        let mut order = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |reason: String| UsersError::Line {
                line: i + 1,
                reason,
            };
            let user = parse_line(line).map_err(error)?;
            if by_name.contains_key(&user.name) {
                return Err(error(format!("user {:?} appears twice", user.name)));
            }
            order.push(user.name.clone());
            by_name.insert(user.name.clone(), user);
        }
        let users: Vec<&User> = order.iter().filter_map(|n| by_name.get(n)).collect();
        let dummy = dummy_password(&users);
        Ok(Users { by_name, dummy })
    }

    /// The entry for `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.by_name.get(name)
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// `true` when the file has no user.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The user, when `password` is theirs. An unknown user costs a verification all
    /// the same (see the module docs); the caller must answer both failures alike.
    pub fn authenticate(&self, name: &str, password: &[u8]) -> Option<&User> {
        match self.by_name.get(name) {
            Some(user) => user.password.verify(password).then_some(user),
            None => {
                std::hint::black_box(self.dummy.verify(password));
                None
            }
        }
    }

    /// The plaintext password of a `{PLAIN}` user, for APOP and CRAM-MD5; `None` for
    /// users of the hashed schemes and for unknown users.
    pub fn plaintext_password(&self, name: &str) -> Option<&Secret<Vec<u8>>> {
        match &self.by_name.get(name)?.password {
            Password::Plain(secret) => Some(secret),
            _ => None,
        }
    }
}

/// Parses `user:{SCHEME}password[:uid:gid:gecos:home:shell:extra]`.
fn parse_line(line: &str) -> Result<User, String> {
    let mut fields = line.splitn(8, ':');
    let name = fields.next().unwrap_or_default();
    if name.is_empty() {
        return Err("empty user name".into());
    }
    let password = Password::parse(fields.next().ok_or("no password field")?)?;
    let number = |field: Option<&str>, what: &str| -> Result<Option<u32>, String> {
        match field {
            None | Some("") => Ok(None),
            Some(n) => n
                .parse()
                .map(Some)
                .map_err(|_| format!("{what} {n:?} is not a number")),
        }
    };
    let uid = number(fields.next(), "uid")?;
    let gid = number(fields.next(), "gid")?;
    let _gecos = fields.next();
    let home = fields.next().filter(|h| !h.is_empty()).map(PathBuf::from);
    let _shell = fields.next();
    let extra = fields
        .next()
        .map(|e| e.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    Ok(User {
        name: name.to_owned(),
        password,
        uid,
        gid,
        home,
        extra,
    })
}

/// The dummy for unknown users: the first password of the most common scheme (the
/// costlier scheme on a tie), or a PLAIN one for an empty file.
fn dummy_password(users: &[&User]) -> Password {
    let mut counts: HashMap<Scheme, usize> = HashMap::new();
    for user in users {
        *counts.entry(user.scheme()).or_default() += 1;
    }
    let Some(scheme) = counts
        .into_iter()
        .max_by_key(|&(scheme, count)| (count, scheme.cost_rank()))
        .map(|(s, _)| s)
    else {
        return Password::Plain(Secret::new(b"no users: never matches".to_vec()));
    };
    users
        .iter()
        .find(|u| u.scheme() == scheme)
        .map(|u| u.password.clone())
        .unwrap_or_else(|| Password::Plain(Secret::new(Vec::new())))
}
