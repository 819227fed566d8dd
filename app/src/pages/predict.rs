//! A form built from a model's inputs (as the worker described them when it trained the
//! model), or a picture to classify for an image model; the prediction runs in the engine
//! worker.

use std::collections::BTreeMap;
use std::sync::Arc;

use kiln_protocol::project::InputField;
use kiln_protocol::worker::{Prediction, WorkerEvent, WorkerRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::state::{Studio, use_studio};
use crate::worker;

#[component]
pub fn PredictForm(artifact: Arc<serde_json::Value>, fields: Vec<InputField>) -> impl IntoView {
    let studio = use_studio();
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
            // Categories are typed too (with suggestions), so a value never seen in training
            // or an empty (missing) one can be tried; the recipe handles both.
            let list = format!("values-{}", field.name);
            let control = view! {
                <input data-testid=testid prop:value=move || value.get()
                    inputmode=if field.numeric { "decimal" } else { "text" }
                    list=(!field.categories.is_empty()).then(|| list.clone())
                    on:input=move |ev| value.set(event_target_value(&ev)) />
                <datalist id=list.clone()>
                    {field.categories.iter().map(|c| view! { <option value=c.clone()></option> }).collect_view()}
                </datalist>
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
        let artifact = (*artifact).clone();
        worker::submit(
            move |job_id| WorkerRequest::Predict {
                job_id,
                artifact,
                rows: vec![row],
            },
            move |event| show(studio, event, result, detail),
        );
    };
    view! {
        <form class="card predict" on:submit=predict data-testid="predict-form">
            <h3>"Try it"</h3>
            <div class="fields">{inputs}</div>
            <button type="submit" class="primary" data-testid="predict-button">"Predict"</button>
            <PredictionLine result=result detail=detail />
        </form>
    }
}

/// The last prediction's label and details, once there is one.
#[component]
fn PredictionLine(result: RwSignal<Option<String>>, detail: RwSignal<String>) -> impl IntoView {
    view! {
        <Show when=move || result.get().is_some()>
            <p class="prediction">
                "Prediction: " <strong data-testid="prediction-label">{move || result.get().unwrap_or_default()}</strong>
                <span class="probabilities" data-testid="prediction-detail">" " {move || detail.get()}</span>
            </p>
        </Show>
    }
}

/// What a prediction shows: the label, and the class probabilities (or a PCA row's
/// coordinates on the kept components).
fn show(
    studio: Studio,
    event: WorkerEvent,
    result: RwSignal<Option<String>>,
    detail: RwSignal<String>,
) {
    match event {
        WorkerEvent::Predicted { predictions, .. } => {
            if let Some(p) = predictions.into_iter().next() {
                detail.set(detail_text(&p));
                result.set(Some(p.label));
            }
        }
        WorkerEvent::Failed { error, .. } => {
            studio.fail(format!("Cannot predict: {}", error.message))
        }
        _ => {}
    }
}

fn detail_text(p: &Prediction) -> String {
    if p.components.is_empty() {
        p.probabilities
            .iter()
            .map(|(c, v)| format!("{c} {:.1}%", v * 100.0))
            .collect::<Vec<_>>()
            .join(" · ")
    } else {
        p.components
            .iter()
            .enumerate()
            .map(|(i, v)| format!("PC{} {v:.3}", i + 1))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// An image model's "Try it": pick a picture; the page decodes it at the network's size and
/// the worker classifies it.
#[component]
pub fn ImagePredict(artifact: Arc<serde_json::Value>, size: u32) -> impl IntoView {
    let studio = use_studio();
    let result = RwSignal::new(None::<String>);
    let detail = RwSignal::new(String::new());
    let preview = RwSignal::new(None::<String>);
    let chosen = move |ev: leptos::ev::Event| {
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        if let Some(old) = preview.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&old);
        }
        preview.set(web_sys::Url::create_object_url_with_blob(&file).ok());
        let artifact = (*artifact).clone();
        spawn_local(async move {
            let rgba = match crate::pixels::rgba(&file, size).await {
                Ok(rgba) => rgba,
                Err(e) => return studio.fail(format!("Cannot read \"{}\": {e}", file.name())),
            };
            worker::submit(
                move |job_id| WorkerRequest::PredictImage {
                    job_id,
                    artifact,
                    rgba,
                },
                move |event| show(studio, event, result, detail),
            );
        });
    };
    view! {
        <div class="card predict" data-testid="predict-form">
            <h3>"Try it"</h3>
            <label class="button">"Choose a picture"
                <input type="file" accept="image/*" data-testid="predict-image" on:change=chosen style="display: none" />
            </label>
            {move || preview.get().map(|src| view! { <img src=src alt="The picture tried" style="max-width: 8rem; display: block;" /> })}
            <PredictionLine result=result detail=detail />
        </div>
    }
}
