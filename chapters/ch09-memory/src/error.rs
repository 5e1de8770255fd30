//! What the chapter's computations refuse, and why.

use std::fmt;

/// A refused input or an impossible computation.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A pattern entry that is not `+1` or `−1`.
    NotBinary {
        pattern: usize,
        entry: usize,
        value: f64,
    },
    /// Patterns of different lengths.
    Lengths {
        pattern: usize,
        len: usize,
        expected: usize,
    },
    /// No neurons (`N = 0`) or no patterns.
    Empty(String),
    /// An inverse temperature `β` that is negative or not finite.
    Beta(f64),
    /// A NaN or infinite value.
    NonFinite(String),
    /// Shapes that do not fit together.
    Shape(String),
    /// Any other argument out of its domain.
    Argument(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotBinary {
                pattern,
                entry,
                value,
            } => write!(
                f,
                "pattern {pattern}, entry {entry} is {value}: patterns are made of +1 and −1"
            ),
            Error::Lengths {
                pattern,
                len,
                expected,
            } => write!(
                f,
                "pattern {pattern} has {len} entries, the first has {expected}"
            ),
            Error::Empty(s) => write!(f, "empty input: {s}"),
            Error::Beta(b) => write!(
                f,
                "the inverse temperature β = {b} must be nonnegative and finite"
            ),
            Error::NonFinite(s) => write!(f, "not finite: {s}"),
            Error::Shape(s) => write!(f, "shape mismatch: {s}"),
            Error::Argument(s) => write!(f, "bad argument: {s}"),
        }
    }
}

impl std::error::Error for Error {}

/// The chapter's result type.
pub type Result<T> = std::result::Result<T, Error>;
