//! The experiments behind the chapter's report and figures, each run once
//! per [`Settings`] and shared between the two.

use crate::clipping::{ClipSetup, train};
use crate::engine::{Activation, Run};
use crate::products::{Chains, Gain, relu_log_gradient_ratios};
use crate::signal::Profile;
use crate::stall::{StallSetup, stall_curve};
use book_support::Cache;
use std::error::Error;

/// What the chapter's command line may change (`--depth`, `--seed`), as
/// its `clap` arguments. [`Settings::BOOK`], the default, gives the runs
/// the book shows; figures for other settings are written only with
/// `--figures-dir`.
#[cfg_attr(feature = "book", derive(clap::Args))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settings {
    /// Depth L of the deep networks of the backward-signal experiment
    /// (figures 1 and 2) and of the report's products of gains, from 2 to
    /// 200.
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.depth, value_parser = parse_depth))]
    pub depth: usize,
    /// Offset added (wrapping) to every experiment's seed (0 reproduces the
    /// book).
    #[cfg_attr(feature = "book", arg(long, default_value_t = Settings::BOOK.seed))]
    pub seed: u64,
}

/// `--depth`: a whole number that [`Settings::check`] accepts (clap turns
/// the error into a message and exit status 2).
#[cfg(feature = "book")]
fn parse_depth(text: &str) -> Result<usize, String> {
    let depth: usize = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    Settings { depth, seed: 0 }.check()?;
    Ok(depth)
}

impl Settings {
    /// The book's settings: depth 100, seed offset 0.
    pub const BOOK: Settings = Settings {
        depth: 100,
        seed: 0,
    };
    pub const MIN_DEPTH: usize = 2;
    pub const MAX_DEPTH: usize = 200;

    /// The seed of an experiment whose book seed is `base`.
    pub fn seed(&self, base: u64) -> u64 {
        base.wrapping_add(self.seed)
    }

    /// `Ok` for a depth in `MIN_DEPTH..=MAX_DEPTH`, otherwise an error
    /// saying so.
    pub fn check(&self) -> Result<(), String> {
        if (Self::MIN_DEPTH..=Self::MAX_DEPTH).contains(&self.depth) {
            Ok(())
        } else {
            Err(format!(
                "depth {} is outside {}..={}",
                self.depth,
                Self::MIN_DEPTH,
                Self::MAX_DEPTH
            ))
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::BOOK
    }
}

/// The result of `make` for valid `settings`, computed once per settings.
fn cached<T: Clone>(
    cache: &Cache<Settings, T>,
    settings: &Settings,
    make: impl FnOnce() -> Result<T, Box<dyn Error>>,
) -> Result<T, Box<dyn Error>> {
    settings.check()?;
    cache.get_or_compute(settings, make)
}

/// Width, number of networks and book seed of the deep-signal experiment
/// (its depth is [`Settings::depth`]).
pub const SIGNAL_WIDTH: usize = 64;
pub const SIGNAL_NETS: usize = 32;
pub const SIGNAL_SEED: u64 = 7;

/// The four kinds of deep network the chapter compares: activation, `σ_w²`
/// and a label.
pub const KINDS: [(Activation, f64, &str); 4] = [
    (Activation::Sigmoid, 1.0, "sigmoid, σw² = 1"),
    (Activation::Tanh, 1.0, "tanh, σw² = 1"),
    (Activation::Relu, 2.0, "ReLU, σw² = 2"),
    (Activation::Tanh, 4.0, "tanh, σw² = 4"),
];

/// The deep profiles of the four kinds.
pub fn signal_profiles(s: &Settings) -> Result<Vec<Profile>, Box<dyn Error>> {
    static CACHE: Cache<Settings, Vec<Profile>> = Cache::new();
    cached(&CACHE, s, || {
        KINDS
            .iter()
            .map(|&(a, s2, _)| {
                Profile::measure(
                    a,
                    s2,
                    SIGNAL_WIDTH,
                    s.depth,
                    SIGNAL_NETS,
                    s.seed(SIGNAL_SEED),
                )
                .map_err(Into::into)
            })
            .collect()
    })
}

/// Depths of the depth sweep (those below [`Settings::depth`], then the
/// depth itself).
pub const SWEEP_DEPTHS: [usize; 5] = [5, 10, 20, 35, 50];

/// The depths of the sweep for `s`.
pub fn sweep_depths(s: &Settings) -> Vec<usize> {
    SWEEP_DEPTHS
        .iter()
        .copied()
        .filter(|&d| d < s.depth)
        .chain(std::iter::once(s.depth))
        .collect()
}

/// `log10(‖δ_1‖/‖δ_L‖)` (geometric mean over networks) for each kind and
/// each depth of [`sweep_depths`].
pub fn depth_sweep(s: &Settings) -> Result<Vec<Vec<f64>>, Box<dyn Error>> {
    static CACHE: Cache<Settings, Vec<Vec<f64>>> = Cache::new();
    cached(&CACHE, s, || {
        let deep = signal_profiles(s)?;
        KINDS
            .iter()
            .zip(&deep)
            .map(|(&(a, s2, _), deep)| {
                sweep_depths(s)
                    .iter()
                    .map(|&depth| {
                        let p = if depth == s.depth {
                            deep.clone()
                        } else {
                            let seed = s.seed(SIGNAL_SEED + depth as u64);
                            Profile::measure(a, s2, SIGNAL_WIDTH, depth, SIGNAL_NETS, seed)?
                        };
                        Ok(p.log_ratio(1).0 / std::f64::consts::LN_10)
                    })
                    .collect()
            })
            .collect()
    })
}

/// The setting of the vanishing-gradient training comparison for `s`.
pub fn stall_setup(s: &Settings) -> StallSetup {
    let base = StallSetup::default();
    StallSetup {
        seed: s.seed(base.seed),
        ..base
    }
}

/// The two training curves of the vanishing-gradient comparison: sigmoid
/// (`σ_w² = 1`) and ReLU (`σ_w² = 2`), in that order.
pub fn stall_curves(s: &Settings) -> Result<Vec<Vec<f64>>, Box<dyn Error>> {
    static CACHE: Cache<Settings, Vec<Vec<f64>>> = Cache::new();
    cached(&CACHE, s, || {
        let setup = stall_setup(s);
        Ok(vec![
            stall_curve(&setup, Activation::Sigmoid, 1.0)?,
            stall_curve(&setup, Activation::Relu, 2.0)?,
        ])
    })
}

/// The three training runs of the clipping figure: unclipped at η = 0.2,
/// clipped to norm 1 at η = 0.2, and unclipped at η = 0.1, 300 steps each.
pub fn clipping_runs(s: &Settings) -> Result<Vec<Run>, Box<dyn Error>> {
    static CACHE: Cache<Settings, Vec<Run>> = Cache::new();
    cached(&CACHE, s, || {
        let base = ClipSetup::default();
        let setup = ClipSetup {
            seed: s.seed(base.seed),
            ..base
        };
        Ok(vec![
            train(&setup, 0.2, None, 300)?.run,
            train(&setup, 0.2, Some(1.0), 300)?.run,
            train(&setup, 0.1, None, 300)?.run,
        ])
    })
}

/// Depths watched, chains and book seeds of the scalar-product simulation
/// (light law first, then heavy).
pub const CHAIN_DEPTHS: [usize; 9] = [1, 2, 4, 8, 16, 32, 64, 128, 256];
pub const CHAINS: usize = 10_000;
pub const CHAIN_SEEDS: [u64; 2] = [23, 24];
/// The depths of the histograms of `ln Π ξ`.
pub const HISTOGRAM_DEPTHS: [usize; 3] = [4, 16, 64];

/// The two gain laws of the scalar model, light then heavy, with labels.
pub fn gain_laws() -> [(Gain, &'static str); 2] {
    [
        (Gain::HalfNormal, "light tail: |Z|, Z normal"),
        (Gain::heavy_matched(), "heavy tail: |C|, C Cauchy"),
    ]
}

/// Chains of light and heavy gains watched at [`CHAIN_DEPTHS`].
pub fn gain_chains(s: &Settings) -> Result<Vec<Chains>, Box<dyn Error>> {
    static CACHE: Cache<Settings, Vec<Chains>> = Cache::new();
    cached(&CACHE, s, || {
        gain_laws()
            .iter()
            .zip(CHAIN_SEEDS)
            .map(|(&(gain, _), seed)| {
                Chains::simulate(gain, &CHAIN_DEPTHS, CHAINS, s.seed(seed)).map_err(Into::into)
            })
            .collect()
    })
}

/// Widths, depth, network counts and book seed of the ReLU spread
/// experiment.
pub const SPREAD: [(usize, usize); 2] = [(16, 2000), (64, 500)];
pub const SPREAD_DEPTH: usize = 20;
pub const SPREAD_SEED: u64 = 9;

/// `ln(‖∂ℓ/∂x_0‖²/‖u‖²)` for ReLU networks of each width in [`SPREAD`].
pub fn spread_samples(s: &Settings) -> Result<Vec<Vec<f64>>, Box<dyn Error>> {
    static CACHE: Cache<Settings, Vec<Vec<f64>>> = Cache::new();
    cached(&CACHE, s, || {
        SPREAD
            .iter()
            .map(|&(n, nets)| {
                relu_log_gradient_ratios(n, SPREAD_DEPTH, nets, s.seed(SPREAD_SEED))
                    .map_err(Into::into)
            })
            .collect()
    })
}

/// Runs every experiment for `s` into its cache, in parallel (the
/// experiments are independent and each has its own seeded generator, so
/// the results do not depend on the order), the longest first. Errors: the
/// first experiment that failed.
pub fn prepare(s: &Settings) -> Result<(), Box<dyn Error>> {
    fn done<T>(r: Result<T, Box<dyn Error>>) -> Result<(), String> {
        r.map(|_| ()).map_err(|e| e.to_string())
    }
    let jobs: [&(dyn Fn() -> Result<(), String> + Sync); 6] = [
        &|| done(clipping_runs(s)),
        &|| done(signal_profiles(s)),
        &|| done(depth_sweep(s)), // waits for the profiles if they are still running
        &|| done(spread_samples(s)),
        &|| done(stall_curves(s)),
        &|| done(gain_chains(s)),
    ];
    book_support::parallel::run_all(&jobs)
        .into_iter()
        .collect::<Result<(), String>>()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_results_cached() {
        assert!(Settings::BOOK.check().is_ok());
        for depth in [0, 1, 201] {
            let bad = Settings { depth, seed: 0 };
            assert!(bad.check().is_err());
            assert!(signal_profiles(&bad).is_err());
        }
        assert_eq!(
            Settings {
                depth: 3,
                seed: u64::MAX
            }
            .seed(2),
            1
        );
        assert_eq!(sweep_depths(&Settings::BOOK), vec![5, 10, 20, 35, 50, 100]);
        assert_eq!(sweep_depths(&Settings { depth: 7, seed: 0 }), vec![5, 7]);
        let s = Settings { depth: 3, seed: 5 };
        let first = signal_profiles(&s).unwrap();
        assert_eq!(first[0].depth(), 3);
        assert_eq!(signal_profiles(&s).unwrap(), first);
    }

    fn parse(args: &[&str]) -> Result<Settings, clap::Error> {
        let args = std::iter::once("ch03-backprop").chain(args.iter().copied());
        book_support::cli::parse::<Settings>("ch03-backprop", args.map(Into::into).collect())
            .map(|(settings, _)| settings)
    }

    #[test]
    fn the_command_line_sets_the_settings() {
        assert_eq!(parse(&[]).unwrap(), Settings::BOOK);
        assert_eq!(Settings::default(), Settings::BOOK);
        let s = parse(&["--depth", "30", "--seed", "18446744073709551615"]).unwrap();
        assert_eq!(
            s,
            Settings {
                depth: 30,
                seed: u64::MAX
            }
        );
        for depth in ["2", "200"] {
            assert_eq!(parse(&["--depth", depth]).unwrap().depth.to_string(), depth);
        }
    }

    #[test]
    fn bad_values_are_usage_errors_with_status_2() {
        for args in [
            &["--depth", "1"][..],
            &["--depth", "201"],
            &["--depth", "-5"],
            &["--depth", "ten"],
            &["--depth"],
            &["--seed", "abc"],
            &["--seed", "-1"],
            &["--seed", "1.5"],
            &["--bogus"],
            &["extra"],
        ] {
            let err = parse(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}: {err}");
        }
        let err = parse(&["--depth", "500"]).unwrap_err();
        assert!(err.to_string().contains("outside 2..=200"), "{err}");
    }
}
