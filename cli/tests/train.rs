//! `kiln train` from a shell, as a person would run it.
#![allow(clippy::unwrap_used)]

mod common;

use common::kiln;

#[test]
fn train_prints_holdout_metrics_as_json() {
    let out = kiln(&[
        "train",
        "--data",
        "static/samples/iris.csv",
        "--target",
        "species",
        "--model",
        "logistic",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["metrics"]["kind"], "classification");
    assert!(report["metrics"]["accuracy"].as_f64().unwrap() >= 0.9);
    assert_eq!(report["metrics"]["holdout_rows"], 30);
    assert_eq!(report["classes"].as_array().unwrap().len(), 3);
}

#[test]
fn train_writes_a_model_file_the_engine_reads_back() {
    let dir = std::env::temp_dir().join(format!("kiln-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("diabetes.kiln.json");
    let out = kiln(&[
        "train",
        "--data",
        "static/samples/diabetes.csv",
        "--target",
        "progression",
        "--task",
        "regression",
        "--model",
        "linear",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("R²"));
    let artifact =
        kiln_engine::artifact::Artifact::decode(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(artifact.target, "progression");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_file_or_target_is_reported_without_a_panic() {
    let out = kiln(&["train", "--data", "no/such.csv", "--target", "y"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read no/such.csv"));
    let out = kiln(&[
        "train",
        "--data",
        "static/samples/iris.csv",
        "--target",
        "colour",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("there is no column \"colour\""), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[cfg(feature = "nn")]
#[test]
fn train_fits_a_neural_network_on_the_cpu() {
    let out = kiln(&[
        "train",
        "--data",
        "static/samples/iris.csv",
        "--target",
        "species",
        "--model",
        "mlp",
        "--epochs",
        "150",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["model"], "mlp");
    assert!(report["metrics"]["accuracy"].as_f64().unwrap() >= 0.85);
}
