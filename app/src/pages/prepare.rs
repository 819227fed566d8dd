//! Prepare: the recipe that turns the table into model inputs. It starts as the default the
//! profile suggests; the person adds, removes and reorders steps, exports and imports it as
//! JSON (the file `kiln train --recipe` reads), and sees the prepared table live: the recipe
//! fitted on the training rows, applied to the first rows.

use kiln_protocol::recipe::{Recipe, Step};
use kiln_protocol::worker::{RecipePreview, WorkerEvent, WorkerRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::jobs::{self, recipe_of};
use crate::pages::deploy::data_url;
use crate::pages::prepare_form::AddStep;
use crate::state::{Page, Studio, use_studio};
use crate::{files, worker};

/// Replaces the project's recipe steps (the column types stay with the data).
pub fn set_steps(studio: Studio, steps: Vec<Step>) {
    studio.edit(|p| {
        p.recipe = Some(Recipe {
            types: Default::default(),
            steps,
        });
    });
}

fn current_steps(studio: Studio) -> Vec<Step> {
    studio
        .project()
        .and_then(|p| recipe_of(&p))
        .map(|r| r.steps)
        .unwrap_or_default()
}

#[derive(Clone, PartialEq)]
enum PreviewState {
    Idle,
    Busy,
    Ready(RecipePreview),
    Failed(String),
}

#[component]
pub fn PreparePage() -> impl IntoView {
    let studio = use_studio();
    let preview = RwSignal::new(PreviewState::Idle);
    let latest = StoredValue::new(0u64);
    // Preview again whenever the recipe, the target, the types or the data change.
    Effect::new(move |_| {
        let Some(project) = studio.project() else {
            return;
        };
        let Some(dataset) = project.dataset.clone() else {
            return;
        };
        let options = studio.run_options.get();
        let Some(spec) = jobs::spec_for(studio, &project, &options) else {
            preview.set(PreviewState::Failed(
                "Choose a target on the Data page to see the prepared table.".into(),
            ));
            return;
        };
        preview.set(PreviewState::Busy);
        let job = worker::submit(
            move |job_id| WorkerRequest::Preview {
                job_id,
                file_name: dataset.file_name,
                text: dataset.text.to_string(),
                spec,
            },
            move |event| {
                let current = match &event {
                    WorkerEvent::Previewed { job_id, .. } | WorkerEvent::Failed { job_id, .. } => {
                        *job_id == latest.get_value()
                    }
                    _ => false,
                };
                if !current {
                    return;
                }
                match event {
                    WorkerEvent::Previewed { preview: p, .. } => {
                        preview.set(PreviewState::Ready(p))
                    }
                    WorkerEvent::Failed { error, .. } => {
                        preview.set(PreviewState::Failed(error.message))
                    }
                    _ => {}
                }
            },
        );
        latest.set_value(job);
    });
    view! {
        <section class="page" aria-labelledby="prepare-heading">
            <h2 id="prepare-heading">"Prepare"</h2>
            <Show when=move || studio.project().and_then(|p| p.dataset).is_some()
                fallback=|| view! { <p class="hint">"Import data on the first page to build a recipe."</p> }>
                <StepsList />
                <AddStep />
                <PreviewTable preview=preview />
                <button class="primary" on:click=move |_| studio.page.set(Page::Train)>"Next: train a model →"</button>
            </Show>
        </section>
    }
}

#[component]
fn StepsList() -> impl IntoView {
    let studio = use_studio();
    let is_default = move || studio.project().is_some_and(|p| p.recipe.is_none());
    let export = move || {
        let recipe = studio
            .project()
            .and_then(|p| recipe_of(&p))
            .unwrap_or_default();
        data_url(&serde_json::to_string_pretty(&recipe).unwrap_or_default())
    };
    let file_name = move || {
        studio
            .project()
            .map(|p| format!("{}-recipe.json", p.name.replace(char::is_whitespace, "-")))
            .unwrap_or_default()
    };
    let on_import = move |ev: leptos::ev::Event| {
        let Some(file) = files::picked(&ev) else {
            return;
        };
        spawn_local(async move {
            let text = match files::text(&file).await {
                Ok(text) => text,
                Err(e) => return studio.fail(e),
            };
            match serde_json::from_str::<Recipe>(&text) {
                Ok(recipe) => {
                    let Some(id) = studio.current.get_untracked() else {
                        return;
                    };
                    studio.edit_project(&id, |p| {
                        if let Some(d) = &mut p.dataset {
                            d.types.clone_from(&recipe.types);
                        }
                        p.recipe = Some(Recipe {
                            types: Default::default(),
                            steps: recipe.steps,
                        });
                    });
                    jobs::reprofile(studio, &id);
                    studio.tell(format!("Recipe imported from {}.", file.name()));
                }
                Err(e) => studio.fail(format!(
                    "{} is not a Kiln recipe: {e}. The recipe was not changed.",
                    file.name()
                )),
            }
        });
    };
    view! {
        <div class="card">
            <h3>"Recipe"</h3>
            <p class="hint" data-testid="recipe-origin">
                {move || if is_default() {
                    "The default recipe, derived from the profile. Any change makes it yours."
                } else {
                    "Your recipe. Steps run in order, fitted on the training rows only."
                }}
            </p>
            <ol data-testid="recipe-steps" class="recipe">
                {move || {
                    let steps = current_steps(studio);
                    let n = steps.len();
                    steps.iter().enumerate().map(|(i, step)| {
                        view! {
                            <li data-testid="recipe-step">
                                <code class="op">{step.op()}</code>
                                <span>{step.describe()}</span>
                                <button aria-label="Move up" data-testid=format!("step-up-{i}") disabled=i == 0
                                    on:click=move |_| { let mut s = current_steps(studio); s.swap(i, i - 1); set_steps(studio, s); }>"↑"</button>
                                <button aria-label="Move down" data-testid=format!("step-down-{i}") disabled=i + 1 == n
                                    on:click=move |_| { let mut s = current_steps(studio); s.swap(i, i + 1); set_steps(studio, s); }>"↓"</button>
                                <button aria-label="Remove step" data-testid=format!("step-remove-{i}")
                                    on:click=move |_| { let mut s = current_steps(studio); s.remove(i); set_steps(studio, s); }>"✕"</button>
                            </li>
                        }
                    }).collect_view()
                }}
            </ol>
            <div class="row">
                <button data-testid="recipe-reset" disabled=is_default
                    on:click=move |_| studio.edit(|p| p.recipe = None)>"Reset to default"</button>
                <a class="button" data-testid="recipe-export" download=file_name href=export>"Export recipe (JSON)"</a>
                <label class="button">
                    "Import recipe…"
                    <input type="file" accept=".json,application/json" class="visually-hidden"
                        data-testid="recipe-import" on:change=on_import />
                </label>
            </div>
        </div>
    }
}

#[component]
fn PreviewTable(preview: RwSignal<PreviewState>) -> impl IntoView {
    view! {
        <div class="card">
            <h3>"Prepared table"</h3>
            {move || match preview.get() {
                PreviewState::Idle => view! { <p class="hint">"…"</p> }.into_any(),
                PreviewState::Busy => view! { <p class="hint" data-testid="recipe-preview-busy">"Fitting the recipe…"</p> }.into_any(),
                PreviewState::Failed(message) => view! {
                    <p class="banner error" role="alert" data-testid="recipe-error">{message}</p>
                }.into_any(),
                PreviewState::Ready(p) => {
                    let header = p.columns.iter().map(|c| view! { <th scope="col">{c.clone()}</th> }).collect_view();
                    let rows = p.rows.iter().map(|r| view! {
                        <tr>{r.iter().map(|v| view! { <td>{v.clone()}</td> }).collect_view()}</tr>
                    }).collect_view();
                    let notes = p.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view();
                    view! {
                        <p class="hint" data-testid="recipe-preview-summary">
                            {format!("{} model inputs, fitted on {} training rows; the first {} rows shown.", p.columns.len(), p.training_rows, p.rows.len())}
                        </p>
                        <ul class="notes" data-testid="recipe-notes">{notes}</ul>
                        <div class="table-wrap">
                            <table data-testid="recipe-preview">
                                <thead><tr>{header}</tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}
