//! The studio's shared state: small `Copy` handles to signals, provided as context. Every edit
//! to a project goes through [`Studio::edit`], which stamps it and saves it to IndexedDB.

use kiln_protocol::project::{Project, Task};
use kiln_protocol::sync::Session;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::store;

const ETAGS_KEY: &str = "kiln.etags";
const SYNCED_KEY: &str = "kiln.synced";
const CONFLICTS_KEY: &str = "kiln.conflicts";

/// Where a project stands with the sync service, as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// Never pushed from this browser.
    LocalOnly,
    /// Edited since it was last pushed or pulled.
    Unsynced,
    Synced,
    /// The server's copy changed elsewhere; the person must reload or overwrite.
    Conflict,
}

impl SyncState {
    /// What the header and the Sync page say.
    pub fn label(self) -> &'static str {
        match self {
            SyncState::LocalOnly => "Saved locally",
            SyncState::Unsynced => "Saved locally (not yet synced)",
            SyncState::Synced => "Synced",
            SyncState::Conflict => "Conflict with the server's copy",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Data,
    Prepare,
    Train,
    Evaluate,
    Explain,
    Runs,
    Deploy,
    Monitor,
    Sync,
}

impl Page {
    pub const ALL: [Page; 9] = [
        Page::Data,
        Page::Prepare,
        Page::Train,
        Page::Evaluate,
        Page::Explain,
        Page::Runs,
        Page::Deploy,
        Page::Monitor,
        Page::Sync,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Page::Data => "1 · Objective & data",
            Page::Prepare => "2 · Prepare",
            Page::Train => "3 · Train",
            Page::Evaluate => "4 · Evaluate",
            Page::Explain => "5 · Explain",
            Page::Runs => "6 · Runs",
            Page::Deploy => "7 · Register & ship",
            Page::Monitor => "8 · Monitor",
            Page::Sync => "9 · Sync",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Page::Data => "data",
            Page::Prepare => "prepare",
            Page::Train => "train",
            Page::Evaluate => "evaluate",
            Page::Explain => "explain",
            Page::Runs => "runs",
            Page::Deploy => "deploy",
            Page::Monitor => "monitor",
            Page::Sync => "sync",
        }
    }
}

/// Live view of a training job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Training {
    pub job_id: u64,
    pub fraction: f64,
    pub phase: String,
    pub losses: Vec<f64>,
    pub device: Option<String>,
    /// A neural network's finished epochs, for live curves.
    pub epochs: Vec<kiln_protocol::project::EpochStats>,
    /// What the person asked for (the worker pauses at the epoch's end).
    pub pause_requested: bool,
    /// The worker has stopped at an epoch's end and waits.
    pub paused: bool,
}

/// A model explanation of this session: the run, the project data it is measured on, and
/// the result (`None` while the worker measures).
#[derive(Clone)]
pub struct Explained {
    pub run_id: String,
    pub data: std::sync::Arc<str>,
    pub result: Option<std::sync::Arc<kiln_protocol::explain::ModelExplanation>>,
}

#[derive(Clone, Copy)]
pub struct Studio {
    pub projects: RwSignal<Vec<Project>>,
    pub current: RwSignal<Option<String>>,
    pub page: RwSignal<Page>,
    pub error: RwSignal<Option<String>>,
    pub notice: RwSignal<Option<String>>,
    pub training: RwSignal<Option<Training>>,
    /// Import in progress: file name and fraction read.
    pub importing: RwSignal<Option<(String, f64)>>,
    pub selected_run: RwSignal<Option<String>>,
    /// Where neural networks train (the studio's device setting).
    pub device: RwSignal<kiln_protocol::project::DevicePreference>,
    /// Train page options, kept while moving between pages.
    pub run_options: RwSignal<crate::jobs::RunOptions>,
    pub session: RwSignal<Option<Session>>,
    pub loaded: RwSignal<bool>,
    /// Version tags last seen on the sync service, by project id.
    pub etags: RwSignal<Vec<(String, String)>>,
    /// The hyperparameter search of this session, with its leaderboard.
    pub search: RwSignal<Option<crate::pages::search::SearchState>>,
    /// Each project's `updated_at_ms` when it was last pushed or pulled, by project id.
    pub synced: RwSignal<Vec<(String, f64)>>,
    /// Projects whose last push found the server's copy changed elsewhere (kept across
    /// reloads, so automatic pushes stay stopped until the person resolves it).
    pub conflicts: RwSignal<Vec<String>>,
    /// A project opened read-only from a sync-service share link (not saved here).
    pub shared: RwSignal<Option<Project>>,
    /// A push (by hand or automatic) is in flight; pushes take turns, so two never race
    /// each other with the same version tag.
    pub pushing: RwSignal<bool>,
    /// The Explain page's explanations of this session, by run and project data.
    pub explained: RwSignal<Vec<Explained>>,
    /// Batch scoring's progress (rows scored, rows in all) and last result, kept while the
    /// person moves between pages (the scoring goes on meanwhile).
    pub batch_progress: RwSignal<Option<(usize, usize)>>,
    pub batch_finished: RwSignal<Option<crate::pages::batch::Finished>>,
}

impl Studio {
    pub fn new() -> Self {
        Self {
            projects: RwSignal::new(Vec::new()),
            current: RwSignal::new(None),
            page: RwSignal::new(Page::Data),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
            training: RwSignal::new(None),
            importing: RwSignal::new(None),
            selected_run: RwSignal::new(None),
            device: RwSignal::new(kiln_protocol::project::DevicePreference::Auto),
            run_options: RwSignal::new(crate::jobs::RunOptions::default()),
            session: RwSignal::new(None),
            loaded: RwSignal::new(false),
            etags: RwSignal::new(Vec::new()),
            search: RwSignal::new(None),
            explained: RwSignal::new(Vec::new()),
            synced: RwSignal::new(Vec::new()),
            conflicts: RwSignal::new(Vec::new()),
            shared: RwSignal::new(None),
            pushing: RwSignal::new(false),
            batch_progress: RwSignal::new(None),
            batch_finished: RwSignal::new(None),
        }
    }

    pub fn project(&self) -> Option<Project> {
        let id = self.current.get()?;
        self.projects
            .with(|ps| ps.iter().find(|p| p.id == id).cloned())
    }

    /// The current project's column names (empty before data is imported).
    pub fn column_names(&self) -> Vec<String> {
        self.project()
            .and_then(|p| p.dataset)
            .map(|d| d.profile.columns.into_iter().map(|c| c.name).collect())
            .unwrap_or_default()
    }

    /// The current project, read without subscribing.
    pub fn project_untracked(&self) -> Option<Project> {
        let id = self.current.get_untracked()?;
        self.projects
            .with_untracked(|ps| ps.iter().find(|p| p.id == id).cloned())
    }

    pub fn fail(&self, message: impl Into<String>) {
        self.notice.set(None);
        self.error.set(Some(message.into()));
    }

    pub fn tell(&self, message: impl Into<String>) {
        self.error.set(None);
        self.notice.set(Some(message.into()));
    }

    /// Applies `change` to the current project, stamps it and saves it.
    pub fn edit(&self, change: impl FnOnce(&mut Project)) {
        if let Some(id) = self.current.get_untracked() {
            self.edit_project(&id, change);
        }
    }

    /// Applies `change` to the project `id` (current or not), stamps it and saves it. Results
    /// of background jobs use this, so they land in the project that asked for them.
    pub fn edit_project(&self, id: &str, change: impl FnOnce(&mut Project)) {
        let mut saved = None;
        self.projects.update(|ps| {
            if let Some(p) = ps.iter_mut().find(|p| p.id == id) {
                change(p);
                p.updated_at_ms = js_sys::Date::now();
                saved = Some(p.clone());
            }
        });
        if let Some(project) = saved {
            self.persist(project);
        }
    }

    /// Adds (or replaces) a project, makes it current and saves it.
    pub fn adopt(&self, project: Project) {
        let id = project.id.clone();
        self.projects.update(|ps| {
            ps.retain(|p| p.id != id);
            ps.insert(0, project.clone());
        });
        self.current.set(Some(id));
        self.selected_run
            .set(project.runs.last().map(|r| r.id.clone()));
        self.persist(project);
    }

    fn persist(&self, project: Project) {
        let studio = *self;
        spawn_local(async move {
            if let Err(e) = store::save(&project).await {
                studio.fail(format!("Not saved in this browser: {e}"));
            }
        });
    }

    pub fn etag(&self, id: &str) -> Option<String> {
        self.etags
            .with_untracked(|t| t.iter().find(|(p, _)| p == id).map(|(_, e)| e.clone()))
    }

    /// Remembers the sync service's version tag of a project, across reloads.
    pub fn set_etag(&self, id: &str, etag: String) {
        self.etags.update(|t| {
            t.retain(|(p, _)| p != id);
            t.push((id.to_string(), etag));
        });
        self.etags.with_untracked(|t| write_local(ETAGS_KEY, t));
    }

    /// Reads the version tags saved by [`Studio::set_etag`], the sync marks saved by
    /// [`Studio::mark_synced`] and the conflicts saved by [`Studio::mark_conflict`].
    pub fn restore_etags(&self) {
        if let Some(tags) = read_local::<Vec<(String, String)>>(ETAGS_KEY) {
            self.etags.set(tags);
        }
        if let Some(marks) = read_local::<Vec<(String, f64)>>(SYNCED_KEY) {
            self.synced.set(marks);
        }
        if let Some(conflicts) = read_local::<Vec<String>>(CONFLICTS_KEY) {
            self.conflicts.set(conflicts);
        }
    }

    fn save_conflicts(&self) {
        self.conflicts
            .with_untracked(|c| write_local(CONFLICTS_KEY, c));
    }

    /// Records that the server holds project `id` as it was at `updated_at_ms` (after a push
    /// or a pull), and that any conflict about it is resolved.
    pub fn mark_synced(&self, id: &str, updated_at_ms: f64) {
        self.synced.update(|t| {
            t.retain(|(p, _)| p != id);
            t.push((id.to_string(), updated_at_ms));
        });
        self.conflicts.update(|c| c.retain(|p| p != id));
        self.save_conflicts();
        self.synced.with_untracked(|t| write_local(SYNCED_KEY, t));
    }

    /// Forgets that project `id` was ever synced (the server no longer has it).
    pub fn forget_sync(&self, id: &str) {
        self.etags.update(|t| t.retain(|(p, _)| p != id));
        self.synced.update(|t| t.retain(|(p, _)| p != id));
        self.conflicts.update(|c| c.retain(|p| p != id));
        self.save_conflicts();
        self.etags.with_untracked(|t| write_local(ETAGS_KEY, t));
        self.synced.with_untracked(|t| write_local(SYNCED_KEY, t));
    }

    /// Marks project `id` as in conflict with the server's copy.
    pub fn mark_conflict(&self, id: &str) {
        self.conflicts.update(|c| {
            if !c.iter().any(|p| p == id) {
                c.push(id.to_string());
            }
        });
        self.save_conflicts();
    }

    /// Where `project` stands with the sync service (tracks the signals it reads).
    pub fn sync_state(&self, project: &Project) -> SyncState {
        let id = &project.id;
        state_of(
            project.updated_at_ms,
            self.conflicts.with(|c| c.contains(id)),
            self.etags.with(|t| t.iter().any(|(p, _)| p == id)),
            self.synced
                .with(|t| t.iter().find(|(p, _)| p == id).map(|(_, at)| *at)),
        )
    }

    /// [`Studio::sync_state`] without subscribing.
    pub fn sync_state_untracked(&self, project: &Project) -> SyncState {
        let id = &project.id;
        state_of(
            project.updated_at_ms,
            self.conflicts.with_untracked(|c| c.contains(id)),
            self.etags
                .with_untracked(|t| t.iter().any(|(p, _)| p == id)),
            self.synced
                .with_untracked(|t| t.iter().find(|(p, _)| p == id).map(|(_, at)| *at)),
        )
    }
}

fn state_of(updated_at_ms: f64, conflict: bool, has_etag: bool, mark: Option<f64>) -> SyncState {
    match (conflict, has_etag, mark) {
        (true, _, _) => SyncState::Conflict,
        (false, false, _) => SyncState::LocalOnly,
        (false, true, Some(at)) if updated_at_ms <= at => SyncState::Synced,
        (false, true, _) => SyncState::Unsynced,
    }
}

fn write_local<T: serde::Serialize + ?Sized>(key: &str, value: &T) {
    if let (Ok(json), Ok(Some(storage))) = (serde_json::to_string(value), window().local_storage())
    {
        let _ = storage.set_item(key, &json);
    }
}

fn read_local<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(key).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
}

/// A new, practically unique project id.
pub fn fresh_id() -> String {
    let now = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * 1e12) as u64;
    format!("p{now}{random:x}")
}

pub fn new_project(name: &str, task: Task) -> Project {
    Project {
        format: kiln_protocol::project::PROJECT_FORMAT,
        id: fresh_id(),
        name: name.to_string(),
        task,
        target: None,
        dataset: None,
        runs: Vec::new(),
        registry: Vec::new(),
        recipe: None,
        images: Default::default(),
        updated_at_ms: js_sys::Date::now(),
    }
}

pub fn use_studio() -> Studio {
    use_context::<Studio>().unwrap_or_else(Studio::new)
}
