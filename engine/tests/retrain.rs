//! Retraining behind the gate on synthetic data whose change is known: buyers used to be those
//! earning over 50, now over 60. A model retrained on the new rows beats production on held-out
//! new rows and passes; both data choices hold out the same batch rows; a fairness limit nobody
//! can meet refuses the candidate with its reason; bad batches get errors naming the file.
#![allow(clippy::unwrap_used)]

use kiln_engine::artifact::Artifact;
use kiln_engine::fit::{no_stop, train};
use kiln_engine::retrain::{Source, compare, prepare};
use kiln_engine::train::{Family, SplitSpec, Task, TrainConfig, prepare as prepare_run};
use kiln_protocol::monitor::{FairnessGate, Gate, RetrainReport};
use kiln_protocol::rng::SplitMix64;

/// Rows of `income,age,region,bought`: bought when income (plus noise) exceeds `threshold`.
fn table(rows: usize, seed: u64, threshold: f64) -> String {
    let mut rng = SplitMix64::new(seed);
    let mut out = String::from("income,age,region,bought\n");
    for _ in 0..rows {
        let income = 30.0 + 50.0 * rng.unit();
        let age = 20.0 + 50.0 * rng.unit();
        let region = ["north", "south", "east", "west"][rng.below(4)];
        let noisy = income + 3.0 * (rng.unit() - 0.5);
        let bought = if noisy > threshold { "yes" } else { "no" };
        out.push_str(&format!("{income:.2},{age:.1},{region},{bought}\n"));
    }
    out
}

fn config() -> TrainConfig {
    TrainConfig::new(Task::Classification, "bought", Family::Tree)
}

fn production(old: &str) -> Artifact {
    let prepared = prepare_run("old.csv", old, &config()).unwrap();
    train(&prepared, &mut no_stop).unwrap().artifact
}

fn accuracy_gate() -> Gate {
    Gate {
        metric: "accuracy".into(),
        max_drop: 0.005,
        fairness: None,
    }
}

fn retrain(prod: &Artifact, base: Option<&str>, batch: &str, gate: &Gate) -> RetrainReport {
    let base = base.map(|text| Source {
        file_name: "old.csv",
        text,
    });
    let batch = Source {
        file_name: "new.csv",
        text: batch,
    };
    let (prepared, rows) = prepare(&config(), base, batch).unwrap();
    let candidate = train(&prepared, &mut no_stop).unwrap().artifact;
    compare(prod, &candidate, &prepared, gate, rows).unwrap()
}

#[test]
fn a_model_retrained_on_the_new_rows_beats_production_on_them_and_passes() {
    let old = table(600, 1, 50.0);
    let new = table(500, 2, 60.0);
    let prod = production(&old);
    let report = retrain(&prod, None, &new, &accuracy_gate());
    let (cand, was) = (report.candidate["accuracy"], report.production["accuracy"]);
    assert!(cand > was + 0.1, "candidate {cand}, production {was}");
    assert!(report.decision.passed, "{:?}", report.decision.reasons);
    assert!(
        report.decision.reasons[0].contains("better by"),
        "{:?}",
        report.decision.reasons
    );
    // A fifth of the batch is held out (stratified), and nothing else.
    assert_eq!(report.base_rows, 0);
    assert!((95..=105).contains(&report.held_out), "{}", report.held_out);
    assert_eq!(report.batch_train_rows + report.held_out, 500);
    assert_eq!(report.decision.rows, report.held_out);

    // Combining learns from every old row too, and is judged on the very same batch rows.
    let combined = retrain(&prod, Some(&old), &new, &accuracy_gate());
    assert_eq!(combined.base_rows, 600);
    assert_eq!(combined.held_out, report.held_out);
    assert_eq!(combined.batch_train_rows, report.batch_train_rows);
    assert_eq!(
        combined.production, report.production,
        "same rows, same scores"
    );
    assert!(combined.candidate["accuracy"] > was, "{combined:?}");
    assert_eq!(combined.overlap, 0);

    // A batch that repeats the earlier rows: the repeats of held-out rows are not learned.
    let repeat = retrain(&prod, Some(&old), &old, &accuracy_gate());
    assert!(repeat.held_out > 100, "{repeat:?}");
    assert_eq!(repeat.overlap, repeat.held_out, "{repeat:?}");
    assert_eq!(repeat.base_rows, 600 - repeat.held_out);
}

#[test]
fn a_worse_candidate_or_a_fairness_gap_is_refused_with_the_reason() {
    let old = table(600, 3, 50.0);
    let prod = production(&old);
    // The batch follows the old rule, but is small and half its labels are flipped: the
    // candidate learns noise and production, trained on the clean rule, stays ahead.
    let noisy: String = table(120, 4, 50.0)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            if i > 0 && i % 2 == 0 {
                let flipped = if line.ends_with("yes") {
                    line.replace(",yes", ",no")
                } else {
                    line.replace(",no", ",yes")
                };
                flipped + "\n"
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let report = retrain(&prod, None, &noisy, &accuracy_gate());
    assert!(!report.decision.passed, "{report:?}");
    assert!(
        report.decision.reasons[0].contains("more than the 0.5 points allowed"),
        "{:?}",
        report.decision.reasons
    );

    // A clean batch passes on accuracy but not under a fairness limit of zero.
    let gate = Gate {
        fairness: Some(FairnessGate {
            column: "region".into(),
            positive: "yes".into(),
            max_gap: 0.0,
        }),
        max_drop: 1.0,
        ..accuracy_gate()
    };
    let report = retrain(&prod, None, &table(400, 5, 50.0), &gate);
    assert!(!report.decision.passed);
    assert!(report.decision.fairness_gap.unwrap() > 0.0);
    assert!(report.production_gap.is_some());
    assert!(
        report.decision.reasons[1].contains("\"region\" groups")
            && report.decision.reasons[1].contains("above the limit of 0 points"),
        "{:?}",
        report.decision.reasons
    );
    // A column the data lacks cannot be checked, and says so.
    let gate = Gate {
        fairness: Some(FairnessGate {
            column: "gender".into(),
            positive: "yes".into(),
            max_gap: 0.5,
        }),
        ..gate
    };
    let report = retrain(&prod, None, &table(400, 5, 50.0), &gate);
    assert!(!report.decision.passed);
    assert!(
        report
            .decision
            .reasons
            .iter()
            .any(|r| r.contains("no column \"gender\"")),
        "{:?}",
        report.decision.reasons
    );
}

#[test]
fn batches_that_cannot_be_compared_are_refused_naming_the_file() {
    let old = table(200, 6, 50.0);
    let source = |text| Source {
        file_name: "new.csv",
        text,
    };
    let unlabelled = "income,age,region\n40,30,north\n70,50,south\n";
    let err = prepare(&config(), None, source(unlabelled))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("new.csv") && err.contains("target \"bought\""),
        "{err}"
    );
    let base = Some(Source {
        file_name: "old.csv",
        text: &old,
    });
    let err = prepare(&config(), base, source(unlabelled))
        .unwrap_err()
        .to_string();
    assert!(err.contains("new.csv has no values of the target"), "{err}");
    let tiny = "income,age,region,bought\n40,30,north,no\n70,50,south,yes\n";
    let err = prepare(&config(), base, source(tiny))
        .unwrap_err()
        .to_string();
    assert!(err.contains("new.csv has 2 labelled rows"), "{err}");
    let err = prepare(&config(), base, source("a,b\n1,\"2\n"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("new.csv: "), "{err}");
    let clustering = TrainConfig::new(Task::Clustering, "", Family::KMeans);
    let err = prepare(&clustering, base, source(&old))
        .unwrap_err()
        .to_string();
    assert!(err.contains("clustering"), "{err}");
}

#[test]
fn no_row_the_candidate_is_judged_on_is_one_it_learned_from() {
    let old = table(600, 7, 50.0);
    let prod = production(&old);
    // The batch repeats the first 100 earlier rows among 400 new ones.
    let mut batch = table(400, 8, 60.0);
    batch.extend(old.lines().skip(1).take(100).map(|l| format!("{l}\n")));
    let report = retrain(&prod, Some(&old), &batch, &accuracy_gate());
    assert!(report.overlap > 0 && report.overlap <= 100, "{report:?}");
    assert_eq!(report.base_rows, 600 - report.overlap);

    // Under a group split, no training row shares a group with a held-out row, wherever it
    // comes from.
    let with_groups = |text: &str, offset: usize| -> String {
        text.lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("{l},customer\n")
                } else {
                    format!("{l},c{}\n", (i + offset) % 40)
                }
            })
            .collect()
    };
    let (old_g, new_g) = (with_groups(&old, 0), with_groups(&table(300, 9, 60.0), 7));
    let mut config = config();
    config.split = SplitSpec::Group {
        column: "customer".into(),
    };
    let base = Source {
        file_name: "old.csv",
        text: &old_g,
    };
    let batch = Source {
        file_name: "new.csv",
        text: &new_g,
    };
    let (prepared, rows) = prepare(&config, Some(base), batch).unwrap();
    let customer = prepared.frame.column("customer").unwrap();
    let groups = |split: &[usize]| -> std::collections::BTreeSet<String> {
        prepared
            .frame_rows(split)
            .into_iter()
            .map(|r| customer.cell_text(r))
            .collect()
    };
    let (trained, judged) = (
        groups(&prepared.split.train),
        groups(&prepared.split.holdout),
    );
    assert!(!judged.is_empty() && !trained.is_empty());
    assert!(trained.is_disjoint(&judged), "{trained:?} / {judged:?}");
    assert!(
        prepared
            .frame_rows(&prepared.split.holdout)
            .iter()
            .all(|&r| r >= rows.start)
    );
    assert!(rows.overlap > 0);
}

#[test]
fn a_class_production_never_saw_is_named_in_the_reasons() {
    let old = table(600, 10, 50.0);
    let prod = production(&old);
    let batch: String = table(400, 11, 50.0)
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i > 0 && i % 5 == 0 {
                format!(
                    "{}maybe\n",
                    l.trim_end_matches("yes").trim_end_matches("no")
                )
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let report = retrain(&prod, None, &batch, &accuracy_gate());
    assert!(
        report
            .decision
            .reasons
            .iter()
            .any(|r| r.contains("have a class production does not know (maybe)")),
        "{:?}",
        report.decision.reasons
    );
}
