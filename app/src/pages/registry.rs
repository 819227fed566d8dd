//! The model registry on the sync service: the signed-in account's models with their
//! versions (metrics, lineage), stages, rollback, the public flag and the stage history.

use kiln_protocol::sync::{ModelInfo, Stage, StageChange};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{Studio, use_studio};
use crate::sync_client;

const STAGES: [(Stage, &str); 4] = [
    (Stage::None, "none"),
    (Stage::Staging, "staging"),
    (Stage::Production, "production"),
    (Stage::Archived, "archived"),
];

fn stage_label(stage: Stage) -> &'static str {
    STAGES
        .iter()
        .find(|(s, _)| *s == stage)
        .map_or("none", |(_, l)| l)
}

/// Brings the "Embeddable" flag of this browser's registered models named `name` in line
/// with the server's, so the next push does not undo the change made here.
fn keep_local_flag(studio: Studio, name: &str, public: bool) {
    let stale: Vec<String> = studio.projects.with_untracked(|ps| {
        ps.iter()
            .filter(|p| {
                p.registry
                    .iter()
                    .any(|m| m.name == name && m.public != public)
            })
            .map(|p| p.id.clone())
            .collect()
    });
    for id in stale {
        studio.edit_project(&id, |p| {
            for m in p.registry.iter_mut().filter(|m| m.name == name) {
                m.public = public;
            }
        });
    }
}

fn when(ms: i64) -> String {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64))
        .to_locale_string("en", &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_default()
}

/// The registry of the signed-in account (loaded when shown, and again on demand).
#[component]
pub fn RegistryPanel() -> impl IntoView {
    let studio = use_studio();
    let models = RwSignal::new(Vec::<ModelInfo>::new());
    let reason = RwSignal::new(String::new());
    let load = move || {
        let Some(session) = studio.session.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let listed = match sync_client::list_models(&session).await {
                Ok(list) => list,
                Err(e) => return studio.fail(format!("Could not list models: {e}")),
            };
            let mut full = Vec::new();
            for summary in listed {
                match sync_client::model(&session, &summary.name).await {
                    Ok(model) => full.push(model),
                    Err(e) => return studio.fail(format!("Could not read a model: {e}")),
                }
            }
            models.set(full);
        });
    };
    load();
    // Replaces one model in the list with the server's answer after a change.
    let apply = move |result: Result<ModelInfo, String>, done: String| match result {
        Ok(model) => {
            models.update(|ms| {
                if let Some(m) = ms.iter_mut().find(|m| m.name == model.name) {
                    *m = model;
                }
            });
            reason.set(String::new());
            studio.tell(done);
        }
        Err(e) => studio.fail(format!("The registry refused: {e}")),
    };
    let set_stage = move |name: String, version: u32, stage: Stage| {
        let Some(session) = studio.session.get_untracked() else {
            return;
        };
        let change = StageChange {
            stage,
            reason: reason.get_untracked(),
        };
        spawn_local(async move {
            let result = sync_client::change_stage(&session, &name, version, &change).await;
            let done = format!("{name} v{version} is now {}.", stage_label(stage));
            apply(result, done);
        });
    };
    let rollback = move |name: String| {
        let Some(session) = studio.session.get_untracked() else {
            return;
        };
        let why = reason.get_untracked();
        spawn_local(async move {
            let result = sync_client::rollback(&session, &name, &why).await;
            apply(
                result,
                format!("Rolled {name} back to its previous production version."),
            );
        });
    };
    let toggle_public = move |name: String, public: bool| {
        let Some(session) = studio.session.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let result = sync_client::set_public(&session, &name, public).await;
            if result.is_ok() {
                keep_local_flag(studio, &name, public);
            }
            let done = if public {
                format!("{name} is public: embeds can load it.")
            } else {
                format!("{name} is private: embeds can no longer load it.")
            };
            apply(result, done);
        });
    };
    view! {
        <div class="card" data-testid="registry">
            <h3>"Model registry"</h3>
            <div class="row">
                <button data-testid="registry-load" on:click=move |_| load()>"Show my registered models"</button>
                <label>"Reason for changes " <input data-testid="stage-reason" placeholder="why (kept in the history)"
                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev)) /></label>
            </div>
            {move || models.get().into_iter().map(|model| {
                let name = model.name.clone();
                let origin = window().location().origin().unwrap_or_default();
                let (rollback_name, public_name) = (name.clone(), name.clone());
                let public = model.public;
                view! {
                    <section class="registry-model" data-testid="registry-model" data-name=name.clone()>
                        <h4>{name.clone()}</h4>
                        <p class="row">
                            <label><input type="checkbox" data-testid="public-toggle" prop:checked=public
                                on:change=move |ev| toggle_public(public_name.clone(), event_target_checked(&ev)) />
                                " Public (embeds may load it)"</label>
                            <button data-testid="rollback-button" on:click=move |_| rollback(rollback_name.clone())>
                                "Roll back production"</button>
                        </p>
                        <p class="hint">"Embed that follows promotions: "
                            <code data-testid="production-url">{format!("{origin}{}", model.production_path)}</code></p>
                        <table>
                            <thead><tr><th>"Version"</th><th>"Stage"</th><th>"Metrics"</th><th>"Lineage"</th><th>"Move to"</th></tr></thead>
                            <tbody>
                                {model.versions.into_iter().map(|v| {
                                    let version = v.version;
                                    let chosen = RwSignal::new(v.stage);
                                    let metrics = v.metrics.iter().take(3)
                                        .map(|(k, x)| format!("{k} {x:.3}")).collect::<Vec<_>>().join(", ");
                                    let lineage = format!("run {}, data {}, {} rows",
                                        v.lineage.run_id.clone().unwrap_or_else(|| "—".into()),
                                        v.lineage.data_hash, v.lineage.training_rows);
                                    let target = name.clone();
                                    view! {
                                        <tr data-testid="registry-version" data-version=version data-stage=stage_label(v.stage)>
                                            <td>{format!("v{version}")}</td>
                                            <td>{stage_label(v.stage)}</td>
                                            <td>{metrics}</td>
                                            <td>{lineage}</td>
                                            <td>
                                                <select data-testid=format!("stage-select-{version}")
                                                    on:change=move |ev| {
                                                        let value = event_target_value(&ev);
                                                        if let Some((s, _)) = STAGES.iter().find(|(_, l)| *l == value) {
                                                            chosen.set(*s);
                                                        }
                                                    }>
                                                    {STAGES.iter().map(|(s, l)| view! {
                                                        <option value=*l selected=*s == v.stage>{*l}</option>
                                                    }).collect_view()}
                                                </select>
                                                <button data-testid=format!("stage-apply-{version}")
                                                    on:click=move |_| set_stage(target.clone(), version, chosen.get_untracked())>"Apply"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        <details open>
                            <summary>"Stage history"</summary>
                            <ul>
                                {model.history.into_iter().map(|e| {
                                    let why = if e.reason.is_empty() { String::new() } else { format!(" — \"{}\"", e.reason) };
                                    let kind = if e.rollback { " (rollback)" } else { "" };
                                    view! {
                                        <li data-testid="history-entry">
                                            {format!("v{}: {} → {}{kind} by {} on {}{why}",
                                                e.version, stage_label(e.from), stage_label(e.to), e.by, when(e.at_ms))}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </details>
                    </section>
                }
            }).collect_view()}
        </div>
    }
}
