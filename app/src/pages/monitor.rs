//! Monitor: drop in a new batch of rows (CSV, TSV or JSON) against a registered model (or any
//! run's model) and see what drifted from its training data — per column, in the model's own
//! predictions, and in its scores when the batch carries the target. The check runs in the
//! worker against the reference the model keeps, so the training rows are not needed.

use kiln_protocol::monitor::{DriftReport, DriftSettings, FeatureDrift};
use kiln_protocol::project::{Project, RunRecord};
use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::insight_charts::DriftBins;
use crate::pages::retrain::RetrainCard;
use crate::state::{Page, use_studio};
use crate::worker;
use crate::{files, metrics};

/// The models a batch can be checked against: registered versions first, then other runs.
pub(crate) fn choices(project: &Project) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for model in &project.registry {
        for v in model.versions.iter().rev() {
            out.push((v.run_id.clone(), format!("{} v{}", model.name, v.version)));
        }
    }
    for run in project.runs.iter().rev() {
        if run.artifact.is_null() || run.artifact["image"].is_object() {
            continue;
        }
        if !out.iter().any(|(id, _)| *id == run.id) {
            out.push((
                run.id.clone(),
                format!(
                    "{} · {}",
                    run.model.label(),
                    metrics::date_time(run.created_at_ms)
                ),
            ));
        }
    }
    out
}

/// The run `chosen` names in a model select built from [`choices`], or the first choice.
pub(crate) fn chosen_run(project: &Project, chosen: Option<String>) -> Option<&RunRecord> {
    let run_id = chosen.or_else(|| choices(project).first().map(|(id, _)| id.clone()))?;
    project.runs.iter().find(|r| r.id == run_id)
}

#[component]
pub fn MonitorPage() -> impl IntoView {
    let studio = use_studio();
    let chosen = RwSignal::new(None::<String>);
    let alpha = RwSignal::new("0.05".to_string());
    let distance = RwSignal::new("0.1".to_string());
    let report = RwSignal::new(None::<(String, DriftReport)>);
    // The batch last checked, which Retrain & promote learns from.
    let batch = RwSignal::new(None::<(String, std::sync::Arc<str>)>);
    let busy = RwSignal::new(false);
    let options = move || studio.project().map(|p| choices(&p)).unwrap_or_default();
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = files::picked(&ev) else {
            return;
        };
        let Some(project) = studio.project_untracked() else {
            return;
        };
        let Some(run) = chosen_run(&project, chosen.get_untracked()) else {
            return studio.fail("Train or register a model first, then check new data against it.");
        };
        let settings = DriftSettings {
            alpha: alpha.get_untracked().trim().parse().unwrap_or(f64::NAN),
            distance: distance.get_untracked().trim().parse().unwrap_or(f64::NAN),
            ..DriftSettings::default()
        };
        let artifact = (*run.artifact).clone();
        busy.set(true);
        spawn_local(async move {
            let text = match files::text(&file).await {
                Ok(text) => text,
                Err(e) => {
                    busy.set(false);
                    return studio.fail(e);
                }
            };
            let file_name = file.name();
            let shown_name = file_name.clone();
            let kept: std::sync::Arc<str> = text.as_str().into();
            worker::submit(
                move |job_id| WorkerRequest::Drift {
                    job_id,
                    artifact,
                    file_name,
                    text,
                    settings,
                },
                move |event| match event {
                    WorkerEvent::Drifted { report: r, .. } => {
                        busy.set(false);
                        batch.set(Some((shown_name.clone(), kept.clone())));
                        report.set(Some((shown_name.clone(), *r)));
                    }
                    WorkerEvent::Failed { error, .. } => {
                        busy.set(false);
                        studio.fail(format!("Cannot check {shown_name}: {}", error.message));
                    }
                    _ => {}
                },
            );
        });
    };
    view! {
        <section class="page" aria-labelledby="monitor-heading">
            <h2 id="monitor-heading">"Monitor"</h2>
            <Show when=move || !options().is_empty() fallback=move || view! {
                <p class="hint">"Train a model (and register it on "
                    <a href="#" on:click=move |ev| { ev.prevent_default(); studio.page.set(Page::Deploy); }>"Register & ship"</a>
                    ") to check new data against what it learned from."</p>
            }>
                <div class="card">
                    <p>"Drop in next month's rows: each column is compared with the model's training data (kept in the model itself), and so are the model's predictions. With the target column in the file, the model is scored on it too."</p>
                    <div class="fields">
                        <label>"Model "
                            <select data-testid="monitor-model" on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>
                                {move || options().into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>"Significance (tests) " <input data-testid="monitor-alpha" inputmode="decimal" prop:value=move || alpha.get() on:input=move |ev| alpha.set(event_target_value(&ev)) /></label>
                        <label>"Distance threshold (over 1,000 rows) " <input data-testid="monitor-distance" inputmode="decimal" prop:value=move || distance.get() on:input=move |ev| distance.set(event_target_value(&ev)) /></label>
                    </div>
                    <label class="button primary">"Check a batch (CSV, TSV or JSON)"
                        <input type="file" accept=".csv,.tsv,.txt,.json,.ndjson" data-testid="monitor-file" on:change=on_file style="display: none" />
                    </label>
                    <Show when=move || busy.get()><p class="hint" role="status" data-testid="monitor-busy">"Comparing…"</p></Show>
                </div>
            </Show>
            {move || report.get().map(|(name, r)| view! { <DriftView name=name report=r /> })}
            <Show when=move || !options().is_empty()>
                <RetrainCard batch=batch.into() />
            </Show>
        </section>
    }
}

fn p_text(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.001 => "< 0.001".into(),
        Some(p) => format!("{p:.3}"),
        None => "-".into(),
    }
}

fn feature_row(f: &FeatureDrift, testid: &'static str) -> impl IntoView + use<> {
    view! {
        <tr data-testid=testid data-name=f.name.clone() data-drifted=f.drifted.to_string() class:drifted=f.drifted>
            <th scope="row">{f.name.clone()}</th>
            <td>{f.test.name().replace('_', "-")}</td>
            <td>{format!("{:.4}", f.statistic)}</td>
            <td>{p_text(f.p_value)}</td>
            <td>{format!("{:.3}", f.psi)}</td>
            <td>{format!("{:.1}% → {:.1}%", f.missing_reference * 100.0, f.missing_batch * 100.0)}</td>
            <td><strong>{if f.drifted { "drifted" } else { "ok" }}</strong></td>
        </tr>
    }
}

#[component]
fn DriftView(name: String, report: DriftReport) -> impl IntoView {
    let r = report;
    let summary = if r.drifted.is_empty() {
        format!(
            "{name}: {} rows, no column drifted ({} checked).",
            r.rows,
            r.features.len()
        )
    } else {
        format!(
            "{name}: {} rows, {} of {} columns drifted: {}.",
            r.rows,
            r.drifted.len(),
            r.features.len(),
            r.drifted.join(", ")
        )
    };
    let rows = r
        .features
        .iter()
        .map(|f| feature_row(f, "drift-feature"))
        .collect_view();
    let prediction = r
        .prediction
        .as_ref()
        .map(|p| feature_row(p, "drift-prediction"));
    let charts = r
        .features
        .iter()
        .chain(r.prediction.as_ref())
        .filter(|f| f.drifted)
        .map(|f| view! { <div><h4>{f.name.clone()}</h4><DriftBins bins=f.bins.clone() name=f.name.clone() /></div> })
        .collect_view();
    let performance = (!r.performance.is_empty()).then(|| {
        let rows = r
            .performance
            .iter()
            .map(|p| view! {
                <tr data-testid="drift-performance" data-metric=p.metric.clone()>
                    <th scope="row">{metrics::label(&p.metric)}</th>
                    <td>{p.training.map_or("-".into(), |t| metrics::format(&p.metric, t))}</td>
                    <td>{metrics::format(&p.metric, p.batch)}</td>
                </tr>
            })
            .collect_view();
        view! {
            <h3>"Scores on the batch"</h3>
            <table style="width: auto;"><thead><tr><th>"Metric"</th><th>"Test rows at training"</th><th>"This batch"</th></tr></thead><tbody>{rows}</tbody></table>
        }
    });
    view! {
        <div class="card" data-testid="drift-report">
            <p data-testid="drift-summary"><strong>{summary}</strong></p>
            {(!r.missing_columns.is_empty()).then(|| view! {
                <p class="hint" data-testid="drift-missing">{format!("The batch lacks {}: the model fills them in as it would any missing value.", r.missing_columns.join(", "))}</p>
            })}
            <table data-testid="drift-table">
                <thead><tr><th>"Column"</th><th>"Test"</th><th>"Statistic"</th><th>"p-value"</th><th>"PSI"</th><th>"Missing"</th><th>"Drift"</th></tr></thead>
                <tbody>{rows}{prediction}</tbody>
            </table>
            <p class="hint">{format!(
                "Up to {} rows: Kolmogorov–Smirnov (numbers) or chi-square (categories), drifted when p < {}. More rows: Wasserstein distance in training standard deviations or Jensen–Shannon distance, drifted above {}. The last row compares the model's predictions.",
                r.settings.test_rows, r.settings.alpha, r.settings.distance
            )}</p>
            <div class="charts">{charts}</div>
            {performance}
        </div>
    }
}
