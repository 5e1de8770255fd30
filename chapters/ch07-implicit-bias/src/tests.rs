//! The crate's tests: refusals, and the solvers against each other.

use crate::*;

fn points(n: usize, gap: f64, seed: u64) -> Signed {
    let (x, labels) = separable(n, gap, seed);
    Signed::new(&x, &labels).unwrap()
}

#[test]
fn bad_points_are_refused() {
    let x = DMatrix::from_element(2, 3, 1.0);
    assert!(matches!(
        Signed::new(&DMatrix::zeros(2, 0), &[]),
        Err(Error::Empty(_))
    ));
    assert!(matches!(
        Signed::new(&x, &[1.0, -1.0]),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        Signed::new(&x, &[1.0, 0.5, -1.0]),
        Err(Error::Argument(_))
    ));
    let mut nan = x.clone();
    nan[(1, 2)] = f64::NAN;
    assert!(matches!(
        Signed::new(&nan, &[1.0, 1.0, 1.0]),
        Err(Error::NonFinite(_))
    ));
    let mut zero = x.clone();
    zero.set_column(1, &nalgebra::Vector2::zeros());
    let p = Signed::new(&zero, &[1.0, 1.0, 1.0]).unwrap();
    assert!(max_margin(&p, 1e-12, 100).is_err());
}

#[test]
fn the_dual_solver_agrees_with_enumeration_in_the_plane() {
    for seed in 1..8 {
        let p = points(25, 0.2, seed);
        let svm = max_margin(&p, 1e-13, 1_000_000).unwrap();
        let (u, m) = max_margin_2d_l2(&p).unwrap();
        assert!((m - svm.margin()).abs() < 1e-9 * m, "seed {seed}");
        assert!(
            angle(&DVector::from_vec(u.to_vec()), &svm.w) < 1e-6,
            "seed {seed}"
        );
        assert!(svm.angle_bound() < 1e-6);
        // Feasible with smallest margin one, and the support vectors sit there.
        let margins = p.margins(&svm.w);
        assert!((margins.min() - 1.0).abs() < 1e-12);
        assert!(
            svm.support_vectors(&p, 1e-6)
                .iter()
                .all(|&i| (margins[i] - 1.0).abs() <= 1e-6)
        );
    }
}

#[test]
fn the_l1_enumeration_beats_every_direction_on_a_fine_grid() {
    let (x, labels) = l1_points(20, 3);
    let p = Signed::new(&x, &labels).unwrap();
    let (_, best) = max_margin_2d_l1(&p).unwrap();
    let z: Vec<[f64; 2]> = p.z().column_iter().map(|c| [c[0], c[1]]).collect();
    for k in 0..40_000 {
        let a = 2.0 * std::f64::consts::PI * f64::from(k) / 40_000.0;
        let (c, s) = (a.cos(), a.sin());
        let l1 = c.abs() + s.abs();
        let m = z
            .iter()
            .map(|q| (q[0] * c + q[1] * s) / l1)
            .fold(f64::INFINITY, f64::min);
        assert!(m <= best + 1e-12, "direction {a}: {m} > {best}");
    }
}

#[test]
fn non_separable_data_are_refused_in_the_plane_and_beyond() {
    let (x, labels) = separable(20, 0.5, 4);
    let (x, labels) = with_flipped_label(&x, &labels, 0);
    let p = Signed::new(&x, &labels).unwrap();
    assert!(!separable_2d(&p).unwrap());
    assert!(matches!(
        max_margin(&p, 1e-12, 100),
        Err(Error::NotSeparable(_))
    ));
    assert!(matches!(max_margin_2d_l2(&p), Err(Error::NotSeparable(_))));
    assert!(matches!(max_margin_2d_l1(&p), Err(Error::NotSeparable(_))));
    // In three dimensions: a point and its negative cannot both be on one side.
    let x3 = DMatrix::from_column_slice(3, 2, &[1.0, 2.0, 3.0, -1.0, -2.0, -3.0]);
    let p3 = Signed::new(&x3, &[1.0, 1.0]).unwrap();
    match max_margin(&p3, 1e-12, 1000) {
        Err(Error::NoCertificate { margin_bound, .. }) => {
            assert!(margin_bound < 0.1, "{margin_bound}")
        }
        other => panic!("expected no certificate, got {other:?}"),
    }
    for tol in [0.0, -1.0, f64::NAN] {
        assert!(matches!(
            max_margin(&points(10, 0.5, 1), tol, 10),
            Err(Error::Argument(_))
        ));
    }
    assert!(matches!(separable_2d(&p3), Err(Error::Shape(_))));
}

#[test]
fn descent_refuses_bad_steps_shapes_and_checkpoints() {
    let p = points(20, 0.5, 4);
    let bound = 2.0 / smoothness(&p);
    let zero = DVector::zeros(2);
    assert!(matches!(
        descend(&p, Rule::Gradient, &zero, bound, &[10]),
        Err(Error::StepTooLarge { .. })
    ));
    assert!(descend(&p, Rule::Gradient, &zero, 0.99 * bound, &[10]).is_ok());
    // Coordinate steps obey the same bound; normalized steps of fixed
    // length have none to respect.
    assert!(matches!(
        descend(&p, Rule::SteepestL1, &zero, bound, &[10]),
        Err(Error::StepTooLarge { .. })
    ));
    assert!(descend(&p, Rule::Normalized, &zero, 10.0 * bound, &[10]).is_ok());
    for eta in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            descend(&p, Rule::Normalized, &zero, eta, &[1]),
            Err(Error::Argument(_))
        ));
    }
    assert!(matches!(
        descend(&p, Rule::Gradient, &DVector::zeros(3), 0.1, &[1]),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        descend(&p, Rule::Gradient, &zero, 0.1, &[5, 2]),
        Err(Error::Argument(_))
    ));
    let nan = DVector::from_element(2, f64::NAN);
    assert!(matches!(
        descend(&p, Rule::Gradient, &nan, 0.1, &[1]),
        Err(Error::NonFinite(_))
    ));
    let data = Data::new(
        DMatrix::from_element(2, 4, 1.0),
        DVector::from_element(2, 1.0),
    )
    .unwrap();
    assert!(matches!(
        least_squares_descent(&data, &DVector::zeros(4), 1.0, 1),
        Err(Error::StepTooLarge { .. })
    ));
    assert!(matches!(
        least_squares_descent(&data, &DVector::zeros(3), 0.01, 1),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        least_squares_descent(&data, &DVector::zeros(4), f64::NAN, 1),
        Err(Error::Argument(_))
    ));
}

#[test]
fn the_normalized_direction_survives_underflow() {
    let p = points(20, 0.5, 4);
    let w = DVector::from_vec(vec![0.3, 0.5]);
    let g = gradient(&p, &w);
    let naive = -&g / g.norm();
    assert!((descent_direction(&p, &w) - naive).norm() < 1e-12);
    // At a thousand times the scale every σ(−m) underflows to zero.
    let far = &w * 5000.0;
    assert_eq!(gradient(&p, &far).norm(), 0.0);
    let d = descent_direction(&p, &far);
    // Independently: for margins this large σ(−m) = e^{−m} to the last
    // bit, so the direction is that of Σ e^{m_min − m_i} z_i.
    let m = p.margins(&far);
    let top = m.min();
    let expected = p.z() * m.map(|mi| (top - mi).exp());
    let expected = &expected / expected.norm();
    assert!((d - expected).norm() < 1e-12);
}

#[test]
fn the_network_step_follows_the_gradient_of_its_loss() {
    let (x, labels) = quadrants(12, 2);
    let net = TwoLayer::random(5, 2, 0.7, &mut book_support::seeded(3)).unwrap();
    let eta = 1e-6;
    let mut moved = net.clone();
    moved.step(&x, &labels, eta).unwrap();
    // The step's change divided by −η is the gradient; compare it with
    // central differences of the loss, one parameter at a time.
    let h = 1e-6;
    for (k, r) in (0..5).flat_map(|i| (0..3).map(move |j| (i, j))).enumerate() {
        let (i, j) = r;
        let perturbed = |delta: f64| {
            let mut n = net.clone();
            if j < 2 {
                n.w[(i, j)] += delta
            } else {
                n.a[i] += delta
            }
            n.loss(&x, &labels).unwrap()
        };
        let fd = (perturbed(h) - perturbed(-h)) / (2.0 * h);
        let step = if j < 2 {
            (net.w[(i, j)] - moved.w[(i, j)]) / eta
        } else {
            (net.a[i] - moved.a[i]) / eta
        };
        assert!((fd - step).abs() < 1e-6, "parameter {k}: {fd} vs {step}");
    }
    assert!(TwoLayer::random(0, 2, 1.0, &mut book_support::seeded(1)).is_err());
    let mut n = net.clone();
    assert!(matches!(
        n.step(&DMatrix::zeros(3, 12), &labels, 0.1),
        Err(Error::Shape(_))
    ));
    assert!(matches!(
        n.step(&x, &labels, f64::NAN),
        Err(Error::Argument(_))
    ));
    assert!(matches!(
        net.outputs(&DMatrix::zeros(3, 2)),
        Err(Error::Shape(_))
    ));
}

#[test]
fn checkpoints_are_powers_of_ten_between() {
    assert_eq!(log_checkpoints(2, 1), vec![1, 10, 100]);
    assert_eq!(log_checkpoints(1, 4), vec![1, 2, 3, 6, 10]);
}
