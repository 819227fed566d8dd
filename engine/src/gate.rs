//! The promotion gate: a retrained model replaces the production version only when, scored on
//! the same held-out rows, it is not worse on the chosen metric by more than the person allows
//! and (when asked) its largest fairness gap stays under the limit. The decision carries one
//! sentence per rule, which the registry keeps as the promotion's reason.

use std::collections::BTreeMap;

use kiln_protocol::evaluation::Evaluation;
use kiln_protocol::monitor::{Gate, GateDecision};

use crate::artifact::format_value;

/// A metric's value as the reasons write it: shares shown as percentages (accuracy, MAPE) in
/// per cent, the rest as they are.
fn value(metric: &str, v: f64) -> String {
    if in_points(metric) {
        format!("{}%", format_value((v * 10_000.0).round() / 100.0))
    } else {
        format_value(v)
    }
}

/// A difference in a metric: in points for percentages.
fn difference(metric: &str, d: f64) -> String {
    if in_points(metric) {
        points(d)
    } else {
        format_value(d)
    }
}

/// A share as points: "1 point", "0.5 points".
fn points(share: f64) -> String {
    let n = round(share * 100.0);
    format!(
        "{} point{}",
        format_value(n),
        if n == 1.0 { "" } else { "s" }
    )
}

fn in_points(metric: &str) -> bool {
    matches!(metric, "accuracy" | "mape")
}

/// Four decimals: enough that a drop just over the limit never reads as equal to it, few
/// enough that 0.1 + 0.2 does not read 0.30000000000000004.
fn round(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Decides on a candidate. `candidate` and `production` are both models' scores on the same
/// `rows`; `fairness_gap` is the candidate's largest gap on the gate's sensitive column.
pub fn decide(
    gate: &Gate,
    candidate: &BTreeMap<String, f64>,
    production: Option<&BTreeMap<String, f64>>,
    fairness_gap: Option<f64>,
    rows: usize,
) -> GateDecision {
    let metric = gate.metric.as_str();
    let mut reasons = Vec::new();
    let mut passed = true;
    let cand = candidate.get(metric).copied().filter(|v| v.is_finite());
    let prod = production.map(|p| p.get(metric).copied().filter(|v| v.is_finite()));
    match (cand, prod) {
        (None, _) => {
            passed = false;
            reasons.push(format!("The candidate has no {metric} on these rows."));
        }
        (Some(c), None) => reasons.push(format!(
            "{metric} {}; there is no production version to compare with.",
            value(metric, c)
        )),
        // Production exists but cannot be scored on this metric here (a class missing from
        // the rows, labels it does not know): no comparison, so no pass.
        (Some(c), Some(None)) => {
            passed = false;
            reasons.push(format!(
                "{metric} {}, but production has no {metric} on these {rows} rows to compare with; choose another metric.",
                value(metric, c)
            ));
        }
        (Some(c), Some(Some(p))) => {
            let higher = Evaluation::higher_is_better(metric);
            let worse_by = if higher { p - c } else { c - p };
            let holds = worse_by <= gate.max_drop + 1e-12;
            passed &= holds;
            let change = if worse_by > 0.0 {
                format!("worse by {}", difference(metric, worse_by))
            } else {
                format!("better by {}", difference(metric, -worse_by))
            };
            reasons.push(format!(
                "{metric} {} against production's {} on the same {rows} rows: {change}, {} the {} allowed.",
                value(metric, c),
                value(metric, p),
                if holds { "within" } else { "more than" },
                difference(metric, gate.max_drop)
            ));
        }
    }
    if let Some(f) = &gate.fairness {
        match fairness_gap {
            Some(gap) if gap <= f.max_gap + 1e-12 => reasons.push(format!(
                "Largest gap across \"{}\" groups {} (limit {}).",
                f.column,
                points(gap),
                points(f.max_gap)
            )),
            Some(gap) => {
                passed = false;
                reasons.push(format!(
                    "Largest gap across \"{}\" groups {} is above the limit of {}.",
                    f.column,
                    points(gap),
                    points(f.max_gap)
                ));
            }
            None => {
                passed = false;
                reasons.push(format!(
                    "The fairness of \"{}\" could not be checked on these rows.",
                    f.column
                ));
            }
        }
    }
    GateDecision {
        passed,
        metric: metric.to_string(),
        candidate: cand.unwrap_or(0.0),
        production: prod.flatten(),
        fairness_gap,
        rows,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_protocol::monitor::FairnessGate;

    fn scores(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn half_a_point_worse_passes_and_more_fails() {
        let gate = Gate {
            metric: "accuracy".into(),
            max_drop: 0.005,
            fairness: None,
        };
        let production = scores(&[("accuracy", 0.90)]);
        let ok = decide(
            &gate,
            &scores(&[("accuracy", 0.896)]),
            Some(&production),
            None,
            200,
        );
        assert!(ok.passed, "{:?}", ok.reasons);
        assert!(ok.reasons[0].contains("within"), "{:?}", ok.reasons);
        let bad = decide(
            &gate,
            &scores(&[("accuracy", 0.89)]),
            Some(&production),
            None,
            200,
        );
        assert!(!bad.passed);
        assert!(
            bad.reasons[0].contains("accuracy 89% against production's 90%")
                && bad.reasons[0].contains("worse by 1 point, more than the 0.5 points allowed"),
            "{:?}",
            bad.reasons
        );
        // Errors are better when lower.
        let gate = Gate {
            metric: "rmse".into(),
            ..gate
        };
        let production = scores(&[("rmse", 10.0)]);
        assert!(
            decide(
                &gate,
                &scores(&[("rmse", 9.0)]),
                Some(&production),
                None,
                50
            )
            .passed
        );
        assert!(
            !decide(
                &gate,
                &scores(&[("rmse", 10.5)]),
                Some(&production),
                None,
                50
            )
            .passed
        );
        // Production that cannot be scored on the metric is no reason to pass.
        let unscored = decide(
            &gate,
            &scores(&[("rmse", 9.0)]),
            Some(&scores(&[])),
            None,
            50,
        );
        assert!(!unscored.passed);
        assert!(
            unscored.reasons[0].contains("production has no rmse"),
            "{:?}",
            unscored.reasons
        );
        // Nothing in production: the first version passes on its own.
        assert!(decide(&gate, &scores(&[("rmse", 10.5)]), None, None, 50).passed);
    }

    #[test]
    fn a_fairness_gap_above_the_limit_stops_a_better_model() {
        let gate = Gate {
            metric: "accuracy".into(),
            max_drop: 0.005,
            fairness: Some(FairnessGate {
                column: "sex".into(),
                positive: "yes".into(),
                max_gap: 0.1,
            }),
        };
        let production = scores(&[("accuracy", 0.80)]);
        let candidate = scores(&[("accuracy", 0.85)]);
        let d = decide(&gate, &candidate, Some(&production), Some(0.25), 100);
        assert!(!d.passed);
        assert!(
            d.reasons[1].contains("\"sex\" groups 25 points is above the limit of 10 points"),
            "{:?}",
            d.reasons
        );
        assert!(decide(&gate, &candidate, Some(&production), Some(0.05), 100).passed);
        assert!(!decide(&gate, &candidate, Some(&production), None, 100).passed);
    }
}
