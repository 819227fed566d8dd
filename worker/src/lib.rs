//! Kiln's engine worker: the wasm entry that runs inside a dedicated Web Worker. It installs its
//! message handler, posts `Ready`, then runs requests one at a time, posting progress and
//! results as JSON-encoded protocol events. Nothing here touches `window`.

mod convert;
mod data_jobs;
mod image_source;
mod insight_jobs;
mod jobs;
mod nn_jobs;
mod retrain_job;
mod ship_jobs;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use kiln_protocol::project::{DevicePreference, ModelKind};
use kiln_protocol::worker::{Control, WorkerEvent, WorkerRequest};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

pub use jobs::Gpu;

#[derive(Default)]
struct State {
    queue: VecDeque<(WorkerRequest, Option<web_sys::Blob>)>,
    busy: bool,
    gpu: Option<Gpu>,
}

thread_local! {
    /// Pause, resume and the device-loss hook, applied as messages arrive, read between epochs.
    static CONTROL: Rc<nn_jobs::Control> = Rc::new(nn_jobs::Control::default());
}

fn control() -> Rc<nn_jobs::Control> {
    CONTROL.with(Rc::clone)
}

/// A promise that resolves after `ms` milliseconds: the running job yields to the message
/// handler while it waits.
fn sleep(ms: u32) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
    });
    Box::pin(async move {
        let _ = JsFuture::from(promise).await;
    })
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Posts an event: its JSON, or `[json, bytes]` when it carries bytes apart (see
/// `WorkerEvent::bytes_mut`); the bytes' buffer is transferred to the page, not copied.
fn post(mut event: WorkerEvent) {
    let bytes = event.bytes_mut().map(std::mem::take);
    let json = match serde_json::to_string(&event) {
        Ok(json) => JsValue::from_str(&json),
        Err(e) => {
            return web_sys::console::error_1(&format!("kiln worker: cannot encode: {e}").into());
        }
    };
    let posted = match bytes {
        Some(bytes) => {
            let array = js_sys::Uint8Array::from(bytes.as_slice());
            drop(bytes);
            let message = js_sys::Array::of2(&json, &array);
            scope().post_message_with_transfer(&message, &js_sys::Array::of1(&array.buffer()))
        }
        None => scope().post_message(&json),
    };
    if let Err(e) = posted {
        web_sys::console::error_2(&"kiln worker: cannot post".into(), &e);
    }
}

/// A request as the page posted it: its JSON, with the model's text and the bytes it sent
/// apart (a `Blob` read here, or a `Uint8Array`) put back, except a file to plan: that `Blob`
/// comes back as it is, to be read a piece at a time. An error names the job (0 only when
/// the JSON has no job id) and says why.
fn read_request(data: &JsValue) -> Result<(WorkerRequest, Option<web_sys::Blob>), (u64, String)> {
    let parts = data.dyn_ref::<js_sys::Array>();
    let json = parts
        .map_or_else(|| data.as_string(), |p| p.get(0).as_string())
        .unwrap_or_default();
    let apart = parts
        .map(|p| p.get(1))
        .filter(|a| !a.is_null() && !a.is_undefined());
    let mut request = serde_json::from_str::<WorkerRequest>(&json).map_err(|e| {
        // The job still hears that it failed, so nothing waits for it forever.
        let job_id = serde_json::from_str::<serde_json::Value>(&json)
            .ok()
            .and_then(|v| v.get("job_id").and_then(serde_json::Value::as_u64))
            .unwrap_or(0);
        (job_id, format!("the worker could not read a request: {e}"))
    })?;
    let job_id = request.job_id();
    if let (Some(slot), Some(model)) = (
        request.model_mut(),
        parts.and_then(|p| p.get(2).as_string()),
    ) {
        *slot = model;
    }
    let planned = matches!(request, WorkerRequest::PlanChunks { .. });
    match (request.bytes_mut(), apart) {
        (Some(_), Some(apart)) if planned && apart.is_instance_of::<web_sys::Blob>() => {
            return Ok((request, apart.dyn_into().ok()));
        }
        (Some(slot), Some(apart)) => *slot = read_bytes(&apart).map_err(|e| (job_id, e))?,
        // A file or chunk that did not come would score as no rows at all.
        (Some(_), None) => return Err((job_id, "the request came without its file".into())),
        (None, _) => {}
    }
    Ok((request, None))
}

/// Bytes of a file to plan read at a time: enough that reading costs little per piece, few
/// enough that the worker's memory stays small whatever the file's size.
const PIECE: f64 = 8.0 * 1024.0 * 1024.0;

/// A file's bytes, a [`PIECE`] at a time.
fn pieces(file: &web_sys::Blob) -> impl Iterator<Item = Result<Vec<u8>, String>> + '_ {
    let size = file.size();
    let starts = (0..).map(|i| f64::from(i) * PIECE);
    starts
        .take_while(move |&start| start < size)
        .map(move |start| {
            let piece = file
                .slice_with_f64_and_f64(start, (start + PIECE).min(size))
                .map_err(|e| format!("the file could not be cut ({})", js_message(&e)))?;
            read_bytes(&piece)
        })
}

/// The bytes of a `Blob` (a file the person picked, or a slice of it) or a `Uint8Array`.
fn read_bytes(value: &JsValue) -> Result<Vec<u8>, String> {
    if let Some(blob) = value.dyn_ref::<web_sys::Blob>() {
        // A worker may read a file synchronously; the job runs on this thread either way.
        let buffer = web_sys::FileReaderSync::new()
            .and_then(|reader| reader.read_as_array_buffer(blob))
            .map_err(|e| {
                format!(
                    "the file could not be read ({}); it may have changed or moved since it was chosen",
                    js_message(&e)
                )
            })?;
        return Ok(js_sys::Uint8Array::new(&buffer).to_vec());
    }
    value
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
        .ok_or_else(|| "the request's data was neither a file nor bytes".to_string())
}

/// What a thrown JavaScript value says.
fn js_message(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let state = Rc::new(RefCell::new(State::default()));
    let handler = {
        let state = state.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            match read_request(&event.data()) {
                Ok((WorkerRequest::Control { action, .. }, _)) => {
                    let control = control();
                    match action {
                        Control::Pause => control.paused.set(true),
                        Control::Resume => control.paused.set(false),
                        Control::LoseGpu => control.lose_gpu.set(true),
                    }
                }
                Ok(queued) => {
                    state.borrow_mut().queue.push_back(queued);
                    drain(state.clone());
                }
                Err((job_id, message)) => post(WorkerEvent::Failed {
                    job_id,
                    error: kiln_protocol::worker::JobError {
                        kind: if job_id == 0 { "protocol" } else { "input" }.into(),
                        message,
                        details: None,
                    },
                }),
            }
        })
    };
    scope().set_onmessage(Some(handler.as_ref().unchecked_ref()));
    handler.forget();
    post(WorkerEvent::Ready);
}

/// Runs queued requests one after another.
fn drain(state: Rc<RefCell<State>>) {
    if state.borrow().busy {
        return;
    }
    state.borrow_mut().busy = true;
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            let next = state.borrow_mut().queue.pop_front();
            let Some(queued) = next else { break };
            let request = match queued {
                // A file to plan, read here a piece at a time.
                (
                    WorkerRequest::PlanChunks {
                        job_id,
                        artifact,
                        delimiter,
                        rows,
                        ..
                    },
                    Some(file),
                ) => {
                    let plan =
                        ship_jobs::plan_chunks(job_id, artifact, pieces(&file), delimiter, rows);
                    post(plan);
                    continue;
                }
                (request, _) => request,
            };
            let needs_gpu = matches!(&request,
                WorkerRequest::Train { spec, .. } | WorkerRequest::TrainImages { spec, .. }
                if matches!(spec.model, ModelKind::Mlp | ModelKind::Cnn)
                    && spec.device != DevicePreference::Cpu);
            if needs_gpu && state.borrow().gpu.is_none() {
                let gpu = detect_gpu().await;
                state.borrow_mut().gpu = Some(gpu);
            }
            let gpu = state
                .borrow()
                .gpu
                .clone()
                .unwrap_or(Gpu::Unavailable("not needed".into()));
            let control = control();
            // A new job starts unpaused, with no device loss pending.
            control.paused.set(false);
            control.lose_gpu.set(false);
            let host = nn_jobs::Host {
                post: &post,
                control: &control,
                sleep: &sleep,
            };
            jobs::handle(request, &gpu, &host).await;
        }
        state.borrow_mut().busy = false;
    });
}

/// Asks the worker's `navigator.gpu` for an adapter, then initialises burn's WebGPU device.
async fn detect_gpu() -> Gpu {
    let navigator =
        js_sys::Reflect::get(&scope(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return Gpu::Unavailable("this browser has no navigator.gpu in workers".into());
    }
    let request = js_sys::Reflect::get(&gpu, &"requestAdapter".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call0(&gpu).ok())
        .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
    let Some(request) = request else {
        return Gpu::Unavailable("navigator.gpu.requestAdapter is missing".into());
    };
    let adapter = match JsFuture::from(request).await {
        Ok(a) if !a.is_null() && !a.is_undefined() => a,
        Ok(_) => return Gpu::Unavailable("the browser offered no WebGPU adapter".into()),
        Err(e) => return Gpu::Unavailable(format!("requestAdapter failed: {e:?}")),
    };
    let name = adapter_name(&adapter);
    match kiln_engine::nn::init_gpu().await {
        Ok(()) => Gpu::Ready(name),
        Err(e) => Gpu::Unavailable(format!("WebGPU could not start: {e}")),
    }
}

fn adapter_name(adapter: &JsValue) -> String {
    let info = js_sys::Reflect::get(adapter, &"info".into()).unwrap_or(JsValue::UNDEFINED);
    let field = |k: &str| {
        js_sys::Reflect::get(&info, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let fallback = js_sys::Reflect::get(&info, &"isFallbackAdapter".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let name = field("description")
        .or_else(|| field("architecture"))
        .or_else(|| field("vendor"))
        .unwrap_or_else(|| "adapter".into());
    if fallback {
        format!("{name}, software fallback")
    } else {
        name
    }
}
