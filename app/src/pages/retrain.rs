//! Retrain & promote (on the Monitor page): the batch just checked retrains a registered
//! model's recipe and hyperparameters — alone, or after the project's data — as a new run; the
//! candidate and the production version are scored on the same held-out rows of the batch,
//! and the gate the person sets decides whether the candidate may replace production. A
//! promotion registers it as the next version and keeps the gate's reasons in the registry.

use std::sync::Arc;

use kiln_protocol::monitor::{FairnessGate, Gate, RetrainReport};
use kiln_protocol::project::{Project, Promotion, RunRecord, Task, TrainSpec};
use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;

use crate::pages::deploy::add_version;
use crate::state::{Studio, use_studio};
use crate::{metrics, worker};

/// Metrics a gate can compare, per task.
fn gate_metrics(task: Task) -> &'static [&'static str] {
    match task {
        Task::Classification => &["accuracy", "f1_macro", "roc_auc", "log_loss"],
        Task::Regression => &["rmse", "mae", "r2"],
        Task::Clustering => &[],
    }
}

/// Whether the studio shows the metric as a percentage (its allowed drop is then in points).
fn in_points(metric: &str) -> bool {
    matches!(metric, "accuracy" | "mape")
}

/// The allowed drop a gate on `metric` starts with: half a point of accuracy, the same share
/// (0.005) of the scores between 0 and 1, and none for errors, whose units are the target's.
fn default_drop(metric: &str) -> &'static str {
    match metric {
        m if in_points(m) => "0.5",
        "f1_macro" | "roc_auc" | "r2" => "0.005",
        _ => "0",
    }
}

/// What the allowed drop is measured in.
fn drop_unit(metric: &str) -> String {
    match metric {
        m if in_points(m) => "points".into(),
        "f1_macro" | "roc_auc" | "r2" => format!("{}, between 0 and 1", metrics::label(metric)),
        _ => format!("{}, in the target's units", metrics::label(metric)),
    }
}

/// The production run's spec, to fit again on other rows.
fn spec_of(studio: Studio, run: &RunRecord) -> Option<TrainSpec> {
    let epochs = run
        .params
        .get("epochs")
        .and_then(|e| e.parse().ok())
        .unwrap_or(crate::jobs::DEFAULT_EPOCHS);
    Some(TrainSpec {
        task: run.task?,
        target: run.target.clone()?,
        model: run.model,
        device: studio.device.get_untracked(),
        seed: run.seed.unwrap_or(42),
        holdout: run.holdout.unwrap_or(0.2),
        epochs,
        split: run.split.clone().unwrap_or_default(),
        cv_folds: 0,
        recipe: run.recipe.clone(),
        params: run.params.clone(),
    })
}

/// The registered model `name`'s serving version and its run.
fn serving(project: &Project, name: &str) -> Option<(u32, RunRecord)> {
    let model = project.registry.iter().find(|m| m.name == name)?;
    let version = model.serving()?;
    let run = project.runs.iter().find(|r| r.id == version.run_id)?;
    Some((version.version, run.clone()))
}

/// A candidate waiting for its promotion.
#[derive(Clone)]
struct Candidate {
    project_id: String,
    model: String,
    run_id: String,
    production: u32,
    gate: Gate,
    report: RetrainReport,
}

#[component]
pub fn RetrainCard(batch: Signal<Option<(String, Arc<str>)>>) -> impl IntoView {
    let studio = use_studio();
    let names = move || {
        studio
            .project()
            .map(|p| {
                p.registry
                    .iter()
                    .map(|m| m.name.clone())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let model = RwSignal::new(String::new());
    let chosen_model = move || {
        let m = model.get();
        if m.is_empty() {
            names().into_iter().next().unwrap_or_default()
        } else {
            m
        }
    };
    let task = move || {
        studio
            .project()
            .and_then(|p| serving(&p, &chosen_model()))
            .and_then(|(_, r)| r.task)
            .unwrap_or(Task::Classification)
    };
    let combine = RwSignal::new(true);
    let metric = RwSignal::new(String::new());
    let chosen_metric = move || {
        let m = metric.get();
        let allowed = gate_metrics(task());
        if allowed.contains(&m.as_str()) {
            m
        } else {
            allowed.first().map_or(String::new(), |m| m.to_string())
        }
    };
    // What was typed; `None` until then (and again when the metric changes): its default.
    let max_drop = RwSignal::new(None::<String>);
    let drop_text = move || {
        max_drop
            .get()
            .unwrap_or_else(|| default_drop(&chosen_metric()).to_string())
    };
    let fair_column = RwSignal::new(String::new());
    let positive = RwSignal::new(String::new());
    let max_gap = RwSignal::new("10".to_string());
    let busy = RwSignal::new(false);
    let candidate = RwSignal::new(None::<Candidate>);
    let group_columns = move || {
        let project = studio.project()?;
        let target = project.target.clone().unwrap_or_default();
        Some(
            project
                .dataset?
                .profile
                .columns
                .into_iter()
                .filter(|c| c.name != target && (2..=20).contains(&c.distinct))
                .map(|c| c.name)
                .collect::<Vec<_>>(),
        )
    };
    let classes = move || {
        let project = studio.project()?;
        let (_, run) = serving(&project, &chosen_model())?;
        Some(
            run.artifact["classes"]
                .as_array()?
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect::<Vec<_>>(),
        )
    };

    let start = move |_| {
        let Some((file_name, text)) = batch.get_untracked() else {
            return studio.fail("Check a batch above first: it is what the model is retrained on.");
        };
        let Some(project) = studio.project_untracked() else {
            return;
        };
        let name = chosen_model();
        let Some((version, run)) = serving(&project, &name) else {
            return studio.fail(if project.registry.is_empty() {
                "Register a model on Register & ship first; retraining starts from its production version.".to_string()
            } else {
                format!("The run behind {name}'s production version is no longer in this project; register a version whose run is here.")
            });
        };
        let Some(spec) = spec_of(studio, &run) else {
            return studio.fail("This version's run did not record its task and target; train and register it again.");
        };
        let metric_name = chosen_metric();
        let drop_text = untrack(drop_text);
        let Some(drop) = drop_text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|d| d.is_finite() && *d >= 0.0)
        else {
            return studio.fail(format!(
                "The largest drop allowed must be a number of at least 0 (got \"{drop_text}\")."
            ));
        };
        let drop = if in_points(&metric_name) {
            drop / 100.0
        } else {
            drop
        };
        let fairness = match fair_column.get_untracked() {
            c if c.is_empty() || spec.task != Task::Classification => None,
            column => {
                let gap_text = max_gap.get_untracked();
                let Some(gap) = gap_text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|g| (0.0..=100.0).contains(g))
                else {
                    return studio.fail(format!("The largest fairness gap allowed must be between 0 and 100 points (got \"{gap_text}\")."));
                };
                let positive = match positive.get_untracked() {
                    p if p.is_empty() => classes()
                        .and_then(|c| c.last().cloned())
                        .unwrap_or_default(),
                    p => p,
                };
                Some(FairnessGate {
                    column,
                    positive,
                    max_gap: gap / 100.0,
                })
            }
        };
        let gate = Gate {
            metric: metric_name,
            max_drop: drop,
            fairness,
        };
        let base = if combine.get_untracked() {
            match &project.dataset {
                Some(d) => Some((d.file_name.clone(), d.text.to_string())),
                None => return studio.fail("This project has no data of its own to add the batch to; retrain on the batch alone."),
            }
        } else {
            None
        };
        let project_id = project.id.clone();
        let production = (*run.artifact).clone();
        let sent_gate = gate.clone();
        busy.set(true);
        candidate.set(None);
        worker::submit(
            move |job_id| WorkerRequest::Retrain {
                job_id,
                production,
                spec,
                base,
                file_name: file_name.clone(),
                text: text.to_string(),
                gate: sent_gate,
            },
            move |event| match event {
                WorkerEvent::Retrained { run, report, .. } => {
                    busy.set(false);
                    let run_id = run.id.clone();
                    studio.edit_project(&project_id, |p| p.runs.push(*run));
                    candidate.set(Some(Candidate {
                        project_id: project_id.clone(),
                        model: name.clone(),
                        run_id,
                        production: version,
                        gate: gate.clone(),
                        report: *report,
                    }));
                }
                WorkerEvent::Failed { error, .. } => {
                    busy.set(false);
                    studio.fail(format!("Cannot retrain {name}: {}", error.message));
                }
                _ => {}
            },
        );
    };

    view! {
        <div class="card" data-testid="retrain">
            <h3>"Retrain & promote"</h3>
            <p class="hint">"Fits the production version's recipe and hyperparameters again as a new run. Both models are then scored on the same held-out rows of the batch — rows the candidate never learns from — and the candidate replaces production only if it passes the gate."</p>
            <Show when=move || !names().is_empty() fallback=|| view! {
                <p class="hint" data-testid="retrain-unregistered">"Register a model on Register & ship to retrain and promote it here."</p>
            }>
                <div class="fields">
                    <label>"Registered model "
                        <select data-testid="retrain-model" on:change=move |ev| model.set(event_target_value(&ev))>
                            {move || names().into_iter().map(|n| { let label = n.clone(); view! { <option value=n>{label}</option> } }).collect_view()}
                        </select>
                    </label>
                    <fieldset>
                        <legend>"Learn from"</legend>
                        <label><input type="radio" name="retrain-data" data-testid="retrain-combined" prop:checked=move || combine.get() on:change=move |_| combine.set(true) />" the project's data and the batch"</label>
                        <label><input type="radio" name="retrain-data" data-testid="retrain-batch-only" prop:checked=move || !combine.get() on:change=move |_| combine.set(false) />" the batch alone"</label>
                    </fieldset>
                </div>
                <h4>"Gate"</h4>
                <div class="fields">
                    <label>"Metric "
                        <select data-testid="gate-metric" on:change=move |ev| {
                            let m = event_target_value(&ev);
                            max_drop.set(None);
                            metric.set(m);
                        }>
                            {move || gate_metrics(task()).iter().map(|m| {
                                let m = *m;
                                view! { <option value=m selected=move || chosen_metric() == m>{metrics::label(m)}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <label>{move || format!("Not worse by more than ({}) ", drop_unit(&chosen_metric()))}
                        <input data-testid="gate-max-drop" inputmode="decimal" prop:value=drop_text on:input=move |ev| max_drop.set(Some(event_target_value(&ev))) />
                    </label>
                    <Show when=move || task() == Task::Classification>
                        <label>"Fairness across "
                            <select data-testid="gate-fair-column" on:change=move |ev| fair_column.set(event_target_value(&ev))>
                                <option value="">"(not checked)"</option>
                                {move || group_columns().unwrap_or_default().into_iter().map(|c| { let label = c.clone(); view! { <option value=c>{label}</option> } }).collect_view()}
                            </select>
                        </label>
                    </Show>
                    <Show when=move || !fair_column.get().is_empty() && classes().is_some_and(|c| !c.is_empty())>
                        <label>"Selected class "
                            <select data-testid="gate-positive" on:change=move |ev| positive.set(event_target_value(&ev))>
                                {move || {
                                    let all = classes().unwrap_or_default();
                                    let last = all.last().cloned().unwrap_or_default();
                                    all.into_iter().map(|c| {
                                        let (pick, label) = (c.clone(), c.clone());
                                        let default = last.clone();
                                        view! { <option value=c selected=move || { let p = positive.get(); p == pick || (p.is_empty() && pick == default) }>{label}</option> }
                                    }).collect_view()
                                }}
                            </select>
                        </label>
                        <label>"Largest gap allowed (points) "
                            <input data-testid="gate-max-gap" inputmode="decimal" prop:value=move || max_gap.get() on:input=move |ev| max_gap.set(event_target_value(&ev)) />
                        </label>
                    </Show>
                </div>
                <button class="primary" data-testid="retrain-button" disabled=move || busy.get() on:click=start>
                    {move || match batch.get() {
                        Some((name, _)) => format!("Retrain on {name} and compare"),
                        None => "Retrain (check a batch first)".to_string(),
                    }}
                </button>
                <Show when=move || busy.get()><p class="hint" role="status" data-testid="retrain-busy">"Retraining and comparing…"</p></Show>
            </Show>
            {move || candidate.get().map(|c| view! { <Verdict candidate=c /> })}
        </div>
    }
}

fn gap_text(gap: Option<f64>) -> String {
    gap.map_or_else(|| "-".into(), |g| format!("{:.1} points", g * 100.0))
}

/// The comparison, the gate's reasons, and the promotion a passing candidate may take.
#[component]
fn Verdict(candidate: Candidate) -> impl IntoView {
    let studio = use_studio();
    let report = candidate.report.clone();
    let decision = report.decision.clone();
    let promoted = RwSignal::new(None::<u32>);
    let shown: Vec<String> = {
        let mut names = vec![decision.metric.clone()];
        for m in metrics::CLASSIFICATION.iter().chain(metrics::REGRESSION) {
            if report.candidate.contains_key(*m) && !names.iter().any(|n| n == m) && names.len() < 4
            {
                names.push(m.to_string());
            }
        }
        names
    };
    let rows = shown
        .into_iter()
        .map(|m| {
            let cand = report.candidate.get(&m).copied();
            let prod = report.production.get(&m).copied();
            view! {
                <tr data-testid="retrain-score" data-metric=m.clone()>
                    <th scope="row">{metrics::label(&m)}</th>
                    <td data-testid="retrain-production">{metrics::format_opt(&m, prod)}</td>
                    <td data-testid="retrain-candidate">{metrics::format_opt(&m, cand)}</td>
                </tr>
            }
        })
        .collect_view();
    let fairness_row = candidate.gate.fairness.as_ref().map(|f| {
        view! {
            <tr data-testid="retrain-fairness">
                <th scope="row">{format!("Largest gap across {}", f.column)}</th>
                <td>{gap_text(report.production_gap)}</td>
                <td>{gap_text(decision.fairness_gap)}</td>
            </tr>
        }
    });
    let reasons = decision
        .reasons
        .iter()
        .map(|r| view! { <li data-testid="gate-reason">{r.clone()}</li> })
        .collect_view();
    let learned = if report.base_rows > 0 {
        format!(
            "{} rows of the project's data and {} of the batch",
            report.base_rows, report.batch_train_rows
        )
    } else {
        format!("{} rows of the batch", report.batch_train_rows)
    };
    let overlap = (report.overlap > 0).then(|| {
        format!(
            " {} rows that repeat a held-out row (or share its group) were left out of training.",
            report.overlap
        )
    });
    let passed = decision.passed;
    let verdict = if passed {
        format!(
            "The candidate passes the gate against {} v{}.",
            candidate.model, candidate.production
        )
    } else {
        format!(
            "The candidate does not pass the gate against {} v{}: production stays.",
            candidate.model, candidate.production
        )
    };
    let production_header = format!("Production v{}", candidate.production);
    let promote = move |_| {
        let c = candidate.clone();
        // The comparison holds only against the version it was made with.
        let serving_now = studio.projects.with_untracked(|ps| {
            ps.iter()
                .find(|p| p.id == c.project_id)
                .and_then(|p| serving(p, &c.model))
                .map(|(v, _)| v)
        });
        if serving_now != Some(c.production) {
            return studio.fail(format!(
                "{} is no longer serving v{} in that project: retrain and compare again before promoting.",
                c.model, c.production
            ));
        }
        let mut version = 0;
        let mut replaced = None;
        studio.edit_project(&c.project_id, |p| {
            version = add_version(p, &c.model, &c.run_id, js_sys::Date::now());
            if let Some(model) = p.registry.iter_mut().find(|m| m.name == c.model) {
                replaced = model.production.filter(|v| *v != version);
                model.production = Some(version);
                model.promotions.push(Promotion {
                    version,
                    replaced,
                    at_ms: js_sys::Date::now(),
                    reasons: c.report.decision.reasons.clone(),
                    gate: Some(c.gate.clone()),
                });
            }
        });
        promoted.set(Some(version));
        studio.tell(format!(
            "{} v{version} is in production{}. The registry keeps the gate's reasons; pushing the project carries them to the sync service.",
            c.model,
            replaced.map(|r| format!(" in place of v{r}")).unwrap_or_default()
        ));
    };
    view! {
        <div data-testid="retrain-result" data-passed=passed.to_string()>
            <p data-testid="retrain-verdict"><strong>{verdict}</strong></p>
            <p class="hint" data-testid="retrain-rows">{format!("Learned from {learned}; both scored on the same {} held-out rows of the batch.", report.held_out)}{overlap}</p>
            <table style="width: auto;">
                <thead><tr><th>"Metric"</th><th>{production_header}</th><th>"Candidate"</th></tr></thead>
                <tbody>{rows}{fairness_row}</tbody>
            </table>
            <ul>{reasons}</ul>
            {passed.then_some(move || match promoted.get() {
                Some(v) => view! { <p data-testid="promoted">{format!("Promoted as v{v}.")}</p> }.into_any(),
                None => view! { <button class="primary" data-testid="promote-button" on:click=promote.clone()>"Promote to production"</button> }.into_any(),
            })}
        </div>
    }
}
