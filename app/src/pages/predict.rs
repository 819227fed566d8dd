//! A form built from a model's input schema; the prediction runs in the engine worker.

use std::collections::BTreeMap;

use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;

use crate::state::use_studio;
use crate::worker;

/// One input as the form shows it: name, allowed categories (empty: numeric), default.
#[derive(Debug, Clone, PartialEq)]
struct Field {
    name: String,
    categories: Vec<String>,
    default: String,
}

/// Reads the input schema out of an artifact document (its recipe steps).
fn fields(artifact: &serde_json::Value) -> Vec<Field> {
    let steps = artifact
        .pointer("/recipe/steps")
        .and_then(|s| s.as_array())
        .cloned()
        .unwrap_or_default();
    steps
        .iter()
        .filter_map(|step| {
            let name = step.get("column")?.as_str()?.to_string();
            let categories: Vec<String> = step
                .get("categories")
                .and_then(|c| c.as_array())
                .map(|c| {
                    c.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let default = match step.get("mean").and_then(|m| m.as_f64()) {
                Some(mean) => format!("{}", (mean * 100.0).round() / 100.0),
                None => categories.first().cloned().unwrap_or_default(),
            };
            Some(Field {
                name,
                categories,
                default,
            })
        })
        .collect()
}

#[component]
pub fn PredictForm(artifact: serde_json::Value) -> impl IntoView {
    let studio = use_studio();
    let fields = fields(&artifact);
    let values: Vec<(String, RwSignal<String>)> = fields
        .iter()
        .map(|f| (f.name.clone(), RwSignal::new(f.default.clone())))
        .collect();
    let result = RwSignal::new(None::<String>);
    let detail = RwSignal::new(String::new());
    let inputs = fields
        .into_iter()
        .zip(values.iter().map(|(_, v)| *v))
        .map(|(field, value)| {
            let testid = format!("predict-input-{}", field.name);
            let control = if field.categories.is_empty() {
                view! {
                    <input data-testid=testid inputmode="decimal" prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev)) />
                }
                .into_any()
            } else {
                view! {
                    <select data-testid=testid on:change=move |ev| value.set(event_target_value(&ev))>
                        {field.categories.iter().map(|c| view! { <option value=c.clone()>{c.clone()}</option> }).collect_view()}
                    </select>
                }
                .into_any()
            };
            view! { <label class="field">{field.name.clone()}" "{control}</label> }
        })
        .collect_view();
    let predict = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let row: BTreeMap<String, String> = values
            .iter()
            .map(|(n, v)| (n.clone(), v.get_untracked()))
            .collect();
        let artifact = artifact.clone();
        worker::submit(
            move |job_id| WorkerRequest::Predict {
                job_id,
                artifact,
                rows: vec![row],
            },
            move |event| match event {
                WorkerEvent::Predicted { predictions, .. } => {
                    if let Some(p) = predictions.into_iter().next() {
                        let top = p
                            .probabilities
                            .iter()
                            .map(|(c, v)| format!("{c} {:.1}%", v * 100.0))
                            .collect::<Vec<_>>()
                            .join(" · ");
                        result.set(Some(p.label));
                        detail.set(top);
                    }
                }
                WorkerEvent::Failed { error, .. } => {
                    studio.fail(format!("Cannot predict: {}", error.message))
                }
                _ => {}
            },
        );
    };
    view! {
        <form class="card predict" on:submit=predict data-testid="predict-form">
            <h3>"Try it"</h3>
            <div class="fields">{inputs}</div>
            <button type="submit" class="primary" data-testid="predict-button">"Predict"</button>
            <Show when=move || result.get().is_some()>
                <p class="prediction">
                    "Prediction: " <strong data-testid="prediction-label">{move || result.get().unwrap_or_default()}</strong>
                    <span class="probabilities" data-testid="prediction-detail">" " {move || detail.get()}</span>
                </p>
            </Show>
        </form>
    }
}
