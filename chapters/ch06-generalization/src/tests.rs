//! The crate's tests: the fast forms against the lessons, and every refusal.

use crate::*;
use nalgebra::{DMatrix, DVector};

fn random_data(n: usize, p: usize, seed: u64) -> Data {
    let mut rng = book_support::seeded(seed);
    let x = DMatrix::from_fn(n, p, |_, _| normal(&mut rng));
    let y = DVector::from_fn(n, |_, _| normal(&mut rng));
    Data::new(x, y).unwrap()
}

fn close(a: &DVector<f64>, b: &DVector<f64>, tol: f64) -> bool {
    (a - b).norm() <= tol * b.norm().max(1e-300)
}

#[test]
fn the_spectral_path_equals_the_cholesky_lesson() {
    for (n, p) in [(30, 5), (12, 12), (8, 20)] {
        let data = random_data(n, p, (n * p) as u64);
        let s = Spectrum::new(&data).unwrap();
        let sv = s.singular_values();
        let smallest = if p > n { 0.0 } else { sv.min().powi(2) };
        for lambda in [1e-6, 0.1, 1.0, 37.0] {
            let fit = ridge(&data, lambda).unwrap();
            // The Cholesky solve loses about ε κ relatively, with κ the
            // condition number of XᵀX + λI (about 10⁸ at λ = 1e-6 with p > n);
            // the SVD form does not square the condition number.
            let kappa = (sv.max().powi(2) + lambda) / (smallest + lambda);
            let tol = (1e3 * f64::EPSILON * kappa).max(1e-10);
            assert!(
                close(&s.weights(lambda).unwrap(), &fit.w, tol),
                "w, {n}×{p}, λ = {lambda}"
            );
            // dw = −(XᵀX + λI)⁻¹ w is a second solve: rounding left in w
            // along the null space of X is multiplied by 1/λ, so the lesson
            // loses up to ε κ² (a 1% error at λ = 1e-6 with p > n, where
            // the SVD form stays exact); compare where that is small.
            let tol_dw = 1e3 * f64::EPSILON * kappa * kappa;
            if tol_dw < 1e-4 {
                let dw = s.weights_derivative(lambda).unwrap();
                assert!(
                    close(&dw, &fit.dw, tol_dw.max(1e-10)),
                    "dw, {n}×{p}, λ = {lambda}"
                );
            }
            let train = data.mse(&fit.w).unwrap();
            // Relative to ‖y‖²/n: with p ≥ n and a small λ the error is
            // itself near zero, and both forms carry rounding of that size.
            let scale = train + data.y.norm_squared() / n as f64;
            assert!((s.train_error(lambda).unwrap() - train).abs() <= 1e-9 * scale);
            let df = effective_df(&data.x, lambda).unwrap();
            assert!((s.effective_df(lambda).unwrap() - df).abs() <= 1e-9 * df);
        }
    }
}

#[test]
fn the_validation_path_equals_refits() {
    let (train, val) = (random_data(25, 10, 1), random_data(40, 10, 2));
    let path = ValidationPath::new(&train, &val).unwrap();
    for lambda in [1e-4, 0.3, 20.0] {
        let fit = ridge(&train, lambda).unwrap();
        let (e, g) = path.error_and_gradient(lambda).unwrap();
        assert!((e - val.mse(&fit.w).unwrap()).abs() <= 1e-10 * e);
        let lesson = validation_gradient(&val, &fit).unwrap();
        assert!((g - lesson).abs() <= 1e-9 * lesson.abs());
    }
    let other = random_data(40, 9, 3);
    assert!(matches!(
        ValidationPath::new(&train, &other),
        Err(Error::Shape(_))
    ));
}

#[test]
fn minimum_norm_solutions_agree_with_the_pseudo_inverse_and_the_spectral_limit() {
    for (n, p) in [(20, 6), (6, 20)] {
        let data = random_data(n, p, 9);
        let w = min_norm(&data).unwrap();
        let pinv = data.x.clone().pseudo_inverse(1e-12).unwrap() * &data.y;
        assert!(close(&w, &pinv, 1e-9), "{n}×{p}");
        let spectral = Spectrum::new(&data).unwrap().weights(0.0).unwrap();
        assert!(close(&spectral, &pinv, 1e-9));
        // Ridge tends to it as λ → 0⁺, with a bias of order λ / s_min²
        // (here below 1e-5) and rounding of order ε s_max² / λ.
        let small = ridge(&data, 1e-6).unwrap().w;
        assert!(close(&small, &pinv, 1e-4));
    }
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let data = random_data(6, 3, 4);
    for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(ridge(&data, bad), Err(Error::Lambda(_))), "{bad}");
        assert!(matches!(
            Spectrum::new(&data).unwrap().weights(bad),
            Err(Error::Lambda(_))
        ));
        assert!(matches!(effective_df(&data.x, bad), Err(Error::Lambda(_))));
    }
    // More features than examples: XᵀX is singular at λ = 0, so ridge
    // refuses, and says where to go instead.
    let wide = random_data(4, 9, 5);
    let e = ridge(&wide, 0.0).unwrap_err();
    assert_eq!(e, Error::Singular { lambda: 0.0 });
    assert!(e.to_string().contains("min_norm"));
    assert!(ridge(&wide, 1e-3).is_ok());
    // Collinear columns: singular even with p ≤ n.
    let mut x = DMatrix::from_fn(10, 3, |i, j| (i * (j + 1)) as f64);
    x.set_column(2, &(x.column(0) * 2.0));
    let collinear = Data::new(x, DVector::from_element(10, 1.0)).unwrap();
    assert!(matches!(
        ridge(&collinear, 0.0),
        Err(Error::Singular { .. })
    ));
    assert!(matches!(min_norm(&collinear), Err(Error::Singular { .. })));
    // Shapes, emptiness, non-finite entries.
    let x = DMatrix::from_element(3, 2, 1.0);
    assert!(matches!(
        Data::new(x.clone(), DVector::zeros(4)),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        Data::new(DMatrix::zeros(0, 2), DVector::zeros(0)),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        Data::new(DMatrix::zeros(3, 0), DVector::zeros(3)),
        Err(Error::Empty(_))
    ));
    let mut nan = x.clone();
    nan[(1, 1)] = f64::NAN;
    assert!(matches!(
        Data::new(nan, DVector::zeros(3)),
        Err(Error::NonFinite(_))
    ));
    assert!(matches!(
        Data::new(x, DVector::from_element(3, f64::INFINITY)),
        Err(Error::NonFinite(_))
    ));
    assert!(matches!(data.mse(&DVector::zeros(4)), Err(Error::Shape(_))));
    assert!(matches!(
        loo_residuals_by_refits(&random_data(1, 1, 1), 1.0),
        Err(Error::Empty(_))
    ));
}

#[test]
fn grids_and_descents_refuse_bad_arguments() {
    assert!(log_grid(0.0, 1.0, 5).is_err());
    assert!(log_grid(1.0, 1.0, 5).is_err());
    assert!(log_grid(1.0, f64::INFINITY, 5).is_err());
    assert!(log_grid(1e-3, 1.0, 1).is_err());
    let g = log_grid(1e-3, 1e3, 7).unwrap();
    assert!((g[3] - 1.0).abs() < 1e-12 && (log_spacing(&g) - 10f64.ln()).abs() < 1e-12);
    let path = ValidationPath::new(&random_data(20, 4, 1), &random_data(20, 4, 2)).unwrap();
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            descend(&path, bad, 10, 1e-9),
            Err(Error::Lambda(_))
        ));
    }
    assert!(matches!(path.grid_minimum(&[]), Err(Error::Empty(_))));
}

#[test]
fn legendre_polynomials_match_their_closed_forms() {
    for t in [-1.0, -0.3, 0.0, 0.55, 1.0] {
        let p = legendre(t, 4);
        let t2: f64 = t * t;
        assert_eq!(p.len(), 5);
        assert!((p[2] - (3.0 * t2 - 1.0) / 2.0).abs() < 1e-15);
        assert!((p[3] - (5.0 * t2 * t - 3.0 * t) / 2.0).abs() < 1e-15);
        assert!((p[4] - (35.0 * t2 * t2 - 30.0 * t2 + 3.0) / 8.0).abs() < 1e-14);
    }
    assert_eq!(legendre(0.3, 0), vec![1.0]);
}

#[test]
fn the_diabetes_task_refuses_impossible_splits() {
    let d = book_support::data::Diabetes::load().unwrap();
    for (train, val) in [(1, 10), (10, 0), (300, 142), (400, 100)] {
        assert!(
            DiabetesTask::new(&d, train, val, 1).is_err(),
            "{train}, {val}"
        );
    }
    let t = DiabetesTask::new(&d, 80, 181, 7).unwrap();
    assert_eq!((t.train.len(), t.val.len(), t.test.len()), (80, 181, 181));
    assert_eq!(t.train.features(), DiabetesTask::FEATURES);
    // Centred with the training means: the training columns sum to zero.
    let sums = t.train.x.row_sum();
    assert!(sums.iter().all(|s| s.abs() < 1e-9));
    assert!(t.train.y.sum().abs() < 1e-9);
}

#[test]
fn power_iteration_converges_to_the_largest_singular_value() {
    let mut rng = book_support::seeded(8);
    for (r, c) in [(5, 3), (3, 5), (32, 64), (1, 7)] {
        let w = DMatrix::from_fn(r, c, |_, _| normal(&mut rng));
        let (sigma, _) = spectral_norm(&w, 1e-13, 1_000_000).unwrap();
        let exact = spectral_norm_svd(&w).unwrap();
        assert!(
            (sigma - exact).abs() <= 1e-9 * exact,
            "{r}×{c}: {sigma} vs {exact}"
        );
        assert!(
            sigma <= exact * (1.0 + 1e-14),
            "power iteration approaches from below"
        );
    }
    assert_eq!(
        spectral_norm(&DMatrix::zeros(3, 3), 1e-12, 10).unwrap().0,
        0.0
    );
    assert!(matches!(
        spectral_norm(&DMatrix::zeros(0, 3), 1e-12, 10),
        Err(Error::Empty(_))
    ));
    let mut nan = DMatrix::zeros(2, 2);
    nan[(0, 1)] = f64::NAN;
    assert!(matches!(
        spectral_norm(&nan, 1e-12, 10),
        Err(Error::NonFinite(_))
    ));
    let w = DMatrix::from_fn(20, 20, |_, _| normal(&mut rng));
    assert!(matches!(
        spectral_norm(&w, 1e-15, 2),
        Err(Error::Argument(_))
    ));
}

#[test]
fn attacks_refuse_bad_strengths_labels_and_networks() {
    let mut rng = book_support::seeded(2);
    let net = Mlp::gaussian(
        &[4, 3, 1],
        Activation::Tanh,
        Activation::Identity,
        1.0,
        0.0,
        &mut rng,
    )
    .unwrap();
    let x = DMatrix::from_fn(4, 2, |_, _| normal(&mut rng));
    for eps in [-0.1, f64::NAN, f64::INFINITY] {
        assert!(fgsm(&net, &x, &[1.0, -1.0], eps).is_err());
    }
    assert!(matches!(fgsm(&net, &x, &[1.0], 0.1), Err(Error::Shape(_))));
    assert!(matches!(
        fgsm(&net, &x, &[1.0, 0.0], 0.1),
        Err(Error::Argument(_))
    ));
    assert_eq!(fgsm(&net, &x, &[1.0, -1.0], 0.0).unwrap(), x);
    let two = Mlp::gaussian(
        &[4, 2],
        Activation::Identity,
        Activation::Identity,
        1.0,
        0.0,
        &mut rng,
    )
    .unwrap();
    assert!(matches!(input_gradients(&two, &x), Err(Error::Shape(_))));
}

#[test]
fn input_gradients_match_central_differences() {
    let mut rng = book_support::seeded(3);
    let net = Mlp::gaussian(
        &[5, 6, 4, 1],
        Activation::Tanh,
        Activation::Identity,
        1.5,
        0.2,
        &mut rng,
    )
    .unwrap();
    let x = DMatrix::from_fn(5, 3, |_, _| normal(&mut rng));
    let g = input_gradients(&net, &x).unwrap();
    let h = 1e-6;
    for j in 0..3 {
        for i in 0..5 {
            let mut plus = x.columns(j, 1).into_owned();
            let mut minus = plus.clone();
            plus[i] += h;
            minus[i] -= h;
            let d = (net.forward(&plus).unwrap()[0] - net.forward(&minus).unwrap()[0]) / (2.0 * h);
            assert!((d - g[(i, j)]).abs() < 1e-8, "{d} vs {}", g[(i, j)]);
        }
    }
}

#[test]
fn the_expected_risk_is_refused_outside_its_domain_and_infinite_at_the_peak() {
    let m = WeakFeatures::BOOK;
    assert!(m.expected_risk(0).is_err() && m.expected_risk(201).is_err());
    for p in [39, 40, 41] {
        assert_eq!(m.expected_risk(p).unwrap(), f64::INFINITY);
    }
    assert!(m.expected_risk(38).unwrap().is_finite() && m.expected_risk(42).unwrap().is_finite());
    let mut rng = book_support::seeded(1);
    assert!(m.draw_risks(&[0], &mut rng).is_err());
}

#[test]
fn the_bound_of_a_steeper_network_is_beta_to_the_depth_times_the_bound() {
    // tanh(β·) layers with weights W are tanh layers with weights βW: the
    // same draws with σ_w² = β² give exactly scaled matrices.
    let depth = 6;
    for beta in [0.5, 1.3, 2.0] {
        let widths = [8, 8, 8, 8, 8, 8, 1];
        let net = |s2: f64| {
            let mut rng = book_support::seeded(17);
            Mlp::gaussian(
                &widths,
                Activation::Tanh,
                Activation::Tanh,
                s2,
                0.0,
                &mut rng,
            )
            .unwrap()
        };
        let (k1, kb) = (
            lipschitz_bound(&net(1.0)).unwrap(),
            lipschitz_bound(&net(beta * beta)).unwrap(),
        );
        let law = bound_per_layer(beta, k1.ln() / depth as f64) * depth as f64;
        assert!(
            (kb.ln() - law).abs() < 1e-12,
            "β = {beta}: {} vs {law}",
            kb.ln()
        );
    }
}

#[test]
fn certificates_and_accuracies_refuse_what_they_cannot_mean() {
    assert!(matches!(accuracy(&[]), Err(Error::Empty(_))));
    assert_eq!(accuracy(&[1.0, -1.0, 2.0, 0.0]).unwrap(), 0.5);
    for (k, eps) in [
        (-1.0, 0.1),
        (f64::NAN, 0.1),
        (1.0, -0.1),
        (1.0, f64::INFINITY),
        (0.0, 0.1),
    ] {
        assert!(
            certified_accuracy(&[1.0], k, 4, eps).is_err(),
            "K = {k}, ε = {eps}"
        );
    }
    // Margin 1, K = 1, d = 4: certified while ε √d = 2ε < 1.
    assert_eq!(certified_accuracy(&[1.0], 1.0, 4, 0.49).unwrap(), 1.0);
    assert_eq!(certified_accuracy(&[1.0], 1.0, 4, 0.51).unwrap(), 0.0);
    let data = random_data(6, 3, 4);
    assert!(log_central_difference(|l| data.mse(&ridge(&data, l)?.w), 1.0, 0.0).is_err());
    assert!(matches!(
        effective_df(&DMatrix::zeros(0, 0), 1.0),
        Err(Error::Empty(_))
    ));
    // Leverage one: with p = n at λ = 0 the fit interpolates every point.
    let square = random_data(4, 4, 6);
    assert!(matches!(
        loo_residuals(&square, 0.0),
        Err(Error::Argument(_))
    ));
}
