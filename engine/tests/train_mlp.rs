//! Training neural networks with burn's CPU backend: settings, curves, early stopping, resuming
//! from a checkpoint, and exported models that reproduce burn's outputs.
#![cfg(feature = "nn")]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use kiln_engine::artifact::Artifact;
use kiln_engine::fit::FamilyParams;
use kiln_engine::nn::{
    Compute, MlpParams, NetParams, NnData, Trainer, block_on, conclude, cross_validate_net,
    train_net,
};
use kiln_engine::train::{Family, Prepared, Task, TrainConfig, TrainError, prepare};

const IRIS: &str = include_str!("../../static/samples/iris.csv");

fn iris(params: &[(&str, &str)]) -> (Prepared, MlpParams) {
    let mut config = TrainConfig::new(Task::Classification, "species", Family::Mlp);
    config.seed = 7;
    config.params = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>();
    let prepared = prepare("iris.csv", IRIS, &config).unwrap();
    let FamilyParams::Mlp(params) = FamilyParams::read(&prepared.config).unwrap() else {
        panic!("not an MLP")
    };
    (prepared, params)
}

#[test]
fn an_mlp_learns_iris_with_curves_and_its_artifact_predicts_without_burn() {
    let (prepared, params) = iris(&[
        ("epochs", "150"),
        ("learning_rate", "0.01"),
        ("early_stopping", "false"),
    ]);
    let mut epochs_seen = 0;
    let trained = block_on(train_net(
        &prepared,
        &NetParams::Mlp(params.clone()),
        Compute::Cpu,
        &mut |_| {
            epochs_seen += 1;
            ControlFlow::Continue(())
        },
    ))
    .unwrap();
    assert_eq!(epochs_seen, 150);
    let history = &trained.history;
    assert_eq!(history.metric, "accuracy");
    assert_eq!(history.epochs.len(), 150);
    assert_eq!(history.stopped, None);
    let (first, last) = (&history.epochs[0], &history.epochs[149]);
    assert!(
        first.train_loss > last.train_loss * 2.0,
        "{first:?} {last:?}"
    );
    assert!(last.val_loss.unwrap() < first.val_loss.unwrap());
    assert!(
        last.train_metric > 0.9 && last.val_metric.unwrap() > 0.8,
        "{last:?}"
    );
    assert_eq!(last.device, "CPU");
    let accuracy = trained.outcome.artifact.scores["accuracy"];
    assert!(accuracy >= 0.9, "accuracy {accuracy}");
    let decoded = Artifact::decode(&trained.outcome.artifact.encode().unwrap()).unwrap();
    let setosa = |c: &str| {
        Some(
            match c {
                "sepal_length" => "5.0",
                "sepal_width" => "3.4",
                "petal_length" => "1.5",
                _ => "0.2",
            }
            .to_string(),
        )
    };
    let p = decoded.predict(setosa).unwrap();
    assert_eq!(p.label, "setosa");
    assert_eq!(p.probabilities.len(), 3);
}

#[test]
fn early_stopping_keeps_the_best_epoch_and_says_why_it_stopped() {
    let (prepared, params) = iris(&[
        ("epochs", "2000"),
        ("learning_rate", "0.05"),
        ("patience", "5"),
    ]);
    let trained = block_on(train_net(
        &prepared,
        &NetParams::Mlp(params.clone()),
        Compute::Cpu,
        &mut |_| ControlFlow::Continue(()),
    ))
    .unwrap();
    let h = &trained.history;
    assert!(h.epochs.len() < 2000, "ran {} epochs", h.epochs.len());
    let best = h.best_epoch.unwrap();
    assert_eq!(
        h.epochs.len() as u32,
        best + 5,
        "stops 5 epochs after the best"
    );
    let stopped = h.stopped.as_deref().unwrap();
    assert!(
        stopped.contains("did not improve for 5 epochs"),
        "{stopped}"
    );
    let best_loss = h.epochs[best as usize - 1].val_loss.unwrap();
    assert!(
        h.epochs
            .iter()
            .all(|e| e.val_loss.unwrap() >= best_loss - 1e-4)
    );
}

#[test]
fn resuming_from_a_checkpoint_continues_the_epochs() {
    let (prepared, params) = iris(&[("epochs", "6"), ("early_stopping", "false")]);
    let data = NnData::from_prepared(&prepared).unwrap();
    let mut first = Trainer::new(
        &data,
        &NetParams::Mlp(params.clone()),
        Compute::Cpu,
        7,
        None,
    )
    .unwrap();
    for _ in 0..3 {
        block_on(first.epoch()).unwrap();
    }
    let checkpoint = first.into_checkpoint().unwrap();
    assert_eq!(checkpoint.epochs_done(), 3);
    let mut second = Trainer::new(
        &data,
        &NetParams::Mlp(params.clone()),
        Compute::Cpu,
        7,
        Some(checkpoint.clone()),
    )
    .unwrap();
    // The resumed network starts from the checkpoint's weights.
    let x = &data.x[..data.width * 5];
    let before = Artifact::decode(
        &conclude(&prepared, &checkpoint)
            .outcome
            .artifact
            .encode()
            .unwrap(),
    )
    .unwrap();
    let burn = block_on(second.outputs(x, data.width)).unwrap();
    for (row, out) in x.chunks(data.width).zip(burn.chunks(3)) {
        let row: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
        let ours = before.model.forward(&row);
        for (a, b) in ours.iter().zip(out) {
            assert!((a - f64::from(*b)).abs() < 1e-4, "{ours:?} vs {out:?}");
        }
    }
    while !second.finished() {
        block_on(second.epoch()).unwrap();
    }
    let done = second.into_checkpoint().unwrap();
    let epochs: Vec<u32> = done.history.epochs.iter().map(|e| e.epoch).collect();
    assert_eq!(epochs, vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn batch_norm_dropout_tanh_and_sgd_train_and_export_the_same_outputs() {
    let (prepared, params) = iris(&[
        ("hidden", "16x8"),
        ("batch_norm", "true"),
        ("dropout", "0.2"),
        ("activation", "tanh"),
        ("optimizer", "sgd"),
        ("learning_rate", "0.05"),
        ("schedule", "step"),
        ("batch_size", "16"),
        ("epochs", "40"),
        ("early_stopping", "false"),
    ]);
    let data = NnData::from_prepared(&prepared).unwrap();
    let mut trainer = Trainer::new(
        &data,
        &NetParams::Mlp(params.clone()),
        Compute::Cpu,
        3,
        None,
    )
    .unwrap();
    while !trainer.finished() {
        block_on(trainer.epoch()).unwrap();
    }
    let rates: Vec<f64> = trainer
        .checkpoint()
        .unwrap()
        .history
        .epochs
        .iter()
        .map(|e| e.learning_rate)
        .collect();
    assert!(
        (rates[0] - 0.05).abs() < 1e-12 && (rates[39] - 0.0005).abs() < 1e-9,
        "{rates:?}"
    );
    let burn = block_on(trainer.outputs(&data.x, data.width)).unwrap();
    let fitted = trainer.checkpoint().unwrap().kept().to_fitted();
    assert_eq!(
        fitted.layers().len(),
        3,
        "two hidden layers (norm folded) and the output"
    );
    for (row, out) in data.x.chunks(data.width).zip(burn.chunks(3)) {
        let row: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
        let ours = fitted.forward(&row);
        for (a, b) in ours.iter().zip(out) {
            assert!((a - f64::from(*b)).abs() < 1e-3, "{ours:?} vs {out:?}");
        }
    }
    let trained = conclude(&prepared, trainer.checkpoint().unwrap());
    assert!(trained.outcome.artifact.scores["accuracy"] > 0.8);
}

#[test]
fn the_same_seed_gives_the_same_network_even_while_others_train_beside_it() {
    // Initial weights and dropout masks come from the run's seed alone: another network
    // training on another thread at the same time draws nothing from this one's stream.
    let (prepared, params) = iris(&[("epochs", "5"), ("dropout", "0.3")]);
    let run = |seed: u64| {
        let mut prepared = prepared.clone();
        prepared.config.seed = seed;
        block_on(train_net(
            &prepared,
            &NetParams::Mlp(params.clone()),
            Compute::Cpu,
            &mut |_| ControlFlow::Continue(()),
        ))
        .unwrap()
        .outcome
        .artifact
        .model
    };
    let alone = run(7);
    let (beside, others) = std::thread::scope(|s| {
        let others: Vec<_> = (0..3).map(|i| s.spawn(move || run(100 + i))).collect();
        let beside = run(7);
        (
            beside,
            others
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect::<Vec<_>>(),
        )
    });
    assert_eq!(alone, beside);
    assert_ne!(alone, others[0], "another seed gives another network");
    assert_eq!(others[0], run(100));
}

#[test]
fn balanced_class_weights_favour_the_rare_class() {
    // 10 % positives whose feature overlaps the negatives.
    let mut csv = String::from("x,y\n");
    for i in 0..400 {
        let positive = i % 10 == 0;
        let x = (i * 37 % 100) as f64 / 100.0 + if positive { 0.35 } else { 0.0 };
        csv.push_str(&format!("{x},{}\n", if positive { "yes" } else { "no" }));
    }
    let positives = |weights: &str| {
        let mut config = TrainConfig::new(Task::Classification, "y", Family::Mlp);
        config.params.insert("class_weight".into(), weights.into());
        config.params.insert("epochs".into(), "60".into());
        config.params.insert("learning_rate".into(), "0.01".into());
        config
            .params
            .insert("early_stopping".into(), "false".into());
        let prepared = prepare("w.csv", &csv, &config).unwrap();
        let FamilyParams::Mlp(params) = FamilyParams::read(&prepared.config).unwrap() else {
            panic!()
        };
        let trained = block_on(train_net(
            &prepared,
            &NetParams::Mlp(params.clone()),
            Compute::Cpu,
            &mut |_| ControlFlow::Continue(()),
        ))
        .unwrap();
        let x: Vec<f64> = prepared.x_train.clone();
        x.chunks(prepared.width())
            .filter(|r| trained.outcome.artifact.model.output(r)[1] > 0.5)
            .count()
    };
    let (plain, balanced) = (positives("none"), positives("balanced"));
    assert!(
        balanced > plain * 2 && balanced > 30,
        "plain {plain}, balanced {balanced}"
    );
}

#[test]
fn a_regression_network_reports_rmse_in_target_units() {
    let mut csv = String::from("a,b,y\n");
    for i in 0..300 {
        let (a, b) = ((i % 17) as f64, (i % 7) as f64);
        csv.push_str(&format!("{a},{b},{}\n", 1000.0 + 30.0 * a - 20.0 * b));
    }
    let mut config = TrainConfig::new(Task::Regression, "y", Family::Mlp);
    config.params.insert("epochs".into(), "150".into());
    config.params.insert("learning_rate".into(), "0.01".into());
    let prepared = prepare("r.csv", &csv, &config).unwrap();
    let FamilyParams::Mlp(params) = FamilyParams::read(&prepared.config).unwrap() else {
        panic!()
    };
    let trained = block_on(train_net(
        &prepared,
        &NetParams::Mlp(params.clone()),
        Compute::Cpu,
        &mut |_| ControlFlow::Continue(()),
    ))
    .unwrap();
    let h = &trained.history;
    assert_eq!(h.metric, "rmse");
    let last = h.epochs.last().unwrap();
    // The target's spread is about 150; a fitted network is within a few units.
    assert!(h.epochs[0].train_metric > 50.0, "{:?}", h.epochs[0]);
    assert!(last.val_metric.unwrap() < 15.0, "{last:?}");
    assert!(trained.outcome.artifact.scores["r2"] > 0.98);
}

#[test]
fn cancelling_an_mlp_stops_it() {
    let (prepared, params) = iris(&[]);
    let result = block_on(train_net(
        &prepared,
        &NetParams::Mlp(params.clone()),
        Compute::Cpu,
        &mut |_| ControlFlow::Break(()),
    ));
    assert!(matches!(result, Err(TrainError::Cancelled)));
}

#[test]
fn a_network_cross_validates_with_a_fresh_network_per_fold() {
    let (prepared, _) = iris(&[
        ("epochs", "100"),
        ("learning_rate", "0.01"),
        ("early_stopping", "false"),
    ]);
    let mut asked = Vec::new();
    let scores = block_on(cross_validate_net(&prepared, 3, Compute::Cpu, &mut |f| {
        asked.push(f);
        ControlFlow::Continue(())
    }))
    .unwrap();
    assert_eq!(asked, [0, 1, 2]);
    assert_eq!(scores.metric, "accuracy");
    let accuracy = scores.headline();
    assert_eq!(accuracy.len(), 3);
    // Folds score different rows, so their accuracies are not all the same, and all are good.
    assert!(accuracy.iter().all(|&a| a > 0.8), "{accuracy:?}");
    assert!(accuracy.iter().any(|&a| a != accuracy[0]), "{accuracy:?}");
    assert!(scores.summary().contains_key("f1_macro"));

    let stopped = block_on(cross_validate_net(&prepared, 3, Compute::Cpu, &mut |f| {
        if f == 1 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }));
    assert_eq!(stopped.unwrap_err(), TrainError::Cancelled);
}
