//! Train: pick the task, the target, a model family and its hyperparameters, train in the
//! engine worker with a live progress bar and loss curve, cancel at any time; every finished
//! run is recorded in the project.

use kiln_protocol::params::{default_for, params_of};
use std::cell::RefCell;
use std::rc::Rc;

use kiln_protocol::project::{
    DevicePreference, EpochStats, ModelKind, SplitSpec, Task, TrainingHistory,
};
use kiln_protocol::worker::{Control, WorkerEvent, WorkerRequest};
use leptos::prelude::*;

use crate::charts::LossCurve;
use crate::jobs;
use crate::metrics;
use crate::pages::curves::EpochCurves;
use crate::state::{Page, Studio, Training, use_studio};
use crate::worker;

/// Most recent runs listed under the Train button; the Runs page lists them all.
const RECENT_RUNS: usize = 100;

/// The parameter an engine error names (`gbdt: parameter "max_depth" must be ...`).
fn named_param(message: &str) -> Option<String> {
    let rest = &message[message.find("parameter \"")? + "parameter \"".len()..];
    Some(rest[..rest.find('"')?].to_string())
}

#[component]
pub fn TrainPage() -> impl IntoView {
    let studio = use_studio();
    let options = studio.run_options;
    let task = Memo::new(move |_| {
        studio
            .current
            .get()
            .and_then(|id| {
                studio
                    .projects
                    .with(|ps| ps.iter().find(|p| p.id == id).map(|p| p.task))
            })
            .unwrap_or(Task::Classification)
    });
    let model = Memo::new(move |_| options.with(|o| o.model_for(task.get())));
    // The parameter the last failed run complained about, with the message.
    let param_error = RwSignal::new(None::<(String, String)>);
    let busy = move || studio.training.with(Option::is_some);
    let start = move |_| {
        let Some(project) = studio.project() else {
            return;
        };
        let opts = options.get_untracked();
        let project_id = project.id.clone();
        let job_id = if opts.model_for(project.task) == ModelKind::Cnn {
            if project.images.is_empty() {
                studio.fail("Add images on the Data page first.");
                return;
            }
            let spec = jobs::image_spec(studio, &opts);
            let id = project_id.clone();
            begin(studio, param_error);
            worker::submit(
                move |job_id| WorkerRequest::TrainImages {
                    job_id,
                    project_id: id,
                    spec,
                },
                listener(studio, project_id, param_error),
            )
        } else {
            let Some(dataset) = project.dataset.clone() else {
                studio.fail("Import data first.");
                return;
            };
            let Some(spec) = jobs::spec_for(studio, &project, &opts) else {
                studio.fail("Pick a target first.");
                return;
            };
            begin(studio, param_error);
            worker::submit(
                move |job_id| WorkerRequest::Train {
                    job_id,
                    file_name: dataset.file_name,
                    text: dataset.text.to_string(),
                    spec,
                },
                listener(studio, project_id, param_error),
            )
        };
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
            <Show when=move || studio.project().is_some_and(|p| p.dataset.is_some() || !p.images.is_empty())
                fallback=|| view! { <p class="hint">"Import data or add images on the first page before training."</p> }>
                <div class="card row">
                    <label>
                        "Task "
                        <select data-testid="task-select" on:change=move |ev| {
                            let t = match event_target_value(&ev).as_str() {
                                "regression" => Task::Regression,
                                "clustering" => Task::Clustering,
                                _ => Task::Classification,
                            };
                            studio.edit(|p| p.task = t);
                        }>
                            {[Task::Classification, Task::Regression, Task::Clustering].into_iter().map(|t| view! {
                                <option value=t.label() selected=move || task.get() == t>{t.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>
                        {move || if task.get() == Task::Clustering { "Labels to compare with (optional) " } else { "Target " }}
                        <select data-testid="target-select" on:change=move |ev| {
                            let t = event_target_value(&ev);
                            studio.edit(|p| p.target = (!t.is_empty()).then_some(t));
                            if let Some(id) = studio.current.get_untracked() { jobs::reprofile(studio, &id); }
                        }>
                            {move || {
                                let target = studio.project().and_then(|p| p.target);
                                let none = (task.get() == Task::Clustering).then(|| view! {
                                    <option value="" selected=target.is_none()>"(none)"</option>
                                });
                                let names = columns().into_iter().map(|c| {
                                    let selected = target.as_deref() == Some(c.as_str());
                                    view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                                }).collect_view();
                                view! { {none} {names} }
                            }}
                        </select>
                    </label>
                    <label>
                        "Model "
                        <select data-testid="model-select" on:change=move |ev| {
                            if let Some(m) = ModelKind::from_name(&event_target_value(&ev)) {
                                options.update(|o| o.model = m);
                            }
                        }>
                            {move || {
                                let t = task.get();
                                let images = t == Task::Classification
                                    && studio.project().is_some_and(|p| !p.images.is_empty());
                                let cnn = images.then_some(ModelKind::Cnn);
                                ModelKind::ALL.into_iter().filter(|k| k.supports(t)).chain(cnn).map(|k| view! {
                                    <option value=k.name() selected=move || model.get() == k>{k.label()}</option>
                                }).collect_view()
                            }}
                        </select>
                    </label>
                </div>
                <ParamsForm task=task model=model error=param_error />
                <SplitOptions />
                <div class="card row">
                    <button class="primary" data-testid="train-button" disabled=busy on:click=start>"Train"</button>
                    <button data-testid="cancel-button" disabled=move || !busy() on:click=move |_| worker::cancel_all()>"Cancel"</button>
                    <PauseButton />
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
                        {move || {
                            let live = studio.training.with(|t| t.as_ref().filter(|t| !t.epochs.is_empty()).map(|t| TrainingHistory {
                                metric: if task.get_untracked() == Task::Regression { "rmse".into() } else { "accuracy".into() },
                                epochs: t.epochs.clone(),
                                ..TrainingHistory::default()
                            }));
                            match live {
                                Some(history) => view! { <EpochCurves history=history /> }.into_any(),
                                None => view! {
                                    <LossCurve losses=Signal::derive(move || studio.training.with(|t| t.as_ref().map(|t| t.losses.clone()).unwrap_or_default())) />
                                }.into_any(),
                            }
                        }}
                    </div>
                </Show>
                <crate::pages::search::SearchPanel />
                <RunsTable />
            </Show>
        </section>
    }
}

/// Clears the last run's messages before a new one.
fn begin(studio: Studio, param_error: RwSignal<Option<(String, String)>>) {
    studio.error.set(None);
    studio.notice.set(None);
    param_error.set(None);
}

/// A small network finishes hundreds of epochs a second, more than is worth drawing: its epochs
/// wait here and reach the live curves at most this often, so the page keeps up.
const LIVE_REDRAW: std::time::Duration = std::time::Duration::from_millis(100);

/// Hands the epochs waiting in `pending` to the live view of job `job_id`.
fn show_epochs(studio: Studio, job_id: u64, pending: &RefCell<Vec<EpochStats>>) {
    let epochs = std::mem::take(&mut *pending.borrow_mut());
    if epochs.is_empty() {
        return;
    }
    studio.training.update(|t| {
        if let Some(t) = t.as_mut().filter(|t| t.job_id == job_id) {
            t.losses.extend(epochs.iter().map(|e| e.train_loss));
            t.epochs.extend(epochs);
        }
    });
}

/// Follows a training job: progress, epochs, pauses, and the finished or failed run.
fn listener(
    studio: Studio,
    project_id: String,
    param_error: RwSignal<Option<(String, String)>>,
) -> impl FnMut(WorkerEvent) + 'static {
    let pending = Rc::new(RefCell::new(Vec::new()));
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
                // A network reports its loss per epoch (in the curves below).
                if t.epochs.is_empty() {
                    t.losses.extend(loss);
                }
                if device.is_some() {
                    t.device = device;
                }
            }
        }),
        WorkerEvent::Epoch { job_id, stats } => {
            let first = {
                let mut waiting = pending.borrow_mut();
                waiting.push(stats);
                waiting.len() == 1
            };
            if first {
                let pending = pending.clone();
                set_timeout(move || show_epochs(studio, job_id, &pending), LIVE_REDRAW);
            }
        }
        WorkerEvent::Paused { job_id, paused } => {
            show_epochs(studio, job_id, &pending);
            studio.training.update(|t| {
                if let Some(t) = t {
                    t.paused = paused;
                    t.pause_requested = paused;
                }
            });
        }
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
                // The form may be gone by now (another page): then only the banner.
                let _ = param_error
                    .try_set(named_param(&error.message).map(|p| (p, error.message.clone())));
                studio.fail(format!("Training failed: {}", error.message));
            }
        }
        _ => {}
    }
}

/// Pauses a network's training at the end of the current epoch, and resumes it.
#[component]
fn PauseButton() -> impl IntoView {
    let studio = use_studio();
    let state = move || {
        studio.training.with(|t| {
            t.as_ref()
                .map(|t| (t.job_id, t.pause_requested, t.paused, !t.epochs.is_empty()))
        })
    };
    let label = move || match state() {
        Some((_, _, true, _)) => "Resume",
        Some((_, true, false, _)) => "Pausing…",
        _ => "Pause",
    };
    let click = move |_| {
        let Some((job_id, requested, _, _)) = state() else {
            return;
        };
        let action = if requested {
            Control::Resume
        } else {
            Control::Pause
        };
        worker::control(job_id, action);
        studio.training.update(|t| {
            if let Some(t) = t {
                t.pause_requested = !requested;
            }
        });
    };
    view! {
        <button data-testid="pause-button"
            title="Neural networks pause at the end of the current epoch"
            data-paused=move || state().is_some_and(|s| s.2).to_string()
            disabled=move || !state().is_some_and(|s| s.3)
            on:click=click>{label}</button>
        <Show when=move || state().is_some_and(|s| s.2)>
            <span class="hint" data-testid="paused-note">{move || studio.training.with(|t| t.as_ref().map(|t| format!("Paused after epoch {}.", t.epochs.len())).unwrap_or_default())}</span>
        </Show>
    }
}

/// One text field per hyperparameter of the chosen family (placeholder: the default); empty
/// fields keep the default. The MLP's epochs keep their own control.
#[component]
fn ParamsForm(
    task: Memo<Task>,
    model: Memo<ModelKind>,
    error: RwSignal<Option<(String, String)>>,
) -> impl IntoView {
    let studio = use_studio();
    let options = studio.run_options;
    let fields = move || {
        let (t, kind) = (task.get(), model.get());
        let specs = params_of(kind, t);
        if specs.is_empty() {
            return view! { <p class="hint" data-testid="params-none">"This model has no settings."</p> }.into_any();
        }
        specs
            .iter()
            .filter(|spec| !(kind == ModelKind::Mlp && spec.name == "epochs"))
            .map(|spec| {
                let name = spec.name;
                let wrong = move || error.with(|e| e.as_ref().is_some_and(|(p, _)| p == name));
                view! {
                    <label class="param" title=spec.help
                        style="display: grid; grid-template-columns: 11.5rem 1fr; gap: .1rem .5rem; align-items: center;">
                        <code>{name}</code>
                        <input
                            data-testid=format!("param-{name}")
                            placeholder=default_for(spec, t)
                            aria-invalid=move || wrong().then_some("true")
                            style=move || if wrong() { "min-width: 0; border-color: #dc2626" } else { "min-width: 0" }
                            prop:value=move || options.with(|o| o.param(kind, name))
                            on:input=move |ev| {
                                let v = event_target_value(&ev);
                                options.update(|o| o.set_param(kind, name, v));
                                if wrong() { error.set(None); }
                            }
                        />
                        <small class="hint" style="grid-column: 1 / -1;">{spec.help}</small>
                    </label>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <div class="card" data-testid="params-form">
            <h3>"Hyperparameters"</h3>
            <p class="hint">"Leave a field empty to use its default (shown in grey)."</p>
            <Show when=move || matches!(model.get(), ModelKind::Mlp | ModelKind::Cnn)>
                <div class="row">
                    <Show when=move || model.get() == ModelKind::Mlp>
                        <label>
                            "Epochs "
                            <input type="number" min="1" max="5000" data-testid="epochs-input"
                                prop:value=move || options.with(|o| o.epochs.to_string())
                                on:change=move |ev| {
                                    if let Ok(n) = event_target_value(&ev).parse::<u32>() { options.update(|o| o.epochs = n.clamp(1, 5000)); }
                                } />
                        </label>
                    </Show>
                    <label title="Automatic times a few training steps of this network on WebGPU and on the CPU, and trains on the faster one">
                        "Device "
                        <select data-testid="device-select" on:change=move |ev| {
                            studio.device.set(match event_target_value(&ev).as_str() {
                                "gpu" => DevicePreference::Gpu,
                                "cpu" => DevicePreference::Cpu,
                                _ => DevicePreference::Auto,
                            });
                        }>
                            <option value="auto" selected=move || studio.device.get() == DevicePreference::Auto>"Automatic (benchmark)"</option>
                            <option value="gpu" selected=move || studio.device.get() == DevicePreference::Gpu>"WebGPU"</option>
                            <option value="cpu" selected=move || studio.device.get() == DevicePreference::Cpu>"CPU"</option>
                        </select>
                    </label>
                </div>
            </Show>
            <div class="fields" style="display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); gap: .75rem 1.5rem; margin: .5rem 0;">
                {fields}
            </div>
            {move || error.get().map(|(p, message)| view! {
                <p class="hint" role="alert" data-testid="param-error" data-param=p style="color: #dc2626">{message}</p>
            })}
            <button data-testid="params-reset" on:click=move |_| {
                let kind = model.get_untracked();
                options.update(|o| { o.params.remove(&kind); });
                error.set(None);
            }>"Reset to defaults"</button>
        </div>
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
            SplitSpec::Predefined { .. } => "predefined",
        })
    };
    let columns = move || studio.column_names();
    let set_split = move |method: &str, column: Option<String>| {
        let column = column
            .or_else(|| {
                options.with_untracked(|o| match &o.split {
                    SplitSpec::Group { column }
                    | SplitSpec::Time { column }
                    | SplitSpec::Predefined { column } => Some(column.clone()),
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
            "predefined" => SplitSpec::Predefined { column },
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
                    <option value="predefined" selected=move || method() == "predefined">"rows a column marks as test"</option>
                </select>
            </label>
            <Show when=move || matches!(method(), "group" | "time" | "predefined")>
                <label>{move || match method() { "time" => "Time column ", "predefined" => "Test-row column ", _ => "Group column " }}
                    <select data-testid="split-column" on:change=move |ev| set_split(method(), Some(event_target_value(&ev)))>
                        {move || {
                            let chosen = options.with(|o| match &o.split {
                                SplitSpec::Group { column }
                                | SplitSpec::Time { column }
                                | SplitSpec::Predefined { column } => column.clone(),
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
                " (0: none)"
            </label>
        </div>
    }
}

/// The latest runs, newest first; the Runs page has all of them with sorting and comparison.
#[component]
fn RunsTable() -> impl IntoView {
    let studio = use_studio();
    let rows = move || {
        let id = studio.current.get()?;
        studio.projects.with(|ps| {
            let project = ps.iter().find(|p| p.id == id)?;
            let rows = project
                .runs
                .iter()
                .rev()
                .take(RECENT_RUNS)
                .map(|run| {
                    let id = run.id.clone();
                    view! {
                        <tr data-testid="run-row" data-run-id=run.id.clone()>
                            <td>{run.model.label()}</td>
                            <td data-testid="run-params">{metrics::params_text(run)}</td>
                            <td data-testid="run-metrics">{metrics::headline(run)}</td>
                            <td data-testid="run-device">{run.device.clone()}</td>
                            <td>{metrics::duration(run.duration_ms)}</td>
                            <td><button on:click=move |_| {
                                studio.selected_run.set(Some(id.clone()));
                                studio.page.set(Page::Evaluate);
                            }>"Evaluate"</button></td>
                        </tr>
                    }
                })
                .collect_view();
            Some(view! { <tbody>{rows}</tbody> })
        })
    };
    let total = move || {
        let id = studio.current.get()?;
        studio
            .projects
            .with(|ps| ps.iter().find(|p| p.id == id).map(|p| p.runs.len()))
    };
    let more = move || {
        let total = total().filter(|n| *n > RECENT_RUNS)?;
        Some(view! {
            <p class="hint">
                {format!("The latest {RECENT_RUNS} of {total} runs. ")}
                <a href="#" on:click=move |ev| { ev.prevent_default(); studio.page.set(Page::Runs); }>"See them all"</a>
            </p>
        })
    };
    view! {
        <div class="card">
            <h3>"Runs"</h3>
            <table data-testid="runs-table">
                <thead><tr><th>"Model"</th><th>"Parameters"</th><th>"Test scores"</th><th>"Device"</th><th>"Time"</th><th></th></tr></thead>
                {rows}
            </table>
            {more}
        </div>
    }
}
