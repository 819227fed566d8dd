//! Tests of the boosting models.
#![allow(clippy::unwrap_used)]

use std::ops::ControlFlow;

use super::*;

fn go(_: Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// Deterministic pseudo-random numbers in [0, 1).
fn uniform(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = crate::split::SplitMix64::new(seed);
    (0..n).map(|_| rng.unit()).collect()
}

fn params(pairs: &[(&str, &str)]) -> Result<GbdtParams, ParamError> {
    let given = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let p = Params::new("gbdt", &given);
    let out = GbdtParams::from_params(&p)?;
    p.finish()?;
    Ok(out)
}

fn no_early() -> GbdtParams {
    GbdtParams {
        early_stopping: EarlyStopping::Off,
        ..GbdtParams::default()
    }
}

/// Two informative features (a circle) and two noise features.
fn circle(n: usize, seed: u64) -> (Vec<f64>, Vec<usize>) {
    let u = uniform(seed, n * 4);
    let mut x = Vec::with_capacity(n * 4);
    let mut y = Vec::with_capacity(n);
    for r in u.chunks_exact(4) {
        let (a, b) = (r[0] * 2.0 - 1.0, r[1] * 2.0 - 1.0);
        x.extend_from_slice(&[a, b, r[2], r[3]]);
        y.push(usize::from(a * a + b * b < 0.5));
    }
    (x, y)
}

fn accuracy(model: &Gbdt, x: &[f64], y: &[usize], width: usize) -> f64 {
    let out = model.predict_batch(&Matrix::new(x, width));
    let k = model.outputs();
    let right = out
        .chunks_exact(k)
        .zip(y)
        .filter(|(p, y)| crate::model::argmax(p) == **y)
        .count();
    right as f64 / y.len() as f64
}

#[test]
fn parameters_have_sklearn_defaults_and_ranges() {
    assert_eq!(params(&[]).unwrap(), GbdtParams::default());
    let p = params(&[
        ("max_depth", "none"),
        ("early_stopping", "True"),
        ("learning_rate", "2"),
        ("max_leaf_nodes", "4096"),
    ])
    .unwrap();
    assert_eq!(p.max_depth, None);
    assert_eq!(p.early_stopping, EarlyStopping::On);
    assert_eq!(p.learning_rate, 2.0);
    assert_eq!(params(&[("max_depth", "3")]).unwrap().max_depth, Some(3));
    for bad in [
        ("learning_rate", "0"),
        ("learning_rate", "11"),
        ("max_iter", "0"),
        ("max_leaf_nodes", "1"),
        ("max_bins", "256"),
        ("min_samples_leaf", "0"),
        ("l2_regularization", "-1"),
        ("early_stopping", "maybe"),
        ("validation_fraction", "0"),
        ("n_iter_no_change", "0"),
        ("tol", "-0.1"),
        ("depth", "3"),
    ] {
        let e = params(&[bad]).unwrap_err();
        assert_eq!(e.param, bad.0, "{e}");
    }
}

#[test]
fn binary_classification_learns_a_circle() {
    let (x, y) = circle(4000, 1);
    let (xt, yt) = circle(2000, 2);
    let target = Target::Classes {
        y: &y,
        n_classes: 2,
    };
    let model = fit(&Matrix::new(&x, 4), &target, &no_early(), 0, &mut go).unwrap();
    assert_eq!(model.iterations, 100);
    assert_eq!(model.trees.len(), 100);
    assert!(!model.stopped_early);
    model.check(4, 2).unwrap();
    let acc = accuracy(&model, &xt, &yt, 4);
    assert!(acc > 0.95, "accuracy {acc}");
    let p = model.predict(&xt[..4]);
    assert_eq!(p.len(), 2);
    assert!((p[0] + p[1] - 1.0).abs() < 1e-12);
    // Training loss falls; the importances favour the two informative features.
    assert!(model.train_loss.last().unwrap() < &(model.train_loss[0] * 0.5));
    let imp = model.feature_importances(4);
    assert!((imp.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(imp[0] + imp[1] > 0.9, "{imp:?}");
}

#[test]
fn regression_fits_a_smooth_function() {
    let u = uniform(3, 3000 * 2);
    let x: Vec<f64> = u.iter().map(|v| v * 6.0 - 3.0).collect();
    let y: Vec<f64> = x.chunks_exact(2).map(|r| r[0].sin() + 0.5 * r[1]).collect();
    let model = fit(
        &Matrix::new(&x, 2),
        &Target::Values(&y),
        &no_early(),
        0,
        &mut go,
    )
    .unwrap();
    model.check(2, 1).unwrap();
    let mse: f64 = x
        .chunks_exact(2)
        .zip(&y)
        .map(|(r, y)| (model.predict(r)[0] - y).powi(2))
        .sum::<f64>()
        / y.len() as f64;
    assert!(mse < 0.01, "mse {mse}");
    let batch = model.predict_batch(&Matrix::new(&x[..20], 2));
    assert_eq!(batch.len(), 10);
    assert_eq!(batch[3], model.predict(&x[6..8])[0]);
}

#[test]
fn multiclass_grows_one_tree_per_class() {
    let u = uniform(4, 3000 * 2);
    let y: Vec<usize> = u
        .chunks_exact(2)
        .map(|r| {
            if r[0] < 0.3 {
                0
            } else if r[1] < 0.5 {
                1
            } else {
                2
            }
        })
        .collect();
    let target = Target::Classes {
        y: &y,
        n_classes: 3,
    };
    let p = GbdtParams {
        max_iter: 20,
        ..no_early()
    };
    let model = fit(&Matrix::new(&u, 2), &target, &p, 0, &mut go).unwrap();
    assert_eq!(model.trees.len(), 60);
    assert_eq!(model.baseline.len(), 3);
    model.check(2, 3).unwrap();
    assert!(accuracy(&model, &u, &y, 2) > 0.97);
    let probs = model.predict(&[0.9, 0.9]);
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(probs[2] > 0.8, "{probs:?}");
}

#[test]
fn batch_prediction_equals_one_row_at_a_time() {
    // Three classes, missing values in training and scoring, and a row count that fills
    // neither a block nor the lanes, so the walk's every path is compared to `predict`.
    let u = uniform(6, 3001 * 3);
    let mut x = u.clone();
    for (i, v) in x.iter_mut().enumerate() {
        if i % 7 == 0 {
            *v = f64::NAN;
        }
    }
    let y: Vec<usize> = u.chunks_exact(3).map(|r| (r[0] * 3.0) as usize).collect();
    let target = Target::Classes {
        y: &y,
        n_classes: 3,
    };
    let p = GbdtParams {
        max_iter: 15,
        ..no_early()
    };
    let model = fit(&Matrix::new(&x, 3), &target, &p, 0, &mut go).unwrap();
    assert!(model.trees.iter().any(|t| t.depth() >= 4));
    let batch = model.predict_batch(&Matrix::new(&x, 3));
    let single: Vec<f64> = x.chunks_exact(3).flat_map(|r| model.predict(r)).collect();
    assert_eq!(batch.len(), 3001 * 3);
    assert!(
        batch
            .iter()
            .zip(&single)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}

#[test]
fn missing_values_take_the_better_side() {
    // The target is 1 exactly where feature 0 is missing; feature 1 is noise.
    let u = uniform(5, 2000 * 2);
    let mut x = u.clone();
    let mut y = Vec::new();
    for (i, r) in x.chunks_exact_mut(2).enumerate() {
        let missing = i % 3 == 0;
        if missing {
            r[0] = f64::NAN;
        }
        y.push(usize::from(missing));
    }
    let target = Target::Classes {
        y: &y,
        n_classes: 2,
    };
    let model = fit(&Matrix::new(&x, 2), &target, &no_early(), 0, &mut go).unwrap();
    assert!(model.predict(&[f64::NAN, 0.5])[1] > 0.99);
    assert!(model.predict(&[0.5, 0.5])[1] < 0.01);
    assert!(model.predict(&[0.01, 0.5])[1] < 0.01);
    assert!(model.predict(&[0.99, 0.5])[1] < 0.01);
}

#[test]
fn missing_at_prediction_only_goes_to_the_bigger_child() {
    // No missing values in training: a split sends NaN to the side with more rows.
    let x: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
    let y: Vec<f64> = x.iter().map(|&v| if v < 0.8 { 0.0 } else { 1.0 }).collect();
    let p = GbdtParams {
        max_iter: 1,
        learning_rate: 1.0,
        max_leaf_nodes: 2,
        ..no_early()
    };
    let model = fit(&Matrix::new(&x, 1), &Target::Values(&y), &p, 0, &mut go).unwrap();
    let root = &model.trees[0].nodes[0];
    assert!(root.missing_left);
    assert!((root.threshold - 0.7995).abs() < 1e-9, "{}", root.threshold);
    assert_eq!(model.predict(&[f64::NAN]), model.predict(&[0.1]));
}

#[test]
fn early_stopping_holds_out_rows_and_stops() {
    // Pure noise: the held-out loss stops improving quickly.
    let u = uniform(6, 3000 * 3);
    let y: Vec<usize> = uniform(7, 3000)
        .iter()
        .map(|&v| usize::from(v < 0.5))
        .collect();
    let target = Target::Classes {
        y: &y,
        n_classes: 2,
    };
    let p = GbdtParams {
        early_stopping: EarlyStopping::On,
        ..GbdtParams::default()
    };
    let model = fit(&Matrix::new(&u, 3), &target, &p, 0, &mut go).unwrap();
    assert!(model.stopped_early);
    assert!(model.iterations < 40, "{}", model.iterations);
    assert_eq!(model.trees.len(), model.iterations);
    assert_eq!(model.validation_loss.len(), model.iterations + 1);
    assert_eq!(model.train_loss.len(), model.iterations);
    model.check(3, 2).unwrap();
    // "auto" is off for this many rows.
    let auto = fit(
        &Matrix::new(&u, 3),
        &target,
        &GbdtParams::default(),
        0,
        &mut go,
    )
    .unwrap();
    assert_eq!(auto.iterations, 100);
    assert!(auto.validation_loss.is_empty());
}

#[test]
fn should_stop_follows_sklearn() {
    // Scores are negative losses: higher is better.
    assert!(!should_stop(&[-1.0, -0.9], 2, 0.0));
    assert!(!should_stop(&[-1.0, -0.9, -0.8], 2, 0.0));
    assert!(should_stop(&[-1.0, -0.8, -0.9, -0.85], 2, 0.0));
    assert!(should_stop(&[-1.0, -0.8, -0.8, -0.8], 2, 0.0));
    assert!(!should_stop(&[-1.0, -0.8, -0.8, -0.7], 2, 0.0));
    assert!(should_stop(&[-1.0, -0.8, -0.8, -0.7], 2, 0.2));
}

#[test]
fn stopping_the_report_stops_the_fit() {
    let (x, y) = circle(500, 8);
    let target = Target::Classes {
        y: &y,
        n_classes: 2,
    };
    let mut calls = 0;
    let mut stop = |p: Progress| {
        calls += 1;
        assert!(p.loss.is_some_and(f64::is_finite));
        if calls == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    assert!(fit(&Matrix::new(&x, 4), &target, &no_early(), 0, &mut stop).is_none());
    assert_eq!(calls, 3);
    let mut count = 0;
    let mut counting = |_: Progress| {
        count += 1;
        ControlFlow::Continue(())
    };
    let p = GbdtParams {
        max_iter: 7,
        ..no_early()
    };
    fit(&Matrix::new(&x, 4), &target, &p, 0, &mut counting).unwrap();
    assert_eq!(count, 7);
}

#[test]
fn tree_limits_are_respected() {
    let (x, y) = circle(3000, 9);
    let target = Target::Classes {
        y: &y,
        n_classes: 2,
    };
    let p = GbdtParams {
        max_iter: 5,
        max_leaf_nodes: 7,
        min_samples_leaf: 50,
        ..no_early()
    };
    let model = fit(&Matrix::new(&x, 4), &target, &p, 0, &mut go).unwrap();
    for tree in &model.trees {
        let leaves = tree.nodes.iter().filter(|n| n.left == 0).count();
        assert_eq!(leaves, 7);
        assert_eq!(tree.nodes.len(), 13);
    }
    let depth = |t: &Tree| {
        fn d(t: &Tree, i: usize) -> usize {
            let n = &t.nodes[i];
            if n.left == 0 {
                0
            } else {
                1 + d(t, n.left as usize).max(d(t, n.right as usize))
            }
        }
        d(t, 0)
    };
    let p = GbdtParams {
        max_iter: 5,
        max_depth: Some(2),
        ..no_early()
    };
    let model = fit(&Matrix::new(&x, 4), &target, &p, 0, &mut go).unwrap();
    assert!(model.trees.iter().all(|t| depth(t) <= 2));
    assert!(model.trees.iter().any(|t| depth(t) == 2));
}

#[test]
fn min_samples_leaf_bounds_every_leaf() {
    let (x, y) = circle(1000, 10);
    let yv: Vec<f64> = y.iter().map(|&c| c as f64).collect();
    let p = GbdtParams {
        max_iter: 3,
        min_samples_leaf: 60,
        ..no_early()
    };
    let model = fit(&Matrix::new(&x, 4), &Target::Values(&yv), &p, 0, &mut go).unwrap();
    for tree in &model.trees {
        let mut counts = vec![0usize; tree.nodes.len()];
        for row in x.chunks_exact(4) {
            let mut i = 0;
            while tree.nodes[i].left != 0 {
                let n = &tree.nodes[i];
                i = if row[n.feature as usize] <= n.threshold {
                    n.left
                } else {
                    n.right
                } as usize;
            }
            counts[i] += 1;
        }
        for (n, c) in tree.nodes.iter().zip(&counts) {
            if n.left == 0 {
                assert!(*c >= 60, "leaf with {c} rows");
            }
        }
    }
}

#[test]
fn fitting_is_deterministic_and_serialises() {
    let (x, y) = circle(12_000, 11);
    let target = Target::Classes {
        y: &y,
        n_classes: 2,
    };
    let p = GbdtParams {
        max_iter: 10,
        ..GbdtParams::default()
    };
    let a = fit(&Matrix::new(&x, 4), &target, &p, 3, &mut go).unwrap();
    let b = fit(&Matrix::new(&x, 4), &target, &p, 3, &mut go).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.validation_loss.len(), 11);
    let json = serde_json::to_string(&a).unwrap();
    let back: Gbdt = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
}

#[test]
fn check_rejects_malformed_models() {
    let (x, y) = circle(300, 12);
    let target = Target::Classes {
        y: &y,
        n_classes: 2,
    };
    let p = GbdtParams {
        max_iter: 3,
        ..no_early()
    };
    let good = fit(&Matrix::new(&x, 4), &target, &p, 0, &mut go).unwrap();
    good.check(4, 2).unwrap();
    assert!(good.check(5, 2).is_err());
    assert!(good.check(4, 3).is_err());
    let mut bad = good.clone();
    bad.trees[1].nodes[0].left = 0;
    assert!(bad.check(4, 2).is_err());
    let mut bad = good.clone();
    bad.trees[0].nodes[0].right = 999;
    assert!(bad.check(4, 2).is_err());
    let mut bad = good.clone();
    bad.trees[0].nodes[0].left = 0;
    bad.trees[0].nodes[0].right = 0;
    bad.trees[0].nodes[0].value = f64::NAN;
    assert!(bad.check(4, 2).is_err());
    let mut bad = good.clone();
    bad.trees[2].nodes[0].feature = 4;
    assert!(bad.check(4, 2).is_err());
    let mut bad = good.clone();
    bad.trees.pop();
    assert!(bad.check(4, 2).is_err());
    let mut bad = good.clone();
    bad.baseline.push(0.0);
    assert!(bad.check(4, 2).is_err());
    // A cycle back to the root is rejected.
    let mut bad = good;
    let last = bad.trees[0].nodes.len() - 1;
    bad.trees[0].nodes[last] = Node {
        feature: 0,
        threshold: 0.0,
        missing_left: false,
        left: 0,
        right: 1,
        value: 0.0,
        gain: 1.0,
        cover: 1.0,
    };
    assert!(bad.check(4, 2).is_err());
}

#[test]
fn degenerate_targets_give_constant_models() {
    let x = [1.0, 2.0, 3.0];
    let one = Target::Classes {
        y: &[0, 0, 0],
        n_classes: 1,
    };
    let m = fit(&Matrix::new(&x, 1), &one, &no_early(), 0, &mut go).unwrap();
    assert_eq!(m.predict(&[5.0]), vec![1.0]);
    m.check(1, 1).unwrap();
    let m = fit(
        &Matrix::new(&x, 1),
        &Target::Values(&[2.0; 3]),
        &no_early(),
        0,
        &mut go,
    )
    .unwrap();
    assert!((m.predict(&[5.0])[0] - 2.0).abs() < 1e-12);
    let m = fit(
        &Matrix::new(&[], 1),
        &Target::Values(&[]),
        &no_early(),
        0,
        &mut go,
    )
    .unwrap();
    assert_eq!(m.iterations, 0);
    // A constant feature cannot be split.
    let y = [0, 1, 0, 1, 0, 1];
    let target = Target::Classes {
        y: &y,
        n_classes: 2,
    };
    let m = fit(&Matrix::new(&[1.0; 6], 1), &target, &no_early(), 0, &mut go).unwrap();
    assert!(m.trees.iter().all(|t| t.nodes.len() == 1));
    assert!((m.predict(&[1.0])[1] - 0.5).abs() < 1e-9);
}

#[test]
fn raw_and_binned_prediction_agree_on_training_rows() {
    // Thresholds are real values: predicting raw rows reproduces the binned training path.
    let (x, y) = circle(2000, 13);
    let mut x = x;
    for (i, v) in x.iter_mut().enumerate() {
        if i % 17 == 0 {
            *v = f64::NAN;
        }
    }
    let yv: Vec<f64> = y.iter().map(|&c| c as f64).collect();
    let p = GbdtParams {
        max_iter: 1,
        learning_rate: 1.0,
        min_samples_leaf: 5,
        ..no_early()
    };
    let model = fit(&Matrix::new(&x, 4), &Target::Values(&yv), &p, 0, &mut go).unwrap();
    // One tree on the training rows: the mean of each leaf's rows is its value.
    let tree = &model.trees[0];
    let mut sums = vec![(0.0, 0usize); tree.nodes.len()];
    for (row, &t) in x.chunks_exact(4).zip(&yv) {
        let mut i = 0;
        while tree.nodes[i].left != 0 {
            let n = &tree.nodes[i];
            let v = row[n.feature as usize];
            let left = if v.is_nan() {
                n.missing_left
            } else {
                v <= n.threshold
            };
            i = if left { n.left } else { n.right } as usize;
        }
        sums[i].0 += t - model.baseline[0];
        sums[i].1 += 1;
    }
    for (n, (s, c)) in tree.nodes.iter().zip(sums) {
        if n.left == 0 {
            assert!(c > 0);
            assert!(
                (n.value - s / c as f64).abs() < 1e-5,
                "{} {}",
                n.value,
                s / c as f64
            );
        }
    }
}
