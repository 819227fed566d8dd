//! Batch scoring on the Register & ship page: a CSV or TSV file is cut into chunks by the
//! engine worker, the chunks are scored by the worker pool (a few at a time, so neither the
//! page nor its memory is swamped), and the scored file — every row with the model's outputs
//! appended — is assembled as a Blob to download. The page never reads the file: it posts the
//! picked `File` to the engine worker to plan, then a slice of it (`Blob::slice`, no copy) to
//! a pool worker per chunk, and each worker reads its own bytes.

use std::cell::RefCell;
use std::rc::Rc;

use kiln_protocol::worker::{WorkerEvent, WorkerRequest};
use leptos::prelude::*;

use crate::state::{Studio, use_studio};
use crate::{files, pool, worker};

/// Rows per chunk: small enough for steady progress, large enough that each chunk's trip
/// costs little next to scoring it (for all but huge models, whose text every chunk carries).
const CHUNK_ROWS: usize = 20_000;
/// Reasons shown for rows that could not be scored (the file has them all).
const ERRORS_SHOWN: usize = 5;

/// A scored file ready to download.
#[derive(Clone, PartialEq)]
pub struct Finished {
    url: String,
    file_name: String,
    /// The download's name: the file's stem, `-scored`, and its own extension for a
    /// tab-separated file (the scored copy keeps the delimiter), `.csv` otherwise.
    download: String,
    rows: usize,
    failed: usize,
    errors: Vec<String>,
    seconds: f64,
}

/// A scoring job in flight: the file, its plan, and what has come back.
struct Job {
    file: web_sys::File,
    /// The model's artifact as JSON text, sent with every chunk (a worker decodes it once).
    model: String,
    columns: Vec<String>,
    delimiter: u8,
    starts: Vec<usize>,
    next: usize,
    parts: js_sys::Array,
    done_chunks: usize,
    rows: usize,
    failed: usize,
    /// Each chunk's first reasons, by the chunk's first row (chunks finish in any order).
    errors: Vec<(usize, Vec<String>)>,
    stopped: bool,
    /// When the file was picked (`Date.now()`): the time shown counts from there.
    started: f64,
}

#[derive(Clone, Copy)]
struct Signals {
    studio: Studio,
    progress: RwSignal<Option<(usize, usize)>>,
    finished: RwSignal<Option<Finished>>,
}

#[component]
pub fn BatchScoring() -> impl IntoView {
    let studio = use_studio();
    let chosen = RwSignal::new(None::<String>);
    let signals = Signals {
        studio,
        progress: studio.batch_progress,
        finished: studio.batch_finished,
    };
    let options = move || {
        studio
            .project()
            .map(|p| super::monitor::choices(&p))
            .unwrap_or_default()
    };
    let on_file = move |ev: leptos::ev::Event| {
        let Some(file) = files::picked(&ev) else {
            return;
        };
        let Some(project) = studio.project_untracked() else {
            return;
        };
        let Some(run) = super::monitor::chosen_run(&project, chosen.get_untracked()) else {
            return studio.fail("Train or register a model first, then score a file with it.");
        };
        let name = file.name();
        let lower = name.to_lowercase();
        let delimiter = if lower.ends_with(".tsv") || lower.ends_with(".tab") {
            b'\t'
        } else if lower.ends_with(".csv") || lower.ends_with(".txt") {
            b','
        } else {
            return studio.fail(format!(
                "Cannot score {name}: batch scoring reads CSV or TSV files (.csv, .tsv, .txt)."
            ));
        };
        // Offsets into the file are 32-bit in wasm.
        if file.size() > f64::from(u32::MAX) {
            return studio.fail(format!(
                "Cannot score {name}: it is {:.1} GiB, and batch scoring takes files under 4 GiB. Split it and score the parts.",
                file.size() / f64::from(1u32 << 30)
            ));
        }
        let artifact = (*run.artifact).clone();
        if let Some(previous) = signals.finished.get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&previous.url);
        }
        signals.finished.set(None);
        signals.progress.set(Some((0, 0)));
        let started = js_sys::Date::now();
        // The pool's workers load while the engine worker plans.
        pool::warm();
        plan(signals, name, file, artifact, delimiter, started);
    };
    let busy = move || signals.progress.get().is_some();
    view! {
        <div class="card" data-testid="batch-card">
            <h3>"Batch scoring"</h3>
            <p class="hint">"Score a whole file in this browser: every row comes back with the model's prediction (and each class's probability) appended, ready to download. Large files are scored in parallel by background workers; the page stays usable."</p>
            <div class="fields">
                <label>"Model "
                    <select data-testid="batch-model" on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>
                        {move || options().into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <label class="button primary" class:disabled=busy>"Score a file (CSV or TSV)"
                <input type="file" accept=".csv,.tsv,.txt,.tab" data-testid="batch-file" on:change=on_file prop:disabled=busy style="display: none" />
            </label>
            {move || signals.progress.get().map(|(done, total)| {
                let text = if total == 0 {
                    "Reading the file…".to_string()
                } else {
                    format!("Scored {} of {} rows…", thousands(done), thousands(total))
                };
                view! {
                    <p role="status" data-testid="batch-progress" data-done=done data-total=total>
                        <progress max=total.max(1) value=done></progress>" "{text}
                    </p>
                }
            })}
            {move || signals.finished.get().map(|f| {
                let rate = if f.seconds > 0.0 { f.rows as f64 / f.seconds } else { 0.0 };
                let download = f.download.clone();
                view! {
                    <div data-testid="batch-result" data-rows=f.rows data-failed=f.failed>
                        <p>{format!("Scored {} rows of {} in {:.1} s ({} rows/s).", thousands(f.rows), f.file_name, f.seconds, thousands(rate as usize))}</p>
                        {(f.failed > 0).then(|| view! {
                            <div class="warning" data-testid="batch-failures">
                                <p>{format!("{} rows could not be scored; their output cells are empty and the prediction_error column says why. The first:", thousands(f.failed))}</p>
                                <ul>{f.errors.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                            </div>
                        })}
                        <a class="button primary" data-testid="batch-download" href=f.url.clone() download=download>"Download the scored file"</a>
                    </div>
                }
            })}
        </div>
    }
}

/// 1234567 as "1,234,567".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plan(
    signals: Signals,
    name: String,
    file: web_sys::File,
    artifact: serde_json::Value,
    delimiter: u8,
    started: f64,
) {
    let job = Rc::new(RefCell::new(None::<Job>));
    let for_plan = artifact.clone();
    let whole = file.clone().into();
    let slot = Rc::new(RefCell::new(Some((file, artifact))));
    worker::submit_with(
        move |job_id| WorkerRequest::PlanChunks {
            job_id,
            artifact: for_plan,
            file: Vec::new(),
            delimiter,
            rows: CHUNK_ROWS,
        },
        Some(whole),
        move |event| match event {
            WorkerEvent::ChunksPlanned {
                columns,
                header,
                starts,
                rows: total,
                ..
            } => {
                let Some((file, artifact)) = slot.borrow_mut().take() else {
                    return;
                };
                let model = match serde_json::to_string(&artifact) {
                    Ok(model) => model,
                    Err(e) => {
                        signals.progress.set(None);
                        return signals.studio.fail(format!(
                            "Cannot score {name}: the model cannot be sent ({e})."
                        ));
                    }
                };
                let parts = js_sys::Array::new();
                parts.push(&header.into());
                *job.borrow_mut() = Some(Job {
                    file,
                    model,
                    columns,
                    delimiter,
                    starts,
                    next: 0,
                    parts,
                    done_chunks: 0,
                    rows: 0,
                    failed: 0,
                    errors: Vec::new(),
                    stopped: false,
                    started,
                });
                signals.progress.set(Some((0, total)));
                for _ in 0..pool::size() * 2 {
                    dispatch(signals, job.clone(), name.clone(), total);
                }
            }
            WorkerEvent::Failed { error, .. } => {
                signals.progress.set(None);
                signals
                    .studio
                    .fail(format!("Cannot score {name}: {}", error.message));
            }
            _ => {}
        },
    );
}

/// Sends the next chunk to the pool, if any is left.
fn dispatch(signals: Signals, job: Rc<RefCell<Option<Job>>>, name: String, total: usize) {
    let request = {
        let mut guard = job.borrow_mut();
        let Some(j) = guard.as_mut() else { return };
        if j.stopped || j.next >= j.starts.len() {
            return;
        }
        let index = j.next;
        j.next += 1;
        let start = j.starts[index] as f64;
        let end = j.starts.get(index + 1).map_or(j.file.size(), |&e| e as f64);
        let chunk = match j.file.slice_with_f64_and_f64(start, end) {
            Ok(chunk) => chunk,
            Err(e) => {
                j.stopped = true;
                signals.progress.set(None);
                signals
                    .studio
                    .fail(format!("Cannot score {name}: cannot cut the file ({e:?})."));
                return;
            }
        };
        // Rows before this chunk: CHUNK_ROWS per earlier chunk (the plan cuts every that many).
        let first_row = index * CHUNK_ROWS + 1;
        (
            index,
            chunk,
            first_row,
            j.model.clone(),
            j.columns.clone(),
            j.delimiter,
        )
    };
    let (index, chunk, first_row, model, columns, delimiter) = request;
    let again = job.clone();
    pool::submit(
        move |job_id| WorkerRequest::ScoreChunk {
            job_id,
            artifact: model,
            columns,
            delimiter,
            chunk: Vec::new(),
            first_row,
        },
        Some(chunk.into()),
        move |event| {
            let finished = {
                let mut guard = again.borrow_mut();
                let Some(j) = guard.as_mut().filter(|j| !j.stopped) else {
                    return;
                };
                match event {
                    WorkerEvent::ScoredChunk {
                        csv,
                        rows,
                        failed,
                        errors,
                        ..
                    } => {
                        // Chunks finish in any order; each has its place after the header.
                        j.parts.set(
                            index as u32 + 1,
                            js_sys::Uint8Array::from(csv.as_slice()).into(),
                        );
                        j.done_chunks += 1;
                        j.rows += rows;
                        j.failed += failed;
                        if !errors.is_empty() {
                            j.errors.push((first_row, errors));
                        }
                        signals.progress.set(Some((j.rows, total)));
                        j.done_chunks == j.starts.len()
                    }
                    WorkerEvent::Failed { error, .. } => {
                        j.stopped = true;
                        signals.progress.set(None);
                        signals
                            .studio
                            .fail(format!("Cannot score {name}: {}", error.message));
                        return;
                    }
                    _ => return,
                }
            };
            if finished {
                finish(signals, &again, &name);
            } else {
                dispatch(signals, again.clone(), name.clone(), total);
            }
        },
    );
}

fn finish(signals: Signals, job: &Rc<RefCell<Option<Job>>>, name: &str) {
    let Some(mut j) = job.borrow_mut().take() else {
        return;
    };
    j.errors.sort_by_key(|(first_row, _)| *first_row);
    let errors: Vec<String> = j
        .errors
        .into_iter()
        .flat_map(|(_, reasons)| reasons)
        .take(ERRORS_SHOWN)
        .collect();
    signals.progress.set(None);
    let options = web_sys::BlobPropertyBag::new();
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, "csv"));
    let (extension, kind) = if j.delimiter == b'\t' {
        (extension, "text/tab-separated-values;charset=utf-8")
    } else {
        ("csv", "text/csv;charset=utf-8")
    };
    options.set_type(kind);
    // The parts are the header (a string) and each chunk's bytes; a Blob takes either.
    let url = web_sys::Blob::new_with_buffer_source_sequence_and_options(&j.parts, &options)
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(&blob));
    match url {
        Ok(url) => signals.finished.set(Some(Finished {
            url,
            file_name: name.to_string(),
            download: format!("{stem}-scored.{extension}"),
            rows: j.rows,
            failed: j.failed,
            errors,
            seconds: (js_sys::Date::now() - j.started) / 1000.0,
        })),
        Err(e) => signals
            .studio
            .fail(format!("Cannot build the scored file of {name}: {e:?}")),
    }
}
