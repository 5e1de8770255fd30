//! Activation functions: each one's value and derivative side by side.

pub use ch02_softmax::exercises::sigmoid;

// ANCHOR: activation
/// An activation function φ, applied elementwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// φ(t) = t (a linear layer, such as a readout).
    Identity,
    /// φ(t) = σ(t) = 1 / (1 + e^{-t}).
    Sigmoid,
    /// φ(t) = tanh(t).
    Tanh,
    /// φ(t) = max(0, t).
    Relu,
}

impl Activation {
    /// φ(t). Defined for every `t`; NaN maps to NaN.
    #[inline]
    pub fn apply(self, t: f64) -> f64 {
        match self {
            Activation::Identity => t,
            Activation::Sigmoid => sigmoid(t),
            Activation::Tanh => t.tanh(),
            // `t.max(0.0)` would turn NaN into 0; keep the NaN visible.
            Activation::Relu => {
                if t > 0.0 || t.is_nan() {
                    t
                } else {
                    0.0
                }
            }
        }
    }

    /// φ'(t). ReLU uses the value 0 at its kink t = 0, like the common
    /// frameworks. NaN maps to NaN (except for the identity, whose slope is
    /// 1 everywhere).
    #[inline]
    pub fn derivative(self, t: f64) -> f64 {
        match self {
            Activation::Identity => 1.0,
            Activation::Sigmoid => {
                let s = sigmoid(t);
                s * (1.0 - s)
            }
            Activation::Tanh => {
                let th = t.tanh();
                1.0 - th * th
            }
            Activation::Relu => {
                if t > 0.0 {
                    1.0
                } else if t.is_nan() {
                    t
                } else {
                    0.0
                }
            }
        }
    }
}
// ANCHOR_END: activation

impl Activation {
    /// `x_i = φ(h_i)` for every `i`, with the choice of φ made once, outside
    /// the loop (so the loop vectorizes). Slices of equal length.
    pub(super) fn apply_all(self, h: &[f64], x: &mut [f64]) {
        let pairs = x.iter_mut().zip(h);
        match self {
            Activation::Identity => pairs.for_each(|(x, &h)| *x = h),
            Activation::Sigmoid => pairs.for_each(|(x, &h)| *x = sigmoid(h)),
            Activation::Tanh => pairs.for_each(|(x, &h)| *x = h.tanh()),
            Activation::Relu => pairs.for_each(|(x, &h)| *x = Activation::Relu.apply(h)),
        }
    }

    /// `δ_i = φ'(h_i) g_i` for every `i`, the same product in the same
    /// floating-point arithmetic as `derivative(h) * g` (so NaN and
    /// infinities propagate exactly as in the lesson's backward pass). For
    /// σ and tanh the slope comes from the stored output `x = φ(h)`
    /// (`σ' = x(1 − x)`, `tanh' = 1 − x²`, the same bits as recomputing it),
    /// which saves an exponential. Slices of equal length.
    pub(super) fn backward_all(self, h: &[f64], x: &[f64], g: &[f64], delta: &mut [f64]) {
        let items = delta.iter_mut().zip(h).zip(x).zip(g);
        match self {
            Activation::Identity => items.for_each(|(((d, _), _), &g)| *d = 1.0 * g),
            Activation::Sigmoid => items.for_each(|(((d, _), &x), &g)| *d = x * (1.0 - x) * g),
            Activation::Tanh => items.for_each(|(((d, _), &x), &g)| *d = (1.0 - x * x) * g),
            Activation::Relu => items.for_each(|(((d, &h), _), &g)| {
                *d = Activation::Relu.derivative(h) * g;
            }),
        }
    }

    /// The largest value of φ' over the real line: 1/4 for σ, 1 otherwise.
    pub fn max_slope(self) -> f64 {
        match self {
            Activation::Sigmoid => 0.25,
            _ => 1.0,
        }
    }

    /// A short lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "ReLU",
        }
    }
}
