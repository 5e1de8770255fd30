use crate::*;

#[test]
fn gauss_hermite_is_symmetric_and_its_weights_sum_to_one() {
    let rule = Quadrature::gauss_hermite(9).unwrap();
    let (z, w) = (rule.nodes(), rule.weights());
    for k in 0..9 {
        assert!((z[k] + z[8 - k]).abs() < 1e-12);
        assert!((w[k] - w[8 - k]).abs() < 1e-14);
    }
    assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-14);
    // One node: the rule evaluates at the mean, like the one-node trapezoid.
    let one = Quadrature::trapezoid(1).unwrap();
    assert_eq!(one.expect(|z| z * z + 3.0), 3.0);
    assert_eq!(
        Quadrature::gauss_hermite(1).unwrap().expect(|z| z + 2.0),
        2.0
    );
}

#[test]
fn curvature_matches_differences_of_the_slope() {
    for a in [Activation::Tanh, Activation::Sigmoid] {
        for t in [-2.0, -0.3, 0.0, 0.7, 3.0] {
            let eps = 1e-5;
            let d = (a.derivative(t + eps) - a.derivative(t - eps)) / (2.0 * eps);
            assert!((curvature(a, t) - d).abs() < 1e-9, "{a:?} at {t}");
        }
    }
}

#[test]
fn closed_forms_agree_with_quadrature_where_both_apply() {
    // ReLU's arc-cosine kernel against a fine product rule.
    let rule = Quadrature::trapezoid(1601).unwrap();
    let relu = SignalMap::new(Activation::Relu, 2.0, 0.1).unwrap();
    for c in [-0.9, -0.2, 0.0, 0.5, 0.95] {
        let r = (1.0f64 - c * c).sqrt();
        let e = rule.expect2(|z1, z2| z1.max(0.0) * (c * z1 + r * z2).max(0.0));
        let direct = 2.0 * 1.5 * e + 0.1;
        // Across a kink the trapezoid rule's error falls only like h²
        // (about 1e-5 with 1601 nodes): 5e-5 is the rule's accuracy here,
        // not the closed form's.
        let gap = (relu.covariance(1.5, c) - direct).abs();
        assert!(gap < 5e-5, "c = {c}: {gap:e}");
    }
}

#[test]
fn fixed_lengths_refuse_what_has_none() {
    let tanh = SignalMap::new(Activation::Tanh, 2.0, 0.05).unwrap();
    assert!(tanh.fixed_length(-1.0).is_err());
    assert!(tanh.fixed_length(f64::NAN).is_err());
    let relu = SignalMap::new(Activation::Relu, 3.0, 0.0).unwrap();
    assert!(matches!(
        relu.fixed_length(1.0),
        Err(Error::NoFixedPoint(_))
    ));
    let relu = SignalMap::new(Activation::Relu, 1.0, 0.2).unwrap();
    assert!((relu.fixed_length(1.0).unwrap() - 0.4).abs() < 1e-15);
    // Tanh without biases: chaotic above σ_w² = 1, a positive q*.
    let q = SignalMap::new(Activation::Tanh, 1.5, 0.0)
        .unwrap()
        .fixed_length(1.0)
        .unwrap();
    assert!(q > 0.1);
    assert!(critical_weight_variance(Activation::Tanh, 0.05, (2.0, 3.0)).is_err());
}

#[test]
fn propagation_refuses_bad_shapes_and_starts() {
    let map = SignalMap::new(Activation::Tanh, 1.0, 0.0).unwrap();
    let mut rng = book_support::seeded(1);
    assert!(propagate(&map, (1, 3), (1.0, 0.5), &mut rng).is_err());
    assert!(propagate(&map, (8, 0), (1.0, 0.5), &mut rng).is_err());
    assert!(propagate(&map, (8, 3), (0.0, 0.5), &mut rng).is_err());
    assert!(propagate(&map, (8, 3), (1.0, 1.5), &mut rng).is_err());
    let t = propagate(&map, (16, 5), (2.0, 0.3), &mut rng).unwrap();
    assert_eq!((t.q.len(), t.c.len(), t.gain.len()), (5, 5, 4));
    // The starting pair is exact.
    assert!((t.q[0] - 2.0).abs() < 1e-12 && (t.c[0] - 0.3).abs() < 1e-12);
}

#[test]
fn an_orthogonal_linear_network_is_an_exact_isometry() {
    let linear = SignalMap::new(Activation::Identity, 1.0, 0.0).unwrap();
    let s = jacobian_spectra(
        &linear,
        Weights::Orthogonal,
        12,
        &[1, 5],
        &mut book_support::seeded(2),
    )
    .unwrap();
    for spectrum in s {
        assert!((spectrum.mean - 1.0).abs() < 1e-12);
        assert!(spectrum.spread.abs() < 1e-12);
    }
    assert_eq!(
        predicted_spread(&linear, Weights::Orthogonal, 7).unwrap(),
        0.0
    );
    assert!(
        jacobian_spectra(
            &linear,
            Weights::Gaussian,
            4,
            &[3, 2],
            &mut book_support::seeded(2)
        )
        .is_err()
    );
    assert!(
        jacobian_spectra(
            &linear,
            Weights::Gaussian,
            0,
            &[1],
            &mut book_support::seeded(2)
        )
        .is_err()
    );
}

#[test]
fn the_field_round_trips_its_parameters_and_checks_shapes() {
    let (field, x0, y) = experiments::ode_problem().unwrap();
    let theta = field.parameters();
    assert_eq!(field.with_parameters(&theta).unwrap(), field);
    assert!(field.with_parameters(&theta[1..]).is_err());
    assert!(solve(&field, &DVector::zeros(3), 1.0, 4, Method::Heun).is_err());
    assert!(solve(&field, &x0, 1.0, 0, Method::Heun).is_err());
    assert!(backprop(&field, &x0, 1.0, 4, &DVector::zeros(3)).is_err());
    let mut broken = field.clone();
    broken.a[(0, 0)] = f64::INFINITY;
    assert!(matches!(
        adjoint(&broken, &x0, 1.0, 4, &y),
        Err(Error::NonFinite(_))
    ));
}

#[test]
fn bias_for_critical_refuses_an_unreachable_target() {
    assert!(exercises::bias_for_critical(0.9).is_err());
}

#[test]
fn rank_correlation_handles_ties_and_order() {
    assert!((rank_correlation(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-15);
    assert!((rank_correlation(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-15);
    // Ties share their mean rank: ranks (1, 2.5, 2.5) against (1, 2, 3).
    let r = rank_correlation(&[1.0, 5.0, 5.0], &[1.0, 2.0, 3.0]);
    assert!((r - 0.75f64.sqrt()).abs() < 1e-12, "{r}");
    assert!(rank_correlation(&[1.0], &[1.0]).is_nan());
}
