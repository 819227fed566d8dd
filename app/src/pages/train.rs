//! Train: pick the target and a model, train in the engine worker with a live progress bar and
//! loss curve, cancel at any time; every finished run is recorded in the project.

use kiln_protocol::project::{Metrics, ModelKind, SplitSpec};
use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;

use crate::charts::LossCurve;
use crate::jobs;
use crate::state::{Page, Training, use_studio};
use crate::worker;

#[component]
pub fn TrainPage() -> impl IntoView {
    let studio = use_studio();
    let options = studio.run_options;
    let model = Signal::derive(move || options.with(|o| o.model));
    let busy = move || studio.training.with(Option::is_some);
    let start = move |_| {
        let Some(project) = studio.project() else {
            return;
        };
        let (Some(dataset), Some(target)) = (project.dataset.clone(), project.target.clone())
        else {
            studio.fail("Import data and pick a target first.");
            return;
        };
        let Some(spec) = jobs::spec_for(studio, &project, &options.get_untracked()) else {
            studio.fail("Pick a target first.");
            return;
        };
        let _ = &target;
        studio.error.set(None);
        studio.notice.set(None);
        let project_id = project.id.clone();
        let job_id = worker::submit(
            move |job_id| WorkerRequest::Train {
                job_id,
                file_name: dataset.file_name,
                text: dataset.text.to_string(),
                spec,
            },
            move |event| match event {
                WorkerEvent::Progress {
                    fraction,
                    phase,
                    loss,
                    device,
                    ..
                } => studio.training.update(|t| {
                    if let Some(t) = t {
                        t.fraction = fraction;
                        t.phase = phase;
                        t.losses.extend(loss);
                        if device.is_some() {
                            t.device = device;
                        }
                    }
                }),
                WorkerEvent::Trained { run, .. } => {
                    studio.training.set(None);
                    let run_id = run.id.clone();
                    let device = run.device.clone();
                    studio.edit_project(&project_id, |p| p.runs.push(*run));
                    if studio.current.get_untracked().as_deref() == Some(project_id.as_str()) {
                        studio.selected_run.set(Some(run_id));
                    }
                    studio.tell(format!(
                        "Training finished on {device}. See Evaluate for the details."
                    ));
                }
                WorkerEvent::Failed { error, .. } => {
                    studio.training.set(None);
                    if error.kind == "cancelled" {
                        studio.tell("Training cancelled. Nothing was recorded.");
                    } else {
                        studio.fail(format!("Training failed: {}", error.message));
                    }
                }
                _ => {}
            },
        );
        studio.training.set(Some(Training {
            job_id,
            phase: "starting".into(),
            ..Training::default()
        }));
    };
    let columns = move || studio.column_names();
    view! {
        <section class="page" aria-labelledby="train-heading">
            <h2 id="train-heading">"Train"</h2>
            <Show when=move || studio.project().and_then(|p| p.dataset).is_some()
                fallback=|| view! { <p class="hint">"Import data on the first page before training."</p> }>
                <div class="card row">
                    <label>
                        "Target "
                        <select data-testid="target-select" on:change=move |ev| {
                            let t = event_target_value(&ev);
                            studio.edit(|p| p.target = Some(t));
                            if let Some(id) = studio.current.get_untracked() { jobs::reprofile(studio, &id); }
                        }>
                            {move || {
                                let target = studio.project().and_then(|p| p.target);
                                columns().into_iter().map(|c| {
                                    let selected = target.as_deref() == Some(c.as_str());
                                    view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                                }).collect_view()
                            }}
                        </select>
                    </label>
                    <label>
                        "Model "
                        <select data-testid="model-select" on:change=move |ev| {
                            let m = if event_target_value(&ev) == "mlp" { ModelKind::Mlp } else { ModelKind::Linear };
                            options.update(|o| o.model = m);
                        }>
                            <option value="linear" selected=move || model.get() == ModelKind::Linear>{ModelKind::Linear.label()}</option>
                            <option value="mlp" selected=move || model.get() == ModelKind::Mlp>{ModelKind::Mlp.label()}</option>
                        </select>
                    </label>
                    <Show when=move || model.get() == ModelKind::Mlp>
                        <label>
                            "Epochs "
                            <input type="number" min="1" max="5000" data-testid="epochs-input"
                                prop:value=move || options.with(|o| o.epochs.to_string())
                                on:change=move |ev| {
                                    if let Ok(n) = event_target_value(&ev).parse::<u32>() { options.update(|o| o.epochs = n.clamp(1, 5000)); }
                                } />
                        </label>
                        <label>
                            <input type="checkbox" data-testid="force-cpu"
                                prop:checked=move || studio.force_cpu.get()
                                on:change=move |ev| studio.force_cpu.set(event_target_checked(&ev)) />
                            " Force CPU (skip WebGPU)"
                        </label>
                    </Show>
                </div>
                <SplitOptions />
                <div class="card row">
                    <button class="primary" data-testid="train-button" disabled=busy on:click=start>"Train"</button>
                    <button data-testid="cancel-button" disabled=move || !busy() on:click=move |_| worker::cancel_all()>"Cancel"</button>
                </div>
                <Show when=busy>
                    <div class="card" data-testid="training-panel">
                        <progress
                            data-testid="progress-bar"
                            max="1"
                            value=move || studio.training.with(|t| t.as_ref().map_or(0.0, |t| t.fraction))
                            aria-label="Training progress"
                        ></progress>
                        <span data-testid="progress-phase">
                            {move || studio.training.with(|t| t.as_ref().map(|t| t.phase.clone()).unwrap_or_default())}
                        </span>
                        <span data-testid="training-device">
                            {move || studio.training.with(|t| t.as_ref().and_then(|t| t.device.clone()).map(|d| format!(" · on {d}")).unwrap_or_default())}
                        </span>
                        <LossCurve losses=Signal::derive(move || studio.training.with(|t| t.as_ref().map(|t| t.losses.clone()).unwrap_or_default())) />
                    </div>
                </Show>
                <RunsTable />
            </Show>
        </section>
    }
}

/// How rows are split for evaluation, and cross-validation folds.
#[component]
fn SplitOptions() -> impl IntoView {
    let studio = use_studio();
    let options = studio.run_options;
    let method = move || {
        options.with(|o| match &o.split {
            SplitSpec::Auto => "auto",
            SplitSpec::Random => "random",
            SplitSpec::Stratified => "stratified",
            SplitSpec::Group { .. } => "group",
            SplitSpec::Time { .. } => "time",
        })
    };
    let columns = move || studio.column_names();
    let set_split = move |method: &str, column: Option<String>| {
        let column = column
            .or_else(|| {
                options.with_untracked(|o| match &o.split {
                    SplitSpec::Group { column } | SplitSpec::Time { column } => {
                        Some(column.clone())
                    }
                    _ => None,
                })
            })
            .or_else(|| columns().into_iter().next())
            .unwrap_or_default();
        let split = match method {
            "random" => SplitSpec::Random,
            "stratified" => SplitSpec::Stratified,
            "group" => SplitSpec::Group { column },
            "time" => SplitSpec::Time { column },
            _ => SplitSpec::Auto,
        };
        options.update(|o| o.split = split);
    };
    view! {
        <div class="card row" data-testid="split-options">
            <label>"Evaluate on "
                <select data-testid="split-method" on:change=move |ev| set_split(&event_target_value(&ev), None)>
                    <option value="auto" selected=move || method() == "auto">"a holdout (stratified for classes)"</option>
                    <option value="random" selected=move || method() == "random">"a random holdout"</option>
                    <option value="stratified" selected=move || method() == "stratified">"a stratified holdout"</option>
                    <option value="group" selected=move || method() == "group">"held-out groups"</option>
                    <option value="time" selected=move || method() == "time">"the latest rows (by time)"</option>
                </select>
            </label>
            <Show when=move || matches!(method(), "group" | "time")>
                <label>{move || if method() == "time" { "Time column " } else { "Group column " }}
                    <select data-testid="split-column" on:change=move |ev| set_split(method(), Some(event_target_value(&ev)))>
                        {move || {
                            let chosen = options.with(|o| match &o.split {
                                SplitSpec::Group { column } | SplitSpec::Time { column } => column.clone(),
                                _ => String::new(),
                            });
                            columns().into_iter().map(|c| {
                                let selected = c == chosen;
                                view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                            }).collect_view()
                        }}
                    </select>
                </label>
            </Show>
            <label>"Holdout "
                <input type="number" min="5" max="50" step="5" data-testid="holdout-input"
                    prop:value=move || options.with(|o| format!("{:.0}", o.holdout * 100.0))
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            options.update(|o| o.holdout = (v / 100.0).clamp(0.05, 0.5));
                        }
                    } />
                " %"
            </label>
            <label>"Cross-validation folds "
                <input type="number" min="0" max="20" data-testid="cv-folds"
                    prop:value=move || options.with(|o| o.cv_folds.to_string())
                    on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                            options.update(|o| o.cv_folds = if v < 2 { 0 } else { v.min(20) });
                        }
                    } />
                " (0: none; linear models)"
            </label>
        </div>
    }
}

pub fn headline(metrics: &Metrics) -> String {
    match metrics {
        Metrics::Classification {
            accuracy, macro_f1, ..
        } => {
            format!(
                "accuracy {:.1}% · macro-F1 {:.3}",
                accuracy * 100.0,
                macro_f1
            )
        }
        Metrics::Regression { rmse, r2, .. } => format!("RMSE {rmse:.3} · R² {r2:.3}"),
    }
}

#[component]
fn RunsTable() -> impl IntoView {
    let studio = use_studio();
    view! {
        <div class="card">
            <h3>"Runs"</h3>
            <table data-testid="runs-table">
                <thead><tr><th>"Model"</th><th>"Holdout"</th><th>"Device"</th><th>"Time"</th><th></th></tr></thead>
                <tbody>
                    {move || studio.project().map(|p| p.runs).unwrap_or_default().into_iter().rev().map(|run| {
                        let id = run.id.clone();
                        view! {
                            <tr data-testid="run-row" data-run-id=run.id.clone()>
                                <td>{run.model.label()}</td>
                                <td data-testid="run-metrics">{headline(&run.metrics)}</td>
                                <td data-testid="run-device">{run.device.clone()}</td>
                                <td>{format!("{:.1} s", run.duration_ms / 1000.0)}</td>
                                <td><button on:click=move |_| {
                                    studio.selected_run.set(Some(id.clone()));
                                    studio.page.set(Page::Evaluate);
                                }>"Evaluate"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
