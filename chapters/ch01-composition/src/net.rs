//! Dense ReLU networks as compositions of layers.
//!
//! A layer is `x ↦ φ(W x + b)` with `φ` either ReLU or the identity; a
//! network is a list of layers applied in order, `f = g_L ∘ ... ∘ g_1`.

use crate::pwl::Pwl;
use nalgebra::{DMatrix, DVector};
use std::fmt;

/// What can go wrong when building or evaluating a network or a
/// piecewise-linear function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// Something that must not be empty was empty.
    Empty(&'static str),
    /// Dimensions that must agree do not.
    Shape(String),
    /// A NaN or infinite number where finite numbers are required, or an
    /// evaluation that overflowed.
    NonFinite(String),
    /// An argument outside the documented domain.
    Domain(String),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Empty(what) => write!(f, "empty input: {what}"),
            NetError::Shape(what) => write!(f, "shape mismatch: {what}"),
            NetError::NonFinite(what) => write!(f, "non-finite number: {what}"),
            NetError::Domain(what) => write!(f, "outside the domain: {what}"),
        }
    }
}

impl std::error::Error for NetError {}

/// The function a layer applies to each coordinate after the affine map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// `ReLU(t) = max(0, t)`; NaN stays NaN.
    Relu,
    /// `t ↦ t`, for a linear output (or bottleneck) layer.
    Identity,
}

impl Activation {
    /// Applies the activation to one number.
    pub fn apply(self, t: f64) -> f64 {
        match self {
            Activation::Relu if t > 0.0 || t.is_nan() => t,
            Activation::Relu => 0.0,
            Activation::Identity => t,
        }
    }
}

/// One layer `x ↦ φ(W x + b)`, with `W` of shape `n_l × n_{l-1}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    w: DMatrix<f64>,
    b: DVector<f64>,
    act: Activation,
}

impl Layer {
    /// A layer from its weights, biases and activation. Errors when `W` has
    /// no rows or columns, `b` does not have one entry per row, or an entry
    /// is not finite.
    pub fn new(w: DMatrix<f64>, b: DVector<f64>, act: Activation) -> Result<Layer, NetError> {
        if w.nrows() == 0 || w.ncols() == 0 {
            return Err(NetError::Empty(
                "a layer needs at least one input and one output",
            ));
        }
        if b.len() != w.nrows() {
            return Err(NetError::Shape(format!(
                "W has {} rows but b has {} entries",
                w.nrows(),
                b.len()
            )));
        }
        if w.iter().chain(b.iter()).any(|v| !v.is_finite()) {
            return Err(NetError::NonFinite(
                "layer weights and biases must be finite".into(),
            ));
        }
        Ok(Layer { w, b, act })
    }

    /// A layer from the rows of `W` (all of one length) and the biases.
    pub fn from_rows(rows: &[&[f64]], b: &[f64], act: Activation) -> Result<Layer, NetError> {
        let cols = rows.first().map_or(0, |r| r.len());
        if rows.iter().any(|r| r.len() != cols) {
            return Err(NetError::Shape("rows of W must have one length".into()));
        }
        let w = DMatrix::from_fn(rows.len(), cols, |i, j| rows[i][j]);
        Layer::new(w, DVector::from_column_slice(b), act)
    }

    /// The weight matrix `W`.
    pub fn weights(&self) -> &DMatrix<f64> {
        &self.w
    }

    /// The bias vector `b`.
    pub fn biases(&self) -> &DVector<f64> {
        &self.b
    }

    /// The activation `φ`.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// Number of outputs `n_l`.
    pub fn width(&self) -> usize {
        self.w.nrows()
    }

    /// Number of parameters: every entry of `W` and `b`.
    pub fn parameters(&self) -> usize {
        self.w.len() + self.b.len()
    }
}

/// A network: layers applied in order. Invariant: at least one layer, and
/// each layer's input size equals the previous layer's width.
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    layers: Vec<Layer>,
}

impl Net {
    /// A network from its layers. Errors when there are none or when
    /// consecutive layers do not fit together.
    pub fn new(layers: Vec<Layer>) -> Result<Net, NetError> {
        if layers.is_empty() {
            return Err(NetError::Empty("a network needs at least one layer"));
        }
        for (l, pair) in layers.windows(2).enumerate() {
            if pair[1].w.ncols() != pair[0].w.nrows() {
                return Err(NetError::Shape(format!(
                    "layer {} has {} outputs but layer {} expects {} inputs",
                    l + 1,
                    pair[0].w.nrows(),
                    l + 2,
                    pair[1].w.ncols()
                )));
            }
        }
        Ok(Net { layers })
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Input dimension `n_0`.
    pub fn input_dim(&self) -> usize {
        self.layers[0].w.ncols()
    }

    /// Output dimension.
    pub fn output_dim(&self) -> usize {
        self.layers[self.layers.len() - 1].w.nrows()
    }

    /// Depth: the number of layers (affine maps).
    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// The number of ReLU units (outputs of ReLU layers).
    pub fn relu_units(&self) -> usize {
        self.layers
            .iter()
            .filter(|l| l.act == Activation::Relu)
            .map(Layer::width)
            .sum()
    }

    /// The largest layer width.
    pub fn max_width(&self) -> usize {
        self.layers.iter().map(Layer::width).max().unwrap_or(0)
    }

    /// Number of parameters: every weight and bias, zeros included.
    pub fn parameters(&self) -> usize {
        self.layers.iter().map(Layer::parameters).sum()
    }

    /// Evaluates the network at one input. Errors when `x` has the wrong
    /// length, holds a NaN or infinity, or the output overflows.
    // ANCHOR: eval
    pub fn eval(&self, x: &DVector<f64>) -> Result<DVector<f64>, NetError> {
        self.check_input(x.len(), x.iter())?;
        let mut h = x.clone();
        for layer in &self.layers {
            // h_l = W_l x_{l-1} + b_l, then x_l = φ(h_l).
            h = (&layer.w * &h + &layer.b).map(|t| layer.act.apply(t));
        }
        check_output(h.iter())?;
        Ok(h)
    }
    // ANCHOR_END: eval

    /// Evaluates the network at many inputs at once: the columns of `xs`.
    /// Same errors as [`Net::eval`], and the same results bit for bit: each
    /// pre-activation is summed in the order `eval` sums it (nalgebra's
    /// matrix-vector product adds `W_i0 x_0 + W_i1 x_1 + ...` left to right,
    /// then the bias is added), which a unit test checks on random networks.
    // ANCHOR: eval_batch
    pub fn eval_batch(&self, xs: &DMatrix<f64>) -> Result<DMatrix<f64>, NetError> {
        self.check_input(xs.nrows(), xs.iter())?;
        // Blocks of inputs pass through all layers in two buffers laid out
        // unit by unit (`buf[i * BLOCK + p]` is unit i of input p), so the
        // inner loops run over inputs and vectorise: for narrow layers this
        // is several times faster than general matrix products.
        const BLOCK: usize = 256;
        let out_dim = self.output_dim();
        let mut out = DMatrix::zeros(out_dim, xs.ncols());
        let (mut cur, mut next) = (Vec::new(), Vec::new());
        for start in (0..xs.ncols()).step_by(BLOCK) {
            let len = BLOCK.min(xs.ncols() - start);
            cur.clear();
            for i in 0..xs.nrows() {
                cur.extend((0..BLOCK).map(|p| if p < len { xs[(i, start + p)] } else { 0.0 }));
            }
            for layer in &self.layers {
                next.clear();
                for i in 0..layer.width() {
                    // ((W_i0 x_0 + W_i1 x_1) + ...) + b_i, the order of `eval`.
                    let mut row = [0.0; BLOCK];
                    for (j, x) in cur.chunks_exact(BLOCK).enumerate() {
                        let wij = layer.w[(i, j)];
                        if j == 0 {
                            row.iter_mut().zip(x).for_each(|(t, xj)| *t = wij * xj);
                        } else {
                            row.iter_mut().zip(x).for_each(|(t, xj)| *t += wij * xj);
                        }
                    }
                    let bi = layer.b[i];
                    next.extend(row.iter().map(|&t| layer.act.apply(t + bi)));
                }
                std::mem::swap(&mut cur, &mut next);
            }
            for (i, unit) in cur.chunks_exact(BLOCK).enumerate() {
                for p in 0..len {
                    out[(i, start + p)] = unit[p];
                }
            }
        }
        check_output(out.iter())?;
        Ok(out)
    }
    // ANCHOR_END: eval_batch

    /// For a network with one input and one output: its values at the
    /// points `xs`. Errors when the network is not scalar-to-scalar, plus
    /// the errors of [`Net::eval`]. An empty slice gives an empty vector.
    pub fn eval_points(&self, xs: &[f64]) -> Result<Vec<f64>, NetError> {
        self.check_scalar()?;
        if xs.is_empty() {
            return Ok(Vec::new());
        }
        let batch = DMatrix::from_row_slice(1, xs.len(), xs);
        Ok(self.eval_batch(&batch)?.iter().copied().collect())
    }

    /// The composition "first `self`, then `next`": the network computing
    /// `next(self(x))`, whose layers are those of `self` followed by those
    /// of `next`. Errors when `next` does not take `self`'s output.
    // ANCHOR: then
    pub fn then(&self, next: &Net) -> Result<Net, NetError> {
        let layers = self.layers.iter().chain(&next.layers).cloned().collect();
        Net::new(layers)
    }
    // ANCHOR_END: then

    /// For a network with one input and one output: the exact
    /// piecewise-linear function it computes on `[lo, hi]`, found by pushing
    /// the identity through the layers. Errors when the network is not
    /// scalar-to-scalar or the interval is not finite with `lo < hi`.
    // ANCHOR: to_pwl
    pub fn to_pwl(&self, lo: f64, hi: f64) -> Result<Pwl, NetError> {
        self.check_scalar()?;
        let mut units = vec![Pwl::identity(lo, hi)?];
        for layer in &self.layers {
            // h_l = W_l x_{l-1} + b_l, one piecewise-linear function per unit.
            let h = Pwl::affine_layer(&units, &layer.w, &layer.b)?;
            units = match layer.act {
                Activation::Relu => h.iter().map(Pwl::relu).collect(),
                Activation::Identity => h,
            };
        }
        Ok(units.pop().expect("a scalar network has one output"))
    }
    // ANCHOR_END: to_pwl

    fn check_scalar(&self) -> Result<(), NetError> {
        if self.input_dim() != 1 || self.output_dim() != 1 {
            return Err(NetError::Shape(format!(
                "expected a network from R to R, got R^{} to R^{}",
                self.input_dim(),
                self.output_dim()
            )));
        }
        Ok(())
    }

    fn check_input<'a>(
        &self,
        len: usize,
        mut values: impl Iterator<Item = &'a f64>,
    ) -> Result<(), NetError> {
        if len != self.input_dim() {
            return Err(NetError::Shape(format!(
                "the network takes {} inputs, got {len}",
                self.input_dim()
            )));
        }
        if values.any(|v| !v.is_finite()) {
            return Err(NetError::NonFinite("network inputs must be finite".into()));
        }
        Ok(())
    }
}

fn check_output<'a>(mut values: impl Iterator<Item = &'a f64>) -> Result<(), NetError> {
    if values.any(|v| !v.is_finite()) {
        return Err(NetError::NonFinite("the evaluation overflowed".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Net {
        let l1 = Layer::from_rows(&[&[1.0], &[-1.0]], &[0.0, 0.0], Activation::Relu).unwrap();
        let l2 = Layer::from_rows(&[&[1.0, 1.0]], &[0.5], Activation::Identity).unwrap();
        Net::new(vec![l1, l2]).unwrap()
    }

    #[test]
    fn evaluates_abs_plus_half() {
        let net = small();
        assert_eq!(net.eval(&DVector::from_vec(vec![-2.0])).unwrap()[0], 2.5);
        assert_eq!(
            net.eval_points(&[-1.0, 0.0, 3.0]).unwrap(),
            vec![1.5, 0.5, 3.5]
        );
        assert_eq!(net.parameters(), 2 + 2 + 2 + 1);
        assert_eq!((net.depth(), net.relu_units(), net.max_width()), (2, 2, 2));
        assert!(net.eval_points(&[]).unwrap().is_empty());
    }

    #[test]
    fn bad_shapes_and_values_are_errors() {
        assert!(Net::new(vec![]).is_err());
        assert!(Layer::from_rows(&[&[1.0], &[1.0, 2.0]], &[0.0, 0.0], Activation::Relu).is_err());
        assert!(Layer::from_rows(&[&[1.0]], &[0.0, 0.0], Activation::Relu).is_err());
        assert!(Layer::from_rows(&[], &[], Activation::Relu).is_err());
        assert!(Layer::from_rows(&[&[f64::NAN]], &[0.0], Activation::Relu).is_err());
        let a = Layer::from_rows(&[&[1.0]], &[0.0], Activation::Relu).unwrap();
        let b = Layer::from_rows(&[&[1.0, 1.0]], &[0.0], Activation::Relu).unwrap();
        assert!(matches!(Net::new(vec![a, b]), Err(NetError::Shape(_))));
        let net = small();
        assert!(net.eval(&DVector::from_vec(vec![1.0, 2.0])).is_err());
        assert!(net.eval_points(&[f64::NAN]).is_err());
        assert!(net.eval_points(&[f64::INFINITY]).is_err());
        assert!(net.to_pwl(1.0, 0.0).is_err());
        let huge = Layer::from_rows(&[&[1e300]], &[0.0], Activation::Identity).unwrap();
        let overflow = Net::new(vec![huge.clone(), huge]).unwrap();
        assert!(matches!(
            overflow.eval_points(&[1e300]),
            Err(NetError::NonFinite(_))
        ));
        let wide = Net::new(vec![
            Layer::from_rows(&[&[1.0, 1.0]], &[0.0], Activation::Relu).unwrap(),
        ])
        .unwrap();
        assert!(wide.eval_points(&[1.0]).is_err());
        assert!(wide.to_pwl(0.0, 1.0).is_err());
    }

    #[test]
    fn relu_keeps_nan() {
        assert!(Activation::Relu.apply(f64::NAN).is_nan());
        assert_eq!(Activation::Relu.apply(-3.0), 0.0);
    }

    /// The affine map `s(x) = 2x - 1` as a one-layer network.
    fn stretch() -> Net {
        Net::new(vec![
            Layer::from_rows(&[&[2.0]], &[-1.0], Activation::Identity).unwrap(),
        ])
        .unwrap()
    }

    #[test]
    fn then_applies_self_first() {
        // small(x) = |x| + 1/2 and s(x) = 2x - 1 do not commute:
        // s.then(small) = |2x - 1| + 1/2, small.then(s) = 2|x|.
        let (f, s) = (small(), stretch());
        let s_then_f = s.then(&f).unwrap();
        let f_then_s = f.then(&s).unwrap();
        for x in [-1.5, -0.25, 0.0, 0.5, 0.75, 2.0] {
            assert_eq!(
                s_then_f.eval_points(&[x]).unwrap()[0],
                (2.0 * x - 1.0).abs() + 0.5
            );
            assert_eq!(f_then_s.eval_points(&[x]).unwrap()[0], 2.0 * x.abs());
        }
        assert_eq!(s_then_f.depth(), 3);
    }

    #[test]
    fn eval_batch_agrees_with_eval_bit_for_bit() {
        use book_support::rand::RngExt;
        let mut rng = book_support::seeded(211);
        let mut compared = 0;
        for trial in 0..40 {
            // Random shapes: 1 to 3 inputs, 1 to 4 layers of width 1 to 9.
            let mut dims = vec![1 + trial % 3];
            dims.extend((0..1 + trial % 4).map(|_| rng.random_range(1..=9)));
            dims.push(1 + trial % 2);
            let layers = dims
                .windows(2)
                .enumerate()
                .map(|(l, d)| {
                    let w = DMatrix::from_fn(d[1], d[0], |_, _| rng.random_range(-2.0..2.0));
                    let b = DVector::from_fn(d[1], |_, _| rng.random_range(-1.0..1.0));
                    let act = if l + 2 < dims.len() {
                        Activation::Relu
                    } else {
                        Activation::Identity
                    };
                    Layer::new(w, b, act).unwrap()
                })
                .collect();
            let net = Net::new(layers).unwrap();
            // More than one block of inputs, and a ragged last block.
            let xs = DMatrix::from_fn(dims[0], 300, |_, _| rng.random_range(-3.0..3.0));
            let batch = net.eval_batch(&xs).unwrap();
            for (p, column) in xs.column_iter().enumerate() {
                let one = net.eval(&column.into_owned()).unwrap();
                for i in 0..one.len() {
                    assert_eq!(one[i].to_bits(), batch[(i, p)].to_bits(), "trial {trial}");
                    compared += 1;
                }
            }
        }
        assert!(compared >= 40 * 300);
    }

    #[test]
    fn to_pwl_matches_eval() {
        let twice = small().then(&stretch()).unwrap().then(&small()).unwrap();
        let pwl = twice.to_pwl(-2.0, 2.0).unwrap();
        for x in [-1.5, -0.25, 0.0, 0.75, 2.0] {
            assert!((pwl.eval(x).unwrap() - twice.eval_points(&[x]).unwrap()[0]).abs() < 1e-15);
        }
        let net = small();
        let wide = Net::new(vec![
            Layer::from_rows(&[&[1.0, 1.0]], &[0.0], Activation::Relu).unwrap(),
        ])
        .unwrap();
        assert!(net.then(&wide).is_err());
        // |x| + 1/2 has two pieces on [-2, 2].
        assert_eq!(net.to_pwl(-2.0, 2.0).unwrap().pieces(), 2);
    }
}
