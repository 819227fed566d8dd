//! Sync: sign up or log in to the sync service that served the studio, push the current
//! project and its registered models, pull projects onto this browser, resolve conflicts,
//! manage read-only share links and the model registry. Pushed projects sync themselves
//! after edits, and again when the server is back after being unreachable.

use kiln_protocol::sync::{
    Credentials, ModelUpload, ProjectSummary, ShareInfo, Stage, StageChange,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::pages::registry::RegistryPanel;
use crate::state::{Studio, SyncState, use_studio};
use crate::sync_client::PushError;
use crate::{SESSION_KEY, sync_client};

/// The longest stage-change reason the sync service keeps.
const MAX_REASON_CHARS: usize = 500;
/// How often the automatic sync looks for pushed projects with unsynced edits.
const TICK_MS: u64 = 1_000;
/// Quiet time after a project's last edit before it is pushed (a burst of edits goes out once).
const DEBOUNCE_MS: f64 = 2_000.0;
/// While the server cannot be reached, how long to wait before trying again.
const RETRY_MS: f64 = 5_000.0;

fn remember(studio: Studio, session: Option<kiln_protocol::sync::Session>) {
    if let Ok(Some(storage)) = window().local_storage() {
        let _ = match &session {
            Some(s) => storage.set_item(SESSION_KEY, &serde_json::to_string(s).unwrap_or_default()),
            None => storage.remove_item(SESSION_KEY),
        };
    }
    studio.session.set(session);
}

fn unreachable_or_other(message: String) -> PushError {
    if message.starts_with("cannot reach") {
        PushError::Unreachable(message)
    } else {
        PushError::Other(message)
    }
}

/// Registers every model version of project `id` not yet on the service (recording each
/// public path as soon as it exists), then pushes the project. `overwrite` replaces the
/// server's copy even if it changed elsewhere. A conflict marks the project; success marks
/// it synced.
async fn push(studio: Studio, id: &str, overwrite: bool) -> Result<String, PushError> {
    let session = studio
        .session
        .get_untracked()
        .ok_or(PushError::Other("Log in first.".into()))?;
    let find = || {
        studio
            .projects
            .with_untracked(|ps| ps.iter().find(|p| p.id == id).cloned())
    };
    let project = find().ok_or(PushError::Other("Open a project first.".into()))?;
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
                public: Some(model.public),
            };
            let info = sync_client::register_model(&session, &model.name, &upload)
                .await
                .map_err(unreachable_or_other)?;
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
            // The version in production here goes to production there (after its path is
            // kept, so a failure here never registers it twice).
            if model.production == Some(version.version) {
                let reason: String = model
                    .promotions
                    .iter()
                    .rev()
                    .find(|p| p.version == version.version)
                    .map(|p| p.reasons.join(" "))
                    .unwrap_or_default()
                    .chars()
                    .take(MAX_REASON_CHARS)
                    .collect();
                let change = StageChange {
                    stage: Stage::Production,
                    reason,
                };
                sync_client::change_stage(&session, &model.name, info.version, &change)
                    .await
                    .map_err(|e| {
                        unreachable_or_other(format!(
                            "{} v{} was registered but not put in production there ({e}); do it on the registry below",
                            model.name, info.version
                        ))
                    })?;
            }
            published += 1;
        }
    }
    let project = find().ok_or(PushError::Other("the project disappeared".into()))?;
    let etag = if overwrite {
        Some("*".to_string())
    } else {
        studio.etag(&project.id)
    };
    match sync_client::push_project(&session, &project, etag.as_deref()).await {
        Ok(etag) => {
            studio.set_etag(&project.id, etag);
            studio.mark_synced(&project.id, project.updated_at_ms);
            Ok(format!(
                "Pushed \"{}\" and {published} model version(s).",
                project.name
            ))
        }
        Err(PushError::Conflict(e)) => {
            studio.mark_conflict(&project.id);
            Err(PushError::Conflict(e))
        }
        Err(PushError::Gone) => {
            studio.forget_sync(&project.id);
            Err(PushError::Other(format!(
                "the server no longer has \"{}\" (it was deleted there); push it again to store \
                 it anew",
                project.name
            )))
        }
        Err(e) => Err(e),
    }
}

/// Pulls project `id` from the service, replacing this browser's copy.
async fn pull(studio: Studio, id: String) {
    let Some(session) = studio.session.get_untracked() else {
        return;
    };
    match sync_client::pull_project(&session, &id).await {
        Ok((project, etag)) => {
            let name = project.name.clone();
            studio.set_etag(&project.id, etag);
            studio.mark_synced(&project.id, project.updated_at_ms);
            studio.adopt(project);
            studio.tell(format!("Pulled \"{name}\" into this browser."));
        }
        Err(e) => studio.fail(format!("Could not pull: {e}")),
    }
}

/// Pushes each pushed project edited since its last sync, once it has been quiet for
/// [`DEBOUNCE_MS`], unless it is in conflict (the person resolves that on the Sync page).
/// While the server cannot be reached, the edits wait and a push is tried every [`RETRY_MS`],
/// and at once when the browser says it is back online.
pub fn install_auto_sync(studio: Studio) {
    let busy = studio.pushing;
    // Projects whose automatic push failed for another reason (too large, refused): said
    // once, then left to a push by hand rather than repeated every round.
    let given_up = RwSignal::new(Vec::<String>::new());
    // No new attempt before this time (after the server could not be reached).
    let retry_at = RwSignal::new(0.0_f64);
    let round = move || {
        let now = js_sys::Date::now();
        if busy.get_untracked()
            || studio.session.get_untracked().is_none()
            || now < retry_at.get_untracked()
        {
            return;
        }
        let unsynced: Vec<(String, f64)> = studio.projects.with_untracked(|ps| {
            ps.iter()
                .filter(|p| studio.sync_state_untracked(p) == SyncState::Unsynced)
                .map(|p| (p.id.clone(), p.updated_at_ms))
                .collect()
        });
        // A project pushed by hand (or pulled) since it was given up on syncs by itself again.
        given_up.update(|g| g.retain(|id| unsynced.iter().any(|(p, _)| p == id)));
        let due: Vec<String> = unsynced
            .into_iter()
            .filter(|(id, _)| given_up.with_untracked(|g| !g.contains(id)))
            .filter(|(_, edited)| now - edited >= DEBOUNCE_MS)
            .map(|(id, _)| id)
            .collect();
        if due.is_empty() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            for id in due {
                match push(studio, &id, false).await {
                    Ok(_) => retry_at.set(0.0),
                    Err(PushError::Conflict(_)) => studio.fail(
                        "A project changed on the server since this browser synced it: open \
                         Sync to reload it or overwrite it.",
                    ),
                    // Offline or stopped server: the edits stay, a later round retries.
                    Err(PushError::Unreachable(_)) => {
                        retry_at.set(js_sys::Date::now() + RETRY_MS);
                        break;
                    }
                    Err(PushError::Other(e)) => {
                        given_up.update(|g| g.push(id.clone()));
                        studio.fail(format!("Sync failed: {e}. Push it from the Sync page."));
                    }
                    // `push` reports a project gone from the server as `Other`.
                    Err(PushError::Gone) => {}
                }
            }
            busy.set(false);
        });
    };
    set_interval(round, std::time::Duration::from_millis(TICK_MS));
    let online = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        retry_at.set(0.0);
        round();
    });
    let _ = window().add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();
}

#[component]
pub fn SyncPage() -> impl IntoView {
    let studio = use_studio();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let remote = RwSignal::new(Vec::<ProjectSummary>::new());
    let pushing = studio.pushing;
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
    let start_push = move |overwrite: bool| {
        let Some(id) = studio.current.get_untracked() else {
            return;
        };
        spawn_local(async move {
            // Wait for an automatic push in flight to finish (it may change the version tag).
            while pushing.get_untracked() {
                crate::pages::images::wait_ms(50).await;
            }
            pushing.set(true);
            match push(studio, &id, overwrite).await {
                Ok(message) => {
                    studio.tell(message);
                    refresh();
                }
                Err(PushError::Conflict(e)) => studio.fail(format!("Push stopped: {e}")),
                Err(PushError::Unreachable(e) | PushError::Other(e)) => {
                    studio.fail(format!("Push failed: {e}"))
                }
                Err(PushError::Gone) => studio.fail("Push failed: the project is gone"),
            }
            pushing.set(false);
        });
    };
    let in_conflict = move || {
        studio
            .project()
            .is_some_and(|p| studio.sync_state(&p) == SyncState::Conflict)
    };
    view! {
        <section class="page" aria-labelledby="sync-heading">
            <h2 id="sync-heading">"Sync"</h2>
            <p class="hint">"Optional. Projects stay in this browser unless you push them to this Kiln server. A pushed project syncs itself after every edit, and catches up when the server is back."</p>
            <p data-testid="sync-state">
                {move || studio.project().map(|p| format!("{}: {}", p.name, studio.sync_state(&p).label()))}
            </p>
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
                <Show when=in_conflict>
                    <div class="card" data-testid="push-conflict">
                        <p>"The server's copy of this project changed since this browser last synced it. "
                           "Reload it to get that version (replacing this browser's copy), or overwrite it with this one."</p>
                        <button data-testid="conflict-reload" disabled=move || pushing.get()
                            on:click=move |_| {
                                if let Some(id) = studio.current.get_untracked() {
                                    spawn_local(pull(studio, id));
                                }
                            }>"Reload the server's copy"</button>
                        " "
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
                                <button data-testid=format!("pull-{}", p.id) on:click=move |_| spawn_local(pull(studio, id.clone()))>"Pull"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <SharePanel />
                <RegistryPanel />
            </Show>
        </section>
    }
}

/// Read-only share links of the current project (once it is on the server).
#[component]
fn SharePanel() -> impl IntoView {
    let studio = use_studio();
    let shares = RwSignal::new(Vec::<ShareInfo>::new());
    let created = RwSignal::new(None::<String>);
    let label = RwSignal::new(String::new());
    let pushed = move || {
        studio
            .project()
            .is_some_and(|p| studio.sync_state(&p) != SyncState::LocalOnly)
    };
    let load = move || {
        let (Some(session), Some(id)) = (
            studio.session.get_untracked(),
            studio.current.get_untracked(),
        ) else {
            return;
        };
        spawn_local(async move {
            match sync_client::list_shares(&session, &id).await {
                Ok(list) => shares.set(list),
                Err(e) => studio.fail(format!("Could not list share links: {e}")),
            }
        });
    };
    // Reload the list when another project becomes current or this one is first pushed (not
    // on every edit).
    let key = Memo::new(move |_| (studio.current.get(), pushed()));
    Effect::new(move |_| {
        created.set(None);
        if key.get().1 {
            load();
        }
    });
    let copy = move |_| {
        let Some(url) = created.get_untracked() else {
            return;
        };
        let promise = window().navigator().clipboard().write_text(&url);
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(promise).await {
                Ok(_) => studio.tell("Share link copied."),
                Err(_) => studio.fail(
                    "The browser did not allow copying: select the link and copy it by hand.",
                ),
            }
        });
    };
    let create = move |_| {
        let (Some(session), Some(id)) = (
            studio.session.get_untracked(),
            studio.current.get_untracked(),
        ) else {
            return;
        };
        spawn_local(async move {
            match sync_client::create_share(&session, &id, &label.get_untracked()).await {
                Ok(share) => {
                    let origin = window().location().origin().unwrap_or_default();
                    created.set(Some(format!("{origin}{}", share.studio_path)));
                    label.set(String::new());
                    load();
                }
                Err(e) => studio.fail(format!("Could not create a share link: {e}")),
            }
        });
    };
    let revoke = move |share: i64| {
        let (Some(session), Some(id)) = (
            studio.session.get_untracked(),
            studio.current.get_untracked(),
        ) else {
            return;
        };
        spawn_local(async move {
            match sync_client::revoke_share(&session, &id, share).await {
                Ok(()) => {
                    created.set(None);
                    studio.tell("Share link revoked: it no longer opens the project.");
                    load();
                }
                Err(e) => studio.fail(format!("Could not revoke the share link: {e}")),
            }
        });
    };
    view! {
        <Show when=pushed>
            <div class="card" data-testid="share-panel">
                <h3>"Read-only share links"</h3>
                <p class="hint">"Anyone with a link can view this project as it is on the server (and make their own copy) until you revoke the link."</p>
                <div class="row">
                    <label>"For " <input data-testid="share-label" placeholder="who or what (optional)"
                        prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev)) /></label>
                    <button class="primary" data-testid="share-create" on:click=create>"Create a share link"</button>
                </div>
                <Show when=move || created.get().is_some()>
                    <p>"Copy it now; it is not shown again: "
                        <input readonly class="wide" data-testid="share-url" prop:value=move || created.get().unwrap_or_default() />
                        " " <button data-testid="share-copy" on:click=copy>"Copy"</button></p>
                </Show>
                <ul>
                    {move || shares.get().into_iter().map(|s| {
                        let created_at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(s.created_at_ms as f64));
                        let when = created_at.to_locale_string("en", &wasm_bindgen::JsValue::UNDEFINED).as_string().unwrap_or_default();
                        let label = if s.label.is_empty() { "(no label)".to_string() } else { s.label.clone() };
                        let id = s.id;
                        view! {
                            <li data-testid="share-item">{label} " — created " {when} " "
                                <button data-testid=format!("share-revoke-{id}") on:click=move |_| revoke(id)>"Revoke"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        </Show>
    }
}
