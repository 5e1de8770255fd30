//! What the chapter's computations refuse, and why.

use ch03_backprop::EngineError;
use std::fmt;

/// A refused input or an impossible computation.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// Shapes that do not fit together.
    Shape(String),
    /// No examples, or no features.
    Empty(String),
    /// A NaN or infinite entry where a finite number is needed.
    NonFinite(String),
    /// A weight-decay strength that is negative or not finite.
    Lambda(f64),
    /// Any other argument out of its domain.
    Argument(String),
    /// `XᵀX + λI` is not positive definite (λ = 0 with fewer examples than
    /// features, or collinear features): ridge has no unique solution;
    /// [`crate::min_norm`] gives the minimum-norm one.
    Singular { lambda: f64 },
    /// An error of the network engine.
    Engine(EngineError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape(s) => write!(f, "shape mismatch: {s}"),
            Error::Empty(s) => write!(f, "empty input: {s}"),
            Error::NonFinite(s) => write!(f, "not finite: {s}"),
            Error::Lambda(l) => write!(f, "weight decay λ = {l} must be finite and nonnegative"),
            Error::Argument(s) => write!(f, "bad argument: {s}"),
            Error::Singular { lambda } => write!(
                f,
                "XᵀX + λI is singular at λ = {lambda}: ridge has no unique solution \
                 (use a positive λ, or min_norm for the minimum-norm solution)"
            ),
            Error::Engine(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Self {
        Error::Engine(e)
    }
}

/// The chapter's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Errors unless every entry of `values` is finite.
pub(crate) fn finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite(format!(
            "{what} has {} at entry {i}",
            values[i]
        ))),
    }
}

/// Errors unless `lambda` is finite and nonnegative.
pub(crate) fn check_lambda(lambda: f64) -> Result<()> {
    if lambda.is_finite() && lambda >= 0.0 {
        Ok(())
    } else {
        Err(Error::Lambda(lambda))
    }
}
