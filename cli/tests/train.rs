//! `kiln train` and `kiln predict` from a shell, as a person or another tool runs them: the
//! JSON contract, every model family, hyperparameter errors, and batch scoring.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fails, kiln, stdout_of};
use serde_json::Value;

fn ok(args: &[&str]) -> Value {
    serde_json::from_str(&stdout_of(args)).unwrap()
}

fn train(data: &str, target: &str, model: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "train", "--data", data, "--target", target, "--model", model, "--json",
    ];
    args.extend_from_slice(extra);
    ok(&args)
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-cli-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

const IRIS: &str = "static/samples/iris.csv";
const DIABETES: &str = "static/samples/diabetes.csv";

#[test]
fn every_classifier_reports_the_contract_on_a_stratified_fifth() {
    for model in [
        "logistic",
        "linear",
        "tree",
        "forest",
        "gbdt",
        "knn",
        "naive_bayes",
    ] {
        let r = train(IRIS, "species", model, &[]);
        assert_eq!(r["task"], "classification", "{model}");
        assert_eq!(r["n_train"], 120, "{model}");
        assert_eq!(r["n_test"], 30, "{model}");
        assert!(r["fit_seconds"].as_f64().unwrap() >= 0.0);
        assert!(r["predict_seconds"].as_f64().unwrap() >= 0.0);
        let m = &r["metrics"];
        assert!(m["accuracy"].as_f64().unwrap() >= 0.85, "{model}: {m}");
        assert!(m["f1_macro"].as_f64().unwrap() >= 0.85, "{model}: {m}");
        assert!(m["roc_auc"].as_f64().unwrap() >= 0.9, "{model}: {m}");
        assert!(m["log_loss"].as_f64().unwrap() > 0.0, "{model}: {m}");
        // Stratified: ten of each class among the test rows.
        let counts = r["confusion"]["counts"].as_array().unwrap();
        for row in counts {
            let n: u64 = row
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .sum();
            assert_eq!(n, 10, "{model}");
        }
        // The majority-class baseline is a third on balanced iris.
        let baseline = r["baseline"]["accuracy"].as_f64().unwrap();
        assert!((baseline - 1.0 / 3.0).abs() < 1e-9, "{model}: {baseline}");
    }
    assert_eq!(train(IRIS, "species", "linear", &[])["model"], "logistic");
}

#[test]
fn every_regressor_beats_the_mean_on_diabetes() {
    for model in [
        "linear",
        "ridge",
        "lasso",
        "elastic_net",
        "forest",
        "gbdt",
        "knn",
        "tree",
    ] {
        let r = train(DIABETES, "progression", model, &[]);
        assert_eq!(r["task"], "regression", "{model}");
        let m = &r["metrics"];
        let rmse = m["rmse"].as_f64().unwrap();
        assert!(
            m["mae"].as_f64().unwrap() > 0.0 && m["r2"].is_number(),
            "{model}: {m}"
        );
        let baseline = r["baseline"]["rmse"].as_f64().unwrap();
        // A single unpruned tree overfits; every other family must beat the mean clearly.
        if model != "tree" {
            assert!(
                rmse < baseline * 0.9,
                "{model}: {rmse} vs baseline {baseline}"
            );
        }
    }
}

#[test]
fn clustering_reports_ari_silhouette_and_explained_variance() {
    let r = ok(&[
        "train",
        "--data",
        IRIS,
        "--target",
        "species",
        "--model",
        "kmeans",
        "--param",
        "n_clusters=3",
        "--json",
    ]);
    assert_eq!(r["task"], "clustering");
    assert!(
        r["metrics"]["ari"].as_f64().unwrap() > 0.4,
        "{}",
        r["metrics"]
    );
    assert!(r["metrics"]["silhouette"].as_f64().unwrap() > 0.3);
    assert!(
        !r["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "species"),
        "the labels must not be a feature"
    );
    let unlabelled = ok(&["train", "--data", IRIS, "--model", "kmeans", "--json"]);
    assert!(unlabelled["metrics"]["ari"].is_null());
    let pca = ok(&["train", "--data", IRIS, "--model", "pca", "--json"]);
    let ratio: Vec<f64> = pca["metrics"]["explained_variance_ratio"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // Four numeric features plus the one-hot species: every component, largest first.
    assert!(ratio.len() >= 4, "{ratio:?}");
    assert!(ratio.windows(2).all(|w| w[0] >= w[1]), "{ratio:?}");
    assert!((ratio.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{ratio:?}");
    // Given a target, PCA leaves it out of its inputs and still reports components.
    let labelled = train(IRIS, "species", "pca", &["--param", "n_components=2"]);
    assert_eq!(labelled["task"], "clustering");
    assert_eq!(
        labelled["metrics"]["explained_variance_ratio"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(labelled["metrics"]["accuracy"].is_null());
    assert_eq!(labelled["features"].as_array().unwrap().len(), 4);
}

#[test]
fn cross_validation_gives_every_metric_a_mean_and_spread() {
    let r = train(
        IRIS,
        "species",
        "gbdt",
        &["--cv", "3", "--param", "max_iter=20"],
    );
    assert_eq!(r["cv_folds"], 3);
    for metric in ["accuracy", "f1_macro", "log_loss"] {
        let m = &r["cv"][metric];
        assert!(m["mean"].as_f64().unwrap() > 0.0, "{metric}: {m}");
        assert!(m["std"].as_f64().unwrap() >= 0.0, "{metric}: {m}");
    }
}

#[test]
fn hyperparameters_are_checked_before_fitting() {
    let err = fails(&[
        "train",
        "--data",
        IRIS,
        "--target",
        "species",
        "--model",
        "tree",
        "--param",
        "max_depth=0",
    ]);
    assert!(
        err.contains("parameter \"max_depth\"") && err.contains("from 1 to 100"),
        "{err}"
    );
    let err = fails(&[
        "train", "--data", IRIS, "--target", "species", "--model", "forest", "--param", "depth=3",
    ]);
    assert!(
        err.contains("\"depth\" is not known") && err.contains("n_estimators"),
        "{err}"
    );
    let err = fails(&[
        "train", "--data", IRIS, "--target", "species", "--param", "C",
    ]);
    assert!(err.contains("KEY=VALUE"), "{err}");
    let err = fails(&[
        "train", "--data", IRIS, "--target", "species", "--model", "svm",
    ]);
    assert!(err.contains("gbdt") && err.contains("naive_bayes"), "{err}");
    let err = fails(&[
        "train",
        "--data",
        IRIS,
        "--target",
        "species",
        "--model",
        "ridge",
        "--task",
        "classification",
    ]);
    assert!(err.contains("ridge does not do classification"), "{err}");
    let err = fails(&["train", "--data", IRIS, "--model", "gbdt"]);
    assert!(err.contains("needs --target"), "{err}");
}

#[test]
fn a_seed_gives_the_same_forest_and_parameters_change_it() {
    let a = train(
        DIABETES,
        "progression",
        "forest",
        &["--seed", "3", "--param", "n_estimators=20"],
    );
    let b = train(
        DIABETES,
        "progression",
        "forest",
        &["--seed", "3", "--param", "n_estimators=20"],
    );
    assert_eq!(a["metrics"], b["metrics"]);
    assert_eq!(a["params"]["n_estimators"], "20");
    let shallow = train(DIABETES, "progression", "tree", &["--param", "max_depth=2"]);
    let deep = train(DIABETES, "progression", "tree", &[]);
    assert_ne!(shallow["metrics"]["rmse"], deep["metrics"]["rmse"]);
}

#[test]
fn predict_writes_a_row_per_input_with_class_probabilities() {
    let model = temp("churn.kiln.json");
    let scored = temp("scored.csv");
    ok(&[
        "train",
        "--data",
        "static/samples/churn.csv",
        "--target",
        "churned",
        "--model",
        "gbdt",
        "--out",
        model.to_str().unwrap(),
        "--json",
    ]);
    let out = kiln(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--data",
        "static/samples/churn.csv",
        "--out",
        scored.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&scored).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("prediction,probability_no,probability_yes")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 400);
    for row in &rows {
        let cells: Vec<&str> = row.split(',').collect();
        assert!(["yes", "no"].contains(&cells[0]), "{row}");
        let p: f64 = cells[1..].iter().map(|c| c.parse::<f64>().unwrap()).sum();
        assert!((p - 1.0).abs() < 1e-4, "{row}");
    }
    // Regression to standard output, and a bad value named by row and column.
    let model = temp("diabetes.kiln.json");
    ok(&[
        "train",
        "--data",
        DIABETES,
        "--target",
        "progression",
        "--model",
        "ridge",
        "--out",
        model.to_str().unwrap(),
        "--json",
    ]);
    let out = kiln(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--data",
        DIABETES,
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("prediction\n"), "{stdout}");
    assert_eq!(stdout.lines().count(), 443);
    let diabetes = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../static/samples/diabetes.csv"
    ))
    .unwrap();
    let header = diabetes.lines().next().unwrap();
    let first = diabetes.lines().nth(1).unwrap();
    let columns = header.split(',').count();
    let bad_row: Vec<String> = first
        .split(',')
        .enumerate()
        .map(|(i, v)| {
            if i == 0 {
                "old".to_string()
            } else {
                v.to_string()
            }
        })
        .collect();
    let bad = temp("bad.csv");
    std::fs::write(&bad, format!("{header}\n{first}\n{}\n", bad_row.join(","))).unwrap();
    assert_eq!(bad_row.len(), columns);
    let err = fails(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--data",
        bad.to_str().unwrap(),
    ]);
    let first_column = header.split(',').next().unwrap();
    assert!(
        err.contains("data row 2") && err.contains(first_column),
        "{err}"
    );
}

#[test]
fn a_missing_file_or_target_is_reported_without_a_panic() {
    let err = fails(&["train", "--data", "no/such.csv", "--target", "y"]);
    assert!(err.contains("cannot read no/such.csv"), "{err}");
    let err = fails(&["train", "--data", IRIS, "--target", "colour"]);
    assert!(err.contains("there is no column \"colour\""), "{err}");
    let err = fails(&["predict", "--model", "no/model.json", "--data", IRIS]);
    assert!(err.contains("cannot read no/model.json"), "{err}");
}
