//! What the chapter's computations refuse, and why.

use std::fmt;

/// A refused input or an impossible computation.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// Shapes that do not fit together.
    Shape(String),
    /// No points.
    Empty(String),
    /// A NaN or infinite entry.
    NonFinite(String),
    /// The classes cannot be separated strictly by a hyperplane through the
    /// origin: no max-margin direction exists (for strictly non-separable
    /// data gradient descent's loss stays bounded away from zero and its
    /// weights converge).
    NotSeparable(String),
    /// The max-margin solver ran out of sweeps without a certificate; any
    /// separating direction has margin at most `margin_bound`.
    NoCertificate { sweeps: usize, margin_bound: f64 },
    /// A step size at or above the stability bound `2/β` of the loss.
    StepTooLarge { eta: f64, bound: f64 },
    /// Any other argument out of its domain.
    Argument(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape(s) => write!(f, "shape mismatch: {s}"),
            Error::Empty(s) => write!(f, "empty input: {s}"),
            Error::NonFinite(s) => write!(f, "not finite: {s}"),
            Error::NotSeparable(s) => write!(f, "not linearly separable: {s}"),
            Error::NoCertificate {
                sweeps,
                margin_bound,
            } => write!(
                f,
                "no certificate within {sweeps} sweeps; any separating direction has margin below {margin_bound:e}"
            ),
            Error::StepTooLarge { eta, bound } => write!(
                f,
                "step size {eta} is not below the stability bound {bound} (2 over the loss's smoothness)"
            ),
            Error::Argument(s) => write!(f, "bad argument: {s}"),
        }
    }
}

impl std::error::Error for Error {}

/// The chapter's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Errors unless every entry is finite.
pub(crate) fn finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite(format!(
            "{what} has {} at entry {i}",
            values[i]
        ))),
    }
}
