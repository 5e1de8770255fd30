use crate::*;
use ch03_backprop::{Activation, Layer, Loss, Mlp};

#[test]
fn the_naive_loss_agrees_with_the_engine_until_it_overflows() {
    let z = DMatrix::from_column_slice(3, 2, &[1.0, -2.0, 0.5, 30.0, 29.0, -4.0]);
    let y = DMatrix::from_column_slice(3, 2, &[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    let (naive, g) = naive_cross_entropy(&z, &y);
    let (stable, gs) = Loss::SoftmaxCrossEntropy
        .value_and_gradient(&z, &y)
        .unwrap();
    assert!((naive - stable).abs() < 1e-14, "{naive} {stable}");
    // The engine's gradient is averaged over the batch; the naive one is
    // per example.
    assert!((g / 2.0 - gs).amax() < 1e-15);
    let big = DMatrix::from_column_slice(3, 1, &[800.0, 0.0, 0.0]);
    let one_hot = DMatrix::from_column_slice(3, 1, &[1.0, 0.0, 0.0]);
    assert!(naive_cross_entropy(&big, &one_hot).0.is_nan());
    assert_eq!(
        Loss::SoftmaxCrossEntropy
            .value_and_gradient(&big, &one_hot)
            .unwrap()
            .0,
        0.0
    );
}

#[test]
fn both_loss_paths_take_the_same_first_step() {
    let splits = Splits::load(1).unwrap();
    let setup = Setup {
        steps: 1,
        ..Setup::BOOK
    };
    let full = Recipe::full(1e-3);
    let stable = setup.train(&full, &splits.train, 4).unwrap();
    let naive = setup
        .train(&full.without(Rule::StableLoss), &splits.train, 4)
        .unwrap();
    assert_eq!(stable.losses.len(), 1);
    let gap = stable
        .parameters
        .iter()
        .zip(&naive.parameters)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    // The two differ only by the rounding of the softmax, through one
    // step of size 0.05 on parameters of order 1.
    assert!(gap < 1e-15, "{gap}");
    assert!((stable.losses[0] - naive.losses[0]).abs() < 1e-14);
}

#[test]
fn recipes_switch_one_rule_each_and_networks_have_their_shapes() {
    let full = Recipe::full(1e-3);
    assert_eq!(full.without(Rule::WeightDecay).lambda(), 0.0);
    for rule in Rule::ALL {
        let r = full.without(rule);
        let changed = [
            r.stable_loss != full.stable_loss,
            r.he_init != full.he_init,
            r.residual != full.residual,
            r.clipping != full.clipping,
            r.weight_decay != full.weight_decay,
        ];
        assert_eq!(changed.iter().filter(|&&c| c).count(), 1, "{rule:?}");
    }
    let s = Setup::BOOK;
    for recipe in [full, full.without(Rule::Residual)] {
        let net = s.network(&recipe, 1).unwrap();
        let mut widths = vec![PIXELS];
        widths.extend(std::iter::repeat_n(s.width, s.depth + 1));
        widths.push(CLASSES);
        assert_eq!(net.widths(), widths);
    }
    assert!(Setup { depth: 0, ..s }.network(&full, 1).is_err());
    assert!(Setup { width: 0, ..s }.network(&full, 1).is_err());
    let splits = Splits::load(1).unwrap();
    assert!(
        Setup { batch: 0, ..s }
            .train(&full, &splits.train, 1)
            .is_err()
    );
    assert!(
        Setup { eta: -1.0, ..s }
            .train(&full, &splits.train, 1)
            .is_err()
    );
    assert!(
        s.train(&Recipe::full(f64::NAN), &splits.train, 1).is_err(),
        "a NaN weight decay is refused"
    );
}

#[test]
fn splits_are_disjoint_and_small_files_are_refused() {
    let d = book_support::data::Digits::load().unwrap();
    let sp = Splits::of(&d, 5).unwrap();
    assert_eq!(
        sp.train.len() + sp.validation.len() + sp.test.len(),
        d.len()
    );
    // Every image lands in exactly one split: the column sums of the
    // one-hot targets add up to the label counts of the file.
    for class in 0..CLASSES {
        let count = |s: &ch05_residual::Split| {
            s.labels
                .iter()
                .filter(|&&l| usize::from(l) == class)
                .count()
        };
        let file = d
            .labels
            .iter()
            .filter(|&&l| usize::from(l) == class)
            .count();
        assert_eq!(
            count(&sp.train) + count(&sp.validation) + count(&sp.test),
            file
        );
    }
    let small = book_support::data::Digits {
        images: d.images[..100].to_vec(),
        labels: d.labels[..100].to_vec(),
    };
    let e = Splits::of(&small, 5).unwrap_err().to_string();
    assert!(e.contains("100 images"), "{e}");
}

/// A linear two-class network `z = (wᵀx, −wᵀx)`: its Lipschitz constant is
/// `√2 ‖w‖`, its margin `2 wᵀx`, and the shortest perturbation that flips
/// it has length `|wᵀx| / ‖w‖`, which is exactly the certified radius
/// `m / (√2 K)`. So the certificate is tight here, and an attack must
/// succeed just outside it and fail just inside.
#[test]
fn on_a_linear_network_the_certificate_is_tight_and_pgd_reaches_it() {
    let w = [0.6, -0.8, 0.0];
    let wm = DMatrix::from_row_slice(2, 3, &[w[0], w[1], w[2], -w[0], -w[1], -w[2]]);
    let layer = Layer::new(wm, DVector::zeros(2), Activation::Identity).unwrap();
    let net = Mlp::new(vec![layer]).unwrap();
    let x = DMatrix::from_column_slice(3, 2, &[1.0, 0.5, 2.0, -0.2, 0.9, 0.0]);
    let labels = [0u8, 1];
    let y = DMatrix::from_column_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    let k = lipschitz(&net).unwrap();
    assert!((k - 2f64.sqrt()).abs() < 1e-12);
    let radii = certified_radii(&net.forward(&x).unwrap(), &labels, k).unwrap();
    for (j, r) in radii.iter().enumerate() {
        let exact = (w[0] * x[(0, j)] + w[1] * x[(1, j)]).abs();
        assert!((r - exact).abs() < 1e-12, "{r} {exact}");
    }
    for (attack, slack) in [(Attack::Fgm, 1e-9), (Attack::Pgd { steps: 20 }, 1e-9)] {
        for j in 0..2 {
            let xj = x.columns(j, 1).into_owned();
            let yj = y.columns(j, 1).into_owned();
            let flips = |eps: f64| {
                let adv = attack.perturb(&net, &xj, &yj, eps).unwrap();
                predictions(&net.forward(&adv).unwrap())[0] != usize::from(labels[j])
            };
            assert!(
                !flips(radii[j] * (1.0 - 1e-6)),
                "{attack:?} inside the radius"
            );
            assert!(
                flips(radii[j] * (1.0 + 1e-6) + slack),
                "{attack:?} outside the radius"
            );
        }
    }
    assert!(certified_radii(&net.forward(&x).unwrap(), &labels, 0.0).is_err());
    assert!(certified_radii(&net.forward(&x).unwrap(), &labels[..1], 1.0).is_err());
    assert!(margins(&net.forward(&x).unwrap(), &[0, 2]).is_err());
    assert!(Attack::Fgm.perturb(&net, &x, &y, -1.0).is_err());
    assert!(Attack::Fgm.perturb(&net, &x, &y, f64::NAN).is_err());
}

#[test]
fn the_projection_keeps_every_layer_within_its_bound() {
    let mut rng = book_support::seeded(3);
    let mut net = Mlp::gaussian(
        &[8, 16, 4],
        Activation::Relu,
        Activation::Identity,
        2.0,
        0.1,
        &mut rng,
    )
    .unwrap();
    let before = lipschitz(&net).unwrap();
    let other = Mlp::gaussian(
        &[8, 4],
        Activation::Relu,
        Activation::Identity,
        2.0,
        0.1,
        &mut rng,
    )
    .unwrap();
    assert!(Projector::new(&other, 4).project(&mut net, 0.5).is_err());
    Projector::new(&net, 4).project(&mut net, 0.5).unwrap();
    for l in 1..=net.depth() {
        let s = net.w(l).into_owned().singular_values().max();
        // Power iteration stops at a relative change of 1e-6 and
        // approaches the norm from below.
        assert!(s <= 0.5 * (1.0 + 1e-5), "layer {l}: {s}");
    }
    assert!(lipschitz(&net).unwrap() < before);
    let splits = Splits::load(1).unwrap();
    for bad in [0.0, -1.0, f64::INFINITY] {
        assert!(
            Constrained::book(Some(bad))
                .train(&splits.train, 1)
                .is_err()
        );
    }
}

#[test]
fn the_calibration_error_of_a_hand_example() {
    // Two predictions at confidence 0.9, one right: one bin, accuracy 0.5.
    let e = expected_calibration_error(&[(0.9, true), (0.9, false)]).unwrap();
    assert!((e - 0.4).abs() < 1e-15);
    // Confidence exactly 1 goes in the last bin.
    let bins = reliability(&[(1.0, true)]);
    assert_eq!(bins[BINS - 1].count, 1);
    assert!(expected_calibration_error(&[]).is_err());
}

#[test]
fn the_fitted_temperature_minimizes_the_loss_and_bad_ones_are_refused() {
    let mut rng = book_support::seeded(9);
    // Logits of a confident model whose labels are drawn at temperature 2:
    // the best temperature is near 2.
    let n = 4000;
    let mut z = DMatrix::zeros(CLASSES, n);
    let mut labels = Vec::with_capacity(n);
    for j in 0..n {
        for i in 0..CLASSES {
            z[(i, j)] = 3.0 * ch03_backprop::normal(&mut rng);
        }
        let p =
            ch02_softmax::exercises::softmax_with_temperature(z.column(j).as_slice(), 2.0).unwrap();
        let u: f64 = rand::RngExt::random(&mut rng);
        let mut acc = 0.0;
        let label = p.iter().position(|&q| {
            acc += q;
            u < acc
        });
        labels.push(label.unwrap_or(CLASSES - 1) as u8);
    }
    let t = fit_temperature(&z, &labels, 1e-12).unwrap();
    let at = |t: f64| nll(&z, &labels, t).unwrap();
    assert!(
        at(t) <= at(t * 1.001) && at(t) <= at(t / 1.001),
        "not a minimum at {t}"
    );
    assert!((t - 2.0).abs() < 0.2, "{t}");
    // Every label predicted right by a margin: no finite temperature is
    // best (the loss keeps falling as T goes to 0).
    let sure = DMatrix::from_column_slice(2, 2, &[5.0, 0.0, 0.0, 5.0]);
    assert!(fit_temperature(&sure, &[0, 1], 1e-12).is_err());
    assert!(fit_temperature(&sure, &[], 1e-12).is_err());
    for bad in [0.0, -2.0, f64::NAN, f64::NEG_INFINITY] {
        assert!(nll(&sure, &[0, 1], bad).is_err());
        assert!(confidences(&sure, &[0, 1], bad).is_err());
    }
    assert!(confidences(&sure, &[0], 1.0).is_err());
    assert!(ece_drop_se(&sure, &[0, 1], (1.0, 2.0), 1, 0).is_err());
}

#[test]
fn experiments_refuse_what_they_cannot_measure() {
    let splits = Splits::load(1).unwrap();
    let tv = (&splits.train, &splits.validation);
    let s = Setup::BOOK;
    assert!(ablate(&s, &splits, (1e-3, &[]), &[1], &|| {}).is_err());
    assert!(tune(&s, tv, &[], &[1, 2]).is_err());
    assert!(tune(&s, tv, &[1e-3], &[1]).is_err());
    assert!(difference_quotients(&s, 0.0, tv, 1, &[0.1]).is_err());
    assert!(difference_quotients(&s, 1e-3, tv, 1, &[1.5]).is_err());
    // A run that fails is reported, not returned as a score.
    let diverging = Setup { steps: 40, ..s };
    let run = diverging
        .train(
            &Recipe::full(1e-3).without(Rule::Clipping),
            &splits.train,
            0,
        )
        .unwrap();
    assert!(run.failed_at.is_some());
    assert!(
        validation_loss(
            &diverging,
            &Recipe::full(1e-3).without(Rule::Clipping),
            tv,
            0
        )
        .is_err()
    );
}
