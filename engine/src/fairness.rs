//! How a classifier does across the groups of a sensitive column: each group's size,
//! accuracy, selection rate and true/false positive rates for a chosen positive class, the
//! largest gap between groups on each figure, and a plain warning when a gap passes the
//! threshold the person set.

use kiln_protocol::explain::{FairnessReport, FairnessRequest, Gap, GroupFigures};

use crate::artifact::Artifact;
use crate::data::Frame;
use crate::model::argmax;
use crate::models::Matrix;
use crate::train::Task;

/// How a missing value of the sensitive column is shown as a group.
pub const MISSING_GROUP: &str = "(missing)";

/// Groups smaller than this are reported but left out of the gaps (a gap between a group of
/// three and the rest says nothing).
pub const MIN_GROUP: usize = 5;

/// Reads one figure of a group (`None` where it is undefined).
type Figure = fn(&GroupFigures) -> Option<f64>;

/// Figures per group. `actual` and `predicted` are class labels, `groups` the sensitive
/// column's values, all for the same rows; `positive` is the class that counts as selected.
pub fn report(
    column: &str,
    actual: &[String],
    predicted: &[String],
    groups: &[String],
    positive: &str,
    threshold: f64,
) -> FairnessReport {
    let mut names: Vec<&String> = groups.iter().collect();
    names.sort();
    names.dedup();
    let figures: Vec<GroupFigures> = names
        .into_iter()
        .map(|g| {
            let rows: Vec<usize> = (0..groups.len()).filter(|&i| &groups[i] == g).collect();
            let share = |count: usize, of: usize| (of > 0).then(|| count as f64 / of as f64);
            let right = rows.iter().filter(|&&i| actual[i] == predicted[i]).count();
            let selected = rows.iter().filter(|&&i| predicted[i] == positive).count();
            let positives: Vec<usize> = rows
                .iter()
                .copied()
                .filter(|&i| actual[i] == positive)
                .collect();
            let negatives = rows.len() - positives.len();
            let true_pos = positives
                .iter()
                .filter(|&&i| predicted[i] == positive)
                .count();
            let false_pos = selected - true_pos;
            GroupFigures {
                group: g.clone(),
                size: rows.len(),
                accuracy: share(right, rows.len()).unwrap_or(0.0),
                selection_rate: share(selected, rows.len()).unwrap_or(0.0),
                true_positive_rate: share(true_pos, positives.len()),
                false_positive_rate: share(false_pos, negatives),
            }
        })
        .collect();
    let counted: Vec<&GroupFigures> = figures.iter().filter(|g| g.size >= MIN_GROUP).collect();
    let metrics: [(&str, Figure); 4] = [
        ("accuracy", |g| Some(g.accuracy)),
        ("selection_rate", |g| Some(g.selection_rate)),
        ("true_positive_rate", |g| g.true_positive_rate),
        ("false_positive_rate", |g| g.false_positive_rate),
    ];
    let gaps: Vec<Gap> = metrics
        .iter()
        .filter_map(|(name, get)| {
            let values: Vec<(&str, f64)> = counted
                .iter()
                .filter_map(|g| Some((g.group.as_str(), get(g)?)))
                .collect();
            let low = values.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
            let high = values.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
            let gap = high.1 - low.1;
            Some(Gap {
                metric: (*name).to_string(),
                gap,
                lowest: low.0.to_string(),
                highest: high.0.to_string(),
                exceeds: gap > threshold,
            })
        })
        .collect();
    let largest = gaps.iter().max_by(|a, b| a.gap.total_cmp(&b.gap));
    let warning = largest.filter(|g| g.exceeds).map(|g| {
        format!(
            "The {} of \"{}\" ({}) and \"{}\" ({}) differ by {:.1} points, more than the {:.1} allowed.",
            g.metric.replace('_', " "),
            g.highest,
            percent(&figures, &g.highest, &g.metric),
            g.lowest,
            percent(&figures, &g.lowest, &g.metric),
            g.gap * 100.0,
            threshold * 100.0
        )
    });
    FairnessReport {
        column: column.to_string(),
        positive: positive.to_string(),
        threshold,
        largest_gap: largest.map_or(0.0, |g| g.gap),
        groups: figures,
        gaps,
        warning,
    }
}

/// A classifier's figures per group of `request.column` on `rows` of `frame` (rows whose
/// target is not a known class are left out).
pub fn on_rows(
    artifact: &Artifact,
    frame: &Frame,
    rows: &[usize],
    request: &FairnessRequest,
) -> Result<FairnessReport, String> {
    if artifact.task != Task::Classification {
        return Err("fairness per group is measured for classifiers".into());
    }
    if !artifact.classes.contains(&request.positive) {
        return Err(format!(
            "\"{}\" is not one of the model's classes ({})",
            request.positive,
            artifact.classes.join(", ")
        ));
    }
    if !(0.0..=1.0).contains(&request.threshold) {
        return Err(format!(
            "the gap threshold must be between 0 and 1 (got {})",
            request.threshold
        ));
    }
    let sensitive = frame
        .column(&request.column)
        .ok_or_else(|| format!("the data has no column \"{}\"", request.column))?;
    let target = frame
        .column(&artifact.target)
        .ok_or_else(|| format!("the data has no target column \"{}\"", artifact.target))?;
    let x = artifact.recipe.transform_frame(frame, rows);
    let x = Matrix::new(&x, artifact.recipe.width());
    let (mut actual, mut predicted, mut groups) = (Vec::new(), Vec::new(), Vec::new());
    for (&row, values) in rows.iter().zip(x.rows()) {
        let truth = target.cell_text(row).trim().to_string();
        if !artifact.classes.contains(&truth) {
            continue;
        }
        let out = artifact.model.output(values);
        predicted.push(
            artifact
                .classes
                .get(argmax(&out))
                .cloned()
                .unwrap_or_default(),
        );
        actual.push(truth);
        let group = sensitive.cell_text(row).trim().to_string();
        groups.push(if group.is_empty() {
            MISSING_GROUP.to_string()
        } else {
            group
        });
    }
    if actual.is_empty() {
        return Err("no row has a known class to compare with".into());
    }
    Ok(report(
        &request.column,
        &actual,
        &predicted,
        &groups,
        &request.positive,
        request.threshold,
    ))
}

fn percent(figures: &[GroupFigures], group: &str, metric: &str) -> String {
    let value = figures
        .iter()
        .find(|g| g.group == group)
        .and_then(|g| match metric {
            "accuracy" => Some(g.accuracy),
            "selection_rate" => Some(g.selection_rate),
            "true_positive_rate" => g.true_positive_rate,
            _ => g.false_positive_rate,
        });
    value.map_or_else(|| "-".into(), |v| format!("{:.1}%", v * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(s: &str) -> Vec<String> {
        s.chars().map(|c| c.to_string()).collect()
    }

    #[test]
    fn group_figures_and_the_largest_gap_match_a_hand_count() {
        // Group a: 6 rows, predictions select 4; group b: 6 rows, select 1.
        let actual = labels("yyynnnyyynnn");
        let predicted = labels("yyyynnynnnnn");
        let groups = labels("aaaaaabbbbbb");
        let r = report("sex", &actual, &predicted, &groups, "y", 0.2);
        let a = &r.groups[0];
        assert_eq!((a.group.as_str(), a.size), ("a", 6));
        assert!((a.accuracy - 5.0 / 6.0).abs() < 1e-12);
        assert!((a.selection_rate - 4.0 / 6.0).abs() < 1e-12);
        assert_eq!(a.true_positive_rate, Some(1.0));
        assert!((a.false_positive_rate.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let b = &r.groups[1];
        assert!((b.true_positive_rate.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(b.false_positive_rate, Some(0.0));
        // The largest gap is in true positive rates: 1 - 1/3.
        assert!((r.largest_gap - 2.0 / 3.0).abs() < 1e-12);
        let warning = r.warning.unwrap();
        assert!(warning.contains("true positive rate"), "{warning}");
        assert!(warning.contains("66.7 points"), "{warning}");
        // Under a looser threshold nothing is flagged.
        let loose = report("sex", &actual, &predicted, &groups, "y", 0.9);
        assert!(loose.warning.is_none());
        assert!(loose.gaps.iter().all(|g| !g.exceeds));
    }

    #[test]
    fn tiny_groups_are_shown_but_not_compared() {
        let actual = labels("yyyyynnnnny");
        let predicted = labels("yyyyynnnnnn");
        let groups = labels("aaaaaaaaaab");
        let r = report("g", &actual, &predicted, &groups, "y", 0.1);
        assert_eq!(r.groups.len(), 2);
        assert_eq!(r.largest_gap, 0.0);
        assert!(r.warning.is_none());
    }
}
