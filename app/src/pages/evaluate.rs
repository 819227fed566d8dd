//! Evaluate: the selected run's test-row evaluation next to a trivial baseline's (scores,
//! curves, charts; see `eval_classification` and `eval_reports`), its cross-validation
//! summary, recipe, notes and loss curve, and a form to try the model on a row. Older runs
//! without a full evaluation show the scores they kept; a search trial, which kept no model,
//! offers to set up the Train page with its settings instead of the form.

use kiln_protocol::evaluation::{Evaluation, METRIC_NAMES};
use kiln_protocol::project::{CrossValidation, Metrics, ModelKind, RunRecord};
use leptos::prelude::*;

use crate::charts::{ConfusionChart, LossCurve};
use crate::metrics;
use crate::pages::curves::EpochCurves;
use crate::pages::eval_classification::ClassificationReport;
use crate::pages::eval_reports::{ClusteringReport, DecompositionReport, RegressionReport};
use crate::pages::predict::PredictForm;
use crate::state::{Page, Studio, use_studio};

/// The run the page shows: the selected one, else the latest.
pub(crate) fn shown_run(studio: Studio) -> Option<RunRecord> {
    let id = studio.current.get()?;
    let selected = studio.selected_run.get();
    studio.projects.with(|ps| {
        let project = ps.iter().find(|p| p.id == id)?;
        project
            .runs
            .iter()
            .find(|r| Some(&r.id) == selected.as_ref())
            .or(project.runs.last())
            .cloned()
    })
}

#[component]
pub fn EvaluatePage() -> impl IntoView {
    let studio = use_studio();
    // Rebuilt only when the shown run changes, not on every edit of the project (which would
    // reset the threshold slider and the prediction form).
    let run = Memo::new(move |_| shown_run(studio));
    view! {
        <section class="page" aria-labelledby="evaluate-heading">
            <h2 id="evaluate-heading">"Evaluate"</h2>
            {move || match run.get() {
                None => view! { <p class="hint">"Train a model to see how it does."</p> }.into_any(),
                Some(run) => view! { <RunView run=run /> }.into_any(),
            }}
        </section>
    }
}

fn split_text(run: &RunRecord) -> String {
    run.split.as_ref().map_or_else(
        || "a 20% holdout".to_string(),
        |s| format!("a holdout split {}", s.describe()),
    )
}

#[component]
fn RunView(run: RunRecord) -> impl IntoView {
    let report = match run.evaluation.as_deref() {
        Some(report) => {
            let baseline = report.baseline.clone();
            match report.model.clone() {
                Evaluation::Classification(c) => {
                    view! { <ClassificationReport model=c baseline=baseline /> }.into_any()
                }
                Evaluation::Regression(r) => {
                    view! { <RegressionReport model=r baseline=baseline /> }.into_any()
                }
                Evaluation::Clustering(c) => view! { <ClusteringReport model=c /> }.into_any(),
                Evaluation::Decomposition(d) => {
                    view! { <DecompositionReport model=d /> }.into_any()
                }
            }
        }
        None => legacy(&run).into_any(),
    };
    let params = (!run.params.is_empty()).then(|| {
        view! { <p data-testid="run-params">{format!("Hyperparameters: {}", metrics::params_text(&run))}</p> }
    });
    let provenance = provenance(&run);
    let losses = run.loss_curve.clone();
    let has_losses = !losses.is_empty();
    let image_size = run.artifact["image"]["size"].as_u64().map(|s| s as u32);
    let form = if run.artifact.is_null() {
        view! { <TrialNote run=run.clone() /> }.into_any()
    } else if let Some(size) = image_size {
        view! { <crate::pages::predict::ImagePredict artifact=run.artifact.clone() size=size /> }
            .into_any()
    } else {
        view! { <PredictForm artifact=run.artifact.clone() fields=run.inputs.clone() /> }.into_any()
    };
    view! {
        <div class="card">
            <p data-testid="evaluated-run">
                {format!("{} · trained on {} · evaluated on {}", run.model.label(), run.device, split_text(&run))}
            </p>
            {params}
            <p class="hint" data-testid="run-provenance">{provenance}</p>
            {run.cv.clone().map(|cv| view! { <CvSummary cv=cv images=run.model.images() /> })}
            {run.recipe.clone().map(|r| view! {
                <details data-testid="run-recipe">
                    <summary>{format!("Recipe ({} steps)", r.steps.len())}</summary>
                    <ol>{r.steps.iter().map(|s| view! { <li>{s.describe()}</li> }).collect_view()}</ol>
                </details>
            })}
            <ul class="notes" data-testid="run-notes">
                {run.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
            </ul>
            {report}
            {match run.history.clone() {
                Some(history) => Some(view! {
                    <h3>"Training curves"</h3>
                    <EpochCurves history=history />
                }.into_any()),
                None => has_losses.then(|| view! {
                    <h3>"Training loss"</h3>
                    <LossCurve losses=Signal::derive(move || losses.clone()) />
                }.into_any()),
            }}
        </div>
        {form}
    }
}

/// Seed, data fingerprint, engine version and the search a trial belonged to.
fn provenance(run: &RunRecord) -> String {
    let mut parts = vec![format!("trained {}", metrics::date_time(run.created_at_ms))];
    if let Some(seed) = run.seed {
        parts.push(format!("seed {seed}"));
    }
    if let Some(hash) = &run.data_hash {
        parts.push(format!("data {}", hash.chars().take(8).collect::<String>()));
    }
    if let Some(v) = &run.engine_version {
        parts.push(format!("engine {v}"));
    }
    if let Some(search) = &run.search {
        parts.push(format!("trial of search {search}"));
    }
    parts.join(" · ")
}

/// Every metric's mean ± standard deviation over the folds, under the headline line.
#[component]
fn CvSummary(cv: CrossValidation, images: bool) -> impl IntoView {
    let line = format!(
        "Cross-validation ({} folds, {}): {} {:.3} ± {:.3} (folds: {})",
        cv.folds.len(),
        if images {
            "a fresh network in each"
        } else {
            "recipe refitted in each"
        },
        cv.metric,
        cv.mean,
        cv.std,
        cv.folds
            .iter()
            .map(|f| format!("{f:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // Known metrics in their usual order, then any others.
    let mut names: Vec<&String> = METRIC_NAMES
        .iter()
        .filter_map(|n| cv.summary.get_key_value(*n).map(|(k, _)| k))
        .collect();
    names.extend(
        cv.summary
            .keys()
            .filter(|k| !METRIC_NAMES.contains(&k.as_str())),
    );
    let rows = names
        .into_iter()
        .filter_map(|name| {
            let s = cv.summary.get(name)?;
            Some(view! {
                <tr data-testid=format!("cv-{name}")>
                    <th scope="row">{metrics::label(name)}</th>
                    <td>{format!("{} ± {}", metrics::format(name, s.mean), metrics::format(name, s.std))}</td>
                </tr>
            })
        })
        .collect_view();
    let has_summary = !cv.summary.is_empty();
    view! {
        <p data-testid="run-cv">{line}</p>
        {has_summary.then(|| view! {
            <table data-testid="cv-summary" style="width: auto; min-width: 20rem;">
                <thead><tr><th>"Metric (over the folds)"</th><th>"mean ± std"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })}
    }
}

/// What an older run kept: its summary metrics and confusion matrix, or its scores.
fn legacy(run: &RunRecord) -> impl IntoView + use<> {
    match run.metrics.clone() {
        Some(Metrics::Classification {
            accuracy,
            macro_f1,
            confusion,
            holdout_rows,
        }) => view! {
            <dl class="metrics">
                <dt>"Accuracy"</dt><dd data-testid="metric-accuracy">{format!("{:.1}%", accuracy * 100.0)}</dd>
                <dt>"Macro-F1"</dt><dd data-testid="metric-macro-f1">{format!("{macro_f1:.3}")}</dd>
                <dt>"Holdout rows"</dt><dd data-testid="metric-holdout">{holdout_rows}</dd>
            </dl>
            <h3>"Confusion matrix"</h3>
            <ConfusionChart matrix=confusion />
        }
        .into_any(),
        Some(Metrics::Regression {
            rmse,
            mae,
            r2,
            holdout_rows,
        }) => view! {
            <dl class="metrics">
                <dt>"RMSE"</dt><dd data-testid="metric-rmse">{format!("{rmse:.3}")}</dd>
                <dt>"MAE"</dt><dd data-testid="metric-mae">{format!("{mae:.3}")}</dd>
                <dt>"R²"</dt><dd data-testid="metric-r2">{format!("{r2:.3}")}</dd>
                <dt>"Holdout rows"</dt><dd data-testid="metric-holdout">{holdout_rows}</dd>
            </dl>
        }
        .into_any(),
        None => {
            let scores = run
                .scores
                .iter()
                .map(|(name, v)| {
                    view! {
                        <dt>{metrics::label(name)}</dt>
                        <dd data-testid=format!("metric-{name}")>{metrics::format(name, *v)}</dd>
                    }
                })
                .collect_view();
            view! {
                <p class="hint" data-testid="no-evaluation">"This run kept its test scores only, without curves or a baseline."</p>
                <dl class="metrics">{scores}</dl>
            }
            .into_any()
        }
    }
}

/// A search trial kept its scores but no model: no prediction form; it can be retrained.
#[component]
fn TrialNote(run: RunRecord) -> impl IntoView {
    let studio = use_studio();
    let model = run.model;
    let params = run.params.clone();
    let retrain = move |_| {
        let params = params.clone();
        studio.run_options.update(|o| {
            o.model = model;
            let mut kept = params;
            if model == ModelKind::Mlp
                && let Some(epochs) = kept.remove("epochs").and_then(|e| e.parse().ok())
            {
                o.epochs = epochs;
            }
            o.params.insert(model, kept);
        });
        studio.page.set(Page::Train);
    };
    view! {
        <div class="card" data-testid="trial-note">
            <h3>"Try it"</h3>
            <p>
                "This run was a trial of a hyperparameter search: it kept its scores, not the model, so it cannot predict. "
                "Train it again to get the model."
            </p>
            <button data-testid="trial-retrain" on:click=retrain>"Set up Train with these settings"</button>
        </div>
    }
}
