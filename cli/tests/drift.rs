//! `kiln drift` from a shell: the JSON contract a scheduled job reads, the table a person reads,
//! the exit status for drift, and clear errors for files that cannot be checked.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fails, kiln, stdout_of};
use serde_json::Value;

const CHURN: &str = "static/samples/churn.csv";

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kiln-cli-drift-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// The churn sample with every income raised by half.
fn richer(path: &std::path::Path) {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../",
        "static/samples/churn.csv"
    ))
    .unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
        if i > 0
            && let Ok(v) = cells[3].parse::<f64>()
        {
            cells[3] = format!("{}", (v * 1.5).round());
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(path, out).unwrap();
}

fn model() -> String {
    let path = temp("churn-model.json");
    stdout_of(&[
        "train",
        "--data",
        CHURN,
        "--target",
        "churned",
        "--model",
        "gbdt",
        "--out",
        path.to_str().unwrap(),
    ]);
    path.to_str().unwrap().to_string()
}

#[test]
fn drift_reports_each_feature_as_json_and_flags_only_the_shifted_one() {
    let model = model();
    let batch = temp("richer.csv");
    richer(&batch);
    let r: Value = serde_json::from_str(&stdout_of(&[
        "drift",
        "--model",
        &model,
        "--data",
        batch.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    assert_eq!(r["rows"], 400);
    let features = r["features"].as_array().unwrap();
    assert!(features.len() >= 5, "{features:?}");
    for f in features {
        for key in ["name", "test", "statistic", "psi", "drifted"] {
            assert!(!f[key].is_null(), "{key} missing in {f}");
        }
        // 400 rows: tests with p-values, KS for numbers and chi-square for categories.
        let test = f["test"].as_str().unwrap();
        assert!(test == "ks" || test == "chi_square", "{f}");
        assert!(f["p_value"].as_f64().unwrap() >= 0.0);
    }
    let drifted: Vec<&str> = features
        .iter()
        .filter(|f| f["drifted"] == true)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(drifted, vec!["income"], "{features:?}");
    let income = features.iter().find(|f| f["name"] == "income").unwrap();
    assert_eq!(income["test"], "ks");
    assert!(income["p_value"].as_f64().unwrap() < 0.001);
    // The batch carries `churned`: the model is scored on it beside its test figures.
    let accuracy = r["performance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["metric"] == "accuracy")
        .unwrap();
    assert!(accuracy["training"].as_f64().is_some());

    // A person's table, and exit status 3 for a scheduled check that asks for it.
    let table = stdout_of(&[
        "drift",
        "--model",
        &model,
        "--data",
        batch.to_str().unwrap(),
    ]);
    assert!(table.contains("1 of"), "{table}");
    assert!(table.contains("features drifted: income"), "{table}");
    let out = kiln(&[
        "drift",
        "--model",
        &model,
        "--data",
        batch.to_str().unwrap(),
        "--fail-on-drift",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let same = kiln(&[
        "drift",
        "--model",
        &model,
        "--data",
        CHURN,
        "--fail-on-drift",
    ]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
}

#[test]
fn drift_explains_files_it_cannot_check() {
    let model = model();
    let err = fails(&[
        "drift",
        "--model",
        &model,
        "--data",
        "static/samples/iris.csv",
    ]);
    assert!(err.contains("none of the model's input columns"), "{err}");
    let err = fails(&["drift", "--model", CHURN, "--data", CHURN]);
    assert!(
        err.contains("cannot use") && err.contains("churn.csv"),
        "{err}"
    );
    let err = fails(&["drift", "--model", &model, "--data", CHURN, "--alpha", "2"]);
    assert!(err.contains("significance level"), "{err}");
}
