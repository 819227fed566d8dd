//! Explain: why the selected run's model predicts what it does. On opening, the worker
//! measures permutation importance on the run's test rows (re-split as the run split them),
//! the model's own importances and partial dependence for the top columns. A test row can be
//! picked, or any row typed in (what-if): its contributions are drawn as a waterfall from the
//! average prediction to this one. Fairness per group sits below (`explain_parts`).

use std::collections::BTreeMap;
use std::sync::Arc;

use kiln_protocol::explain::{
    Contributions, ExplainMethod, FairnessReport, FairnessRequest, ModelExplanation, OutputSpace,
    PartialDependence,
};
use kiln_protocol::project::{InputField, RunRecord, Task, TrainSpec};
use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;

use crate::insight_charts::{ImportanceBars, Waterfall};
use crate::metrics;
use crate::pages::evaluate::shown_run;
use crate::pages::explain_parts::FairnessCard;
use crate::plot::{Marks, Series, XyPlot};
use crate::state::{Explained, Studio, use_studio};
use crate::worker;

/// Explanations kept for this session (the oldest goes first).
const KEPT_EXPLANATIONS: usize = 8;

#[component]
pub fn ExplainPage() -> impl IntoView {
    let studio = use_studio();
    let run = Memo::new(move |_| shown_run(studio));
    view! {
        <section class="page" aria-labelledby="explain-heading">
            <h2 id="explain-heading">"Explain"</h2>
            {move || match run.get() {
                None => view! { <p class="hint">"Train a model to see why it predicts what it does."</p> }.into_any(),
                Some(run) if run.artifact.is_null() => view! {
                    <p class="hint" data-testid="explain-unavailable">"This run was a search trial and kept no model: train it again to explain it."</p>
                }.into_any(),
                Some(run) if run.artifact["image"].is_object() => view! {
                    <p class="hint" data-testid="explain-unavailable">"Explanations are for models of tables; this model classifies images."</p>
                }.into_any(),
                Some(run) if run.task == Some(Task::Clustering) => view! {
                    <p class="hint" data-testid="explain-unavailable">"Explanations are for models that predict a target; a clustering model has no prediction to explain. Its clusters are described on the Evaluate page."</p>
                }.into_any(),
                Some(run) => view! { <RunExplain run=run /> }.into_any(),
            }}
        </section>
    }
}

/// The spec that re-splits the project's data exactly as the run did.
fn spec_of(studio: Studio, run: &RunRecord) -> Option<TrainSpec> {
    Some(TrainSpec {
        task: run.task?,
        target: run.target.clone().unwrap_or_default(),
        model: run.model,
        device: studio.device.get_untracked(),
        seed: run.seed.unwrap_or(42),
        holdout: run.holdout.unwrap_or(0.2),
        epochs: 1,
        split: run.split.clone().unwrap_or_default(),
        cv_folds: 0,
        recipe: run.recipe.clone(),
        params: run.params.clone(),
    })
}

/// What the worker needs to measure a run on its test rows: the model, the project's data and
/// the spec that re-splits it. `None` (after saying why) when the run or project lacks one.
fn test_rows_of(
    studio: Studio,
    run: &RunRecord,
) -> Option<(serde_json::Value, String, String, TrainSpec)> {
    let Some(dataset) = studio.project_untracked().and_then(|p| p.dataset) else {
        studio.fail("The project has no data to explain the model on.");
        return None;
    };
    let Some(spec) = spec_of(studio, run) else {
        studio.fail("This run does not record how it was trained; train it again to explain it.");
        return None;
    };
    Some((
        (*run.artifact).clone(),
        dataset.file_name,
        dataset.text.to_string(),
        spec,
    ))
}

/// The project data a run would be explained on now (shared, never copied).
fn current_data(studio: Studio) -> Option<Arc<str>> {
    studio
        .project_untracked()
        .and_then(|p| p.dataset)
        .map(|d| d.text)
}

/// Whether entry `e` is run `run_id`'s explanation on `data`.
fn is_for(e: &Explained, run_id: &str, data: &Arc<str>) -> bool {
    e.run_id == run_id && Arc::ptr_eq(&e.data, data)
}

/// Asks the worker for the model's explanation, unless this session already has it, or has
/// asked, for the same run and data (coming back to the page shows it at once).
fn request_explanation(studio: Studio, run: &RunRecord) {
    let Some(data) = current_data(studio) else {
        return studio.fail("The project has no data to explain the model on.");
    };
    let run_id = run.id.clone();
    if studio
        .explained
        .with_untracked(|es| es.iter().any(|e| is_for(e, &run_id, &data)))
    {
        return;
    }
    let Some((artifact, file_name, text, spec)) = test_rows_of(studio, run) else {
        return;
    };
    studio.explained.update(|es| {
        if es.len() >= KEPT_EXPLANATIONS {
            es.remove(0);
        }
        es.push(Explained {
            run_id: run_id.clone(),
            data: data.clone(),
            result: None,
        });
    });
    worker::submit(
        move |job_id| WorkerRequest::ExplainModel {
            job_id,
            artifact,
            file_name,
            text,
            spec,
        },
        move |event| match event {
            WorkerEvent::ExplainedModel { explanation, .. } => {
                let explanation = Arc::new(*explanation);
                studio.explained.update(|es| {
                    if let Some(e) = es.iter_mut().find(|e| is_for(e, &run_id, &data)) {
                        e.result = Some(explanation);
                    }
                });
            }
            WorkerEvent::Failed { error, .. } => {
                studio
                    .explained
                    .update(|es| es.retain(|e| !is_for(e, &run_id, &data)));
                studio.fail(format!("Cannot explain the model: {}", error.message));
            }
            _ => {}
        },
    );
}

/// Asks the worker for fairness per group of a sensitive column on the run's test rows.
fn request_fairness(
    studio: Studio,
    run: &RunRecord,
    request: FairnessRequest,
    result: RwSignal<Option<FairnessReport>>,
    busy: RwSignal<bool>,
) {
    let Some((artifact, file_name, text, spec)) = test_rows_of(studio, run) else {
        return;
    };
    busy.set(true);
    worker::submit(
        move |job_id| WorkerRequest::Fairness {
            job_id,
            artifact,
            file_name,
            text,
            spec,
            request,
        },
        move |event| match event {
            WorkerEvent::FairnessChecked { report, .. } => {
                busy.set(false);
                result.set(Some(*report));
            }
            WorkerEvent::Failed { error, .. } => {
                busy.set(false);
                studio.fail(format!("Cannot compare the groups: {}", error.message));
            }
            _ => {}
        },
    );
}

#[component]
fn RunExplain(run: RunRecord) -> impl IntoView {
    let studio = use_studio();
    let busy = RwSignal::new(false);
    let data = current_data(studio);
    let (run_id, kept_data) = (run.id.clone(), data.clone());
    // `None` while unknown, `Some(None)` while the worker measures.
    let entry = Memo::new(move |_| {
        let data = kept_data.as_ref()?;
        studio.explained.with(|es| {
            es.iter()
                .find(|e| is_for(e, &run_id, data))
                .map(|e| e.result.clone())
        })
    });
    let explanation =
        Memo::new(move |_| entry.get().flatten().map(|x| ModelExplanation::clone(&x)));
    let explaining = move || matches!(entry.get(), Some(None));
    request_explanation(studio, &run);
    let global = move || {
        explanation.get().map(|e| {
            let g = e.global;
            let p = &g.permutation;
            let caption = format!(
                "Drop in {} when a column's values are shuffled among {} test rows ({} repeats; the line is ± one standard deviation). Baseline {}.",
                metrics::label(&p.metric).to_lowercase(),
                p.rows,
                p.repeats,
                p.baseline.map_or("-".into(), |b| metrics::format(&p.metric, b))
            );
            let bars: Vec<(String, f64, f64)> = p
                .features
                .iter()
                .map(|f| (f.name.clone(), f.importance, f.spread))
                .collect();
            let own = g.model.map(|m| {
                let title = if m.method == "impurity" {
                    "The model's own importances (impurity decrease)"
                } else {
                    "Weight sizes (weight × spread of the feature in training)"
                };
                let bars: Vec<(String, f64, f64)> = m
                    .features
                    .iter()
                    .take(15)
                    .map(|f| (f.name.clone(), f.importance, 0.0))
                    .collect();
                view! {
                    <h3>{title}</h3>
                    <ImportanceBars testid="model-importance" items=bars unit=m.metric.clone() />
                }
            });
            view! {
                {e.note.map(|n| view! { <p class="hint" data-testid="explain-note">{n}</p> })}
                <div class="card">
                    <h3>"Which columns matter"</h3>
                    <p class="hint" data-testid="permutation-caption">{caption}</p>
                    <ImportanceBars testid="permutation-importance" items=bars unit=format!("drop in {}", metrics::label(&p.metric).to_lowercase()) />
                    {own}
                </div>
                <div class="card">
                    <h3>"Partial dependence"</h3>
                    <p class="hint">"The average prediction as one column is set to each value on every test row."</p>
                    <div class="charts">
                        {g.partial_dependence.into_iter().map(|pd| view! { <PdPlot pd=pd /> }).collect_view()}
                    </div>
                </div>
            }
        })
    };
    let rows = Signal::derive(move || {
        explanation.with(|e| e.as_ref().map(|e| e.rows.clone()).unwrap_or_default())
    });
    let groups = Signal::derive(move || {
        explanation.with(|e| {
            e.as_ref()
                .map(|e| e.group_columns.clone())
                .unwrap_or_default()
        })
    });
    let fairness = RwSignal::new(None::<FairnessReport>);
    let classes: Vec<String> = run.artifact["classes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let fair_run = run.clone();
    let check_fairness = Callback::new(move |request: FairnessRequest| {
        request_fairness(studio, &fair_run, request, fairness, busy);
    });
    view! {
        <p data-testid="explained-run">{format!("{} · {}", run.model.label(), metrics::date_time(run.created_at_ms))}</p>
        <Show when=move || busy.get() || explaining()>
            <p class="hint" data-testid="explain-busy" role="status">"Measuring on the test rows…"</p>
        </Show>
        {global}
        <RowExplain artifact=run.artifact.clone() fields=run.inputs.clone() rows=rows target=run.target.clone().unwrap_or_default() />
        {(!classes.is_empty()).then(|| view! { <FairnessCard columns=groups classes=classes report=fairness.into() check=check_fairness /> })}
    }
}

/// A partial dependence curve: one line per class (probabilities) or the value.
#[component]
fn PdPlot(pd: PartialDependence) -> impl IntoView {
    let series: Vec<Series> = pd
        .outputs
        .iter()
        .enumerate()
        .map(|(o, name)| {
            let points =
                pd.x.iter()
                    .zip(&pd.values)
                    .map(|(x, v)| (*x, v.get(o).copied().unwrap_or(f64::NAN)))
                    .collect();
            Series::new(name.clone(), points, Marks::LineDots, o)
        })
        .collect();
    let caption = if pd.numeric {
        pd.feature.clone()
    } else {
        format!(
            "{}: {}",
            pd.feature,
            pd.grid
                .iter()
                .enumerate()
                .map(|(i, g)| format!("{i} = {g}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    view! {
        <div data-testid="partial-dependence" data-feature=pd.feature.clone()>
            <XyPlot testid="pd-plot" series=series x_label="value" y_label="mean prediction" caption=caption />
        </div>
    }
}

fn method_text(c: &Contributions) -> String {
    let method = match c.method {
        ExplainMethod::TreeShap => "exact Shapley values (TreeSHAP)".to_string(),
        ExplainMethod::Linear => "exact for a linear model".to_string(),
        ExplainMethod::Sampling { permutations } => {
            format!("Shapley values estimated from {permutations} sampled orders")
        }
    };
    let space = match c.space {
        OutputSpace::Probability => "on the probability",
        OutputSpace::LogOdds => "on the log-odds (the model's raw score)",
        OutputSpace::Value => "in the target's units",
    };
    format!("Contributions {space}: {method}.")
}

/// Pick a test row or type one; its contributions as a waterfall.
#[component]
fn RowExplain(
    artifact: Arc<serde_json::Value>,
    fields: Vec<InputField>,
    rows: Signal<Vec<BTreeMap<String, String>>>,
    target: String,
) -> impl IntoView {
    let studio = use_studio();
    let values: Vec<(String, RwSignal<String>)> = fields
        .iter()
        .map(|f| (f.name.clone(), RwSignal::new(f.default.clone())))
        .collect();
    let result = RwSignal::new(None::<Contributions>);
    let values_for_explain = values.clone();
    let explain = move || {
        let row: BTreeMap<String, String> = values_for_explain
            .iter()
            .map(|(n, v)| (n.clone(), v.get_untracked()))
            .collect();
        let artifact = (*artifact).clone();
        worker::submit(
            move |job_id| WorkerRequest::ExplainRow {
                job_id,
                artifact,
                row,
            },
            move |event| match event {
                WorkerEvent::ExplainedRow { contributions, .. } => result.set(Some(*contributions)),
                WorkerEvent::Failed { error, .. } => {
                    studio.fail(format!("Cannot explain this row: {}", error.message))
                }
                _ => {}
            },
        )
    };
    let pick_values = values.clone();
    let explain_pick = explain.clone();
    let pick = move |ev: leptos::ev::Event| {
        let Ok(i) = event_target_value(&ev).parse::<usize>() else {
            return;
        };
        let Some(row) = rows.with_untracked(|r| r.get(i).cloned()) else {
            return;
        };
        for (name, value) in &pick_values {
            value.set(row.get(name).cloned().unwrap_or_default());
        }
        explain_pick();
    };
    let target_for_options = target.clone();
    let options = move || {
        rows.get()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let actual = r.get(&target_for_options).cloned().unwrap_or_default();
                view! { <option value=i.to_string()>{format!("Test row {} ({target_for_options} = {actual})", i + 1)}</option> }
            })
            .collect_view()
    };
    let inputs = fields
        .into_iter()
        .zip(values.iter().map(|(_, v)| *v))
        .map(|(field, value)| {
            view! {
                <label class="field">{field.name.clone()}" "
                    <input data-testid=format!("whatif-input-{}", field.name) prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev)) />
                </label>
            }
        })
        .collect_view();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        explain();
    };
    let shown = move || {
        result.get().map(|c| {
            // The class predicted (or the only output) is the one drawn.
            let output = c.outputs.iter().position(|o| *o == c.label).unwrap_or(0).min(c.values.len().saturating_sub(1));
            let of = c.outputs.get(output).cloned().unwrap_or_default();
            view! {
                <p class="prediction">"Prediction: " <strong data-testid="explain-label">{c.label.clone()}</strong>
                    {(c.outputs.len() > 1 || c.space != OutputSpace::Value).then(|| format!(" · contributions to \"{of}\""))}</p>
                <p class="hint" data-testid="explain-method">{method_text(&c)}</p>
                <Waterfall contributions=c.clone() output=output />
            }
        })
    };
    view! {
        <form class="card" on:submit=submit data-testid="whatif-form">
            <h3>"One prediction, feature by feature"</h3>
            <label>"Start from "
                <select data-testid="explain-row-pick" on:change=pick>
                    <option value="">"a test row…"</option>
                    {options}
                </select>
            </label>
            <p class="hint">"Change any value to see what if, then explain again."</p>
            <div class="fields">{inputs}</div>
            <button type="submit" class="primary" data-testid="explain-row-button">"Explain this row"</button>
            {shown}
        </form>
    }
}
