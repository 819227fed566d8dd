//! Objective & data: create or pick a project (name, task), import a table by file picker,
//! drag-and-drop or a bundled sample, and see its preview with inferred types and missing
//! counts. A file that cannot be read leaves the project exactly as it was.

use kiln_protocol::project::{ColumnKind, Dataset, Task};
use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::state::{Studio, new_project, use_studio};
use crate::worker;

/// Largest file the studio will read, in bytes.
const MAX_FILE_BYTES: f64 = 200.0 * 1024.0 * 1024.0;

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
                <Preview />
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
                        task.set(if event_target_value(&ev) == "regression" { Task::Regression } else { Task::Classification })
                    }
                >
                    <option value="classification">"Classification"</option>
                    <option value="regression">"Regression"</option>
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
                    p.target.unwrap_or_else(|| "not chosen yet".into())
                ))}
            </p>
        </Show>
    }
}

/// Sends the text to the worker for profiling; on success it becomes the project's dataset.
fn import(studio: Studio, file_name: String, text: String) {
    let Some(project_id) = studio.current.get_untracked() else {
        return;
    };
    studio.notice.set(Some(format!("Reading {file_name}…")));
    let request_text = text.clone();
    let text: std::sync::Arc<str> = text.into();
    let request_name = file_name.clone();
    worker::submit(
        move |job_id| WorkerRequest::Profile {
            job_id,
            file_name: request_name,
            text: request_text,
        },
        move |event| match event {
            WorkerEvent::Profiled { profile, .. } => {
                let rows = profile.rows;
                let cols = profile.columns.len();
                let last = profile.columns.last().map(|c| c.name.clone());
                studio.edit_project(&project_id, |p| {
                    p.target = p
                        .target
                        .clone()
                        .filter(|t| profile.columns.iter().any(|c| &c.name == t))
                        .or(last);
                    p.dataset = Some(Dataset {
                        file_name: file_name.clone(),
                        text: text.clone(),
                        profile,
                    });
                });
                studio.tell(format!("Loaded {file_name}: {rows} rows, {cols} columns."));
            }
            WorkerEvent::Failed { error, .. } => {
                studio.fail(format!(
                    "Could not import {file_name}: {}. The project was not changed.",
                    error.message
                ));
            }
            _ => {}
        },
    );
}

fn read_file(studio: Studio, file: web_sys::File) {
    let name = file.name();
    if file.size() > MAX_FILE_BYTES {
        studio.fail(format!(
            "{name} is larger than 200 MB; Kiln cannot import it yet."
        ));
        return;
    }
    spawn_local(async move {
        match JsFuture::from(file.text()).await {
            Ok(text) => match text.as_string() {
                Some(text) => import(studio, name, text),
                None => studio.fail(format!("{name} is not a text file.")),
            },
            Err(_) => studio.fail(format!("The browser could not read {name}.")),
        }
    });
}

fn load_sample(studio: Studio, file: &'static str) {
    spawn_local(async move {
        let url = format!("/samples/{file}");
        match gloo_net::http::Request::get(&url).send().await {
            Ok(r) if r.ok() => match r.text().await {
                Ok(text) => import(studio, file.to_string(), text),
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
    let on_pick = move |ev: leptos::ev::Event| {
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input
            .as_ref()
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        {
            read_file(studio, file);
        }
        if let Some(i) = input {
            i.set_value("");
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
            <p>"Drop a CSV or TSV file here, or "</p>
            <label class="button">
                "choose a file"
                <input type="file" accept=".csv,.tsv,.txt,text/csv" data-testid="file-input" class="visually-hidden" on:change=on_pick />
            </label>
            <span>" or try a sample: "</span>
            <button data-testid="sample-iris" on:click=move |_| load_sample(studio, "iris.csv")>"Iris (classification)"</button>
            <button data-testid="sample-diabetes" on:click=move |_| load_sample(studio, "diabetes.csv")>"Diabetes (regression)"</button>
        </div>
    }
}

#[component]
fn Preview() -> impl IntoView {
    let studio = use_studio();
    move || {
        let dataset = studio.project().and_then(|p| p.dataset)?;
        let profile = dataset.profile;
        let header = profile
            .columns
            .iter()
            .map(|c| {
                let kind = match c.kind {
                    ColumnKind::Numeric => "numeric",
                    ColumnKind::Categorical => "categorical",
                };
                view! {
                    <th scope="col">
                        <div>{c.name.clone()}</div>
                        <div class="col-type" data-testid=format!("col-type-{}", c.name)>{kind}</div>
                        <div class="col-missing" data-testid=format!("col-missing-{}", c.name)>
                            {format!("{} missing", c.missing)}
                        </div>
                    </th>
                }
            })
            .collect_view();
        let rows = profile
            .preview
            .iter()
            .map(|r| view! { <tr>{r.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}</tr> })
            .collect_view();
        Some(view! {
            <div class="card">
                <h3 data-testid="dataset-summary">
                    {format!("{} — {} rows × {} columns", dataset.file_name, profile.rows, profile.columns.len())}
                </h3>
                <div class="table-wrap">
                    <table data-testid="preview-table">
                        <thead><tr>{header}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
                <button class="primary" on:click=move |_| studio.page.set(crate::state::Page::Train)>"Next: train a model →"</button>
            </div>
        })
    }
}
