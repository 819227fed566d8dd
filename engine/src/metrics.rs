//! Evaluation metrics: accuracy, macro-F1 and the confusion matrix for classification; RMSE,
//! MAE and R² for regression.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scores {
    Classification {
        accuracy: f64,
        macro_f1: f64,
        /// `confusion[actual][predicted]`.
        confusion: Vec<Vec<u64>>,
        holdout_rows: usize,
    },
    Regression {
        rmse: f64,
        mae: f64,
        r2: f64,
        holdout_rows: usize,
    },
}

/// Scores class predictions against the truth; classes are indices below `n_classes`.
pub fn classification(actual: &[usize], predicted: &[usize], n_classes: usize) -> Scores {
    let mut confusion = vec![vec![0u64; n_classes]; n_classes];
    for (&a, &p) in actual.iter().zip(predicted) {
        if a < n_classes && p < n_classes {
            confusion[a][p] += 1;
        }
    }
    let total = actual.len().max(1) as f64;
    let correct: u64 = (0..n_classes).map(|c| confusion[c][c]).sum();
    let f1s: Vec<f64> = (0..n_classes)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let fp: f64 = (0..n_classes)
                .filter(|&a| a != c)
                .map(|a| confusion[a][c] as f64)
                .sum();
            let fn_: f64 = (0..n_classes)
                .filter(|&p| p != c)
                .map(|p| confusion[c][p] as f64)
                .sum();
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (2.0 * tp + fp + fn_)
            }
        })
        .collect();
    // Macro average over classes present in the holdout or predicted, as scikit-learn does
    // over labels seen in either.
    let seen: Vec<f64> = (0..n_classes)
        .filter(|&c| {
            confusion[c].iter().sum::<u64>() > 0 || (0..n_classes).any(|a| confusion[a][c] > 0)
        })
        .map(|c| f1s[c])
        .collect();
    let macro_f1 = if seen.is_empty() {
        0.0
    } else {
        seen.iter().sum::<f64>() / seen.len() as f64
    };
    Scores::Classification {
        accuracy: correct as f64 / total,
        macro_f1,
        confusion,
        holdout_rows: actual.len(),
    }
}

pub fn regression(actual: &[f64], predicted: &[f64]) -> Scores {
    let n = actual.len().max(1) as f64;
    let mean = actual.iter().sum::<f64>() / n;
    let (mut se, mut ae, mut tot) = (0.0, 0.0, 0.0);
    for (&a, &p) in actual.iter().zip(predicted) {
        se += (a - p).powi(2);
        ae += (a - p).abs();
        tot += (a - mean).powi(2);
    }
    let r2 = if tot > 0.0 { 1.0 - se / tot } else { 0.0 };
    Scores::Regression {
        rmse: (se / n).sqrt(),
        mae: ae / n,
        r2,
        holdout_rows: actual.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_predictions_score_one() {
        let Scores::Classification {
            accuracy,
            macro_f1,
            confusion,
            ..
        } = classification(&[0, 1, 2, 1], &[0, 1, 2, 1], 3)
        else {
            panic!("expected classification scores")
        };
        assert_eq!(accuracy, 1.0);
        assert_eq!(macro_f1, 1.0);
        assert_eq!(confusion[1][1], 2);
    }

    #[test]
    fn macro_f1_averages_per_class_f1() {
        // class 0: tp=1 fp=1 fn=0 -> f1=2/3; class 1: tp=0 fp=0 fn=1 -> 0
        let Scores::Classification {
            accuracy,
            macro_f1,
            confusion,
            ..
        } = classification(&[0, 1], &[0, 0], 2)
        else {
            panic!("expected classification scores")
        };
        assert_eq!(accuracy, 0.5);
        assert!((macro_f1 - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(confusion, vec![vec![1, 0], vec![1, 0]]);
    }

    #[test]
    fn regression_scores_match_hand_computation() {
        let Scores::Regression { rmse, mae, r2, .. } =
            regression(&[1.0, 2.0, 3.0], &[1.0, 2.0, 4.0])
        else {
            panic!("expected regression scores")
        };
        assert!((rmse - (1.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((mae - 1.0 / 3.0).abs() < 1e-12);
        assert!((r2 - 0.5).abs() < 1e-12);
    }
}
