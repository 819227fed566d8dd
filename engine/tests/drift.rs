//! The drift check on synthetic data whose shifts are known: a shifted feature is flagged, an
//! unshifted one is not (and false alarms stay near the stated significance), the reference
//! travels in the artifact, and labelled batches are scored.
#![allow(clippy::unwrap_used)]

use kiln_engine::artifact::Artifact;
use kiln_engine::data::{ParseOptions, parse};
use kiln_engine::drift::{DriftError, check};
use kiln_engine::fit::{no_stop, train};
use kiln_engine::train::{Family, Task, TrainConfig, prepare};
use kiln_protocol::monitor::{DriftReport, DriftSettings, DriftTest};
use kiln_protocol::rng::SplitMix64;

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut SplitMix64) -> f64 {
    let u = rng.unit().max(1e-12);
    let v = rng.unit();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// Rows of `income,age,region,bought`: `shift` moves income by that many standard
/// deviations, `west` is the share of region "west" (0.25 in training).
fn table(rows: usize, seed: u64, shift: f64, west: f64) -> String {
    let mut rng = SplitMix64::new(seed);
    let mut out = String::from("income,age,region,bought\n");
    for _ in 0..rows {
        let income = 50.0 + 10.0 * (normal(&mut rng) + shift);
        let age = 40.0 + 12.0 * normal(&mut rng);
        let region = if rng.unit() < west {
            "west"
        } else {
            ["north", "south", "east"][rng.below(3)]
        };
        let score = (income - 50.0) / 10.0 + if region == "west" { 1.0 } else { 0.0 };
        let bought = if score + 0.5 * normal(&mut rng) > 0.3 {
            "yes"
        } else {
            "no"
        };
        out.push_str(&format!("{income:.3},{age:.2},{region},{bought}\n"));
    }
    out
}

fn model(family: Family) -> Artifact {
    let text = table(3000, 1, 0.0, 0.25);
    let config = TrainConfig::new(Task::Classification, "bought", family);
    let prepared = prepare("train.csv", &text, &config).unwrap();
    train(&prepared, &mut no_stop).unwrap().artifact
}

fn drift(artifact: &Artifact, text: &str) -> DriftReport {
    let frame = parse(
        "batch.csv",
        text.as_bytes(),
        &ParseOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    check(artifact, &frame, &DriftSettings::default()).unwrap()
}

fn feature<'a>(r: &'a DriftReport, name: &str) -> &'a kiln_protocol::monitor::FeatureDrift {
    r.features.iter().find(|f| f.name == name).unwrap()
}

#[test]
fn a_shifted_feature_is_flagged_and_the_others_are_not() {
    let artifact = model(Family::Gbdt);
    // Half a standard deviation on income, 500 rows: tests, not distances.
    let report = drift(&artifact, &table(500, 2, 0.5, 0.25));
    let income = feature(&report, "income");
    assert_eq!(income.test, DriftTest::Ks);
    assert!(income.drifted, "{income:?}");
    assert!(income.p_value.unwrap() < 0.001);
    assert!(income.psi > 0.1, "psi {}", income.psi);
    let age = feature(&report, "age");
    assert!(!age.drifted, "{age:?}");
    assert!(age.p_value.unwrap() > 0.05);
    let region = feature(&report, "region");
    assert_eq!(region.test, DriftTest::ChiSquare);
    assert!(!region.drifted, "{region:?}");
    assert_eq!(report.drifted, vec!["income".to_string()]);
    // More rows are predicted to buy, so the predictions drift too.
    let prediction = report.prediction.as_ref().unwrap();
    assert!(prediction.drifted, "{prediction:?}");
    // The batch has labels: its accuracy sits beside the test accuracy.
    let accuracy = report
        .performance
        .iter()
        .find(|p| p.metric == "accuracy")
        .unwrap();
    assert!(accuracy.training.unwrap() > 0.8);
    assert!(accuracy.batch > 0.7 && accuracy.batch <= 1.0);
}

#[test]
fn unshifted_batches_raise_few_false_alarms_at_the_stated_significance() {
    let artifact = model(Family::Logistic);
    let mut alarms = 0;
    let mut checks = 0;
    for seed in 100..160 {
        let report = drift(&artifact, &table(300, seed, 0.0, 0.25));
        for f in &report.features {
            checks += 1;
            alarms += usize::from(f.drifted);
        }
    }
    // alpha is 0.05: about 9 of 180 by chance; the binned reference makes the tests a little
    // conservative, and twice alpha would mean they are miscalibrated.
    let rate = alarms as f64 / checks as f64;
    assert!(rate <= 0.10, "{alarms} alarms in {checks} checks");
}

#[test]
fn a_category_share_change_is_flagged_and_large_batches_use_distances() {
    let artifact = model(Family::Forest);
    let report = drift(&artifact, &table(400, 3, 0.0, 0.6));
    let region = feature(&report, "region");
    assert_eq!(region.test, DriftTest::ChiSquare);
    assert!(region.drifted && region.p_value.unwrap() < 0.001);
    let west = region.bins.iter().find(|b| b.label == "west").unwrap();
    assert!((west.reference - 0.25).abs() < 0.03, "{west:?}");
    assert!((west.batch - 0.6).abs() < 0.08, "{west:?}");
    assert!(!feature(&report, "income").drifted);

    // 5,000 rows: a tiny shift is significant to any test but not a change that matters.
    let big = drift(&artifact, &table(5000, 4, 0.02, 0.25));
    let income = feature(&big, "income");
    assert_eq!(income.test, DriftTest::Wasserstein);
    assert_eq!(income.p_value, None);
    assert!(!income.drifted, "{income:?}");
    assert_eq!(feature(&big, "region").test, DriftTest::JensenShannon);
    let shifted = drift(&artifact, &table(5000, 5, 1.0, 0.25));
    let income = feature(&shifted, "income");
    assert!(income.drifted && income.statistic > 0.5, "{income:?}");
}

#[test]
fn the_reference_travels_in_the_artifact_and_a_missing_one_is_explained() {
    let artifact = model(Family::Tree);
    let decoded = Artifact::decode(&artifact.encode().unwrap()).unwrap();
    assert_eq!(decoded.reference, artifact.reference);
    let reference = decoded.reference.as_ref().unwrap();
    assert_eq!(reference.columns.len(), 3);
    assert_eq!(reference.feature_means.len(), decoded.recipe.width());

    // A model written before references were kept still loads; drift says what to do.
    let mut old: serde_json::Value = serde_json::from_str(&artifact.encode().unwrap()).unwrap();
    old.as_object_mut().unwrap().remove("reference");
    let old = Artifact::from_value(old).unwrap();
    let frame = parse(
        "b.csv",
        table(50, 9, 0.0, 0.25).as_bytes(),
        &ParseOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let err = check(&old, &frame, &DriftSettings::default()).unwrap_err();
    assert_eq!(err, DriftError::NoReference);
    assert!(err.to_string().contains("retrain"));

    // A batch without any input column is refused by name; one lacking a column says so.
    let other = parse(
        "b.csv",
        b"colour,size\nred,1\n",
        &ParseOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let err = check(&artifact, &other, &DriftSettings::default()).unwrap_err();
    assert!(err.to_string().contains("income"), "{err}");
    let partial = drift(&artifact, "income,region\n51,north\n48,west\n");
    assert_eq!(partial.missing_columns, vec!["age".to_string()]);
    assert_eq!(partial.features.len(), 2);

    // A damaged reference is refused when the file is read.
    let mut bad: serde_json::Value = serde_json::from_str(&artifact.encode().unwrap()).unwrap();
    bad["reference"]["feature_means"] = serde_json::json!([1.0]);
    assert!(Artifact::from_value(bad).is_err());
}

#[test]
fn a_regression_model_reports_prediction_drift_in_target_units() {
    let mut text = String::from("x,y\n");
    let mut rng = SplitMix64::new(11);
    for _ in 0..1000 {
        let x = normal(&mut rng);
        text.push_str(&format!("{x:.4},{:.4}\n", 3.0 * x + 0.1 * normal(&mut rng)));
    }
    let config = TrainConfig::new(Task::Regression, "y", Family::Linear);
    let artifact = train(&prepare("r.csv", &text, &config).unwrap(), &mut no_stop)
        .unwrap()
        .artifact;
    let mut batch = String::from("x,note\n");
    for _ in 0..300 {
        batch.push_str(&format!("{:.4},new\n", normal(&mut rng) + 1.0));
    }
    let report = drift(&artifact, &batch);
    let prediction = report.prediction.unwrap();
    assert!(prediction.numeric && prediction.drifted);
    assert!(report.performance.is_empty(), "the batch has no target");
}

#[test]
fn a_date_column_is_binned_and_labelled_as_dates() {
    // `day` runs through 2023 in training and through 2024 in the batch.
    let rows = |year: u32, seed: u64| {
        let mut rng = SplitMix64::new(seed);
        let mut out = String::from("day,income,bought\n");
        for _ in 0..400 {
            let (month, date) = (1 + rng.below(12), 1 + rng.below(28));
            let income = 50.0 + 10.0 * normal(&mut rng);
            let bought = if income > 50.0 { "yes" } else { "no" };
            out.push_str(&format!(
                "{year}-{month:02}-{date:02},{income:.2},{bought}\n"
            ));
        }
        out
    };
    let config = TrainConfig::new(Task::Classification, "bought", Family::Tree);
    let prepared = prepare("train.csv", &rows(2023, 1), &config).unwrap();
    let artifact = train(&prepared, &mut no_stop).unwrap().artifact;
    let report = drift(&artifact, &rows(2024, 2));
    let day = feature(&report, "day");
    assert!(day.drifted, "{day:?}");
    assert!(!feature(&report, "income").drifted);
    assert!(day.bins.len() > 2);
    for bin in &day.bins {
        assert!(
            bin.label.starts_with("≤ 2023-") || bin.label.starts_with("> 2023-"),
            "{}",
            bin.label
        );
    }
}
