//! What the chapter's computations refuse, and why.

use std::fmt;

/// A refused input or an impossible computation.
#[derive(Clone, Debug, PartialEq)]
pub enum Error {
    /// A weight variance `σ_w²` that is not a positive finite number: the
    /// mean-field maps divide by nothing and describe no network.
    WeightVariance(f64),
    /// A bias variance `σ_b²` that is negative or not finite.
    BiasVariance(f64),
    /// A quadrature rule of order zero has no nodes: it would call every
    /// expectation zero.
    QuadratureOrder,
    /// A NaN or infinite value where a finite one is needed (an ODE state,
    /// a parameter, an input).
    NonFinite(String),
    /// The length map has no finite fixed point (it grows without bound).
    NoFixedPoint(String),
    /// Shapes that do not fit together.
    Shape(String),
    /// Any other argument out of its domain.
    Argument(String),
    /// An error of chapter 3's engine.
    Engine(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::WeightVariance(v) => {
                write!(
                    f,
                    "the weight variance σ_w² = {v} must be positive and finite"
                )
            }
            Error::BiasVariance(v) => write!(
                f,
                "the bias variance σ_b² = {v} must be nonnegative and finite"
            ),
            Error::QuadratureOrder => {
                write!(
                    f,
                    "a Gauss–Hermite rule needs at least one node (order ≥ 1)"
                )
            }
            Error::NonFinite(s) => write!(f, "not finite: {s}"),
            Error::NoFixedPoint(s) => write!(f, "no finite fixed point: {s}"),
            Error::Shape(s) => write!(f, "shape mismatch: {s}"),
            Error::Argument(s) => write!(f, "bad argument: {s}"),
            Error::Engine(s) => write!(f, "engine: {s}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<ch03_backprop::engine::EngineError> for Error {
    fn from(e: ch03_backprop::engine::EngineError) -> Self {
        Error::Engine(e.to_string())
    }
}

/// The chapter's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// Errors unless every entry is finite.
pub(crate) fn finite(what: &str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite(format!(
            "{what}: entry {i} is {}",
            values[i]
        ))),
    }
}
