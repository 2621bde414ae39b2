//! The result of parsing a prefix of a byte stream.

/// Outcome of a parser that may see an incomplete prefix of its input.
///
/// As in `httparse`, running out of input is not an error: `Partial` asks the
/// caller to read more bytes and try again. `Complete` carries the parsed
/// value (for codecs, usually together with the number of bytes consumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Status<T> {
    /// The input held a whole item.
    Complete(T),
    /// The input ended before the item did; nothing was consumed.
    Partial,
}

impl<T> Status<T> {
    /// `true` for [`Status::Complete`].
    pub fn is_complete(&self) -> bool {
        matches!(self, Status::Complete(_))
    }

    /// `true` for [`Status::Partial`].
    pub fn is_partial(&self) -> bool {
        matches!(self, Status::Partial)
    }

    /// The complete value, or `None` when partial.
    pub fn complete(self) -> Option<T> {
        match self {
            Status::Complete(value) => Some(value),
            Status::Partial => None,
        }
    }

    /// Maps the complete value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Status<U> {
        match self {
            Status::Complete(value) => Status::Complete(f(value)),
            Status::Partial => Status::Partial,
        }
    }
}
