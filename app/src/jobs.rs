//! Data jobs the studio starts in the engine worker: importing and re-profiling a table,
//! removing or hashing a column, and the train spec every training-like job shares. Results
//! land in the project that asked, through [`Studio::edit_project`].

use std::collections::BTreeMap;
use std::sync::Arc;

use kiln_protocol::project::{Dataset, ModelKind, Project, SplitSpec, Task, TrainSpec};
use kiln_protocol::recipe::{ColumnType, Recipe};
use kiln_protocol::worker::{Redaction, WorkerEvent, WorkerRequest};

use leptos::prelude::*;

use crate::state::Studio;
use crate::worker;

/// Reads a table in the worker (with progress); on success it becomes the project's dataset.
/// A file that cannot be read leaves the project exactly as it was.
pub fn import(studio: Studio, file_name: String, text: String) {
    let Some(project_id) = studio.current.get_untracked() else {
        return;
    };
    studio.notice.set(None);
    studio.error.set(None);
    studio.importing.set(Some((file_name.clone(), 0.0)));
    let text: Arc<str> = text.into();
    let request_text = text.to_string();
    let request_name = file_name.clone();
    // Keep the target when the new file has that column; the worker otherwise profiles
    // against the last column, the studio's default target.
    let target = studio.projects.with_untracked(|ps| {
        ps.iter()
            .find(|p| p.id == project_id)
            .and_then(|p| p.target.clone())
    });
    worker::submit(
        move |job_id| WorkerRequest::Profile {
            job_id,
            file_name: request_name,
            text: request_text,
            types: BTreeMap::new(),
            target,
        },
        move |event| match event {
            WorkerEvent::Progress { fraction, .. } => {
                studio.importing.set(Some((file_name.clone(), fraction)));
            }
            WorkerEvent::Profiled { profile, .. } => {
                studio.importing.set(None);
                let rows = profile.rows;
                let cols = profile.columns.len();
                let last = profile.columns.last().map(|c| c.name.clone());
                let profiled = profile.target.as_ref().map(|t| t.target.clone());
                studio.edit_project(&project_id, |p| {
                    p.target = profiled.or(last);
                    p.recipe = None;
                    p.dataset = Some(Dataset {
                        file_name: file_name.clone(),
                        text: text.clone(),
                        profile,
                        types: BTreeMap::new(),
                    });
                });
                studio.tell(format!("Loaded {file_name}: {rows} rows, {cols} columns."));
            }
            WorkerEvent::Failed { error, .. } => {
                studio.importing.set(None);
                studio.fail(format!(
                    "Could not import {file_name}: {}. The project was not changed.",
                    error.message
                ));
            }
            _ => {}
        },
    );
}

/// Profiles the project's data again with its current column types and target.
pub fn reprofile(studio: Studio, project_id: &str) {
    let Some(project) = studio
        .projects
        .with_untracked(|ps| ps.iter().find(|p| p.id == project_id).cloned())
    else {
        return;
    };
    let Some(dataset) = project.dataset else {
        return;
    };
    let project_id = project_id.to_string();
    let (file_name, text, types) = (dataset.file_name, dataset.text, dataset.types);
    let sent_types = types.clone();
    studio.importing.set(Some((file_name.clone(), 0.0)));
    let request_name = file_name.clone();
    let request_text = text.to_string();
    worker::submit(
        move |job_id| WorkerRequest::Profile {
            job_id,
            file_name: request_name,
            text: request_text,
            types: sent_types,
            target: project.target,
        },
        move |event| match event {
            WorkerEvent::Progress { fraction, .. } => {
                studio.importing.set(Some((file_name.clone(), fraction)));
            }
            WorkerEvent::Profiled { profile, .. } => {
                studio.importing.set(None);
                // Applied only if the data and its types are still what was profiled; a
                // later change has started its own profile.
                studio.edit_project(&project_id, |p| {
                    if let Some(d) = &mut p.dataset
                        && Arc::ptr_eq(&d.text, &text)
                        && d.types == types
                    {
                        d.profile = profile;
                    }
                });
            }
            WorkerEvent::Failed { error, .. } => {
                studio.importing.set(None);
                studio.fail(format!("Could not profile the data: {}", error.message));
            }
            _ => {}
        },
    );
}

/// Sets a column's type (or back to the inferred one) and profiles again.
pub fn set_type(studio: Studio, column: String, kind: Option<ColumnType>) {
    let Some(id) = studio.current.get_untracked() else {
        return;
    };
    studio.edit_project(&id, |p| {
        if let Some(d) = &mut p.dataset {
            match kind {
                Some(k) => d.types.insert(column, k),
                None => d.types.remove(&column),
            };
        }
    });
    reprofile(studio, &id);
}

/// Removes a column from the data or replaces its values by salted hashes, then profiles
/// the rewritten table.
pub fn redact(studio: Studio, column: String, mode: Redaction) {
    let Some(project) = studio.project_untracked() else {
        return;
    };
    let Some(dataset) = project.dataset else {
        return;
    };
    let project_id = project.id.clone();
    let sent = dataset.text.clone();
    let salt = format!("{:x}", (js_sys::Math::random() * 1e15) as u64);
    let what = match mode {
        Redaction::Drop => "removed from",
        Redaction::Hash => "hashed in",
    };
    let request_column = column.clone();
    worker::submit(
        move |job_id| WorkerRequest::Redact {
            job_id,
            file_name: dataset.file_name,
            text: dataset.text.to_string(),
            column: request_column,
            mode,
            salt,
        },
        move |event| match event {
            WorkerEvent::Redacted {
                file_name, text, ..
            } => {
                let mut applied = false;
                studio.edit_project(&project_id, |p| {
                    // Only over the text that was sent: a newer import or redaction wins.
                    if let Some(d) = &mut p.dataset
                        && Arc::ptr_eq(&d.text, &sent)
                    {
                        d.file_name = file_name;
                        d.text = text.into();
                        applied = true;
                    }
                    if mode == Redaction::Drop && p.target.as_deref() == Some(column.as_str()) {
                        p.target = None;
                    }
                });
                if !applied {
                    studio.fail(format!(
                        "The data changed while \"{column}\" was being {what2}; nothing was changed. Try again.",
                        what2 = if mode == Redaction::Drop { "removed" } else { "hashed" }
                    ));
                    return;
                }
                studio.tell(format!(
                    "\"{column}\" was {what} the data kept in this project."
                ));
                reprofile(studio, &project_id);
            }
            WorkerEvent::Failed { error, .. } => studio.fail(error.message),
            _ => {}
        },
    );
}

/// The recipe a run of this project uses: the one edited on the Prepare page, else the
/// profile's default; with the Data page's column types.
pub fn recipe_of(project: &Project) -> Option<Recipe> {
    let dataset = project.dataset.as_ref()?;
    let mut recipe = project
        .recipe
        .clone()
        .unwrap_or_else(|| dataset.profile.default_recipe.clone());
    recipe.types.clone_from(&dataset.types);
    Some(recipe)
}

/// Training options chosen on the Train page.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// The family picked last; a family the project's task cannot use falls back to the
    /// task's first one (see [`RunOptions::model_for`]).
    pub model: ModelKind,
    /// Neural-network epochs (the MLP's `epochs` hyperparameter).
    pub epochs: u32,
    pub split: SplitSpec,
    pub holdout: f64,
    pub cv_folds: u32,
    /// Hyperparameters as typed, per family, so switching families keeps what was written.
    pub params: BTreeMap<ModelKind, BTreeMap<String, String>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            model: ModelKind::Linear,
            epochs: DEFAULT_EPOCHS,
            split: SplitSpec::Auto,
            holdout: 0.2,
            cv_folds: 0,
            params: BTreeMap::new(),
        }
    }
}

/// The MLP's default epochs (the `epochs` default in `params_of`).
pub const DEFAULT_EPOCHS: u32 = 200;

impl RunOptions {
    /// The family a run of `task` uses: the one picked if it learns the task, else the task's
    /// first family.
    pub fn model_for(&self, task: Task) -> ModelKind {
        if self.model.supports(task) {
            self.model
        } else {
            ModelKind::ALL
                .into_iter()
                .find(|k| k.supports(task))
                .unwrap_or(ModelKind::Linear)
        }
    }

    /// The text typed for one hyperparameter of `model` (empty: the default).
    pub fn param(&self, model: ModelKind, name: &str) -> String {
        self.params
            .get(&model)
            .and_then(|p| p.get(name))
            .cloned()
            .unwrap_or_default()
    }

    pub fn set_param(&mut self, model: ModelKind, name: &str, value: String) {
        let entry = self.params.entry(model).or_default();
        if value.trim().is_empty() {
            entry.remove(name);
        } else {
            entry.insert(name.to_string(), value);
        }
    }

    /// The hyperparameters a spec carries for `model`: the non-empty fields, trimmed, and the
    /// MLP's epochs from the epochs control.
    pub fn params_for(&self, model: ModelKind) -> BTreeMap<String, String> {
        let mut params: BTreeMap<String, String> = self
            .params
            .get(&model)
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        if model == ModelKind::Mlp {
            params.insert("epochs".into(), self.epochs.to_string());
        }
        params
    }
}

/// The spec of a convolutional network on the project's images (classes from the image
/// folders; a stratified holdout).
pub fn image_spec(studio: Studio, options: &RunOptions) -> TrainSpec {
    TrainSpec {
        task: Task::Classification,
        target: "class".into(),
        model: ModelKind::Cnn,
        device: studio.device.get_untracked(),
        seed: 42,
        holdout: options.holdout,
        epochs: 30,
        split: SplitSpec::Auto,
        cv_folds: options.cv_folds,
        recipe: None,
        params: options.params_for(ModelKind::Cnn),
    }
}

/// The spec of a run of `project` with `options`; `None` when a supervised task has no target
/// yet. A clustering run sends the target when there is one (k-means compares its clusters
/// with it; PCA ignores it) and an empty name otherwise.
pub fn spec_for(studio: Studio, project: &Project, options: &RunOptions) -> Option<TrainSpec> {
    let target = match project.task {
        Task::Clustering => project.target.clone().unwrap_or_default(),
        Task::Classification | Task::Regression => project.target.clone()?,
    };
    let model = options.model_for(project.task);
    Some(TrainSpec {
        task: project.task,
        target,
        model,
        device: studio.device.get_untracked(),
        seed: 42,
        holdout: options.holdout,
        epochs: options.epochs,
        split: options.split.clone(),
        cv_folds: options.cv_folds,
        recipe: recipe_of(project),
        params: options.params_for(model),
    })
}
