//! Sync: sign up or log in to the sync service that served the studio, push the current
//! project and its registered models, and pull projects onto this browser.

use kiln_protocol::sync::{Credentials, ModelUpload, ProjectSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{Studio, use_studio};
use crate::sync_client::PushError;
use crate::{SESSION_KEY, sync_client};

fn remember(studio: Studio, session: Option<kiln_protocol::sync::Session>) {
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = match &session {
            Some(s) => storage.set_item(SESSION_KEY, &serde_json::to_string(s).unwrap_or_default()),
            None => storage.remove_item(SESSION_KEY),
        };
    }
    studio.session.set(session);
}

/// Registers every model version not yet on the service (recording each public path as soon
/// as it exists), then pushes the project. `overwrite` replaces the server's copy even if it
/// changed elsewhere.
async fn push(studio: Studio, overwrite: bool) -> Result<String, PushError> {
    let session = studio
        .session
        .get_untracked()
        .ok_or(PushError::Other("Log in first.".into()))?;
    let project = studio
        .project()
        .ok_or(PushError::Other("Open a project first.".into()))?;
    let mut published = 0;
    for model in &project.registry {
        for version in model.versions.iter().filter(|v| v.public_path.is_none()) {
            let run = project
                .runs
                .iter()
                .find(|r| r.id == version.run_id)
                .ok_or(PushError::Other("a registered run is missing".into()))?;
            let upload = ModelUpload {
                artifact: (*run.artifact).clone(),
                project_id: Some(project.id.clone()),
                run_id: Some(run.id.clone()),
                public: Some(true),
            };
            let info = sync_client::register_model(&session, &model.name, &upload)
                .await
                .map_err(PushError::Other)?;
            studio.edit_project(&project.id, |p| {
                let v = p
                    .registry
                    .iter_mut()
                    .filter(|m| m.name == model.name)
                    .flat_map(|m| m.versions.iter_mut())
                    .find(|v| v.version == version.version);
                if let Some(v) = v {
                    v.public_path = Some(info.public_path.clone());
                }
            });
            published += 1;
        }
    }
    let project = studio
        .projects
        .with_untracked(|ps| ps.iter().find(|p| p.id == project.id).cloned())
        .ok_or(PushError::Other("the project disappeared".into()))?;
    let etag = if overwrite {
        Some("*".to_string())
    } else {
        studio.etag(&project.id)
    };
    let etag = sync_client::push_project(&session, &project, etag.as_deref()).await?;
    studio.set_etag(&project.id, etag);
    Ok(format!(
        "Pushed \"{}\" and {published} model version(s).",
        project.name
    ))
}

#[component]
pub fn SyncPage() -> impl IntoView {
    let studio = use_studio();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let remote = RwSignal::new(Vec::<ProjectSummary>::new());
    let pushing = RwSignal::new(false);
    let conflict = RwSignal::new(false);
    let authenticate = move |signup: bool| {
        let credentials = Credentials {
            username: username.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            let result = if signup {
                sync_client::signup(&credentials).await
            } else {
                sync_client::login(&credentials).await
            };
            match result {
                Ok(session) => {
                    studio.tell(format!("Signed in as {}.", session.username));
                    remember(studio, Some(session));
                    password.set(String::new());
                }
                Err(e) => studio.fail(format!("Could not sign in: {e}")),
            }
        });
    };
    let refresh = move || {
        spawn_local(async move {
            let Some(session) = studio.session.get_untracked() else {
                return;
            };
            match sync_client::list_projects(&session).await {
                Ok(list) => remote.set(list),
                Err(e) => studio.fail(format!("Could not list projects: {e}")),
            }
        });
    };
    let pull = move |id: String| {
        spawn_local(async move {
            let Some(session) = studio.session.get_untracked() else {
                return;
            };
            match sync_client::pull_project(&session, &id).await {
                Ok((project, etag)) => {
                    let name = project.name.clone();
                    studio.set_etag(&project.id, etag);
                    studio.adopt(project);
                    studio.tell(format!("Pulled \"{name}\" into this browser."));
                }
                Err(e) => studio.fail(format!("Could not pull: {e}")),
            }
        });
    };
    let start_push = move |overwrite: bool| {
        pushing.set(true);
        spawn_local(async move {
            match push(studio, overwrite).await {
                Ok(message) => {
                    conflict.set(false);
                    studio.tell(message);
                    refresh();
                }
                Err(PushError::Conflict(e)) => {
                    conflict.set(true);
                    studio.fail(format!("Push stopped: {e}"));
                }
                Err(PushError::Other(e)) => studio.fail(format!("Push failed: {e}")),
            }
            pushing.set(false);
        });
    };
    view! {
        <section class="page" aria-labelledby="sync-heading">
            <h2 id="sync-heading">"Sync"</h2>
            <p class="hint">"Optional. Projects stay in this browser unless you push them to this Kiln server."</p>
            <Show when=move || studio.session.get().is_none()>
                <form class="card row" on:submit=move |ev| { ev.prevent_default(); authenticate(false); }>
                    <label>"Username " <input data-testid="sync-username" autocomplete="username"
                        prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) /></label>
                    <label>"Password " <input type="password" data-testid="sync-password" autocomplete="current-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) /></label>
                    <button type="submit" class="primary" data-testid="login-button">"Log in"</button>
                    <button type="button" data-testid="signup-button" on:click=move |_| authenticate(true)>"Sign up"</button>
                </form>
            </Show>
            <Show when=move || studio.session.get().is_some()>
                <div class="card row">
                    <span data-testid="sync-user">{move || studio.session.get().map(|s| format!("Signed in as {}", s.username))}</span>
                    <button class="primary" data-testid="push-button"
                        disabled=move || studio.project().is_none() || pushing.get()
                        on:click=move |_| start_push(false)>"Push this project"</button>
                    <button data-testid="refresh-remote" on:click=move |_| refresh()>"List my synced projects"</button>
                    <button data-testid="logout-button" on:click=move |_| {
                        if let Some(session) = studio.session.get_untracked() {
                            spawn_local(async move { sync_client::logout(&session).await; });
                        }
                        remember(studio, None);
                    }>"Log out"</button>
                </div>
                <Show when=move || conflict.get()>
                    <div class="card" data-testid="push-conflict">
                        <p>"The server's copy of this project changed since this browser last synced it. "
                           "Pull it to get that version (replacing this browser's copy), or overwrite it with this one."</p>
                        <button data-testid="force-push-button" disabled=move || pushing.get()
                            on:click=move |_| start_push(true)>"Overwrite the server's copy"</button>
                    </div>
                </Show>
                <ul class="card" data-testid="remote-projects">
                    {move || remote.get().into_iter().map(|p| {
                        let id = p.id.clone();
                        view! {
                            <li data-testid="remote-project">
                                {p.name.clone()} " "
                                <button data-testid=format!("pull-{}", p.id) on:click=move |_| pull(id.clone())>"Pull"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}
