//! Training a neural network in the worker: choosing the device (a short benchmark of the
//! actual model on WebGPU and on the CPU), running epochs with live curves, pausing between
//! epochs, and going on on the CPU from the last completed epoch when the GPU is lost.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use kiln_engine::nn::{Compute, NetParams, NnData, Trained, Trainer, conclude};
use kiln_engine::train::{Prepared, TrainError};
use kiln_protocol::project::{DevicePreference, TrainSpec};
use kiln_protocol::worker::WorkerEvent;
use web_time::Instant;

use crate::jobs::Gpu;

/// Requests that steer a running job, set by the message handler as they arrive.
#[derive(Default)]
pub struct Control {
    pub paused: Cell<bool>,
    /// Test hook: the next GPU epoch fails as if the device had been destroyed.
    pub lose_gpu: Cell<bool>,
    /// Set when the GPU failed: later runs in this worker use the CPU.
    pub gpu_lost: Cell<bool>,
    /// Device benchmarks already made, by model shape.
    choices: RefCell<HashMap<String, Choice>>,
}

#[derive(Debug, Clone)]
struct Choice {
    compute: Compute,
    why: String,
}

/// What the worker offers a job besides posting events.
pub struct Host<'a> {
    pub post: &'a dyn Fn(WorkerEvent),
    pub control: &'a Control,
    /// Resolves after the given milliseconds, letting the worker read its messages.
    pub sleep: &'a dyn Fn(u32) -> Pin<Box<dyn Future<Output = ()>>>,
}

/// How often training lets the worker read its messages (pause, resume), at most.
const YIELD_EVERY_MS: u128 = 50;

/// Steps timed on each device when choosing one.
const BENCH_STEPS: usize = 5;

pub struct Network {
    pub trained: Trained,
    /// Where the run finished (cross-validation trains there too).
    pub compute: Compute,
    pub device: String,
    pub notes: Vec<String>,
}

pub async fn train(
    job_id: u64,
    prepared: &Prepared,
    spec: &TrainSpec,
    gpu: &Gpu,
    host: &Host<'_>,
) -> Result<Network, TrainError> {
    let arch = NetParams::read(prepared)?;
    let params = arch.training().clone();
    let data = NnData::from_prepared(prepared)?;
    let seed = prepared.config.seed;
    let progress = |fraction: f64, phase: String, loss: Option<f64>, device: Option<String>| {
        (host.post)(WorkerEvent::Progress {
            job_id,
            fraction,
            phase,
            loss,
            device,
        });
    };
    progress(0.0, "choosing a device".into(), None, None);
    let choice = choose(spec.device, gpu, &data, &arch, seed, host).await;
    let mut compute = choice.compute;
    let mut device = choice.why.clone();
    let mut notes = vec![format!("Device: {}", choice.why)];
    progress(0.0, "training".into(), None, Some(device.clone()));
    let mut trainer = Trainer::new(&data, &arch, compute, seed, None)?;
    let mut yielded = Instant::now();
    while !trainer.finished() {
        // Let the message handler run now and then (a zero timeout costs about 4 ms in
        // browsers, more than a small network's epoch), then honour a pause.
        if yielded.elapsed().as_millis() >= YIELD_EVERY_MS {
            (host.sleep)(0).await;
            yielded = Instant::now();
        }
        if host.control.paused.get() {
            (host.post)(WorkerEvent::Paused {
                job_id,
                paused: true,
            });
            while host.control.paused.get() {
                (host.sleep)(100).await;
            }
            (host.post)(WorkerEvent::Paused {
                job_id,
                paused: false,
            });
        }
        let result = if compute == Compute::Gpu && host.control.lose_gpu.replace(false) {
            Err(TrainError::Device(
                "the WebGPU device was destroyed (test hook)".into(),
            ))
        } else {
            trainer.epoch().await
        };
        match result {
            Ok(stats) => {
                let fraction = f64::from(stats.epoch) / f64::from(params.epochs.max(1));
                let phase = format!("epoch {} of {}", stats.epoch, params.epochs);
                progress(fraction, phase, Some(stats.train_loss), None);
                (host.post)(WorkerEvent::Epoch { job_id, stats });
            }
            Err(TrainError::Device(why)) if compute == Compute::Gpu => {
                host.control.gpu_lost.set(true);
                let checkpoint = trainer.into_checkpoint();
                let done = checkpoint.as_ref().map_or(0, |c| c.epochs_done());
                let note = format!(
                    "The GPU failed during epoch {} ({why}); training went on on the CPU from the end of epoch {done}, with a fresh optimiser state.",
                    done + 1
                );
                device = format!("CPU (WebGPU lost after epoch {done})");
                progress(
                    f64::from(done) / f64::from(params.epochs.max(1)),
                    format!("GPU lost: continuing on the CPU from epoch {done}"),
                    None,
                    Some(device.clone()),
                );
                notes.push(note);
                compute = Compute::Cpu;
                trainer = Trainer::new(&data, &arch, compute, seed, checkpoint)?;
            }
            Err(e) => return Err(e),
        }
    }
    let checkpoint = trainer
        .checkpoint()
        .ok_or_else(|| TrainError::Config("training ran no epoch".into()))?;
    if let Some(stopped) = &checkpoint.history.stopped {
        notes.push(format!(
            "Stopped after epoch {}: {stopped}.",
            checkpoint.epochs_done()
        ));
    }
    Ok(Network {
        trained: conclude(prepared, checkpoint),
        compute,
        device,
        notes,
    })
}

/// Where to train: the person's choice, or (automatically) the faster device for this model
/// shape, measured once per worker.
async fn choose(
    preference: DevicePreference,
    gpu: &Gpu,
    data: &NnData,
    arch: &NetParams,
    seed: u64,
    host: &Host<'_>,
) -> Choice {
    let params = arch.training();
    let cpu = |why: String| Choice {
        compute: Compute::Cpu,
        why,
    };
    let adapter = match gpu {
        _ if host.control.gpu_lost.get() => {
            return cpu("CPU (the WebGPU device was lost earlier in this session)".into());
        }
        Gpu::Ready(adapter) => adapter,
        Gpu::Unavailable(why) => {
            return match preference {
                DevicePreference::Cpu => cpu("CPU (chosen)".into()),
                _ => cpu(format!("CPU (no WebGPU: {why})")),
            };
        }
    };
    match preference {
        DevicePreference::Cpu => return cpu("CPU (chosen)".into()),
        DevicePreference::Gpu => {
            return Choice {
                compute: Compute::Gpu,
                why: format!("WebGPU ({adapter}, chosen)"),
            };
        }
        DevicePreference::Auto => {}
    }
    let shape = format!(
        "{}-{:?}-{}-{}-{}",
        data.width,
        arch,
        params.batch_for(data.rows()),
        params.batch_norm,
        data.rows()
    );
    if let Some(choice) = host.control.choices.borrow().get(&shape) {
        return choice.clone();
    }
    let time = |compute| async move {
        let mut trainer = Trainer::new(data, arch, compute, seed, None)?;
        trainer.time_steps(BENCH_STEPS).await
    };
    let choice = match (time(Compute::Gpu).await, time(Compute::Cpu).await) {
        (Ok(g), Ok(c)) => {
            let figures = format!("WebGPU {g:.2} ms per step, CPU {c:.2} ms per step");
            if g < c {
                Choice {
                    compute: Compute::Gpu,
                    why: format!("WebGPU ({adapter}); faster for this model: {figures}"),
                }
            } else {
                cpu(format!("CPU; faster for this model: {figures}"))
            }
        }
        (Err(e), _) => {
            host.control.gpu_lost.set(true);
            cpu(format!("CPU (WebGPU failed a trial step: {e})"))
        }
        (Ok(_), Err(e)) => Choice {
            compute: Compute::Gpu,
            why: format!("WebGPU ({adapter}; the CPU failed a trial step: {e})"),
        },
    };
    host.control
        .choices
        .borrow_mut()
        .insert(shape, choice.clone());
    choice
}
