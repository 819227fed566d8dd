//! A pool of engine workers, one per core (at most 8), for work that splits into independent
//! jobs: the trials of a hyperparameter search. Each worker runs one job at a time; queued
//! jobs go to the first idle worker as it frees up. The studio's main worker (see `worker`)
//! stays free for everything else meanwhile. Cancelling terminates every pool worker.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};

use kiln_protocol::worker::{JobError, WorkerEvent, WorkerRequest};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

/// The loader trunk writes for the worker crate (see index.html).
const WORKER_URL: &str = "/kiln-worker_loader.js";
/// Most workers a pool starts, whatever the core count.
const MAX_WORKERS: usize = 8;

type Listener = Box<dyn FnMut(WorkerEvent)>;

struct Slot {
    worker: Worker,
    ready: bool,
    job: Option<u64>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

#[derive(Default)]
struct Pool {
    slots: Vec<Option<Slot>>,
    queue: VecDeque<(u64, JsValue)>,
    listeners: HashMap<u64, Listener>,
    next_job: u64,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool { next_job: 1, ..Pool::default() });
}

/// How many workers the pool runs: the browser's core count, between 1 and 8.
pub fn size() -> usize {
    web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .filter(|n| n.is_finite() && *n >= 1.0)
        .map_or(2, |n| n as usize)
        .clamp(1, MAX_WORKERS)
}

fn spawn(index: usize) -> Result<Slot, String> {
    let worker =
        Worker::new(WORKER_URL).map_err(|e| format!("cannot start an engine worker: {e:?}"))?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match crate::worker::read_event(&event.data()).1 {
            Ok(WorkerEvent::Ready) => {
                POOL.with_borrow_mut(|p| {
                    if let Some(Some(slot)) = p.slots.get_mut(index) {
                        slot.ready = true;
                    }
                });
                pump();
            }
            // A request the worker could not read without even a job id is this slot's job.
            Ok(WorkerEvent::Failed { job_id: 0, error }) => {
                let job = POOL.with_borrow(|p| p.slots.get(index)?.as_ref()?.job);
                if let Some(job_id) = job {
                    finish(index, WorkerEvent::Failed { job_id, error });
                }
            }
            Ok(event) => finish(index, event),
            Err(e) => {
                let job = POOL.with_borrow(|p| p.slots.get(index)?.as_ref()?.job);
                if let Some(job_id) = job {
                    finish(
                        index,
                        failed(job_id, "worker", &format!("unreadable answer: {e}")),
                    );
                }
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let on_error =
        Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |event: web_sys::ErrorEvent| {
            event.prevent_default();
            // The worker is gone: fail its job and start a fresh one for the rest of the queue.
            let (job, old) = POOL.with_borrow_mut(|p| {
                let old = p.slots.get_mut(index).and_then(Option::take);
                (old.as_ref().and_then(|s| s.job), old)
            });
            if let Some(old) = old {
                old.worker.terminate();
            }
            if let Some(job_id) = job {
                let message = format!("an engine worker stopped ({})", event.message());
                dispatch(failed(job_id, "worker", &message), true);
            }
            pump();
        });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Slot {
        worker,
        ready: false,
        job: None,
        _on_message: on_message,
        _on_error: on_error,
    })
}

fn failed(job_id: u64, kind: &str, message: &str) -> WorkerEvent {
    WorkerEvent::Failed {
        job_id,
        error: JobError {
            kind: kind.into(),
            message: message.into(),
            details: None,
        },
    }
}

/// An event from slot `index`: a final one frees the slot for the next queued job.
fn finish(index: usize, event: WorkerEvent) {
    let done = event.is_final();
    if done {
        POOL.with_borrow_mut(|p| {
            if let Some(Some(slot)) = p.slots.get_mut(index) {
                slot.job = None;
            }
        });
    }
    dispatch(event, done);
    if done {
        pump();
    }
}

fn dispatch(event: WorkerEvent, done: bool) {
    let job_id = event.job_id();
    // Take the listener out while it runs so it may submit more jobs.
    let listener = POOL.with_borrow_mut(|p| p.listeners.remove(&job_id));
    if let Some(mut listener) = listener {
        listener(event);
        if !done {
            POOL.with_borrow_mut(|p| p.listeners.insert(job_id, listener));
        }
    }
}

/// Starts the pool's workers before the jobs they are for: each loads the engine (tens of
/// megabytes of wasm) while the work is still being cut.
pub fn warm() {
    POOL.with_borrow_mut(|p| {
        while p.slots.len() < size() {
            p.slots.push(None);
        }
        for i in 0..p.slots.len() {
            if p.slots[i].is_none()
                && let Ok(slot) = spawn(i)
            {
                p.slots[i] = Some(slot);
            }
        }
    });
}

/// Hands queued jobs to idle, ready workers, starting workers up to the pool size.
fn pump() {
    let wanted = size();
    let mut spawn_failed = None;
    POOL.with_borrow_mut(|p| {
        if p.queue.is_empty() {
            return;
        }
        while p.slots.len() < wanted {
            p.slots.push(None);
        }
        for i in 0..p.slots.len() {
            if p.slots[i].is_none() {
                match spawn(i) {
                    Ok(slot) => p.slots[i] = Some(slot),
                    Err(e) => spawn_failed = Some(e),
                }
            }
        }
        for slot in p.slots.iter_mut().flatten() {
            if !slot.ready || slot.job.is_some() {
                continue;
            }
            let Some((job_id, message)) = p.queue.pop_front() else {
                break;
            };
            slot.job = Some(job_id);
            let _ = slot.worker.post_message(&message);
        }
    });
    // No worker at all can start: fail what waits rather than leave it queued forever.
    if let Some(message) = spawn_failed {
        let none_alive = POOL.with_borrow(|p| p.slots.iter().all(Option::is_none));
        if none_alive {
            let queued: Vec<u64> =
                POOL.with_borrow_mut(|p| p.queue.drain(..).map(|(id, _)| id).collect());
            for job_id in queued {
                dispatch(failed(job_id, "worker", &message), true);
            }
        }
    }
}

/// Queues a request built for a fresh job id; `listener` hears every event of that job.
/// `apart` is posted beside the request as its bytes (a `Blob` the worker reads itself).
pub fn submit(
    build: impl FnOnce(u64) -> WorkerRequest,
    apart: Option<JsValue>,
    listener: impl FnMut(WorkerEvent) + 'static,
) -> u64 {
    let job_id = POOL.with_borrow_mut(|p| {
        let job_id = p.next_job;
        p.next_job += 1;
        job_id
    });
    match crate::worker::encode(build(job_id), apart) {
        Ok(message) => {
            POOL.with_borrow_mut(|p| {
                p.listeners.insert(job_id, Box::new(listener));
                p.queue.push_back((job_id, message));
            });
            pump();
        }
        Err(e) => {
            let mut listener = listener;
            listener(failed(
                job_id,
                "worker",
                &format!("cannot encode the request: {e}"),
            ));
        }
    }
    job_id
}

/// Stops every pool job: workers are terminated (fresh ones start for the next job) and each
/// pending job's listener hears a `cancelled` failure.
pub fn cancel_all() {
    let (listeners, slots) = POOL.with_borrow_mut(|p| {
        p.queue.clear();
        (
            std::mem::take(&mut p.listeners),
            std::mem::take(&mut p.slots),
        )
    });
    for slot in slots.into_iter().flatten() {
        slot.worker.terminate();
    }
    for (job_id, mut listener) in listeners {
        listener(failed(job_id, "cancelled", "cancelled"));
    }
}
