//! A block defined outside chapter 3, as chapter 5 will define its own:
//! the residual block `x ↦ x + F(x)` with `F` a dense tanh layer. Only its
//! two lesson passes are written; the engine's defaults supply the fast
//! ones. It is checked against central differences and trained with the
//! shared training loop, through chapter 3's public API alone.

use ch03_backprop::{
    Activation, Backward, Block, DMatrix, Dense, Forward, Loss, Network, Optimizer, Trainer,
    Workspace, check_block, finite_difference_gradient, normal, relative_error,
};

/// `y = x + F(x)` with `F(x) = tanh(W x + b)`, `W` square.
#[derive(Clone, Copy, Debug)]
struct Residual {
    f: Dense,
}

impl Residual {
    fn new(width: usize) -> Self {
        Residual {
            f: Dense {
                n_in: width,
                n_out: width,
                activation: Activation::Tanh,
            },
        }
    }
}

impl Block for Residual {
    fn input_width(&self) -> usize {
        self.f.n_in
    }
    fn output_width(&self) -> usize {
        self.f.n_out
    }
    fn parameter_count(&self) -> usize {
        self.f.parameter_count()
    }
    fn forward(&self, theta: &[f64], x: &DMatrix<f64>) -> Forward {
        let inner = self.f.forward(theta, x);
        Forward {
            y: x + inner.y,
            saved: inner.saved,
        }
    }
    fn backward(
        &self,
        theta: &[f64],
        x: &DMatrix<f64>,
        saved: &[DMatrix<f64>],
        dy: &DMatrix<f64>,
    ) -> Backward {
        // The skip connection passes dy straight through: ∂ℓ/∂x = dy + J_Fᵀ dy.
        let inner = self.f.backward(theta, x, saved, dy);
        Backward {
            dx: dy + inner.dx,
            grad: inner.grad,
        }
    }
}

fn parameters(block: &impl Block, scale: f64, rng: &mut impl rand::Rng) -> Vec<f64> {
    (0..block.parameter_count())
        .map(|_| scale * normal(rng))
        .collect()
}

#[test]
fn a_residual_network_has_correct_gradients_and_trains() {
    let mut rng = book_support::seeded(50);
    let width = 4;
    let blocks = vec![Residual::new(width); 6];
    let theta = blocks
        .iter()
        .map(|b| parameters(b, 0.3, &mut rng))
        .collect();
    let net = Network::from_blocks(blocks, theta).unwrap();
    let x = DMatrix::from_fn(width, 8, |_, _| normal(&mut rng));
    let y = x.map(|v| 0.5 * v.sin());

    // The block itself: fast default passes agree, gradients match
    // central differences (error of order ε^{2/3}, see chapter 3).
    let u = DMatrix::from_fn(width, 8, |_, _| normal(&mut rng));
    let c = check_block(&net.blocks()[0], net.block_parameters(0), &x, &u).unwrap();
    assert!(c.worst() < 1e-7, "{c:?}");

    // The whole network: the lesson's gradient and the fast engine's both
    // match central differences of the loss.
    let (_, lesson) = net.gradient(&x, &y, Loss::Mse).unwrap();
    let mut ws = Workspace::new(&net, 8).unwrap();
    net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap();
    let fd = finite_difference_gradient(&net, &x, &y, Loss::Mse).unwrap();
    assert!(relative_error(&fd, lesson.as_slice()) < 1e-7);
    assert!(relative_error(ws.gradients().as_slice(), lesson.as_slice()) < 1e-12);

    // Training with the shared loop lowers the loss; the observer sees
    // every step.
    let mut steps = 0;
    let mut trainer = Trainer::new(
        net,
        Loss::Mse,
        Optimizer::gd(0.1).unwrap().with_momentum(0.5).unwrap(),
    );
    let run = trainer.run(&x, &y, 200, |_| steps += 1).unwrap();
    assert_eq!((steps, run.failed_at), (200, None));
    assert!(
        run.final_loss() < 0.1 * run.losses[0],
        "{} → {}",
        run.losses[0],
        run.final_loss()
    );
}

#[test]
fn blocks_of_different_kinds_mix_in_one_network() {
    let mut rng = book_support::seeded(51);
    let dense = |n_in, n_out, activation| Dense {
        n_in,
        n_out,
        activation,
    };
    let blocks: Vec<Box<dyn Block>> = vec![
        Box::new(dense(2, 5, Activation::Relu)),
        Box::new(Residual::new(5)),
        Box::new(Residual::new(5)),
        Box::new(dense(5, 1, Activation::Identity)),
    ];
    let theta = blocks
        .iter()
        .map(|b| parameters(b, 0.5, &mut rng))
        .collect();
    let net = Network::from_blocks(blocks, theta).unwrap();
    let x = DMatrix::from_fn(2, 16, |_, _| normal(&mut rng));
    let y = DMatrix::from_fn(1, 16, |_, j| x[(0, j)] * x[(1, j)]);
    let (_, lesson) = net.gradient(&x, &y, Loss::Mse).unwrap();
    let mut ws = Workspace::new(&net, 16).unwrap();
    net.loss_and_gradient(&x, &y, Loss::Mse, &mut ws).unwrap();
    assert!(relative_error(ws.gradients().as_slice(), lesson.as_slice()) < 1e-12);
    let mut trainer = Trainer::new(net, Loss::Mse, Optimizer::gd(0.05).unwrap());
    let run = trainer.run(&x, &y, 300, |_| {}).unwrap();
    assert!(
        run.final_loss() < 0.5 * run.losses[0],
        "{} → {}",
        run.losses[0],
        run.final_loss()
    );
    // Widths that do not chain are refused.
    let bad: Vec<Box<dyn Block>> = vec![Box::new(Residual::new(3)), Box::new(Residual::new(4))];
    let theta = bad.iter().map(|b| vec![0.0; b.parameter_count()]).collect();
    assert!(Network::from_blocks(bad, theta).is_err());
}
