//! A neural network's training, epoch by epoch: loss and metric for the training batches and
//! the validation rows. Shown live while training and with every finished run.

use kiln_protocol::project::{EpochStats, TrainingHistory};
use leptos::prelude::*;

use crate::plot::{Marks, Series, XyPlot};

fn series(
    label: &str,
    epochs: &[EpochStats],
    value: impl Fn(&EpochStats) -> Option<f64>,
    colour: usize,
) -> Option<Series> {
    let points: Vec<(f64, f64)> = epochs
        .iter()
        .filter_map(|e| value(e).map(|v| (f64::from(e.epoch), v)))
        .collect();
    (!points.is_empty()).then(|| Series::new(label, points, Marks::Line, colour))
}

/// Loss and metric curves of `history` (train and validation).
#[component]
pub fn EpochCurves(history: TrainingHistory) -> impl IntoView {
    let epochs = &history.epochs;
    let metric: &'static str = if history.metric == "rmse" {
        "RMSE"
    } else {
        "accuracy"
    };
    let losses: Vec<Series> = [
        series("training", epochs, |e| Some(e.train_loss), 0),
        series("validation", epochs, |e| e.val_loss, 1),
    ]
    .into_iter()
    .flatten()
    .collect();
    let metrics: Vec<Series> = [
        series("training", epochs, |e| Some(e.train_metric), 0),
        series("validation", epochs, |e| e.val_metric, 1),
    ]
    .into_iter()
    .flatten()
    .collect();
    let summary = epochs.last().map(|last| {
        let mut text = format!(
            "{} epochs on {}; last epoch {:.0} ms, learning rate {:.2e}",
            epochs.len(),
            last.device,
            last.ms,
            last.learning_rate
        );
        if let Some(best) = history.best_epoch {
            text.push_str(&format!("; weights kept from epoch {best}"));
        }
        text
    });
    view! {
        <div data-testid="epoch-curves" data-epochs=epochs.len() class="row" style="align-items: flex-start;">
            <XyPlot testid="epoch-loss-plot" series=losses x_label="epoch" y_label="loss" />
            <XyPlot testid="epoch-metric-plot" series=metrics x_label="epoch" y_label=metric />
        </div>
        <p class="hint" data-testid="epoch-summary">{summary}</p>
        {history.stopped.clone().map(|s| view! { <p class="hint" data-testid="early-stopped">{s}</p> })}
    }
}
