//! Register & ship: register the selected run as a version of a named model, download the
//! model file, score a whole file (`batch`), copy a share link that carries the whole project, choose whether a model may be
//! embedded (public on the sync service), and get the embed snippet for a public model pushed
//! to the sync service.

use kiln_protocol::project::{Project, Promotion, RegisteredModel, RegisteredVersion, RunRecord};
use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::state::{Page, Studio, use_studio};
use crate::sync_client;

pub fn data_url(json: &str) -> String {
    let encoded = js_sys::encode_uri_component(json)
        .as_string()
        .unwrap_or_default();
    format!("data:application/json;charset=utf-8,{encoded}")
}

/// The sync service's rule for model names, applied before anything is registered.
fn check_model_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Name the model to register it.".into());
    }
    if name.chars().count() > 64 {
        return Err("Model names have at most 64 characters.".into());
    }
    match name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || " _.-".contains(*c)))
    {
        Some(c) => Err(format!(
            "Model names may use letters, digits, spaces, '_', '.' and '-' only (not '{c}')."
        )),
        None => Ok(()),
    }
}

/// Registers run `run_id` as the next version of model `name` (created if new) and returns its
/// number. A new model's first version goes to production, there being nothing to compare it
/// with; later ones reach production through the gate (Monitor's Retrain & promote).
pub fn add_version(project: &mut Project, name: &str, run_id: &str, now_ms: f64) -> u32 {
    let index = match project.registry.iter().position(|m| m.name == name) {
        Some(i) => i,
        None => {
            project.registry.push(RegisteredModel {
                name: name.to_string(),
                versions: Vec::new(),
                public: false,
                production: None,
                promotions: Vec::new(),
            });
            project.registry.len() - 1
        }
    };
    let model = &mut project.registry[index];
    let first = model.versions.is_empty();
    let version = model.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
    model.versions.push(RegisteredVersion {
        version,
        run_id: run_id.to_string(),
        created_at_ms: now_ms,
        public_path: None,
    });
    // Only a new model's first version: a model registered before versions had stages keeps
    // serving its latest version until one passes the gate.
    if first {
        model.production = Some(version);
        model.promotions.push(Promotion {
            version,
            replaced: None,
            at_ms: now_ms,
            reasons: vec![
                "First version registered: there was no production version to compare it with."
                    .into(),
            ],
            gate: None,
        });
    }
    version
}

fn is_public_model_path(path: &str) -> bool {
    path.strip_prefix("/api/public/models/")
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The three ways to use the public model at `url` from another site: the element, the
/// iframe, and the JS API.
fn snippets(origin: &str, url: &str) -> [String; 3] {
    let query = js_sys::encode_uri_component(url)
        .as_string()
        .unwrap_or_default();
    [
        format!(
            "<script src=\"{origin}/embed.js\"></script>\n<kiln-predict model=\"{url}\"></kiln-predict>"
        ),
        format!(
            "<iframe src=\"{origin}/embed.html?model={query}\" title=\"Prediction\" width=\"480\" height=\"420\"></iframe>"
        ),
        format!(
            "import {{ load }} from \"{origin}/kiln.js\";\nconst model = await load(\"{url}\");\nconsole.log(model.predict({{ /* one value per input */ }}));"
        ),
    ]
}

/// Whether a run's model can be exported as ONNX: linear models and MLPs of a table task.
fn exportable(run: &RunRecord) -> bool {
    use kiln_protocol::project::ModelKind;
    !run.artifact.is_null()
        && run.artifact["task"] != "clustering"
        && matches!(
            run.model,
            ModelKind::Linear
                | ModelKind::Ridge
                | ModelKind::Lasso
                | ModelKind::ElasticNet
                | ModelKind::Logistic
                | ModelKind::Mlp
        )
}

/// Asks the engine worker for the ONNX file of `artifact` and downloads it as `name`.
fn export_onnx(studio: Studio, artifact: std::sync::Arc<serde_json::Value>, name: String) {
    let artifact = (*artifact).clone();
    crate::worker::submit(
        move |job_id| WorkerRequest::ExportOnnx { job_id, artifact },
        move |event| {
            match event {
            WorkerEvent::ExportedOnnx { bytes, features, .. } => {
                match crate::files::download_bytes(&bytes, "application/octet-stream", &name) {
                    Ok(()) => studio.tell(format!(
                        "Exported {name}. Its input \"features\" takes the recipe's {} features in this order: {}.",
                        features.len(),
                        features.join(", ")
                    )),
                    Err(e) => studio.fail(format!("Cannot download {name}: {e}")),
                }
            }
            WorkerEvent::Failed { error, .. } => {
                studio.fail(format!("Cannot export {name}: {}", error.message))
            }
            _ => {}
        }
        },
    );
}

fn origin() -> String {
    window().location().origin().unwrap_or_default()
}

#[component]
pub fn DeployPage() -> impl IntoView {
    let studio = use_studio();
    let name = RwSignal::new(String::new());
    let register = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(project) = studio.project() else {
            return;
        };
        let model_name = name.get_untracked().trim().to_string();
        if let Err(e) = check_model_name(&model_name) {
            studio.fail(e);
            return;
        }
        let selected = studio.selected_run.get_untracked();
        let Some(run) = project
            .runs
            .iter()
            .find(|r| Some(&r.id) == selected.as_ref())
            .or(project.runs.last())
            .cloned()
        else {
            studio.fail("Train a model first; there is no run to register.");
            return;
        };
        if run.artifact.is_null() {
            studio.fail(
                "The selected run is a search trial: it kept its scores but no model. Train it again from the Evaluate page to register it.",
            );
            return;
        }
        let mut version = 0;
        studio.edit(|p| version = add_version(p, &model_name, &run.id, js_sys::Date::now()));
        let serving = studio
            .project_untracked()
            .and_then(|p| p.registry.into_iter().find(|m| m.name == model_name))
            .and_then(|m| m.production);
        studio.tell(if serving == Some(version) {
            format!("Registered {model_name} version {version}; it is in production.")
        } else {
            format!(
                "Registered {model_name} version {version}. Production stays on the version that passed the gate; retrain and promote on the Monitor page."
            )
        });
    };
    view! {
        <section class="page" aria-labelledby="deploy-heading">
            <h2 id="deploy-heading">"Register & ship"</h2>
            <Show when=move || studio.project().is_some_and(|p| !p.runs.is_empty())
                fallback=|| view! { <p class="hint">"Train a model first."</p> }>
                <form class="card row" on:submit=register>
                    <label>"Model name "
                        <input data-testid="model-name" placeholder="e.g. iris-classifier"
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                    </label>
                    <button type="submit" class="primary" data-testid="register-button">"Register selected run"</button>
                </form>
                <Registry />
                <super::batch::BatchScoring />
                <super::share_card::ShareCard />
            </Show>
        </section>
    }
}

/// Marks model `name` of the current project embeddable (public) or not. A model already on
/// the sync service changes there first, so this browser never claims what the server does
/// not do; `input` is the checkbox, put back if that fails.
fn set_embeddable(
    studio: Studio,
    name: String,
    public: bool,
    on_server: bool,
    input: web_sys::HtmlInputElement,
) {
    let said = if public {
        format!("{name} may be embedded on other sites.")
    } else {
        format!("{name} is private: embeds cannot load it.")
    };
    let keep = move |name: &str| {
        studio.edit(|p| {
            if let Some(m) = p.registry.iter_mut().find(|m| m.name == name) {
                m.public = public;
            }
        })
    };
    if !on_server {
        keep(&name);
        studio.tell(format!("{said} It takes effect when you push it."));
        return;
    }
    let Some(session) = studio.session.get_untracked() else {
        input.set_checked(!public);
        studio.fail("This model is already on the sync service: log in on the Sync page first to change whether it can be embedded.");
        return;
    };
    spawn_local(async move {
        match sync_client::set_public(&session, &name, public).await {
            Ok(_) => {
                keep(&name);
                studio.tell(said);
            }
            Err(e) => {
                input.set_checked(!public);
                studio.fail(format!(
                    "Could not change it on the sync service: {e}. Try again once it can be reached."
                ));
            }
        }
    });
}

#[component]
fn Registry() -> impl IntoView {
    let studio = use_studio();
    move || {
        let project = studio.project()?;
        let username = studio.session.get().map(|s| s.username);
        let models = project.registry.iter().map(|m| {
            let name = m.name.clone();
            let public = m.public;
            let on_server = m.versions.iter().any(|v| v.public_path.is_some());
            let has_promotions = !m.promotions.is_empty();
            let promotions = m.promotions.iter().rev().map(|p| {
                let replaced = p.replaced.map(|r| format!(" in place of v{r}")).unwrap_or_default();
                let when = crate::metrics::date_time(p.at_ms);
                view! {
                    <li data-testid="promotion" data-version=p.version>
                        {format!("v{}{replaced}, {when}: ", p.version)}
                        {p.reasons.join(" ")}
                    </li>
                }
            }).collect_view();
            let rows = m.versions.iter().map(|v| {
                let model = &m.name;
                let artifact = project.runs.iter().find(|r| r.id == v.run_id).filter(|r| !r.artifact.is_null()).map(|r| r.artifact.to_string());
                let file = format!("{model}-v{}.kiln.json", v.version);
                let onnx = project.runs.iter().find(|r| r.id == v.run_id)
                    .filter(|r| exportable(r))
                    .map(|r| (r.artifact.clone(), format!("{model}-v{}.onnx", v.version)));
                // The path comes from a project document (maybe from a link): only a real public
                // model path goes into a snippet someone will paste into their site.
                let in_production = m.production == Some(v.version);
                // The production version's snippet names the production stage (when the
                // account is known), so a promotion reaches every page that embeds it; other
                // versions' snippets pin that version.
                let follows = in_production.then_some(username.as_ref()).flatten().map(|user| {
                    let part = |s: &str| js_sys::encode_uri_component(s).as_string().unwrap_or_default();
                    format!("{}/api/public/models/{}/{}/production", origin(), part(user), part(model))
                });
                let embed = v.public_path.as_ref().filter(|p| public && is_public_model_path(p)).map(|path| {
                    let pinned = format!("{}{path}", origin());
                    (snippets(&origin(), follows.as_deref().unwrap_or(&pinned)), follows.is_some().then_some(pinned))
                });
                view! {
                    <li data-testid="registered-version" data-version=v.version data-production=in_production.to_string()>
                        <strong>{format!("{model} v{}", v.version)}</strong>
                        {in_production.then(|| view! { " " <span class="badge" data-testid="production-badge">"production"</span> })}
                        {artifact.map(|a| view! {
                            " " <a data-testid="download-model" download=file.clone() href=data_url(&a)>"Download model file"</a>
                        })}
                        {onnx.map(|(artifact, name)| view! {
                            " " <button class="link" data-testid="export-onnx" on:click=move |_| export_onnx(studio, artifact.clone(), name.clone())>"Export ONNX"</button>
                        })}
                        {match embed {
                            Some(([element, frame, api], pinned)) => view! {
                                <div>
                                    <p>"Embed it in any page (the form predicts in the visitor's browser; attributes: theme, fields, labels, explain):"</p>
                                    {pinned.map(|url| view! {
                                        <p class="hint" data-testid="embed-follows">
                                            "These follow production: promoting another version updates every page that embeds them. To pin this version instead, use "
                                            <code data-testid="embed-pinned">{url}</code>"."
                                        </p>
                                    })}
                                    <textarea readonly rows="3" class="wide" data-testid="embed-snippet">{element}</textarea>
                                    <p>"Or, where the page may not load scripts, as an iframe:"</p>
                                    <textarea readonly rows="2" class="wide" data-testid="embed-iframe">{frame}</textarea>
                                    <p>"Or from your own code:"</p>
                                    <textarea readonly rows="3" class="wide" data-testid="embed-api">{api}</textarea>
                                </div>
                            }.into_any(),
                            None if !public => view! {
                                <p class="hint" data-testid="embed-private">
                                    "Private: tick \"Embeddable\" above to get an embed snippet for other sites."
                                </p>
                            }.into_any(),
                            None => view! {
                                <p class="hint">
                                    "To embed this model on another site, push it on the "
                                    <a href="#" on:click=move |ev| { ev.prevent_default(); studio.page.set(Page::Sync); }>"Sync"</a>
                                    " page; the embed snippet appears here."
                                </p>
                            }.into_any(),
                        }}
                    </li>
                }
            }).collect_view();
            view! {
                <li data-testid="registered-model" data-name=m.name.clone()>
                    <label>
                        <input type="checkbox" data-testid="model-public" prop:checked=public
                            on:change=move |ev| set_embeddable(studio, name.clone(), event_target_checked(&ev), on_server, event_target(&ev)) />
                        {format!(" Embeddable: {} may be loaded by other sites (public on the sync service)", m.name)}
                    </label>
                    <ul>{rows}</ul>
                    {has_promotions.then(|| view! {
                        <details open>
                            <summary>"Why each version went to production"</summary>
                            <ul>{promotions}</ul>
                        </details>
                    })}
                </li>
            }
        }).collect_view();
        Some(
            view! { <div class="card"><h3>"Registered models"</h3><ul class="registry">{models}</ul></div> },
        )
    }
}
