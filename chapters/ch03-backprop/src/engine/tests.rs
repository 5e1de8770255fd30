//! Unit tests of the engine: the worked example, every activation, the
//! products, the counters, the refusal of every kind of bad input, the
//! optimizer and the training loop, and the proof that the fast engine
//! gives the lesson's numbers.

use super::linalg::{
    all_finite_after, finite, mul_into, mul_tr_left_into, mul_tr_right_into, step_into,
};
use super::*;
use approx::assert_relative_eq;
use book_support::seeded;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

fn tiny() -> Mlp {
    let l1 = Layer::new(
        DMatrix::from_row_slice(2, 2, &[1.0, -1.0, 0.5, 2.0]),
        DVector::from_vec(vec![0.0, -1.0]),
        Activation::Relu,
    )
    .unwrap();
    let l2 = Layer::new(
        DMatrix::from_row_slice(1, 2, &[1.0, -2.0]),
        DVector::from_vec(vec![0.5]),
        Activation::Identity,
    )
    .unwrap();
    Mlp::new(vec![l1, l2]).unwrap()
}

#[test]
fn hand_computed_example() {
    let net = tiny();
    let x = DMatrix::from_column_slice(2, 1, &[1.0, 2.0]);
    let y = DMatrix::from_element(1, 1, 0.0);
    let (loss, g) = net.gradient(&x, &y, Loss::Mse).unwrap();
    assert_eq!(loss, 21.125);
    assert_eq!(
        net.w_of(&g, 2),
        DMatrix::from_row_slice(1, 2, &[0.0, -22.75])
    );
    assert_eq!(net.b_of(&g, 2)[0], -6.5);
    assert_eq!(
        net.w_of(&g, 1),
        DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 13.0, 26.0])
    );
    assert_eq!(net.b_of(&g, 1), DVector::from_vec(vec![0.0, 13.0]));
    // The fast engine gives the same numbers, exactly (they are dyadic).
    let mut ws = Workspace::new(&net, 1).unwrap();
    assert_eq!(
        net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap(),
        loss
    );
    assert_eq!(ws.gradients(), &g);
}

#[test]
fn activations_and_derivatives() {
    for a in [
        Activation::Identity,
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Relu,
    ] {
        for t in [-3.0, -0.5, 0.25, 2.0] {
            let fd = (a.apply(t + 1e-6) - a.apply(t - 1e-6)) / 2e-6;
            assert_relative_eq!(a.derivative(t), fd, epsilon = 1e-8);
            let (mut x, mut d) = ([0.0], [0.0]);
            a.apply_all(&[t], &mut x);
            a.backward_all(&[t], &x, &[2.0], &mut d);
            assert_relative_eq!(x[0], a.apply(t), epsilon = 1e-15);
            assert_relative_eq!(d[0], 2.0 * a.derivative(t), epsilon = 1e-15);
        }
        assert!(a.apply(f64::NAN).is_nan(), "{a:?}");
        assert!(
            a.derivative(f64::NAN).is_nan() || a == Activation::Identity,
            "{a:?}"
        );
    }
    assert_eq!(sigmoid(0.0), 0.5);
    assert_eq!(sigmoid(-800.0), 0.0);
    assert_eq!(sigmoid(800.0), 1.0);
    assert_eq!(Activation::Relu.derivative(0.0), 0.0);
    assert_eq!(
        Activation::Sigmoid.derivative(0.0),
        Activation::Sigmoid.max_slope()
    );
}

#[test]
fn bad_construction_is_an_error() {
    assert_eq!(Mlp::new(vec![]), Err(EngineError::NoLayers));
    let z = Layer::new(DMatrix::zeros(0, 3), DVector::zeros(0), Activation::Relu);
    assert!(matches!(z, Err(EngineError::Empty(_))));
    let b = Layer::new(DMatrix::zeros(2, 3), DVector::zeros(3), Activation::Relu);
    assert!(matches!(b, Err(EngineError::Shape(_))));
    let nan = Layer::new(
        DMatrix::from_element(1, 1, f64::NAN),
        DVector::zeros(1),
        Activation::Relu,
    );
    assert!(matches!(nan, Err(EngineError::NonFinite(_))));
    let inf = Layer::new(
        DMatrix::zeros(1, 1),
        DVector::from_element(1, f64::INFINITY),
        Activation::Relu,
    );
    assert!(matches!(inf, Err(EngineError::NonFinite(_))));
    let a = Layer::new(DMatrix::zeros(2, 3), DVector::zeros(2), Activation::Relu).unwrap();
    let c = Layer::new(DMatrix::zeros(1, 3), DVector::zeros(1), Activation::Relu).unwrap();
    assert!(matches!(Mlp::new(vec![a, c]), Err(EngineError::Shape(_))));
    let mut rng = seeded(1);
    assert_eq!(
        Mlp::gaussian(
            &[3],
            Activation::Relu,
            Activation::Identity,
            2.0,
            0.0,
            &mut rng
        ),
        Err(EngineError::NoLayers)
    );
    assert!(matches!(
        Mlp::gaussian(
            &[3, 0, 1],
            Activation::Relu,
            Activation::Identity,
            2.0,
            0.0,
            &mut rng
        ),
        Err(EngineError::Empty(_))
    ));
    for bad in [f64::NAN, -1.0, f64::INFINITY] {
        assert!(matches!(
            Mlp::gaussian(
                &[3, 1],
                Activation::Relu,
                Activation::Identity,
                bad,
                0.0,
                &mut rng
            ),
            Err(EngineError::Argument(_))
        ));
        assert!(matches!(
            Mlp::gaussian(
                &[3, 1],
                Activation::Relu,
                Activation::Identity,
                1.0,
                bad,
                &mut rng
            ),
            Err(EngineError::Argument(_))
        ));
    }
}

#[test]
fn bad_batches_and_targets_are_errors() {
    let net = tiny();
    let ok_x = DMatrix::from_element(2, 3, 0.5);
    let ok_y = DMatrix::from_element(1, 3, 0.0);
    assert!(matches!(
        net.forward(&DMatrix::zeros(3, 1)),
        Err(EngineError::Shape(_))
    ));
    assert!(matches!(
        net.forward(&DMatrix::zeros(2, 0)),
        Err(EngineError::Empty(_))
    ));
    let mut nan_x = ok_x.clone();
    nan_x[(1, 2)] = f64::NAN;
    assert!(matches!(
        net.forward(&nan_x),
        Err(EngineError::NonFinite(_))
    ));
    let mut inf_x = ok_x.clone();
    inf_x[(0, 0)] = f64::NEG_INFINITY;
    assert!(matches!(
        net.loss(&inf_x, &ok_y, Loss::Mse),
        Err(EngineError::NonFinite(_))
    ));
    assert!(matches!(
        net.loss(&ok_x, &DMatrix::zeros(1, 2), Loss::Mse),
        Err(EngineError::Shape(_))
    ));
    let mut nan_y = ok_y.clone();
    nan_y[(0, 1)] = f64::NAN;
    assert!(matches!(
        net.loss(&ok_x, &nan_y, Loss::Mse),
        Err(EngineError::NonFinite(_))
    ));
    // Cross-entropy needs probability columns.
    assert!(matches!(
        net.loss(&ok_x, &ok_y, Loss::SoftmaxCrossEntropy),
        Err(EngineError::Target(_))
    ));
    assert!(
        net.loss(
            &ok_x,
            &DMatrix::from_element(1, 3, 1.0),
            Loss::SoftmaxCrossEntropy
        )
        .is_ok()
    );
    // Workspaces must match the network and the batch.
    assert!(matches!(
        Workspace::new(&net, 0),
        Err(EngineError::Empty(_))
    ));
    let mut ws = Workspace::new(&net, 2).unwrap();
    assert!(matches!(
        net.loss_and_gradient(&ok_x, &ok_y, Loss::Mse, &mut ws),
        Err(EngineError::Shape(_))
    ));
    let other = Mlp::gaussian(
        &[2, 4, 1],
        Activation::Tanh,
        Activation::Identity,
        1.0,
        0.0,
        &mut seeded(2),
    )
    .unwrap();
    let mut ws_other = Workspace::new(&other, 3).unwrap();
    assert!(matches!(
        net.loss_and_gradient(&ok_x, &ok_y, Loss::Mse, &mut ws_other),
        Err(EngineError::Shape(_))
    ));
    assert!(matches!(
        net.forward_ws(&ok_x, &mut ws_other),
        Err(EngineError::Shape(_))
    ));
}

#[test]
fn descend_and_parameters_reject_bad_values() {
    let mut net = tiny();
    let before = net.clone();
    let x = DMatrix::from_column_slice(2, 1, &[1.0, 2.0]);
    let y = DMatrix::from_element(1, 1, 0.0);
    let (_, g) = net.gradient(&x, &y, Loss::Mse).unwrap();
    for eta in [f64::NAN, -0.1, f64::INFINITY] {
        assert!(matches!(
            net.descend(&g, eta),
            Err(EngineError::Argument(_))
        ));
    }
    assert!(matches!(
        net.descend(&g, 1e308),
        Err(EngineError::NonFinite(_))
    ));
    let other = Mlp::gaussian(
        &[2, 3, 1],
        Activation::Tanh,
        Activation::Identity,
        1.0,
        0.0,
        &mut seeded(3),
    )
    .unwrap();
    assert!(matches!(
        net.descend(&Gradients::zeros(&other), 0.1),
        Err(EngineError::Shape(_))
    ));
    assert_eq!(net, before, "failed steps leave the network unchanged");
    let theta = net.parameters().to_vec();
    assert_eq!(theta.len(), net.parameter_count());
    assert!(matches!(
        net.set_parameters(&theta[1..]),
        Err(EngineError::Shape(_))
    ));
    let mut bad = theta.clone();
    bad[3] = f64::NAN;
    assert!(matches!(
        net.set_parameters(&bad),
        Err(EngineError::NonFinite(_))
    ));
    assert_eq!(net, before);
    net.set_parameters(&theta).unwrap();
    assert_eq!(net, before);
    net.descend(&g, 0.01).unwrap();
    let moved: Vec<f64> = theta
        .iter()
        .zip(g.flatten())
        .map(|(p, gi)| p - 0.01 * gi)
        .collect();
    assert_eq!(net.parameters(), &moved[..]);
}

#[test]
fn a_step_lowers_the_loss_for_a_small_step() {
    let mut rng = seeded(4);
    let mut net = Mlp::gaussian(
        &[3, 5, 2],
        Activation::Tanh,
        Activation::Identity,
        1.0,
        0.1,
        &mut rng,
    )
    .unwrap();
    let x = DMatrix::from_fn(3, 4, |i, j| (i as f64 - j as f64) * 0.3);
    let y = DMatrix::from_fn(2, 4, |i, j| ((i + j) % 2) as f64);
    let mut ws = Workspace::new(&net, 4).unwrap();
    let before = net.train_step(&x, &y, Loss::Mse, 0.05, &mut ws).unwrap();
    let after = net.loss(&x, &y, Loss::Mse).unwrap();
    assert!(after < before, "{after} >= {before}");
}

#[test]
fn batch_gradient_is_the_mean_of_example_gradients() {
    let mut rng = seeded(5);
    let net = Mlp::gaussian(
        &[3, 4, 3],
        Activation::Sigmoid,
        Activation::Identity,
        1.0,
        0.5,
        &mut rng,
    )
    .unwrap();
    let x = DMatrix::from_fn(3, 5, |i, j| ((i * 7 + j * 3) % 5) as f64 / 5.0 - 0.4);
    let y = DMatrix::from_fn(3, 5, |i, j| if i == j % 3 { 1.0 } else { 0.0 });
    let (loss, g) = net.gradient(&x, &y, Loss::SoftmaxCrossEntropy).unwrap();
    let mut mean_loss = 0.0;
    let mut mean = vec![0.0; g.flatten().len()];
    for j in 0..5 {
        let (l, gj) = net
            .gradient(
                &x.columns(j, 1).into_owned(),
                &y.columns(j, 1).into_owned(),
                Loss::SoftmaxCrossEntropy,
            )
            .unwrap();
        mean_loss += l / 5.0;
        mean.iter_mut()
            .zip(gj.flatten())
            .for_each(|(m, v)| *m += v / 5.0);
    }
    assert_relative_eq!(loss, mean_loss, epsilon = 1e-14);
    for (a, b) in g.flatten().iter().zip(&mean) {
        assert_relative_eq!(*a, *b, epsilon = 1e-14);
    }
}

#[test]
fn input_gradient_only_when_asked() {
    let net = tiny();
    let x = DMatrix::from_column_slice(2, 1, &[1.0, 2.0]);
    let y = DMatrix::from_element(1, 1, 0.0);
    let mut ws = Workspace::new(&net, 1).unwrap();
    net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap();
    assert!(ws.activation_gradient(0).is_none());
    let mut ws = Workspace::new(&net, 1).unwrap().with_input_gradient();
    net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap();
    // ∂ℓ/∂x_0 = W_1ᵀ δ_1 = [[1, 0.5], [-1, 2]] [0, 13] = [6.5, 26].
    assert_eq!(ws.activation_gradient(0).unwrap().as_slice(), &[6.5, 26.0]);
    assert!(ws.delta(0).is_none() && ws.delta(3).is_none() && ws.delta(2).is_some());
    assert!(ws.pre_activation(1).is_some() && ws.pre_activation(0).is_none());
}

#[test]
fn clipping_keeps_direction_and_caps_norm() {
    let net = tiny();
    let x = DMatrix::from_column_slice(2, 1, &[1.0, 2.0]);
    let y = DMatrix::from_element(1, 1, 0.0);
    let (_, mut g) = net.gradient(&x, &y, Loss::Mse).unwrap();
    let before = g.flatten();
    let norm = clip_by_norm(&mut g, 1.0).unwrap();
    assert_relative_eq!(
        norm,
        before.iter().map(|v| v * v).sum::<f64>().sqrt(),
        epsilon = 1e-12
    );
    assert_relative_eq!(g.norm(), 1.0, epsilon = 1e-15);
    for (a, b) in g.flatten().iter().zip(&before) {
        assert_relative_eq!(*a, b / norm, epsilon = 1e-15);
    }
    let small = g.clone();
    clip_by_norm(&mut g, 10.0).unwrap();
    assert_eq!(g, small, "a gradient under the threshold is untouched");
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            clip_by_norm(&mut g, bad),
            Err(EngineError::Argument(_))
        ));
    }
    g.as_mut_slice()[0] = f64::INFINITY;
    assert!(matches!(
        clip_by_norm(&mut g, 1.0),
        Err(EngineError::NonFinite(_))
    ));
}

#[test]
fn loss_value_and_gradient_checks_its_input() {
    let out = DMatrix::from_row_slice(2, 1, &[1.0, 3.0]);
    let y = DMatrix::from_row_slice(2, 1, &[0.0, 1.0]);
    let (v, g) = Loss::SoftmaxCrossEntropy
        .value_and_gradient(&out, &y)
        .unwrap();
    assert_relative_eq!(v, (1.0f64.exp() + 3.0f64.exp()).ln() - 3.0, epsilon = 1e-15);
    assert_relative_eq!(g.sum(), 0.0, epsilon = 1e-15);
    let (v, g) = Loss::Mse.value_and_gradient(&out, &y).unwrap();
    assert_eq!((v, g.as_slice()), (2.5, &[1.0, 2.0][..]));
    assert!(matches!(
        Loss::Mse.value_and_gradient(&DMatrix::zeros(0, 0), &DMatrix::zeros(0, 0)),
        Err(EngineError::Empty(_))
    ));
    let mut bad = out.clone();
    bad[0] = f64::INFINITY;
    assert!(matches!(
        Loss::Linear.value_and_gradient(&bad, &y),
        Err(EngineError::NonFinite(_))
    ));
    assert!(matches!(
        Loss::Linear.value_and_gradient(&out, &DMatrix::zeros(1, 1)),
        Err(EngineError::Shape(_))
    ));
}

#[test]
fn products_match_for_every_size() {
    let mut rng = seeded(8);
    let shapes = [
        (1, 1, 1),
        (1, 64, 32),
        (64, 1, 32),
        (3, 7, 2),
        (7, 3, 9),
        (6, 6, 6),
        (5, 9, 9),
        (9, 9, 5),
        (12, 40, 33),
        (64, 64, 32),
    ];
    for (m, k, n) in shapes {
        let a = DMatrix::from_fn(m, k, |_, _| normal(&mut rng));
        let b = DMatrix::from_fn(k, n, |_, _| normal(&mut rng));
        let (at, bt) = (a.transpose(), b.transpose());
        let reference = &a * &b;
        let mut out = DMatrix::from_element(m, n, f64::NAN);
        mul_into(&mut out, a.as_slice(), m, &b);
        assert!((&out - &reference).amax() < 1e-12, "a b, {m}×{k}×{n}");
        out.fill(f64::NAN);
        mul_tr_left_into(&mut out, at.as_slice(), k, &b);
        assert!((&out - &reference).amax() < 1e-12, "aᵀ b, {m}×{k}×{n}");
        out.fill(f64::NAN);
        mul_tr_right_into(out.as_mut_slice(), &a, &bt);
        assert!((&out - &reference).amax() < 1e-12, "a bᵀ, {m}×{k}×{n}");
    }
}

#[test]
fn multiply_add_counts() {
    let net = Mlp::gaussian(
        &[784, 256, 256, 10],
        Activation::Relu,
        Activation::Identity,
        2.0,
        0.0,
        &mut seeded(6),
    )
    .unwrap();
    assert_eq!(
        net.parameter_count(),
        784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10
    );
    assert_eq!(
        net.forward_multiply_adds(1),
        784 * 256 + 256 * 256 + 256 * 10
    );
    assert_eq!(
        net.backward_multiply_adds(2),
        2 * (2 * (784 * 256 + 256 * 256 + 256 * 10) - 784 * 256)
    );
}

#[test]
fn train_step_equals_gradient_then_descend_and_fails_cleanly() {
    let mut rng = seeded(7);
    let net = Mlp::gaussian(
        &[3, 9, 7, 2],
        Activation::Relu,
        Activation::Identity,
        2.0,
        0.1,
        &mut rng,
    )
    .unwrap();
    let x = DMatrix::from_fn(3, 5, |_, _| normal(&mut rng));
    let y = DMatrix::from_fn(2, 5, |_, _| normal(&mut rng));
    let (mut stepped, mut reference) = (net.clone(), net.clone());
    let mut ws = Workspace::new(&net, 5).unwrap();
    for _ in 0..3 {
        let loss = stepped
            .train_step(&x, &y, Loss::Mse, 0.05, &mut ws)
            .unwrap();
        let (expected, g) = reference.gradient(&x, &y, Loss::Mse).unwrap();
        reference.descend(&g, 0.05).unwrap();
        assert_eq!(loss, expected);
        assert_eq!(stepped, reference, "bit-identical parameters");
    }
    // A step that overflows, or a bad step size, is refused and changes nothing.
    // (Targets far from the output make the output bias's gradient about
    // −1000, so a step of 1e306 overflows.)
    let before = stepped.clone();
    assert!(matches!(
        stepped.train_step(&x, &y.add_scalar(1e3), Loss::Mse, 1e306, &mut ws),
        Err(EngineError::NonFinite(_))
    ));
    for eta in [f64::NAN, -1.0, f64::INFINITY] {
        assert!(matches!(
            stepped.train_step(&x, &y, Loss::Mse, eta, &mut ws),
            Err(EngineError::Argument(_))
        ));
    }
    assert_eq!(stepped, before);
}

#[test]
fn finiteness_checks_find_every_bad_value() {
    for n in [0, 1, 7, 8, 9, 17, 64] {
        let a: Vec<f64> = (0..n).map(|i| i as f64 - 3.0).collect();
        let b = vec![1.0; n];
        assert!(all_finite_after(&a, &a, 0.0));
        assert!(all_finite_after(&a, &b, 0.5));
        let mut out = vec![0.0; n];
        assert!(step_into(&mut out, &a, &b, 0.5));
        assert!(out.iter().zip(&a).all(|(o, a)| *o == a - 0.5));
        for i in 0..n {
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let mut c = a.clone();
                c[i] = bad;
                assert!(!all_finite_after(&c, &c, 0.0), "n {n}, i {i}, {bad}");
                assert!(!step_into(&mut out, &c, &b, 0.5), "n {n}, i {i}, {bad}");
            }
            let mut huge = a.clone();
            huge[i] = f64::MAX;
            assert!(
                !all_finite_after(&huge, &b, -f64::MAX),
                "overflow, n {n}, i {i}"
            );
        }
    }
    assert!(finite("x", &[1.0, f64::NAN]).is_err() && finite("x", &[]).is_ok());
}

// ---------------------------------------------------------------------------
// The fast engine gives the lesson's numbers.

/// A random problem (depth 1 to 4, widths 1 to 12 and batches of 1 to 8,
/// so that both the plain loops and the `matrixmultiply` kernels of the
/// fast products are used; all activations and losses).
fn random_case(seed: u64) -> (Mlp, DMatrix<f64>, DMatrix<f64>, Loss) {
    let p = crate::gradcheck::random_problem_with(&mut seeded(seed), 4, 12, 8);
    (p.net, p.x, p.y, p.loss)
}

/// Both NaN, or equal within `tol` relative to `scale`.
fn agree(a: f64, b: f64, tol: f64, scale: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * scale
}

// The two engines do the same arithmetic except the order in which the
// matrix products sum their terms (plain loops against nalgebra's and
// matrixmultiply's kernels). Each entry of a product of length k ≤ 12 then
// differs by at most about k ε Σ|terms| ≈ 3e-15 Σ|terms|; through four
// layers of moderate gains that stays far below 1e-12 of the largest
// entry, the tolerance used here (a hundredfold margin for cancellation).
const ENGINES_TOL: f64 = 1e-12;

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn fast_engine_gives_the_lessons_numbers(seed in any::<u64>()) {
        let (net, x, y, loss) = random_case(seed);
        let (lesson_loss, lesson) = net.gradient(&x, &y, loss).unwrap();
        let lesson_out = net.forward(&x).unwrap();
        let mut ws = Workspace::new(&net, x.ncols()).unwrap();
        // Twice through the same workspace: reused buffers must not leak.
        for _ in 0..2 {
            let fast_loss = net.loss_and_gradient(&x, &y, loss, &mut ws).unwrap();
            prop_assert!(agree(fast_loss, lesson_loss, ENGINES_TOL, 1.0 + lesson_loss.abs()), "{fast_loss} vs {lesson_loss}");
            let scale = lesson_out.amax().max(1e-300);
            for (a, b) in ws.output().iter().zip(lesson_out.iter()) {
                prop_assert!(agree(*a, *b, ENGINES_TOL, scale), "output {a} vs {b}");
            }
            let scale = lesson.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
            for (a, b) in ws.gradients().as_slice().iter().zip(lesson.as_slice()) {
                prop_assert!(agree(*a, *b, ENGINES_TOL, scale), "gradient {a} vs {b}");
            }
        }
    }

    /// Bad input gets the same error from both engines.
    #[test]
    fn both_engines_refuse_the_same_input(seed in any::<u64>(), which in 0..6usize, bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)]) {
        let (net, mut x, mut y, loss) = random_case(seed);
        match which {
            0 => x[0] = bad,
            1 => y[0] = bad,
            2 => x = DMatrix::zeros(x.nrows() + 1, x.ncols()),
            3 => y = DMatrix::zeros(y.nrows(), y.ncols() + 1),
            4 => x = DMatrix::zeros(x.nrows(), 0),
            _ => y[0] = 0.5, // not a probability column or a ±1 label (except for MSE and Linear)
        }
        let lesson = net.gradient(&x, &y, loss).map(|(v, _)| v);
        let fast = Workspace::new(&net, x.ncols())
            .and_then(|mut ws| net.loss_and_gradient(&x, &y, loss, &mut ws));
        match (&lesson, &fast) {
            (Err(a), Err(b)) => prop_assert_eq!(std::mem::discriminant(a), std::mem::discriminant(b)),
            (Ok(a), Ok(b)) => prop_assert!(agree(*a, *b, ENGINES_TOL, 1.0 + a.abs())),
            _ => prop_assert!(false, "lesson {lesson:?}, fast {fast:?}"),
        }
    }

    /// Every dense layer passes the block check that later chapters run on
    /// their own blocks.
    #[test]
    fn dense_layers_pass_the_block_check(seed in any::<u64>()) {
        let (net, x, _, _) = random_case(seed);
        let block = net.blocks()[0];
        // Keep central differences away from ReLU's kink.
        let h = block.forward(net.block_parameters(0), &x).saved[0].clone();
        prop_assume!(block.activation != Activation::Relu || h.iter().all(|t| t.abs() > 1e-3));
        let u = DMatrix::from_fn(block.n_out, x.ncols(), |i, j| ((i + 2 * j) % 5) as f64 - 2.0);
        let c = check_block(&block, net.block_parameters(0), &x, &u).unwrap();
        prop_assert!(c.forward <= ENGINES_TOL && c.input_gradient <= ENGINES_TOL && c.parameter_gradient <= ENGINES_TOL, "{c:?}");
        // Central differences: error of order ε^{2/3} ≈ 4e-11 (chapter 3);
        // 1e-6 leaves room for curvature and is far below any real bug.
        prop_assert!(c.finite_differences < 1e-6, "{c:?}");
    }
}

#[test]
fn nan_propagates_the_same_way_in_both_engines() {
    // 1e300 · 1e10 overflows to +inf in both hidden units; the readout's
    // weights (1, −1) then give inf − inf = NaN, and NaN flows backward.
    for hidden in [Activation::Identity, Activation::Relu, Activation::Tanh] {
        let net = Mlp::new(vec![
            Layer::new(
                DMatrix::from_element(2, 1, 1e300),
                DVector::zeros(2),
                hidden,
            )
            .unwrap(),
            Layer::new(
                DMatrix::from_row_slice(1, 2, &[1.0, -1.0]),
                DVector::zeros(1),
                Activation::Relu,
            )
            .unwrap(),
        ])
        .unwrap();
        let x = DMatrix::from_element(1, 1, 1e10);
        let y = DMatrix::zeros(1, 1);
        let (lesson_loss, lesson) = net.gradient(&x, &y, Loss::Mse).unwrap();
        let mut ws = Workspace::new(&net, 1).unwrap();
        let fast_loss = net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap();
        if hidden == Activation::Tanh {
            // tanh saturates at 1: no overflow, everything finite.
            assert!(lesson_loss.is_finite());
        } else {
            assert!(lesson_loss.is_nan() && fast_loss.is_nan(), "{hidden:?}");
        }
        for (a, b) in ws.gradients().as_slice().iter().zip(lesson.as_slice()) {
            assert!(agree(*a, *b, 0.0, 0.0), "{hidden:?}: fast {a}, lesson {b}");
        }
    }
    // The rule behind it: δ = φ'(h) g in IEEE arithmetic, in both engines.
    let (mut x, mut d) = ([0.0; 4], [0.0; 4]);
    let h = [f64::NAN, -1.0, 0.0, 2.0];
    let g = [1.0, f64::INFINITY, -3.0, f64::NAN];
    Activation::Relu.apply_all(&h, &mut x);
    Activation::Relu.backward_all(&h, &x, &g, &mut d);
    for i in 0..4 {
        let lesson = Activation::Relu.derivative(h[i]) * g[i];
        // The same value; the same bits unless NaN (a NaN's payload is the
        // processor's choice).
        assert!(agree(d[i], lesson, 0.0, 0.0), "{i}");
        assert!(lesson.is_nan() || d[i].to_bits() == lesson.to_bits(), "{i}");
    }
}

// ---------------------------------------------------------------------------
// Losses.

#[test]
fn logistic_loss_is_chapter_2s_binary_cross_entropy() {
    use ch02_softmax::exercises::binary_cross_entropy_with_logit;
    let z = DMatrix::from_row_slice(1, 4, &[-30.0, -0.7, 0.2, 800.0]);
    let y = DMatrix::from_row_slice(1, 4, &[1.0, -1.0, 1.0, -1.0]);
    let (v, g) = Loss::Logistic.value_and_gradient(&z, &y).unwrap();
    let expected: f64 = (0..4)
        .map(|j| binary_cross_entropy_with_logit(z[j], (y[j] + 1.0) / 2.0).unwrap())
        .sum::<f64>()
        / 4.0;
    assert_relative_eq!(v, expected, max_relative = 1e-15);
    assert!(v.is_finite(), "no overflow at z = 800");
    let fd = ch02_softmax::central_difference_gradient(
        |z| {
            Loss::Logistic
                .value_and_gradient(&DMatrix::from_row_slice(1, 4, z), &y)
                .unwrap()
                .0
        },
        z.as_slice(),
        1e-6,
    )
    .unwrap();
    for (a, b) in g.iter().zip(&fd) {
        assert!((a - b).abs() < 1e-8, "{a} vs {b}");
    }
    assert!(matches!(
        Loss::Logistic.value_and_gradient(&z, &DMatrix::from_element(1, 4, 0.0)),
        Err(EngineError::Target(_))
    ));
}

// ---------------------------------------------------------------------------
// The optimizer and the training loop.

fn small_problem() -> (Mlp, DMatrix<f64>, DMatrix<f64>) {
    let mut rng = seeded(12);
    let net = Mlp::gaussian(
        &[2, 6, 1],
        Activation::Tanh,
        Activation::Identity,
        1.0,
        0.2,
        &mut rng,
    )
    .unwrap();
    let x = DMatrix::from_fn(2, 5, |_, _| normal(&mut rng));
    let y = DMatrix::from_fn(1, 5, |_, _| normal(&mut rng));
    (net, x, y)
}

#[test]
fn momentum_and_weight_decay_follow_their_formulas() {
    let (net, x, y) = small_problem();
    let (eta, mu, lambda) = (0.1, 0.9, 0.01);
    let opt = Optimizer::gd(eta)
        .unwrap()
        .with_momentum(mu)
        .unwrap()
        .with_weight_decay(lambda)
        .unwrap();
    let mut trained = net.clone();
    let mut ws = Workspace::new(&net, 5).unwrap();
    // By hand: v ← μ v + (g + λ θ), θ ← θ − η v, from v = 0.
    let mut theta = net.parameters().to_vec();
    let mut v = vec![0.0; theta.len()];
    let mut reference = net.clone();
    for _ in 0..3 {
        trained.step(&x, &y, Loss::Mse, &opt, &mut ws).unwrap();
        let (_, g) = reference.gradient(&x, &y, Loss::Mse).unwrap();
        for i in 0..theta.len() {
            v[i] = mu * v[i] + (g.as_slice()[i] + lambda * theta[i]);
            theta[i] -= eta * v[i];
        }
        reference.set_parameters(&theta).unwrap();
        for (a, b) in trained.parameters().iter().zip(&theta) {
            assert!((a - b).abs() <= 1e-13 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }
    for bad in [-0.1, 1.0, f64::NAN] {
        assert!(matches!(
            Optimizer::gd(0.1).unwrap().with_momentum(bad),
            Err(EngineError::Argument(_))
        ));
    }
    for bad in [-0.1, f64::INFINITY, f64::NAN] {
        assert!(matches!(
            Optimizer::gd(0.1).unwrap().with_weight_decay(bad),
            Err(EngineError::Argument(_))
        ));
    }
    for bad in [0.0, -1.0, f64::NAN] {
        assert!(matches!(
            Optimizer::gd(0.1).unwrap().with_clip(bad),
            Err(EngineError::Argument(_))
        ));
        assert!(matches!(
            Optimizer::gd(bad.min(-1.0)),
            Err(EngineError::Argument(_))
        ));
    }
}

#[test]
fn a_refused_update_changes_neither_parameters_nor_velocity() {
    let (net, x, y) = small_problem();
    let opt = Optimizer::gd(0.05).unwrap().with_momentum(0.5).unwrap();
    let mut trainer = Trainer::new(net, Loss::Mse, opt);
    trainer.step(&x, &y, |_| {}).unwrap();
    let before = trainer.network().clone();
    // Targets far away and a huge step: the update overflows and is refused.
    let far = y.add_scalar(1e200);
    let mut huge = Trainer::new(
        before.clone(),
        Loss::Mse,
        Optimizer::gd(1e300).unwrap().with_momentum(0.5).unwrap(),
    );
    assert!(matches!(
        huge.step(&x, &far, |_| {}),
        Err(EngineError::NonFinite(_))
    ));
    assert_eq!(huge.network(), &before);
    assert_eq!(huge.steps(), 0);
    // The first trainer's next step is unaffected by the other's failure, and
    // equals a step taken by hand with the velocity it kept.
    let mut again = trainer;
    again.step(&x, &y, |_| {}).unwrap();
    assert_eq!(again.steps(), 2);
}

#[test]
fn the_training_loop_is_the_step_repeated() {
    let (net, x, y) = small_problem();
    let opt = Optimizer::gd(0.05).unwrap();
    // run(…) against step(…) one at a time against Network::train_step.
    let mut seen = Vec::new();
    let mut by_run = Trainer::new(net.clone(), Loss::Mse, opt);
    let run = by_run
        .run(&x, &y, 20, |p| {
            // The observer sees this step's gradient, before the update.
            let (_, g) = p.network.gradient(&x, &y, Loss::Mse).unwrap();
            let err =
                crate::gradcheck::relative_error(p.workspace.gradients().as_slice(), g.as_slice());
            assert!(err < ENGINES_TOL, "{err}");
            seen.push(p.step);
        })
        .unwrap();
    assert_eq!(seen, (0..20).collect::<Vec<_>>());
    assert_eq!((run.losses.len(), run.failed_at), (21, None));
    let mut by_step = Trainer::new(net.clone(), Loss::Mse, opt);
    let mut by_hand = net.clone();
    let mut ws = Workspace::new(&net, 5).unwrap();
    for t in 0..20 {
        assert_eq!(by_step.step(&x, &y, |_| {}).unwrap(), run.losses[t]);
        assert_eq!(
            by_hand
                .train_step(&x, &y, Loss::Mse, 0.05, &mut ws)
                .unwrap(),
            run.losses[t]
        );
    }
    assert_eq!(by_step.network(), by_run.network());
    assert_eq!(&by_hand, by_run.network());
    assert_eq!(by_run.loss(&x, &y).unwrap(), run.final_loss());
    assert!(run.final_loss() < run.losses[0]);
    // A new batch size gets a new workspace; an empty batch is an error.
    assert!(
        by_run
            .step(
                &x.columns(0, 2).into_owned(),
                &y.columns(0, 2).into_owned(),
                |_| {}
            )
            .is_ok()
    );
    assert_eq!(by_run.workspace().map(Workspace::batch), Some(2));
    assert!(matches!(
        by_run.step(&DMatrix::zeros(2, 0), &DMatrix::zeros(1, 0), |_| {}),
        Err(EngineError::Empty(_))
    ));
}

#[test]
fn a_diverging_run_records_where_it_stopped() {
    let (net, x, y) = small_problem();
    let far = y.add_scalar(1e100);
    let mut trainer = Trainer::new(net, Loss::Mse, Optimizer::gd(1e250).unwrap());
    let run = trainer.run(&x, &far, 50, |_| {}).unwrap();
    let t = run.failed_at.expect("the update overflows");
    assert_eq!(run.losses.len(), t + 1);
    assert_eq!(trainer.steps(), t);
    assert!(trainer.network().parameters().iter().all(|p| p.is_finite()));
}

#[test]
fn clipping_in_the_optimizer_is_clip_by_norm() {
    let (net, x, y) = small_problem();
    let (_, mut g) = net.gradient(&x, &y, Loss::Mse).unwrap();
    let c = 0.5 * g.norm();
    clip_by_norm(&mut g, c).unwrap();
    let mut by_hand = net.clone();
    by_hand.descend(&g, 0.1).unwrap();
    let mut clipped = net.clone();
    let mut ws = Workspace::new(&net, 5).unwrap();
    clipped
        .step(
            &x,
            &y,
            Loss::Mse,
            &Optimizer::gd(0.1).unwrap().with_clip(c).unwrap(),
            &mut ws,
        )
        .unwrap();
    for (a, b) in clipped.parameters().iter().zip(by_hand.parameters()) {
        assert!((a - b).abs() <= 1e-14 * (1.0 + b.abs()), "{a} vs {b}");
    }
}
