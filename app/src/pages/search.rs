//! Hyperparameter search on the Train page: grid, random or successive halving over the values
//! the person lists per parameter, every trial cross-validated on the training rows, trials
//! spread over a pool of workers (one per core), and a leaderboard that fills in as trials
//! finish. Each finished trial is recorded as a run (scores only, no model); "Use the best"
//! copies the winning settings into the training form.

use std::collections::BTreeMap;
use std::sync::Arc;

use kiln_protocol::evaluation::Evaluation;
use kiln_protocol::params::params_of;
use kiln_protocol::project::{RunRecord, Task, TrainSpec};
use kiln_protocol::search::{self, Rung, Values};
use kiln_protocol::worker::{TrialResult, WorkerEvent, WorkerRequest};
use leptos::prelude::*;

use crate::jobs;
use crate::pool;
use crate::state::{Studio, use_studio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Grid,
    Random,
    Halving,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TrialStatus {
    Waiting,
    Done(TrialResult),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    pub params: BTreeMap<String, String>,
    /// Training rows allowed (successive halving's early rounds).
    pub max_rows: Option<usize>,
    pub round: usize,
    pub status: TrialStatus,
    /// The ranking score: the metric's cross-validation mean, else its test value.
    pub score: Option<f64>,
}

/// A search in progress or finished.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchState {
    pub id: String,
    pub project_id: String,
    pub metric: String,
    pub trials: Vec<Trial>,
    pub rounds: Vec<Rung>,
    pub round: usize,
    pub running: bool,
    pub workers: usize,
    spec: TrainSpec,
    file_name: String,
    text: Arc<str>,
}

impl SearchState {
    fn higher_is_better(&self) -> bool {
        Evaluation::higher_is_better(&self.metric)
    }

    /// Trial positions, best first (unscored last).
    pub fn ranking(&self) -> Vec<usize> {
        let scores: Vec<f64> = self
            .trials
            .iter()
            .map(|t| t.score.unwrap_or(f64::NAN))
            .collect();
        search::best(&scores, scores.len(), self.higher_is_better())
    }

    fn finished(&self) -> usize {
        self.trials
            .iter()
            .filter(|t| !matches!(t.status, TrialStatus::Waiting))
            .count()
    }
}

/// Metrics a search can rank by, for a task.
fn metrics_for(task: Task) -> &'static [&'static str] {
    match task {
        Task::Classification => &["accuracy", "f1_macro", "roc_auc", "log_loss"],
        Task::Regression => &["rmse", "mae", "r2"],
        Task::Clustering => &["silhouette", "ari", "explained_variance"],
    }
}

fn score_of(result: &TrialResult, metric: &str) -> Option<f64> {
    result
        .cv
        .as_ref()
        .and_then(|cv| cv.summary.get(metric).map(|m| m.mean))
        .or_else(|| result.scores.get(metric).copied())
        .filter(|v| v.is_finite())
}

fn submit_trial(studio: Studio, search: RwSignal<Option<SearchState>>, index: usize) {
    let Some((spec, file_name, text, max_rows, search_id)) = search.with_untracked(|s| {
        let s = s.as_ref()?;
        let trial = s.trials.get(index)?;
        let mut spec = s.spec.clone();
        spec.params.extend(trial.params.clone());
        Some((
            spec,
            s.file_name.clone(),
            s.text.clone(),
            trial.max_rows,
            s.id.clone(),
        ))
    }) else {
        return;
    };
    let recorded = spec.clone();
    pool::submit(
        move |job_id| WorkerRequest::Trial {
            job_id,
            file_name,
            text: text.to_string(),
            spec,
            max_rows,
        },
        None,
        move |event| match event {
            WorkerEvent::TrialDone { result, job_id } => {
                let mut project_id = None;
                search.update(|s| {
                    if let Some(s) = s.as_mut().filter(|s| s.id == search_id) {
                        let score = score_of(&result, &s.metric);
                        if let Some(t) = s.trials.get_mut(index) {
                            t.score = score;
                            t.status = TrialStatus::Done(result.clone());
                        }
                        project_id = Some(s.project_id.clone());
                    }
                });
                if let Some(project_id) = project_id {
                    let run = trial_run(&recorded, &result, &search_id, job_id);
                    studio.edit_project(&project_id, |p| p.runs.push(run));
                }
                advance(studio, search);
            }
            WorkerEvent::Failed { error, .. } => {
                search.update(|s| {
                    if let Some(s) = s.as_mut().filter(|s| s.id == search_id) {
                        if let Some(t) = s.trials.get_mut(index) {
                            t.status = TrialStatus::Failed(error.message.clone());
                        }
                        if error.kind == "cancelled" {
                            s.running = false;
                        }
                    }
                });
                advance(studio, search);
            }
            _ => {}
        },
    );
}

/// A finished trial as a run of the project: its scores and settings, no model.
fn trial_run(spec: &TrainSpec, result: &TrialResult, search_id: &str, job_id: u64) -> RunRecord {
    let now = js_sys::Date::now();
    RunRecord {
        id: format!("trial-{}-{job_id}", now as u64),
        model: spec.model,
        device: "CPU (search worker)".into(),
        scores: result.scores.clone(),
        metrics: None,
        loss_curve: result.loss_curve.clone(),
        artifact: Arc::new(serde_json::Value::Null),
        duration_ms: result.duration_ms,
        created_at_ms: now,
        notes: vec![format!(
            "search trial on {} training rows; no model kept",
            result.train_rows
        )],
        inputs: Vec::new(),
        cv: result.cv.clone(),
        recipe: spec.recipe.clone(),
        split: Some(spec.split.clone()),
        task: Some(spec.task),
        target: Some(spec.target.clone()).filter(|t| !t.is_empty()),
        params: spec.params.clone(),
        seed: Some(spec.seed),
        data_hash: None,
        engine_version: None,
        evaluation: None,
        search: Some(search_id.to_string()),
        fit_ms: None,
        history: None,
        holdout: Some(spec.holdout),
    }
}

/// After a trial ends: when a round is complete, successive halving promotes the best to the
/// next round with more rows; when everything is done, the search stops.
fn advance(studio: Studio, search: RwSignal<Option<SearchState>>) {
    let next: Vec<usize> = search
        .try_update(|s| {
            let Some(s) = s.as_mut() else {
                return Vec::new();
            };
            if !s.running {
                return Vec::new();
            }
            let round_open = s
                .trials
                .iter()
                .any(|t| t.round == s.round && matches!(t.status, TrialStatus::Waiting));
            if round_open {
                return Vec::new();
            }
            let Some(rung) = s.rounds.get(s.round + 1).copied() else {
                s.running = false;
                return Vec::new();
            };
            let this_round: Vec<usize> = (0..s.trials.len())
                .filter(|&i| s.trials[i].round == s.round)
                .collect();
            let scores: Vec<f64> = this_round
                .iter()
                .map(|&i| s.trials[i].score.unwrap_or(f64::NAN))
                .collect();
            let keep = search::best(&scores, rung.candidates, s.higher_is_better());
            s.round += 1;
            let last = s.round + 1 == s.rounds.len();
            let mut added = Vec::new();
            for k in keep {
                let params = s.trials[this_round[k]].params.clone();
                added.push(s.trials.len());
                s.trials.push(Trial {
                    params,
                    max_rows: (!last).then_some(rung.rows),
                    round: s.round,
                    status: TrialStatus::Waiting,
                    score: None,
                });
            }
            added
        })
        .unwrap_or_default();
    for i in next {
        submit_trial(studio, search, i);
    }
    let done = search.with_untracked(|s| s.as_ref().is_some_and(|s| !s.running));
    if done {
        studio.tell("The search is done: its best settings lead the leaderboard.");
    }
}

/// Reads the values fields into a search space, naming the parameter on a bad entry.
fn space_of(values: &[(String, String)]) -> Result<search::Space, String> {
    values
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(name, v)| {
            Values::parse(v)
                .map(|values| (name.clone(), values))
                .map_err(|e| format!("search values of \"{name}\": {e}"))
        })
        .collect()
}

#[component]
pub fn SearchPanel() -> impl IntoView {
    let studio = use_studio();
    let search = studio.search;
    let strategy = RwSignal::new(Strategy::Random);
    let budget = RwSignal::new(12usize);
    let metric = RwSignal::new(String::new());
    let values: RwSignal<Vec<(String, String)>> = RwSignal::new(Vec::new());
    let message = RwSignal::new(None::<String>);
    let task = move || studio.project().map_or(Task::Classification, |p| p.task);
    let kind = move || studio.run_options.with(|o| o.model_for(task()));
    // The suggested values of the chosen family, refilled only when the family or the task
    // changes (not on every project edit, such as a finished trial).
    let family = Memo::new(move |_| (kind(), task()));
    Effect::new(move |_| {
        let (kind, task) = family.get();
        values.set(
            params_of(kind, task)
                .iter()
                .map(|s| (s.name.to_string(), s.search.to_string()))
                .collect(),
        );
        metric.set(metrics_for(task)[0].to_string());
    });
    let start = move |_| {
        message.set(None);
        let Some(project) = studio.project_untracked() else {
            return;
        };
        let Some(dataset) = project.dataset.clone() else {
            message.set(Some("Import data first.".into()));
            return;
        };
        let options = studio.run_options.get_untracked();
        let Some(mut spec) = jobs::spec_for(studio, &project, &options) else {
            message.set(Some("Pick a target first.".into()));
            return;
        };
        // Trials are ranked on cross-validation over the training rows, never on the test rows.
        if spec.cv_folds < 2 {
            spec.cv_folds = 3;
        }
        let space = match space_of(&values.get_untracked()) {
            Ok(s) if s.is_empty() => {
                message.set(Some("List values for at least one parameter.".into()));
                return;
            }
            Ok(s) => s,
            Err(e) => {
                message.set(Some(e));
                return;
            }
        };
        let n = budget.get_untracked().clamp(1, 500);
        let candidates = match strategy.get_untracked() {
            Strategy::Grid => match search::grid(&space) {
                Ok(g) => g,
                Err(e) => {
                    message.set(Some(e));
                    return;
                }
            },
            Strategy::Random | Strategy::Halving => search::random(&space, n, spec.seed),
        };
        let train_rows = ((dataset.profile.rows as f64) * (1.0 - spec.holdout))
            .floor()
            .max(1.0) as usize;
        let rounds = match strategy.get_untracked() {
            Strategy::Halving => search::halving(candidates.len(), train_rows, 3, 60),
            _ => vec![Rung {
                candidates: candidates.len(),
                rows: train_rows,
            }],
        };
        let first_rows = (rounds.len() > 1).then(|| rounds[0].rows);
        pool::cancel_all();
        search.set(Some(SearchState {
            id: format!("search-{}", js_sys::Date::now() as u64),
            project_id: project.id.clone(),
            metric: metric.get_untracked(),
            trials: candidates
                .into_iter()
                .map(|params| Trial {
                    params,
                    max_rows: first_rows,
                    round: 0,
                    status: TrialStatus::Waiting,
                    score: None,
                })
                .collect(),
            rounds,
            round: 0,
            running: true,
            workers: pool::size(),
            spec,
            file_name: dataset.file_name.clone(),
            text: dataset.text.clone(),
        }));
        let count = search.with_untracked(|s| s.as_ref().map_or(0, |s| s.trials.len()));
        for i in 0..count {
            submit_trial(studio, search, i);
        }
    };
    let cancel = move |_| {
        search.update(|s| {
            if let Some(s) = s {
                s.running = false;
            }
        });
        pool::cancel_all();
    };
    let use_best = move |_| {
        let best = search.with_untracked(|s| {
            let s = s.as_ref()?;
            let first = *s.ranking().first()?;
            s.trials[first].score?;
            Some(s.trials[first].params.clone())
        });
        if let Some(params) = best {
            studio.run_options.update(|o| {
                let model = o.model_for(task());
                for (name, value) in params {
                    o.set_param(model, &name, value);
                }
            });
            studio.tell("The best settings are in the form above; press Train to fit that model.");
        }
    };
    view! {
        <details class="card search" data-testid="search-panel">
            <summary>"Hyperparameter search"</summary>
            <p class="hint">
                "Each trial is scored by cross-validation on the training rows (3 folds unless set above); the test rows stay unseen. Lists: "
                <code>"3, 5, 8"</code>" · ranges: "<code>"1..20"</code>" or "<code>"0.001..1 log"</code>"."
            </p>
            <div class="row">
                <label>"Strategy "
                    <select data-testid="search-strategy" on:change=move |ev| strategy.set(match event_target_value(&ev).as_str() {
                        "grid" => Strategy::Grid,
                        "halving" => Strategy::Halving,
                        _ => Strategy::Random,
                    })>
                        <option value="random" selected=true>"Random"</option>
                        <option value="grid">"Grid"</option>
                        <option value="halving">"Successive halving"</option>
                    </select>
                </label>
                <label>"Trials "
                    <input type="number" min="1" max="500" data-testid="search-trials"
                        prop:value=move || budget.get().to_string()
                        on:change=move |ev| budget.set(event_target_value(&ev).parse().unwrap_or(12)) />
                </label>
                <label>"Rank by "
                    <select data-testid="search-metric" on:change=move |ev| metric.set(event_target_value(&ev))>
                        {move || metrics_for(task()).iter().map(|m| view! {
                            <option value=*m selected=move || metric.get() == *m>{*m}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            <table class="search-space">
                <tbody>
                    {move || values.get().into_iter().enumerate().map(|(i, (name, v))| view! {
                        <tr>
                            <th>{name.clone()}</th>
                            <td><input type="text" data-testid=format!("search-values-{name}") prop:value=v
                                on:change=move |ev| values.update(|vs| if let Some(e) = vs.get_mut(i) { e.1 = event_target_value(&ev) }) /></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <div class="row">
                <button data-testid="search-start" on:click=start disabled=move || search.with(|s| s.as_ref().is_some_and(|s| s.running))>"Start search"</button>
                <button data-testid="search-cancel" on:click=cancel disabled=move || !search.with(|s| s.as_ref().is_some_and(|s| s.running))>"Cancel"</button>
                <button data-testid="search-use-best" on:click=use_best disabled=move || search.with(|s| s.as_ref().is_none_or(|s| s.trials.iter().all(|t| t.score.is_none())))>"Use the best settings"</button>
            </div>
            {move || message.get().map(|m| view! { <p class="error" role="alert" data-testid="search-error">{m}</p> })}
            {move || search.get().map(|s| view! { <Leaderboard state=s /> })}
        </details>
    }
}

#[component]
fn Leaderboard(state: SearchState) -> impl IntoView {
    let ranking = state.ranking();
    let status = format!(
        "{} of {} trials finished on {} workers{}{}",
        state.finished(),
        state.trials.len(),
        state.workers,
        if state.rounds.len() > 1 {
            format!(" · round {} of {}", state.round + 1, state.rounds.len())
        } else {
            String::new()
        },
        if state.running { " · running" } else { "" }
    );
    let metric = state.metric.clone();
    view! {
        <p data-testid="search-status">{status}</p>
        <table class="leaderboard" data-testid="search-leaderboard">
            <thead><tr><th>"#"</th><th>"settings"</th><th>"rows"</th><th>{format!("{metric} (CV mean ± std)")}</th><th>"test"</th><th>"time"</th></tr></thead>
            <tbody>
                {ranking.into_iter().enumerate().map(|(rank, i)| {
                    let t = state.trials[i].clone();
                    let settings = t.params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
                    let (cv, test, time, rows) = match &t.status {
                        TrialStatus::Done(r) => (
                            r.cv.as_ref().and_then(|cv| cv.summary.get(&metric)).map_or("—".to_string(), |m| format!("{:.4} ± {:.4}", m.mean, m.std)),
                            r.scores.get(&metric).map_or("—".to_string(), |v| format!("{v:.4}")),
                            format!("{:.1} s", r.duration_ms / 1000.0),
                            r.train_rows.to_string(),
                        ),
                        TrialStatus::Failed(e) => (format!("failed: {e}"), String::new(), String::new(), String::new()),
                        TrialStatus::Waiting => ("…".to_string(), String::new(), String::new(), t.max_rows.map_or(String::new(), |r| format!("≤{r}"))),
                    };
                    view! {
                        <tr data-testid="search-trial" data-done=matches!(t.status, TrialStatus::Done(_)).to_string()>
                            <td>{rank + 1}</td><td>{settings}</td><td>{rows}</td><td>{cv}</td><td>{test}</td><td>{time}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
