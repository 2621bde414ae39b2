//! A wrapper that keeps credentials out of logs.

use std::fmt;

/// A value that must not appear in logs: passwords, SASL responses, digests.
///
/// `Debug` prints `Secret(..)` in **every** build (not only release builds),
/// so `{:?}` of an event or a command never leaks a password. Read the value
/// with [`Secret::declassify`], which makes each access visible in review.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The wrapped value. Call it only where the secret is really needed
    /// (comparing a password), never to log it.
    pub fn declassify(&self) -> &T {
        &self.0
    }

    /// Unwraps the value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_in_every_build() {
        let s = Secret::new(String::from("hunter2"));
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert_eq!(format!("{:#?}", Some(&s)), "Some(\n    Secret(..),\n)");
        assert_eq!(s.declassify(), "hunter2");
    }
}
