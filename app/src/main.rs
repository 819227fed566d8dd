//! The Kiln studio: a Leptos (client-side rendered) app. It holds projects in IndexedDB and
//! sends every computation to the engine worker; this file only mounts the shell.

mod charts;
mod data_charts;
mod files;
mod insight_charts;
mod jobs;
mod metrics;
mod pages;
mod pixels;
mod plot;
mod pool;
mod share;
mod state;
mod store;
mod sync_client;
mod worker;

use kiln_protocol::project::DevicePreference;
use leptos::prelude::*;
use leptos::task::spawn_local;

use state::{Page, Studio, SyncState};

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// `?device=cpu` forces neural networks onto the CPU (tests, troubleshooting).
fn query_param(name: &str) -> Option<String> {
    let search = window().location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub const SESSION_KEY: &str = "kiln.session";

#[component]
fn App() -> impl IntoView {
    let studio = Studio::new();
    provide_context(studio);
    match query_param("device").as_deref() {
        Some("cpu") => studio.device.set(DevicePreference::Cpu),
        Some("gpu") => studio.device.set(DevicePreference::Gpu),
        _ => {}
    }
    worker::install_test_hook();
    studio.restore_etags();
    pages::sync::install_auto_sync(studio);
    if let Some(session) = local_storage()
        .and_then(|s| s.get_item(SESSION_KEY).ok().flatten())
        .and_then(|s| serde_json::from_str(&s).ok())
    {
        studio.session.set(Some(session));
    }
    spawn_local(async move {
        match store::load_all().await {
            Ok((saved, skipped)) => {
                // A person may have created or opened a project while the database was still
                // opening: keep what is in memory and add the saved ones behind it.
                studio.projects.update(|ps| {
                    for p in saved {
                        if !ps.iter().any(|q| q.id == p.id) {
                            ps.push(p);
                        }
                    }
                });
                if studio.current.get_untracked().is_none() {
                    let first = studio.projects.with_untracked(|ps| ps.first().cloned());
                    studio.current.set(first.as_ref().map(|p| p.id.clone()));
                    studio
                        .selected_run
                        .set(first.and_then(|p| p.runs.last().map(|r| r.id.clone())));
                }
                if skipped > 0 {
                    studio.fail(format!(
                        "{skipped} saved project(s) could not be read and were skipped."
                    ));
                }
            }
            Err(e) => studio.fail(e),
        }
        open_share_link(studio);
        studio.loaded.set(true);
    });
    view! {
        <header class="topbar">
            <h1>"Kiln"</h1>
            <span class="tagline">"Machine learning in your browser — your data stays here."</span>
            <span class="project-title" data-testid="project-title">
                {move || studio.project().map(|p| p.name).unwrap_or_default()}
            </span>
            <span class="sync-badge" data-testid="sync-badge">
                {move || {
                    let state = studio
                        .project()
                        .map_or(SyncState::LocalOnly, |p| studio.sync_state(&p))
                        .label();
                    match studio.session.get() {
                        Some(s) => format!("{state} · signed in as {}", s.username),
                        None => state.to_string(),
                    }
                }}
            </span>
        </header>
        <div class="layout">
            <nav class="rail" aria-label="Lifecycle stages">
                {Page::ALL
                    .into_iter()
                    .map(|page| {
                        view! {
                            <button
                                class="rail-item"
                                class:active=move || studio.page.get() == page
                                aria-current=move || (studio.page.get() == page).then_some("page")
                                data-testid=format!("nav-{}", page.id())
                                on:click=move |_| studio.page.set(page)
                            >
                                {page.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </nav>
            <main class="content">
                <Banner />
                {move || match (studio.shared.get(), studio.page.get()) {
                    (Some(project), _) => pages::shared::SharedView(pages::shared::SharedViewProps { project }).into_any(),
                    (None, page) => match page {
                    Page::Data => pages::data::DataPage().into_any(),
                    Page::Prepare => pages::prepare::PreparePage().into_any(),
                    Page::Train => pages::train::TrainPage().into_any(),
                    Page::Evaluate => pages::evaluate::EvaluatePage().into_any(),
                    Page::Explain => pages::explain::ExplainPage().into_any(),
                    Page::Monitor => pages::monitor::MonitorPage().into_any(),
                    Page::Runs => pages::runs::RunsPage().into_any(),
                    Page::Deploy => pages::deploy::DeployPage().into_any(),
                    Page::Sync => pages::sync::SyncPage().into_any(),
                    },
                }}
            </main>
        </div>
    }
}

/// Errors and notices, announced to screen readers.
#[component]
fn Banner() -> impl IntoView {
    let studio = state::use_studio();
    view! {
        <Show when=move || studio.error.get().is_some()>
            <div class="banner error" role="alert" data-testid="error-banner">
                <span>{move || studio.error.get().unwrap_or_default()}</span>
                <button aria-label="Dismiss" on:click=move |_| studio.error.set(None)>"×"</button>
            </div>
        </Show>
        <Show when=move || studio.notice.get().is_some()>
            <div class="banner notice" role="status" data-testid="notice-banner">
                <span>{move || studio.notice.get().unwrap_or_default()}</span>
                <button aria-label="Dismiss" on:click=move |_| studio.notice.set(None)>"×"</button>
            </div>
        </Show>
    }
}

/// Opens read-only the project a `#share=` fragment carries or a `#shared=TOKEN` sync-service
/// link names; then clears the fragment.
fn open_share_link(studio: Studio) {
    let Some(fragment) = window()
        .location()
        .hash()
        .ok()
        .map(|h| h.trim_start_matches('#').to_string())
    else {
        return;
    };
    if let Some(token) = fragment.strip_prefix("shared=") {
        spawn_local(pages::shared::open(studio, token.to_string()));
        let _ = window().history().map(|h| {
            h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path_and_query()))
        });
        return;
    }
    match share::decode(&fragment) {
        None => {}
        Some(Ok(project)) => {
            // Shown read-only, like a sync-service link, until the person makes a copy.
            studio.shared.set(Some(project));
            let _ = window().history().map(|h| {
                h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path_and_query()))
            });
        }
        Some(Err(e)) => studio.fail(e),
    }
}

fn path_and_query() -> String {
    let location = window().location();
    format!(
        "{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default()
    )
}
