//! Evaluate: holdout metrics of the selected run, its confusion matrix as a chart, its loss
//! curve, and a form to try the model on a row.

use kiln_protocol::project::Metrics;
use leptos::prelude::*;

use crate::charts::{ConfusionChart, LossCurve};
use crate::pages::predict::PredictForm;
use crate::state::use_studio;

#[component]
pub fn EvaluatePage() -> impl IntoView {
    let studio = use_studio();
    let run = move || {
        let project = studio.project()?;
        let selected = studio.selected_run.get();
        project
            .runs
            .iter()
            .find(|r| Some(&r.id) == selected.as_ref())
            .or(project.runs.last())
            .cloned()
    };
    view! {
        <section class="page" aria-labelledby="evaluate-heading">
            <h2 id="evaluate-heading">"Evaluate"</h2>
            {move || match run() {
                None => view! { <p class="hint">"Train a model to see how it does."</p> }.into_any(),
                Some(run) => {
                    let metrics = match run.metrics.clone() {
                        Metrics::Classification { accuracy, macro_f1, confusion, holdout_rows } => view! {
                            <dl class="metrics">
                                <dt>"Accuracy"</dt><dd data-testid="metric-accuracy">{format!("{:.1}%", accuracy * 100.0)}</dd>
                                <dt>"Macro-F1"</dt><dd data-testid="metric-macro-f1">{format!("{macro_f1:.3}")}</dd>
                                <dt>"Holdout rows"</dt><dd data-testid="metric-holdout">{holdout_rows}</dd>
                            </dl>
                            <h3>"Confusion matrix"</h3>
                            <ConfusionChart matrix=confusion />
                        }.into_any(),
                        Metrics::Regression { rmse, mae, r2, holdout_rows } => view! {
                            <dl class="metrics">
                                <dt>"RMSE"</dt><dd data-testid="metric-rmse">{format!("{rmse:.3}")}</dd>
                                <dt>"MAE"</dt><dd data-testid="metric-mae">{format!("{mae:.3}")}</dd>
                                <dt>"R²"</dt><dd data-testid="metric-r2">{format!("{r2:.3}")}</dd>
                                <dt>"Holdout rows"</dt><dd data-testid="metric-holdout">{holdout_rows}</dd>
                            </dl>
                        }.into_any(),
                    };
                    let losses = run.loss_curve.clone();
                    view! {
                        <div class="card">
                            <p data-testid="evaluated-run">
                                {format!(
                                    "{} · trained on {} · evaluated on {}",
                                    run.model.label(),
                                    run.device,
                                    run.split.as_ref().map_or_else(
                                        || "a 20% holdout".to_string(),
                                        |s| format!("a holdout split {}", s.describe()),
                                    )
                                )}
                            </p>
                            {run.cv.clone().map(|cv| view! {
                                <p data-testid="run-cv">
                                    {format!(
                                        "Cross-validation ({} folds, recipe refitted in each): {} {:.3} ± {:.3} (folds: {})",
                                        cv.folds.len(),
                                        cv.metric,
                                        cv.mean,
                                        cv.std,
                                        cv.folds.iter().map(|f| format!("{f:.3}")).collect::<Vec<_>>().join(", ")
                                    )}
                                </p>
                            })}
                            {run.recipe.clone().map(|r| view! {
                                <details data-testid="run-recipe">
                                    <summary>{format!("Recipe ({} steps)", r.steps.len())}</summary>
                                    <ol>{r.steps.iter().map(|s| view! { <li>{s.describe()}</li> }).collect_view()}</ol>
                                </details>
                            })}
                            <ul class="notes" data-testid="run-notes">
                                {run.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
                            </ul>
                            {metrics}
                            <h3>"Training loss"</h3>
                            <LossCurve losses=Signal::derive(move || losses.clone()) />
                        </div>
                        <PredictForm artifact=run.artifact.clone() fields=run.inputs.clone() />
                    }.into_any()
                }
            }}
        </section>
    }
}
