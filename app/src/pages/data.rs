//! Objective & data: create or pick a project (name, task), import a table (CSV, TSV, JSON,
//! NDJSON) by file picker, drag-and-drop or a bundled sample, with progress and a size limit
//! the person sets, then read its profile. A file that cannot be read leaves the project
//! exactly as it was.

use kiln_protocol::project::Task;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen_futures::JsFuture;

use crate::jobs;
use crate::pages::profile::ProfileView;
use crate::state::{Studio, new_project, use_studio};

/// Where the import size limit is kept.
const LIMIT_KEY: &str = "kiln.maxImportMb";
/// Default and highest import size limits, in MB (the engine reads at most 256 MB).
const DEFAULT_LIMIT_MB: f64 = 200.0;
const MAX_LIMIT_MB: f64 = 256.0;

fn limit_mb() -> f64 {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(LIMIT_KEY).ok().flatten())
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| *v > 0.0)
        .map_or(DEFAULT_LIMIT_MB, |v| v.min(MAX_LIMIT_MB))
}

#[component]
pub fn DataPage() -> impl IntoView {
    let studio = use_studio();
    view! {
        <section class="page" aria-labelledby="data-heading">
            <h2 id="data-heading">"Objective & data"</h2>
            <ProjectPicker />
            <Show
                when=move || studio.project().is_some()
                fallback=|| view! { <p class="hint">"Create a project to begin."</p> }
            >
                <Importer />
                <crate::pages::images::ImagesCard />
                <ProfileView />
            </Show>
        </section>
    }
}

#[component]
fn ProjectPicker() -> impl IntoView {
    let studio = use_studio();
    let name = RwSignal::new(String::new());
    let task = RwSignal::new(Task::Classification);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked().trim().to_string();
        if n.is_empty() {
            studio.fail("Give the project a name.");
            return;
        }
        studio.adopt(new_project(&n, task.get_untracked()));
        studio.tell(format!("Project \"{n}\" created. Now bring some data."));
        name.set(String::new());
    };
    view! {
        <form class="card row" on:submit=create>
            <label>
                "New project "
                <input
                    data-testid="project-name"
                    placeholder="e.g. Iris species"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </label>
            <label>
                "Task "
                <select
                    data-testid="project-task"
                    on:change=move |ev| {
                        task.set(match event_target_value(&ev).as_str() {
                            "regression" => Task::Regression,
                            "clustering" => Task::Clustering,
                            _ => Task::Classification,
                        })
                    }
                >
                    <option value="classification">"Classification"</option>
                    <option value="regression">"Regression"</option>
                    <option value="clustering">"Clustering (no target needed)"</option>
                </select>
            </label>
            <button type="submit" class="primary" data-testid="create-project">"Create project"</button>
            <Show when=move || { studio.projects.with(|p| p.len() > 1) }>
                <label>
                    "Open "
                    <select
                        data-testid="project-select"
                        on:change=move |ev| {
                            studio.current.set(Some(event_target_value(&ev)));
                            studio.selected_run.set(studio.project().and_then(|p| p.runs.last().map(|r| r.id.clone())));
                        }
                    >
                        {move || {
                            let current = studio.current.get();
                            studio.projects.get().into_iter().map(|p| {
                                let selected = current.as_deref() == Some(p.id.as_str());
                                view! { <option value=p.id.clone() selected=selected>{p.name.clone()}</option> }
                            }).collect_view()
                        }}
                    </select>
                </label>
            </Show>
        </form>
        <Show when=move || studio.project().is_some()>
            <p class="objective" data-testid="project-objective">
                {move || studio.project().map(|p| format!(
                    "Task: {}. Target: {}.",
                    p.task.label(),
                    p.target.unwrap_or_else(|| if p.task == Task::Clustering { "none (optional for clustering)".into() } else { "not chosen yet".into() })
                ))}
            </p>
        </Show>
    }
}

fn read_file(studio: Studio, file: web_sys::File) {
    let name = file.name();
    let limit = limit_mb();
    let size_mb = file.size() / (1024.0 * 1024.0);
    if size_mb > limit {
        studio.fail(format!(
            "{name} is {size_mb:.1} MB; the import limit is {limit} MB. Raise it under \"Import limit\" (up to {MAX_LIMIT_MB} MB) or import a smaller file. The project was not changed."
        ));
        return;
    }
    spawn_local(async move {
        let Ok(buffer) = JsFuture::from(file.array_buffer()).await else {
            studio.fail(format!("The browser could not read {name}."));
            return;
        };
        // Decoded here, strictly: the browser's own decoding would silently replace bad bytes.
        match String::from_utf8(js_sys::Uint8Array::new(&buffer).to_vec()) {
            Ok(text) => jobs::import(studio, name, text),
            Err(e) => studio.fail(format!(
                "Could not import {name}: {}. The project was not changed.",
                describe_bad_text(e.as_bytes(), e.utf8_error().valid_up_to())
            )),
        }
    });
}

/// Where a file stops being UTF-8 text, in the words the engine uses for other read errors.
fn describe_bad_text(bytes: &[u8], offset: usize) -> String {
    if let Some(at) = bytes
        .iter()
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
    {
        return format!("this does not look like a text table (found binary data near byte {at})");
    }
    let before = &bytes[..offset.min(bytes.len())];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + before[line_start..]
        .iter()
        .filter(|&&b| matches!(b, b',' | b';' | b'\t' | b'|'))
        .count();
    format!("line {line}, column {column}: the text is not valid UTF-8; save the file as UTF-8")
}

fn load_sample(studio: Studio, file: &'static str) {
    spawn_local(async move {
        let url = format!("/samples/{file}");
        match gloo_net::http::Request::get(&url).send().await {
            Ok(r) if r.ok() => match r.text().await {
                Ok(text) => jobs::import(studio, file.to_string(), text),
                Err(e) => studio.fail(format!("Could not read the sample: {e}")),
            },
            Ok(r) => studio.fail(format!("The sample {file} is missing ({}).", r.status())),
            Err(e) => studio.fail(format!("Could not fetch the sample: {e}")),
        }
    });
}

#[component]
fn Importer() -> impl IntoView {
    let studio = use_studio();
    let dragging = RwSignal::new(false);
    let limit = limit_mb().to_string();
    let on_pick = move |ev: leptos::ev::Event| {
        if let Some(file) = crate::files::picked(&ev) {
            read_file(studio, file);
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            read_file(studio, file);
        }
    };
    view! {
        <div
            class="card drop-zone"
            class:dragging=move || dragging.get()
            data-testid="drop-zone"
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <p>"Drop a CSV, TSV, JSON or NDJSON file here, or "</p>
            <label class="button">
                "choose a file"
                <input type="file" accept=".csv,.tsv,.tab,.txt,.json,.ndjson,.jsonl,text/csv,application/json" data-testid="file-input" class="visually-hidden" on:change=on_pick />
            </label>
            <span>" or try a sample: "</span>
            <button data-testid="sample-iris" on:click=move |_| load_sample(studio, "iris.csv")>"Iris (classification)"</button>
            <button data-testid="sample-diabetes" on:click=move |_| load_sample(studio, "diabetes.csv")>"Diabetes (regression)"</button>
            <button data-testid="sample-churn" on:click=move |_| load_sample(studio, "churn.csv")>"Churn (messy data)"</button>
            <Show when=move || studio.importing.with(Option::is_some)>
                <div class="import-progress" data-testid="import-progress">
                    <progress max="1" value=move || studio.importing.with(|i| i.as_ref().map_or(0.0, |i| i.1)) aria-label="Import progress"></progress>
                    <span>{move || studio.importing.with(|i| i.as_ref().map(|(n, f)| format!("Reading {n}… {:.0}%", f * 100.0)).unwrap_or_default())}</span>
                </div>
            </Show>
            <details class="import-settings">
                <summary>"Import limit"</summary>
                <label>
                    "Largest file to read (MB) "
                    <input type="number" min="1" max=MAX_LIMIT_MB data-testid="import-limit"
                        prop:value=limit
                        on:change=move |ev| {
                            if let (Ok(v), Ok(Some(storage))) = (event_target_value(&ev).parse::<f64>(), window().local_storage()) {
                                let _ = storage.set_item(LIMIT_KEY, &v.clamp(1.0, MAX_LIMIT_MB).to_string());
                            }
                        } />
                </label>
            </details>
        </div>
    }
}
