//! The convolutional network on small synthetic images: it learns, its exported weights give
//! burn's outputs with the engine's own convolution, and bad image sets are refused clearly.
#![cfg(feature = "nn")]
#![allow(clippy::unwrap_used)]

use std::ops::ControlFlow;

use kiln_engine::artifact::Artifact;
use kiln_engine::images::ImageSet;
use kiln_engine::models::cnn::ImageShape;
use kiln_engine::nn::{
    Compute, NetParams, NnData, Trainer, block_on, cross_validate_net, train_net,
};
use kiln_engine::train::{Family, Task, TrainConfig};
use kiln_engine::validate::{fold_prepared, folds};

const SIZE: usize = 8;

/// Gray 8×8 images of a bright horizontal or vertical bar at a varying place, with noise.
fn bars(n: usize) -> ImageSet {
    let mut set = ImageSet::new(ImageShape {
        size: SIZE,
        channels: 1,
    });
    let mut noise = 7u64;
    for i in 0..n {
        let horizontal = i % 2 == 0;
        let at = 1 + (i / 2) % (SIZE - 2);
        let mut px = vec![0f32; SIZE * SIZE];
        for (j, v) in px.iter_mut().enumerate() {
            noise = noise
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *v = (noise >> 40) as f32 / (1u64 << 24) as f32 * 0.3;
            let (y, x) = (j / SIZE, j % SIZE);
            if (horizontal && y == at) || (!horizontal && x == at) {
                *v = 1.0;
            }
        }
        set.push(if horizontal { "horizontal" } else { "vertical" }, &px)
            .unwrap();
    }
    set
}

fn config(params: &[(&str, &str)]) -> TrainConfig {
    let mut config = TrainConfig::new(Task::Classification, "class", Family::Cnn);
    config.seed = 5;
    for (k, v) in [
        ("image_size", "8"),
        ("color", "gray"),
        ("filters", "4x8"),
        ("hidden", "16"),
        ("batch_size", "16"),
        ("learning_rate", "0.01"),
        ("dropout", "0"),
    ]
    .iter()
    .chain(params)
    {
        config.params.insert(k.to_string(), v.to_string());
    }
    config
}

#[test]
fn a_cnn_learns_bars_and_its_artifact_predicts_them_without_burn() {
    let prepared = bars(120)
        .prepare(&config(&[("epochs", "12"), ("early_stopping", "false")]))
        .unwrap();
    let params = NetParams::read(&prepared).unwrap();
    let trained = block_on(train_net(&prepared, &params, Compute::Cpu, &mut |_| {
        ControlFlow::Continue(())
    }))
    .unwrap();
    assert_eq!(trained.history.epochs.len(), 12);
    let accuracy = trained.outcome.artifact.scores["accuracy"];
    assert!(accuracy >= 0.9, "accuracy {accuracy}");
    let artifact = Artifact::decode(&trained.outcome.artifact.encode().unwrap()).unwrap();
    assert_eq!(
        artifact.image,
        Some(ImageShape {
            size: 8,
            channels: 1
        })
    );
    let mut vertical = vec![0.0; 64];
    (0..8).for_each(|y| vertical[y * 8 + 4] = 1.0);
    let p = artifact.model.output(&vertical);
    assert!(p[1] > 0.5, "vertical bar scored {p:?}");
}

#[test]
fn exported_convolutions_with_batch_norm_match_burn() {
    let prepared = bars(40)
        .prepare(&config(&[
            ("epochs", "3"),
            ("batch_norm", "true"),
            ("flip", "true"),
            ("shift", "1"),
        ]))
        .unwrap();
    let params = NetParams::read(&prepared).unwrap();
    let data = NnData::from_prepared(&prepared).unwrap();
    let mut trainer = Trainer::new(&data, &params, Compute::Cpu, 1, None).unwrap();
    while !trainer.finished() {
        block_on(trainer.epoch()).unwrap();
    }
    let x = &data.x[..data.width * 6];
    let burn = block_on(trainer.outputs(x, data.width)).unwrap();
    let fitted = trainer.checkpoint().unwrap().kept().to_fitted();
    for (row, out) in x.chunks(data.width).zip(burn.chunks(2)) {
        let row: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
        let ours = fitted.forward(&row);
        for (a, b) in ours.iter().zip(out) {
            assert!((a - f64::from(*b)).abs() < 1e-3, "{ours:?} vs {out:?}");
        }
    }
}

#[test]
fn image_sets_that_cannot_train_say_why() {
    let mut one = ImageSet::new(ImageShape {
        size: 8,
        channels: 1,
    });
    for _ in 0..6 {
        one.push("cat", &[0.5; 64]).unwrap();
    }
    let e = one.prepare(&config(&[])).unwrap_err().to_string();
    assert!(
        e.contains("at least two classes") && e.contains("\"cat\""),
        "{e}"
    );
    let e = one.push("dog", &[0.5; 10]).unwrap_err().to_string();
    assert!(e.contains("10 values; 64 were expected"), "{e}");
    let e = bars(8)
        .prepare(&config(&[("filters", "4x8x8x8")]))
        .and_then(|p| NetParams::read(&p).map(|_| ()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("filters") && e.contains("halving"), "{e}");
}

#[test]
fn a_cnn_cross_validates_on_folds_of_its_training_images() {
    let prepared = bars(120)
        .prepare(&config(&[("epochs", "12"), ("early_stopping", "false")]))
        .unwrap();
    let scores = block_on(cross_validate_net(&prepared, 3, Compute::Cpu, &mut |_| {
        ControlFlow::Continue(())
    }))
    .unwrap();
    let accuracy = scores.headline();
    assert_eq!(accuracy.len(), 3);
    // Each fold scores its own third of the 96 training images and learns the bars.
    assert!(accuracy.iter().all(|&a| a >= 0.8), "{accuracy:?}");
    // The folds' holdouts cover the 96 training images once, with their pixels.
    let folds = folds(&prepared, 3).unwrap();
    let mut scored = 0;
    for fold in &folds {
        let run = fold_prepared(&prepared, fold).unwrap();
        assert_eq!(run.x_holdout.len(), fold.holdout.len() * 64);
        assert_eq!(run.x_train.len(), fold.train.len() * 64);
        scored += fold.holdout.len();
    }
    assert_eq!(scored, prepared.split.train.len());
}
