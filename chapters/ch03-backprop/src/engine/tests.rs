//! Unit tests of the engine: the worked example, every activation, the
//! products, the counters and the refusal of every kind of bad input.

use super::*;
use approx::assert_relative_eq;
use book_support::seeded;

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
    assert_eq!(g.w[1].as_slice(), &[0.0, -22.75]);
    assert_eq!(g.b[1][0], -6.5);
    assert_eq!(
        g.w[0],
        DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 13.0, 26.0])
    );
    assert_eq!(g.b[0].as_slice(), &[0.0, 13.0]);
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
    let theta = net.parameters();
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
    assert_eq!(net.parameters(), moved);
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
    g.w[0][(0, 0)] = f64::INFINITY;
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
        mul_into(&mut out, &a, &b);
        assert!((&out - &reference).amax() < 1e-12, "a b, {m}×{k}×{n}");
        out.fill(f64::NAN);
        mul_tr_left_into(&mut out, &at, &b);
        assert!((&out - &reference).amax() < 1e-12, "aᵀ b, {m}×{k}×{n}");
        out.fill(f64::NAN);
        mul_tr_right_into(&mut out, &a, &bt);
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
