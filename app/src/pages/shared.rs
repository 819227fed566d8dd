//! A project opened from a share link (one that carries it, or a sync-service one): shown
//! read-only (nothing is saved in this browser) until the person makes their own copy.

use kiln_protocol::project::Project;
use leptos::prelude::*;

use crate::state::{Page, Studio, fresh_id, use_studio};

/// Opens the shared project of a `#shared=TOKEN` link read-only.
pub async fn open(studio: Studio, token: String) {
    match crate::sync_client::open_shared(&token).await {
        Ok(project) => studio.shared.set(Some(project)),
        Err(e) => studio.fail(format!(
            "This share link does not open a project: {e}. Ask its owner for a new one."
        )),
    }
}

#[component]
pub fn SharedView(project: Project) -> impl IntoView {
    let studio = use_studio();
    let copy = project.clone();
    let make_copy = move |_| {
        let mut own = copy.clone();
        // The copy is this browser's own: a fresh id, so it never collides with the owner's,
        // and its model versions are not the owner's registered ones (pushing it registers
        // them under the account that pushes).
        own.id = fresh_id();
        for version in own.registry.iter_mut().flat_map(|m| m.versions.iter_mut()) {
            version.public_path = None;
        }
        let name = own.name.clone();
        studio.shared.set(None);
        studio.adopt(own);
        studio.page.set(Page::Evaluate);
        studio.tell(format!("Made a copy of \"{name}\" in this browser."));
    };
    let dataset = project
        .dataset
        .as_ref()
        .map(|d| format!("{} ({} rows)", d.file_name, d.profile.rows))
        .unwrap_or_else(|| "no data".to_string());
    view! {
        <section class="page" data-testid="shared-view" aria-labelledby="shared-heading">
            <h2 id="shared-heading">{format!("Shared project: {}", project.name)}</h2>
            <p class="hint" data-testid="shared-readonly">"Read-only: this is the project as its owner shared it. Nothing here is saved in your browser unless you make a copy."</p>
            <div class="row">
                <button class="primary" data-testid="make-copy" on:click=make_copy>"Make a copy"</button>
                <button data-testid="close-shared" on:click=move |_| studio.shared.set(None)>"Close"</button>
            </div>
            <dl class="card">
                <dt>"Task"</dt><dd>{project.task.label()}</dd>
                <dt>"Target"</dt><dd>{project.target.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Data"</dt><dd>{dataset}</dd>
            </dl>
            <table class="card" data-testid="shared-runs">
                <thead><tr><th>"Run"</th><th>"Model"</th><th>"Scores"</th></tr></thead>
                <tbody>
                    {project.runs.iter().map(|r| {
                        let scores = r.scores.iter().take(3)
                            .map(|(k, v)| format!("{k} {v:.3}")).collect::<Vec<_>>().join(", ");
                        view! { <tr data-testid="shared-run"><td>{r.id.clone()}</td><td>{r.model.label()}</td><td>{scores}</td></tr> }
                    }).collect_view()}
                </tbody>
            </table>
            <ul class="card">
                {project.registry.iter().map(|m| view! {
                    <li>{format!("{}: {} version(s)", m.name, m.versions.len())}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}
