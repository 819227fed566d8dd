//! Train: pick the target and a model, train in the engine worker with a live progress bar and
//! loss curve, cancel at any time; every finished run is recorded in the project.

use kiln_protocol::project::{DevicePreference, Metrics, ModelKind, TrainSpec};
use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;

use crate::charts::LossCurve;
use crate::state::{Page, Training, use_studio};
use crate::worker;

#[component]
pub fn TrainPage() -> impl IntoView {
    let studio = use_studio();
    let model = RwSignal::new(ModelKind::Linear);
    let epochs = RwSignal::new(100u32);
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
        let spec = TrainSpec {
            task: project.task,
            target,
            model: model.get_untracked(),
            device: if studio.force_cpu.get_untracked() {
                DevicePreference::Cpu
            } else {
                DevicePreference::Auto
            },
            seed: 42,
            holdout: 0.2,
            epochs: epochs.get_untracked(),
        };
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
    let columns = move || {
        studio
            .project()
            .and_then(|p| p.dataset)
            .map(|d| {
                d.profile
                    .columns
                    .into_iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
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
                            model.set(if event_target_value(&ev) == "mlp" { ModelKind::Mlp } else { ModelKind::Linear });
                        }>
                            <option value="linear">{ModelKind::Linear.label()}</option>
                            <option value="mlp">{ModelKind::Mlp.label()}</option>
                        </select>
                    </label>
                    <Show when=move || model.get() == ModelKind::Mlp>
                        <label>
                            "Epochs "
                            <input type="number" min="1" max="5000" data-testid="epochs-input"
                                prop:value=move || epochs.get().to_string()
                                on:change=move |ev| {
                                    if let Ok(n) = event_target_value(&ev).parse::<u32>() { epochs.set(n.clamp(1, 5000)); }
                                } />
                        </label>
                        <label>
                            <input type="checkbox" data-testid="force-cpu"
                                prop:checked=move || studio.force_cpu.get()
                                on:change=move |ev| studio.force_cpu.set(event_target_checked(&ev)) />
                            " Force CPU (skip WebGPU)"
                        </label>
                    </Show>
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
