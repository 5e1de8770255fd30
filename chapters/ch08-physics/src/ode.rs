//! Residual networks as Euler steps of an ordinary differential equation
//! (E 2017; Haber and Ruthotto 2017; Chen et al. 2018): the block
//! `x_{l+1} = x_l + h f(x_l)` with `h = T/L` is Euler's method for
//! `dx/dt = f(x)` on `[0, T]`, and the gradient of a loss on `x(T)` can be
//! computed by backpropagation through the steps or by the adjoint ODE.

use crate::error::{Error, Result, finite};
use ch03_backprop::normal;
use nalgebra::{DMatrix, DVector};

// ANCHOR: field
/// The vector field `f(x) = A tanh(B x + b)`: one hidden layer of width
/// `m`, shared by every block (so the network is a time-invariant ODE).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub a: DMatrix<f64>,
    pub b: DMatrix<f64>,
    pub bias: DVector<f64>,
}

impl Field {
    /// `f(x)`.
    pub fn eval(&self, x: &DVector<f64>) -> DVector<f64> {
        &self.a * (&self.b * x + &self.bias).map(f64::tanh)
    }

    /// The vector–Jacobian products of `f` at `x` with a covector `u`:
    /// `(uᵀ ∂f/∂x, uᵀ ∂f/∂θ)`, θ being `A`, `B`, `b` flattened column by
    /// column in that order.
    pub fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> (DVector<f64>, Vec<f64>) {
        let z = (&self.b * x + &self.bias).map(f64::tanh);
        // Back through A, then through tanh (slope 1 − tanh²).
        let s = self.a.transpose() * u;
        let r = s.zip_map(&z, |s, z| s * (1.0 - z * z));
        let grad_a = u * z.transpose();
        let grad_b = &r * x.transpose();
        let mut theta = Vec::with_capacity(self.parameter_count());
        theta.extend(grad_a.iter());
        theta.extend(grad_b.iter());
        theta.extend(r.iter());
        (self.b.transpose() * r, theta)
    }
}
// ANCHOR_END: field

impl Field {
    /// A random field on `R^d` with `m` hidden units: `B` and `b` with
    /// `N(0, 1/d)` and `N(0, 1)` entries, `A` with `N(0, scale²/m)`.
    /// Errors: a zero size, or a scale that is not finite and positive.
    pub fn random<R: rand::Rng + ?Sized>(
        d: usize,
        m: usize,
        scale: f64,
        rng: &mut R,
    ) -> Result<Self> {
        if d == 0 || m == 0 || !(scale.is_finite() && scale > 0.0) {
            return Err(Error::Argument(format!(
                "a field needs positive sizes and scale, not d = {d}, m = {m}, scale = {scale}"
            )));
        }
        let b = DMatrix::from_fn(m, d, |_, _| normal(rng) / (d as f64).sqrt());
        let bias = DVector::from_fn(m, |_, _| normal(rng));
        let a = DMatrix::from_fn(d, m, |_, _| scale * normal(rng) / (m as f64).sqrt());
        Ok(Field { a, b, bias })
    }

    /// The dimension `d` of the state.
    pub fn dim(&self) -> usize {
        self.a.nrows()
    }

    /// The number of parameters `2 d m + m`.
    pub fn parameter_count(&self) -> usize {
        self.a.len() + self.b.len() + self.bias.len()
    }

    /// The parameters θ, flattened as in [`Field::vjp`].
    pub fn parameters(&self) -> Vec<f64> {
        self.a
            .iter()
            .chain(self.b.iter())
            .chain(self.bias.iter())
            .copied()
            .collect()
    }

    /// The same field with parameters θ. Errors: a length other than
    /// [`Field::parameter_count`].
    pub fn with_parameters(&self, theta: &[f64]) -> Result<Self> {
        if theta.len() != self.parameter_count() {
            return Err(Error::Shape(format!(
                "{} parameters for a field that has {}",
                theta.len(),
                self.parameter_count()
            )));
        }
        let (na, nb) = (self.a.len(), self.b.len());
        Ok(Field {
            a: DMatrix::from_column_slice(self.a.nrows(), self.a.ncols(), &theta[..na]),
            b: DMatrix::from_column_slice(self.b.nrows(), self.b.ncols(), &theta[na..na + nb]),
            bias: DVector::from_column_slice(&theta[na + nb..]),
        })
    }
}

/// A one-step method for `dx/dt = f(x)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `x + h f(x)`: the residual block. Order 1.
    Euler,
    /// Heun's method (the explicit trapezoid rule). Order 2.
    Heun,
    /// The classical fourth-order Runge–Kutta method. Order 4.
    RungeKutta4,
}

impl Method {
    /// The order `p` of the method: its global error is `O(h^p)`.
    pub fn order(self) -> u32 {
        match self {
            Method::Euler => 1,
            Method::Heun => 2,
            Method::RungeKutta4 => 4,
        }
    }

    /// One step of size `h` (negative to go back in time) for any field
    /// `f` on vectors.
    pub fn step(
        self,
        f: impl Fn(&DVector<f64>) -> DVector<f64>,
        x: &DVector<f64>,
        h: f64,
    ) -> DVector<f64> {
        match self {
            Method::Euler => x + h * f(x),
            Method::Heun => {
                let k1 = f(x);
                let k2 = f(&(x + h * &k1));
                x + 0.5 * h * (k1 + k2)
            }
            Method::RungeKutta4 => {
                let k1 = f(x);
                let k2 = f(&(x + 0.5 * h * &k1));
                let k3 = f(&(x + 0.5 * h * &k2));
                let k4 = f(&(x + h * &k3));
                x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            }
        }
    }
}

/// The state after `steps` steps of `method` from `x0` over `[0, T]`:
/// for Euler, the output of a residual network of `steps` blocks.
/// Errors: no steps, a `T` or `x0` that is not finite, a shape mismatch,
/// or a state that stops being finite (the step at which is named).
pub fn solve(
    field: &Field,
    x0: &DVector<f64>,
    t: f64,
    steps: usize,
    method: Method,
) -> Result<DVector<f64>> {
    Ok(trajectory(field, x0, t, steps, method)?
        .pop()
        .expect("at least the start"))
}

/// Every state `x_0, …, x_L` of [`solve`].
pub fn trajectory(
    field: &Field,
    x0: &DVector<f64>,
    t: f64,
    steps: usize,
    method: Method,
) -> Result<Vec<DVector<f64>>> {
    check_problem(field, x0, t, steps)?;
    let h = t / steps as f64;
    let mut states = Vec::with_capacity(steps + 1);
    states.push(x0.clone());
    for l in 0..steps {
        let next = method.step(|x| field.eval(x), &states[l], h);
        finite(&format!("the state after step {}", l + 1), next.as_slice())?;
        states.push(next);
    }
    Ok(states)
}

fn check_problem(field: &Field, x0: &DVector<f64>, t: f64, steps: usize) -> Result<()> {
    if steps == 0 {
        return Err(Error::Argument("a solver needs at least one step".into()));
    }
    if x0.len() != field.dim() {
        return Err(Error::Shape(format!(
            "a state of {} entries for a field on R^{}",
            x0.len(),
            field.dim()
        )));
    }
    finite("the initial state", x0.as_slice())?;
    finite("the time span", &[t])?;
    finite("the field's parameters", &field.parameters())
}

/// A loss `½‖x(T) − y‖²` and its gradients in the initial state and in
/// the field's parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient {
    pub loss: f64,
    pub x0: DVector<f64>,
    pub theta: Vec<f64>,
}

// ANCHOR: backprop
/// Backpropagation through the `L` Euler steps (the residual network):
/// with `a_L = x_L − y`, each block sends back
/// `a_l = a_{l+1} + h (∂f/∂x)ᵀ a_{l+1}` and adds `h (∂f/∂θ)ᵀ a_{l+1}` to
/// the parameters' gradient. Exact for the network, and it stores every
/// state. Errors: those of [`trajectory`], or a target of another size.
pub fn backprop(
    field: &Field,
    x0: &DVector<f64>,
    t: f64,
    steps: usize,
    y: &DVector<f64>,
) -> Result<Gradient> {
    let states = trajectory(field, x0, t, steps, Method::Euler)?;
    let h = t / steps as f64;
    let mut a = target_residual(states.last().unwrap(), y)?;
    let loss = 0.5 * a.norm_squared();
    let mut theta = vec![0.0; field.parameter_count()];
    for x in states[..steps].iter().rev() {
        let (ax, at) = field.vjp(x, &a);
        theta.iter_mut().zip(at).for_each(|(g, v)| *g += h * v);
        a += h * ax;
    }
    Ok(Gradient { loss, x0: a, theta })
}
// ANCHOR_END: backprop

fn target_residual(x: &DVector<f64>, y: &DVector<f64>) -> Result<DVector<f64>> {
    if x.len() != y.len() {
        return Err(Error::Shape(format!(
            "a target of {} entries for a state of {}",
            y.len(),
            x.len()
        )));
    }
    finite("the target", y.as_slice())?;
    Ok(x - y)
}

// ANCHOR: adjoint
/// The adjoint method (Chen et al. 2018): solve the state forward with
/// `steps` steps of fourth-order Runge–Kutta, then solve backwards from
/// `T` to 0 the joint system `dx/dt = f(x)`, `da/dt = −(∂f/∂x)ᵀ a`,
/// `dg/dt = −(∂f/∂θ)ᵀ a` from `a(T) = x(T) − y`, `g(T) = 0`, again by
/// Runge–Kutta. The state is recomputed backwards rather than stored, so
/// the memory does not grow with the number of steps. Then `a(0)` and
/// `g(0)` are the gradients. Errors: those of [`trajectory`].
pub fn adjoint(
    field: &Field,
    x0: &DVector<f64>,
    t: f64,
    steps: usize,
    y: &DVector<f64>,
) -> Result<Gradient> {
    let end = solve(field, x0, t, steps, Method::RungeKutta4)?;
    let a = target_residual(&end, y)?;
    let loss = 0.5 * a.norm_squared();
    let (d, p) = (field.dim(), field.parameter_count());
    // The joint state [x, a, g] and its time derivative.
    let joint = |s: &DVector<f64>| {
        let (x, a) = (s.rows(0, d).into_owned(), s.rows(d, d).into_owned());
        let (ax, at) = field.vjp(&x, &a);
        let mut ds = DVector::zeros(2 * d + p);
        ds.rows_mut(0, d).copy_from(&field.eval(&x));
        ds.rows_mut(d, d).copy_from(&(-ax));
        ds.rows_mut(2 * d, p).copy_from(&(-DVector::from_vec(at)));
        ds
    };
    let mut s = DVector::zeros(2 * d + p);
    s.rows_mut(0, d).copy_from(&end);
    s.rows_mut(d, d).copy_from(&a);
    let h = t / steps as f64;
    for l in 0..steps {
        s = Method::RungeKutta4.step(joint, &s, -h);
        finite(
            &format!("the adjoint state after step {} back", l + 1),
            s.as_slice(),
        )?;
    }
    Ok(Gradient {
        loss,
        x0: s.rows(d, d).into_owned(),
        theta: s.rows(2 * d, p).iter().copied().collect(),
    })
}
// ANCHOR_END: adjoint

/// The gradient of the loss of `steps` steps of `method` by central
/// differences with step `eps` in every coordinate of `x0` and θ.
/// Errors: those of [`solve`].
pub fn finite_differences(
    field: &Field,
    x0: &DVector<f64>,
    (t, steps, method): (f64, usize, Method),
    y: &DVector<f64>,
    eps: f64,
) -> Result<Gradient> {
    let loss = |f: &Field, x: &DVector<f64>| -> Result<f64> {
        Ok(0.5 * target_residual(&solve(f, x, t, steps, method)?, y)?.norm_squared())
    };
    let mut gx = DVector::zeros(x0.len());
    for i in 0..x0.len() {
        let (mut up, mut down) = (x0.clone(), x0.clone());
        up[i] += eps;
        down[i] -= eps;
        gx[i] = (loss(field, &up)? - loss(field, &down)?) / (2.0 * eps);
    }
    let theta0 = field.parameters();
    let mut gt = vec![0.0; theta0.len()];
    for (k, g) in gt.iter_mut().enumerate() {
        let (mut up, mut down) = (theta0.clone(), theta0.clone());
        up[k] += eps;
        down[k] -= eps;
        *g = (loss(&field.with_parameters(&up)?, x0)? - loss(&field.with_parameters(&down)?, x0)?)
            / (2.0 * eps);
    }
    Ok(Gradient {
        loss: loss(field, x0)?,
        x0: gx,
        theta: gt,
    })
}

impl Gradient {
    /// The largest entry of `|self − other|` over both gradients, relative
    /// to the largest entry of `other`'s.
    pub fn relative_gap(&self, other: &Gradient) -> f64 {
        let a = self.x0.iter().chain(&self.theta);
        let b: Vec<f64> = other.x0.iter().chain(&other.theta).copied().collect();
        let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        a.zip(&b).fold(0.0f64, |m, (x, y)| m.max((x - y).abs())) / scale
    }
}

/// The least-squares slope of `ln y` against `ln x`.
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = points.iter().map(|(x, y)| (x.ln(), y.ln())).unzip();
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
    sxy / sxx
}
