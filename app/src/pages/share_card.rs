//! The Register & ship page's share link: the project's recipe and models (and, if the person
//! asks, a seeded sample of its rows, cut and profiled by the engine worker) in the URL
//! fragment; when that would be too long, a sync-service link instead.

use kiln_protocol::project::{Dataset, Project};
use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{Page, Studio, use_studio};
use crate::{share, sync_client, worker};

fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

/// Puts `link` in the box and on the clipboard.
fn offer(studio: Studio, link_box: RwSignal<String>, link: String, said: &str) {
    link_box.set(link.clone());
    let _ = window().navigator().clipboard().write_text(&link);
    studio.tell(said.to_string());
}

/// Encodes `carried` as a link, or says why it cannot be one.
fn finish(
    studio: Studio,
    link_box: RwSignal<String>,
    too_long: RwSignal<Option<usize>>,
    carried: &Project,
) {
    match share::encode(carried) {
        Ok(fragment) if fragment.len() > share::MAX_LINK_CHARS => {
            link_box.set(String::new());
            too_long.set(Some(fragment.len()));
        }
        Ok(fragment) => {
            let link = format!(
                "{}{}#{fragment}",
                origin(),
                window().location().pathname().unwrap_or_default()
            );
            let what = if carried.dataset.is_some() {
                "its recipe, models and a sample of its data"
            } else {
                "its recipe and models, not its table"
            };
            // What the models themselves keep of the data, said rather than left to surprise.
            let knn = carried
                .runs
                .iter()
                .any(|r| r.artifact.pointer("/model/kind").and_then(|k| k.as_str()) == Some("knn"));
            let kept = if knn {
                " A nearest-neighbours model keeps its training rows (prepared), and evaluations keep test rows' actual targets and predictions."
            } else {
                " Evaluations keep test rows' actual targets and predictions."
            };
            offer(
                studio,
                link_box,
                link,
                &format!(
                    "Share link ready (copied if the browser allowed it): it carries {what}; no server sees it.{kept}"
                ),
            );
        }
        Err(e) => studio.fail(format!("Cannot build the link: {e}")),
    }
}

#[component]
pub fn ShareCard() -> impl IntoView {
    let studio = use_studio();
    let link_box = RwSignal::new(String::new());
    let with_sample = RwSignal::new(false);
    let sample_rows = RwSignal::new(share::DEFAULT_SAMPLE_ROWS.to_string());
    let too_long = RwSignal::new(None::<usize>);
    let busy = RwSignal::new(false);
    let make_link = move |_| {
        let Some(project) = studio.project() else {
            return;
        };
        too_long.set(None);
        let selected = studio.selected_run.get_untracked();
        let mut carried = share::for_link(&project, selected.as_deref());
        let dataset = project
            .dataset
            .clone()
            .filter(|_| with_sample.get_untracked());
        let Some(dataset) = dataset else {
            return finish(studio, link_box, too_long, &carried);
        };
        let rows = match sample_rows.get_untracked().trim().parse::<usize>() {
            Ok(n) if (1..=100_000).contains(&n) => n,
            _ => return studio.fail("The sample's size is a number of rows from 1 to 100,000."),
        };
        busy.set(true);
        let Dataset {
            file_name,
            text,
            types,
            ..
        } = dataset.clone();
        worker::submit(
            move |job_id| WorkerRequest::Sample {
                job_id,
                file_name,
                text: text.to_string(),
                rows,
                seed: 0,
                types,
            },
            move |event| match event {
                WorkerEvent::Sampled {
                    file_name,
                    text,
                    profile,
                    ..
                } => {
                    busy.set(false);
                    carried.dataset = Some(Dataset {
                        file_name,
                        text: text.into(),
                        profile,
                        ..dataset.clone()
                    });
                    finish(studio, link_box, too_long, &carried);
                }
                WorkerEvent::Failed { error, .. } => {
                    busy.set(false);
                    studio.fail(format!(
                        "Cannot take a sample of the data: {}",
                        error.message
                    ));
                }
                _ => {}
            },
        );
    };
    let sync_link = move |_| {
        let Some(session) = studio.session.get_untracked() else {
            return studio.fail("Log in on the Sync page and push the project there first; then a sync-service link can be made here.");
        };
        let Some(id) = studio.current.get_untracked() else {
            return;
        };
        spawn_local(async move {
            match sync_client::create_share(&session, &id, "share link").await {
                Ok(created) => offer(
                    studio,
                    link_box,
                    format!("{}{}", origin(), created.studio_path),
                    "Sync-service link ready (copied if the browser allowed it): it opens the project as last pushed, read-only, and can be revoked on the Sync page.",
                ),
                Err(e) => studio.fail(format!(
                    "Could not make a sync-service link: {e}. Push the project on the Sync page first."
                )),
            }
        });
    };
    view! {
        <div class="card">
            <h3>"Share link"</h3>
            <p class="hint">"Anyone who opens it sees the project read-only — recipe, runs that are registered or selected, their models — in their own browser, and can make a copy. Nothing goes through a server."</p>
            <div class="row">
                <label><input type="checkbox" data-testid="share-sample" prop:checked=move || with_sample.get()
                    on:change=move |ev| with_sample.set(event_target_checked(&ev)) />
                    " Include a random sample of the data: "</label>
                <input class="narrow" inputmode="numeric" data-testid="share-sample-rows" aria-label="Rows in the sample"
                    prop:value=move || sample_rows.get() on:input=move |ev| sample_rows.set(event_target_value(&ev)) />
                " rows"
            </div>
            <button data-testid="share-button" on:click=make_link prop:disabled=move || busy.get()>"Copy share link"</button>
            {move || too_long.get().map(|chars| view! {
                <div class="warning" data-testid="share-too-long">
                    <p>{format!(
                        "This link would be {:.0} thousand characters; links over {} thousand are cut by some browsers and apps. Leave out the data sample (or take fewer rows), or share the project through the sync service:",
                        chars as f64 / 1000.0,
                        share::MAX_LINK_CHARS / 1000
                    )}</p>
                    <div class="row">
                        <button class="primary" data-testid="share-sync-link" on:click=sync_link>"Make a sync-service link"</button>
                        <a href="#" on:click=move |ev| { ev.prevent_default(); studio.page.set(Page::Sync); }>"Go to the Sync page"</a>
                    </div>
                </div>
            })}
            <input readonly class="wide" data-testid="share-link" prop:value=move || link_box.get() aria-label="Share link" />
        </div>
    }
}
