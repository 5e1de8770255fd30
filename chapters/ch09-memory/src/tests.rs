use crate::*;

#[test]
fn patterns_refuse_what_is_not_a_pattern() {
    assert!(matches!(Patterns::new(&[]), Err(Error::Empty(_))));
    assert!(matches!(Patterns::new(&[vec![]]), Err(Error::Empty(_))));
    assert_eq!(
        Patterns::new(&[vec![1.0, -1.0], vec![1.0]]),
        Err(Error::Lengths {
            pattern: 1,
            len: 1,
            expected: 2
        })
    );
    assert!(matches!(
        Patterns::new(&[vec![1.0, 0.5]]),
        Err(Error::NotBinary {
            pattern: 0,
            entry: 1,
            ..
        })
    ));
    assert!(matches!(
        Patterns::new(&[vec![f64::NAN]]),
        Err(Error::NotBinary { .. })
    ));
    assert!(Patterns::random(0, 3, &mut book_support::seeded(1)).is_err());
}

#[test]
fn one_pattern_is_a_fixed_point_and_attracts_its_cues() {
    let p = Patterns::random(50, 1, &mut book_support::seeded(3)).unwrap();
    let net = Hopfield::hebbian(&p);
    let cue = corrupt(p.get(0), 20, &mut book_support::seeded(4)).unwrap();
    let r = net
        .recall(&cue, 10, &mut book_support::seeded(5), |_, _, _| {})
        .unwrap();
    assert!(r.converged);
    assert_eq!(r.state, p.get(0));
    assert!(
        net.recall(&[1, -1], 10, &mut book_support::seeded(5), |_, _, _| {})
            .is_err()
    );
    assert!(
        net.recall(&[0; 50], 10, &mut book_support::seeded(5), |_, _, _| {})
            .is_err()
    );
}

#[test]
fn the_exact_unstable_probability_is_zero_when_crosstalk_cannot_win() {
    // With P = 1 there is no crosstalk; with M < N it cannot reach −N.
    assert_eq!(unstable_exact(10, 1).unwrap(), 0.0);
    assert_eq!(unstable_exact(10, 2).unwrap(), 0.0);
    assert!(unstable_exact(1, 3).is_err());
    assert!(unstable_asymptotic(0.0).is_err());
}

#[test]
fn wolfe_decides_small_cases_we_can_see() {
    // Two opposite points: inseparable. Two points at right angles: separable.
    let opposite = DMatrix::from_column_slice(2, 2, &[1.0, 0.0, -1.0, 0.0]);
    assert!(matches!(
        separate(&opposite, 1e-9),
        Ok(Separation::Inseparable { .. })
    ));
    let square = DMatrix::from_column_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    match separate(&square, 1e-9).unwrap() {
        Separation::Separable { w } => assert!((w.norm() - 0.5f64.sqrt()).abs() < 1e-12),
        other => panic!("{other:?}"),
    }
    assert!(separate(&DMatrix::zeros(2, 0), 1e-9).is_err());
    assert!(separate(&DMatrix::from_element(2, 1, f64::NAN), 1e-9).is_err());
}

#[test]
fn the_modern_network_refuses_bad_temperatures_and_queries() {
    let x = DMatrix::from_column_slice(2, 2, &[1.0, -1.0, 1.0, 1.0]);
    assert_eq!(ModernHopfield::new(x.clone(), -1.0), Err(Error::Beta(-1.0)));
    assert!(matches!(
        ModernHopfield::new(x.clone(), f64::NAN),
        Err(Error::Beta(_))
    ));
    assert!(ModernHopfield::new(DMatrix::zeros(2, 0), 1.0).is_err());
    let m = ModernHopfield::new(x, 1.0).unwrap();
    assert!(m.update(&DVector::zeros(3)).is_err());
    assert!(m.update(&DVector::from_vec(vec![f64::NAN, 0.0])).is_err());
    // β = 0 averages the patterns.
    let avg = ModernHopfield::new(m.patterns().clone(), 0.0).unwrap();
    let out = avg.update(&DVector::from_vec(vec![1.0, 0.0])).unwrap();
    assert!((out[0] - 1.0).abs() < 1e-15 && out[1].abs() < 1e-15);
}
