//! The studio's handle on its engine worker: spawns it, queues requests until it says `Ready`,
//! routes each event to the job that asked, and cancels by terminating and respawning it.

use std::cell::RefCell;
use std::collections::HashMap;

use kiln_protocol::worker::{Control, JobError, WorkerEvent, WorkerRequest};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

/// The loader trunk writes for the worker crate (see index.html).
const WORKER_URL: &str = "/kiln-worker_loader.js";

type Listener = Box<dyn FnMut(WorkerEvent)>;

struct Client {
    worker: Option<Worker>,
    ready: bool,
    queue: Vec<JsValue>,
    listeners: HashMap<u64, Listener>,
    next_job: u64,
    _on_message: Option<Closure<dyn FnMut(MessageEvent)>>,
    _on_error: Option<Closure<dyn FnMut(web_sys::ErrorEvent)>>,
}

thread_local! {
    static CLIENT: RefCell<Client> = RefCell::new(Client {
        worker: None,
        ready: false,
        queue: Vec::new(),
        listeners: HashMap::new(),
        next_job: 1,
        _on_message: None,
        _on_error: None,
    });
}

/// A request as posted to a worker: its JSON, or `[json, data, model]` when a `Blob` or a
/// model's text travel beside it (see `WorkerRequest::bytes_mut` and `model_mut`). `apart` is
/// the `Blob` (the worker reads it itself, so a file's bytes never pass through the page).
pub fn encode(mut request: WorkerRequest, apart: Option<JsValue>) -> Result<JsValue, String> {
    let model = request.model_mut().map(std::mem::take);
    let json = JsValue::from_str(&serde_json::to_string(&request).map_err(|e| e.to_string())?);
    Ok(match (apart, model) {
        (None, None) => json,
        (data, None) => js_sys::Array::of2(&json, &data.unwrap_or(JsValue::NULL)).into(),
        (data, Some(model)) => js_sys::Array::of3(
            &json,
            &data.unwrap_or(JsValue::NULL),
            &JsValue::from_str(&model),
        )
        .into(),
    })
}

/// A worker's message: the event's JSON, and the event read from it with the bytes it
/// carried apart (a `Uint8Array`) put back.
pub fn read_event(data: &JsValue) -> (String, Result<WorkerEvent, serde_json::Error>) {
    let (json, apart) = match data.dyn_ref::<js_sys::Array>() {
        Some(parts) => (
            parts.get(0).as_string(),
            parts.get(1).dyn_into::<js_sys::Uint8Array>().ok(),
        ),
        None => (data.as_string(), None),
    };
    let json = json.unwrap_or_default();
    let event = serde_json::from_str::<WorkerEvent>(&json).map(|mut event| {
        if let (Some(slot), Some(apart)) = (event.bytes_mut(), apart) {
            *slot = apart.to_vec();
        }
        event
    });
    (json, event)
}

fn spawn() -> Result<(), String> {
    let worker =
        Worker::new(WORKER_URL).map_err(|e| format!("cannot start the engine worker: {e:?}"))?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        let (text, read) = read_event(&event.data());
        match read {
            Ok(WorkerEvent::Ready) => flush(),
            Ok(event) => dispatch(event),
            // An event that does not read (a number JSON cannot carry, say) still ends its
            // job, so nothing waits forever.
            Err(e) => {
                web_sys_log(&format!("unreadable worker event: {e}"));
                let job_id = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v.get("job_id").and_then(serde_json::Value::as_u64));
                if let Some(job_id) = job_id {
                    dispatch(WorkerEvent::Failed {
                        job_id,
                        error: JobError {
                            kind: "worker".into(),
                            message:
                                "the engine's answer could not be read (a value was out of range)"
                                    .into(),
                            details: Some(e.to_string()),
                        },
                    });
                }
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // A crashed or unloadable worker fails its jobs instead of leaving them waiting forever.
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(|event: web_sys::ErrorEvent| {
        event.prevent_default();
        let what = event.message();
        let what = if what.is_empty() {
            "it could not be loaded".to_string()
        } else {
            what
        };
        stop_all(
            "worker",
            &format!("the engine worker stopped ({what}); try again"),
        );
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    CLIENT.with_borrow_mut(|c| {
        c.worker = Some(worker);
        c.ready = false;
        c._on_message = Some(on_message);
        c._on_error = Some(on_error);
    });
    Ok(())
}

fn web_sys_log(message: &str) {
    leptos::logging::error!("{message}");
}

fn flush() {
    CLIENT.with_borrow_mut(|c| {
        c.ready = true;
        if let Some(worker) = &c.worker {
            for message in c.queue.drain(..) {
                let _ = worker.post_message(&message);
            }
        }
    });
}

fn dispatch(event: WorkerEvent) {
    if matches!(event, WorkerEvent::Ready) {
        return;
    }
    let (job_id, done) = (event.job_id(), event.is_final());
    // Take the listener out while it runs so it may start new jobs.
    let listener = CLIENT.with_borrow_mut(|c| c.listeners.remove(&job_id));
    if let Some(mut listener) = listener {
        listener(event);
        if !done {
            CLIENT.with_borrow_mut(|c| c.listeners.insert(job_id, listener));
        }
    }
}

/// Sends a request built for a fresh job id; `listener` gets every event of that job.
pub fn submit(
    build: impl FnOnce(u64) -> WorkerRequest,
    listener: impl FnMut(WorkerEvent) + 'static,
) -> u64 {
    submit_with(build, None, listener)
}

/// [`submit`], with the request's bytes posted as `apart` (a `Blob` the worker reads).
pub fn submit_with(
    build: impl FnOnce(u64) -> WorkerRequest,
    apart: Option<JsValue>,
    listener: impl FnMut(WorkerEvent) + 'static,
) -> u64 {
    let needs_spawn = CLIENT.with_borrow(|c| c.worker.is_none());
    if needs_spawn && let Err(message) = spawn() {
        let mut listener = listener;
        listener(WorkerEvent::Failed {
            job_id: 0,
            error: JobError {
                kind: "worker".into(),
                message,
                details: None,
            },
        });
        return 0;
    }
    CLIENT.with_borrow_mut(|c| {
        let job_id = c.next_job;
        c.next_job += 1;
        c.listeners.insert(job_id, Box::new(listener));
        match encode(build(job_id), apart) {
            Ok(message) => match (&c.worker, c.ready) {
                (Some(worker), true) => {
                    let _ = worker.post_message(&message);
                }
                _ => c.queue.push(message),
            },
            Err(e) => web_sys_log(&format!("cannot encode a request: {e}")),
        }
        job_id
    })
}

/// Steers the running training job (pause, resume); the worker applies it at the end of the
/// current epoch and answers with a `Paused` event.
pub fn control(job_id: u64, action: Control) {
    let request = WorkerRequest::Control { job_id, action };
    let Ok(message) = serde_json::to_string(&request) else {
        return;
    };
    CLIENT.with_borrow(|c| {
        if let (Some(worker), true) = (&c.worker, c.ready) {
            let _ = worker.post_message(&JsValue::from_str(&message));
        }
    });
}

/// `window.kilnTest.loseGpu()`: makes the worker treat its GPU device as destroyed, so the
/// browser tests can check that training goes on on the CPU.
pub fn install_test_hook() {
    let lose = Closure::<dyn Fn()>::new(|| control(0, Control::LoseGpu));
    let hook = js_sys::Object::new();
    let installed = js_sys::Reflect::set(&hook, &"loseGpu".into(), lose.as_ref())
        .and_then(|_| js_sys::Reflect::set(&js_sys::global(), &"kilnTest".into(), &hook));
    if installed.is_ok() {
        lose.forget();
    }
}

/// Stops every running job by terminating the worker; the next job starts a fresh one.
/// Each cancelled job's listener hears a `cancelled` failure.
pub fn cancel_all() {
    stop_all("cancelled", "cancelled");
}

/// Terminates the worker and fails every pending job with `kind` and `message`.
fn stop_all(kind: &str, message: &str) {
    let listeners = CLIENT.with_borrow_mut(|c| {
        if let Some(worker) = c.worker.take() {
            worker.terminate();
        }
        c.ready = false;
        c.queue.clear();
        std::mem::take(&mut c.listeners)
    });
    for (job_id, mut listener) in listeners {
        listener(WorkerEvent::Failed {
            job_id,
            error: JobError {
                kind: kind.into(),
                message: message.into(),
                details: None,
            },
        });
    }
}
