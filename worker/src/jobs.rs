//! The worker's jobs, free of browser glue: each request becomes a stream of events handed to
//! `post`. Kept apart from the message plumbing so it reads like ordinary Rust; the browser
//! tests (e2e/) exercise it through the studio.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use kiln_engine::artifact::Artifact;
use kiln_engine::fit::{FamilyParams, FitTarget, finish, fit_model};
use kiln_engine::models::Matrix;
use kiln_engine::nn;
use kiln_engine::train::{Family, Outcome, Prepared, TrainError, prepare};
use kiln_engine::validate::cross_validate;
use kiln_protocol::project::{CrossValidation, MeanStd, RunRecord, TrainSpec, TrainingHistory};
use kiln_protocol::worker::{Prediction, TrialResult, WorkerEvent, WorkerRequest};
use web_time::{Instant, SystemTime, UNIX_EPOCH};

use crate::nn_jobs::{self, Host};
use crate::{convert, data_jobs, insight_jobs, retrain_job, ship_jobs};

/// Where the worker may run neural networks, decided once per worker.
#[derive(Debug, Clone)]
pub enum Gpu {
    /// An initialised WebGPU device, with a description of its adapter.
    Ready(String),
    /// No WebGPU here (the reason, for the record).
    Unavailable(String),
}

pub async fn handle(request: WorkerRequest, gpu: &Gpu, host: &Host<'_>) {
    let post = host.post;
    let job_id = request.job_id();
    let event = match request {
        WorkerRequest::Profile {
            job_id,
            file_name,
            text,
            types,
            target,
        } => data_jobs::profile(job_id, &file_name, &text, types, target.as_deref(), post),
        WorkerRequest::Preview {
            job_id,
            file_name,
            text,
            spec,
        } => data_jobs::preview(job_id, &file_name, &text, &spec),
        WorkerRequest::Redact {
            job_id,
            file_name,
            text,
            column,
            mode,
            salt,
        } => data_jobs::redact(job_id, &file_name, &text, &column, mode, &salt),
        WorkerRequest::Sample {
            job_id,
            file_name,
            text,
            rows,
            seed,
            types,
        } => data_jobs::sample(job_id, &file_name, &text, rows, seed, types),
        WorkerRequest::Train {
            job_id,
            file_name,
            text,
            spec,
        } => match train(job_id, &file_name, &text, &spec, gpu, host).await {
            Ok(run) => WorkerEvent::Trained {
                job_id,
                run: Box::new(run),
            },
            Err(e) => WorkerEvent::Failed {
                job_id,
                error: convert::train_error(&e),
            },
        },
        WorkerRequest::TrainImages {
            job_id,
            project_id,
            spec,
        } => match train_images(job_id, &project_id, &spec, gpu, host).await {
            Ok(run) => WorkerEvent::Trained {
                job_id,
                run: Box::new(run),
            },
            Err(e) => WorkerEvent::Failed {
                job_id,
                error: convert::train_error(&e),
            },
        },
        WorkerRequest::Trial {
            job_id,
            file_name,
            text,
            spec,
            max_rows,
        } => match trial(job_id, &file_name, &text, &spec, max_rows, gpu, host).await {
            Ok(result) => WorkerEvent::TrialDone { job_id, result },
            Err(e) => WorkerEvent::Failed {
                job_id,
                error: convert::train_error(&e),
            },
        },
        WorkerRequest::Predict {
            job_id,
            artifact,
            rows,
        } => predicted(job_id, predict(artifact, &rows)),
        WorkerRequest::ExportOnnx { job_id, artifact } => ship_jobs::export_onnx(job_id, artifact),
        WorkerRequest::PlanChunks {
            job_id,
            artifact,
            file,
            delimiter,
            rows,
        } => ship_jobs::plan_chunks(job_id, artifact, [Ok(file)], delimiter, rows),
        WorkerRequest::ScoreChunk {
            job_id,
            artifact,
            columns,
            delimiter,
            chunk,
            first_row,
        } => ship_jobs::score_chunk(job_id, artifact, &columns, delimiter, &chunk, first_row),
        WorkerRequest::PredictImage {
            job_id,
            artifact,
            rgba,
        } => predicted(job_id, predict_image(artifact, &rgba).map(|p| vec![p])),
        WorkerRequest::Drift {
            job_id,
            artifact,
            file_name,
            text,
            settings,
        } => insight_jobs::drift(job_id, artifact, &file_name, &text, &settings),
        WorkerRequest::ExplainModel {
            job_id,
            artifact,
            file_name,
            text,
            spec,
        } => insight_jobs::explain_model(job_id, artifact, &file_name, &text, &spec),
        WorkerRequest::Fairness {
            job_id,
            artifact,
            file_name,
            text,
            spec,
            request,
        } => insight_jobs::fairness(job_id, artifact, &file_name, &text, &spec, &request),
        WorkerRequest::ExplainRow {
            job_id,
            artifact,
            row,
        } => insight_jobs::explain_row(job_id, artifact, &row),
        WorkerRequest::Retrain {
            job_id,
            production,
            spec,
            base,
            file_name,
            text,
            gate,
        } => {
            let base = base
                .as_ref()
                .map(|(name, text)| (name.as_str(), text.as_str()));
            let batch = (file_name.as_str(), text.as_str());
            retrain_job::retrain(job_id, production, &spec, base, batch, &gate, gpu, host).await
        }
        // Steering is applied by the message handler as it arrives; nothing to run.
        WorkerRequest::Control { .. } => return,
    };
    debug_assert_eq!(job_id, event.job_id());
    post(event);
}

/// A fitted and scored spec, before it becomes a run record or a trial result.
pub(crate) struct Ran {
    pub(crate) prepared: Prepared,
    pub(crate) outcome: Outcome,
    device: String,
    notes: Vec<String>,
    cv: Option<CrossValidation>,
    /// Time spent fitting the model alone (no parsing, recipe or scoring).
    fit_ms: f64,
    history: Option<TrainingHistory>,
}

async fn train(
    job_id: u64,
    file_name: &str,
    text: &str,
    spec: &TrainSpec,
    gpu: &Gpu,
    host: &Host<'_>,
) -> Result<RunRecord, TrainError> {
    let started = Instant::now();
    let ran = run_spec(job_id, file_name, text, spec, None, gpu, host).await?;
    record(job_id, spec, started, ran)
}

/// A convolutional network on the project's images (read from the browser database).
async fn train_images(
    job_id: u64,
    project_id: &str,
    spec: &TrainSpec,
    gpu: &Gpu,
    host: &Host<'_>,
) -> Result<RunRecord, TrainError> {
    let started = Instant::now();
    let config = convert::config(spec);
    let FamilyParams::Cnn(params) = FamilyParams::read(&config)? else {
        return Err(TrainError::Config(
            "images train a convolutional network (cnn)".into(),
        ));
    };
    let progress = |done: usize, total: usize| {
        (host.post)(WorkerEvent::Progress {
            job_id,
            fraction: 0.0,
            phase: format!("decoding images: {done} of {total}"),
            loss: None,
            device: None,
        });
    };
    let set = crate::image_source::load(project_id, params.shape, &progress)
        .await
        .map_err(TrainError::Config)?;
    let prepared = set.prepare(&config)?;
    // The run's matrices hold the pixels now; the decoded set can go before training.
    let count = set.len();
    drop(set);
    let fitting = Instant::now();
    let network = nn_jobs::train(job_id, &prepared, spec, gpu, host).await?;
    let mut notes = network.notes;
    notes.insert(
        0,
        format!(
            "{} images of {} classes, resized to {}×{} ({})",
            count,
            prepared.n_outputs(),
            params.shape.size,
            params.shape.size,
            if params.shape.channels == 1 {
                "gray"
            } else {
                "colour"
            }
        ),
    );
    let fit_ms = fitting.elapsed().as_secs_f64() * 1000.0;
    let post = host.post;
    let cv = cross_validation(
        &prepared,
        spec.cv_folds,
        Some(network.compute),
        &mut notes,
        &|fraction, phase| {
            post(WorkerEvent::Progress {
                job_id,
                fraction,
                phase,
                loss: None,
                device: None,
            })
        },
    )
    .await?;
    let ran = Ran {
        fit_ms,
        history: Some(network.trained.history),
        outcome: network.trained.outcome,
        device: network.device,
        notes,
        cv,
        prepared,
    };
    record(job_id, spec, started, ran)
}

/// The run record of a finished spec.
pub(crate) fn record(
    job_id: u64,
    spec: &TrainSpec,
    started: Instant,
    ran: Ran,
) -> Result<RunRecord, TrainError> {
    let Ran {
        prepared,
        outcome,
        device,
        notes,
        cv,
        fit_ms,
        history,
    } = ran;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64);
    Ok(RunRecord {
        id: format!("run-{}-{job_id}", now_ms as u64),
        model: spec.model,
        device,
        scores: outcome.artifact.scores.clone(),
        metrics: None,
        loss_curve: outcome.loss_curve.clone(),
        artifact: std::sync::Arc::new(
            serde_json::to_value(&outcome.artifact)
                .map_err(|e| TrainError::Device(format!("cannot encode the model: {e}")))?,
        ),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        created_at_ms: now_ms,
        notes,
        cv,
        recipe: Some(prepared.recipe_spec.clone()),
        split: Some(spec.split.clone()),
        inputs: outcome
            .artifact
            .input_schema()
            .into_iter()
            .map(convert::input)
            .collect(),
        task: Some(spec.task),
        target: Some(spec.target.clone()).filter(|t| !t.is_empty()),
        params: spec.params.clone(),
        seed: Some(spec.seed),
        data_hash: Some(outcome.artifact.lineage.data_hash.clone()),
        engine_version: Some(outcome.artifact.lineage.engine_version.clone()),
        evaluation: Some(std::sync::Arc::new(outcome.evaluation.clone())),
        search: None,
        fit_ms: Some(fit_ms),
        history,
        holdout: Some(spec.holdout),
    })
}

async fn trial(
    job_id: u64,
    file_name: &str,
    text: &str,
    spec: &TrainSpec,
    max_rows: Option<usize>,
    gpu: &Gpu,
    host: &Host<'_>,
) -> Result<TrialResult, TrainError> {
    let started = Instant::now();
    let ran = run_spec(job_id, file_name, text, spec, max_rows, gpu, host).await?;
    Ok(TrialResult {
        scores: ran.outcome.artifact.scores,
        cv: ran.cv,
        train_rows: ran.prepared.split.train.len(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        loss_curve: ran.outcome.loss_curve,
    })
}

async fn run_spec(
    job_id: u64,
    file_name: &str,
    text: &str,
    spec: &TrainSpec,
    max_rows: Option<usize>,
    gpu: &Gpu,
    host: &Host<'_>,
) -> Result<Ran, TrainError> {
    let mut config = convert::config(spec);
    config.max_train_rows = max_rows;
    preparing(job_id, host);
    let prepared = prepare(file_name, text, &config)?;
    fit_prepared(job_id, prepared, spec, gpu, host).await
}

/// Tells the studio a job has started reading its data.
pub(crate) fn preparing(job_id: u64, host: &Host<'_>) {
    (host.post)(WorkerEvent::Progress {
        job_id,
        fraction: 0.0,
        phase: "preparing data".into(),
        loss: None,
        device: None,
    });
}

/// Fits a prepared run (a network on its device, any other family on the CPU) and
/// cross-validates it when the spec asks.
pub(crate) async fn fit_prepared(
    job_id: u64,
    prepared: Prepared,
    spec: &TrainSpec,
    gpu: &Gpu,
    host: &Host<'_>,
) -> Result<Ran, TrainError> {
    let post = host.post;
    let progress = |fraction: f64, phase: String, loss: Option<f64>, device: Option<String>| {
        post(WorkerEvent::Progress {
            job_id,
            fraction,
            phase,
            loss,
            device,
        });
    };
    let config = &prepared.config;
    let started = Instant::now();
    let mut notes = Vec::new();
    let mut history = None;
    let mut compute = None;
    let (outcome, device, fit_ms) = match config.family {
        Family::Mlp => {
            let network = nn_jobs::train(job_id, &prepared, spec, gpu, host).await?;
            compute = Some(network.compute);
            notes = network.notes;
            history = Some(network.trained.history);
            let fit_ms = started.elapsed().as_secs_f64() * 1000.0;
            (network.trained.outcome, network.device, fit_ms)
        }
        _ => {
            let device = "CPU".to_string();
            progress(0.0, "training".into(), None, Some(device.clone()));
            let x = Matrix::new(&prepared.x_train, prepared.width());
            let target = FitTarget::of(&prepared.labels, &prepared.split.train);
            let (model, curve) = fit_model(&prepared.config, &x, &target, &mut |p| {
                progress(p.fraction, p.phase, p.loss, None);
                ControlFlow::Continue(())
            })?;
            let fit_ms = started.elapsed().as_secs_f64() * 1000.0;
            (finish(&prepared, model, curve), device, fit_ms)
        }
    };
    notes.splice(0..0, outcome.artifact.recipe.notes.iter().cloned());
    let cv = cross_validation(
        &prepared,
        spec.cv_folds,
        compute,
        &mut notes,
        &|f, phase| progress(f, phase, None, None),
    )
    .await?;
    Ok(Ran {
        prepared,
        outcome,
        device,
        notes,
        cv,
        fit_ms,
        history,
    })
}

/// k-fold cross-validation of the run (none for fewer than two folds). A network (`compute`
/// set) trains a fresh copy per fold on its run's device, or on the CPU if the GPU fails.
async fn cross_validation(
    prepared: &Prepared,
    k: u32,
    compute: Option<nn::Compute>,
    notes: &mut Vec<String>,
    progress: &dyn Fn(f64, String),
) -> Result<Option<CrossValidation>, TrainError> {
    if k < 2 {
        return Ok(None);
    }
    progress(1.0, format!("cross-validating ({k} folds)"));
    let mut on_fold = |f: usize| {
        progress(
            f as f64 / f64::from(k),
            format!("cross-validating: fold {} of {k}", f + 1),
        );
        ControlFlow::Continue(())
    };
    let folds = k as usize;
    let scores = match compute {
        Some(compute) => match nn::cross_validate_net(prepared, folds, compute, &mut on_fold).await
        {
            Err(TrainError::Device(why)) if compute == nn::Compute::Gpu => {
                notes.push(format!(
                    "Cross-validation went on on the CPU: the GPU failed ({why})."
                ));
                nn::cross_validate_net(prepared, folds, nn::Compute::Cpu, &mut on_fold).await?
            }
            other => other?,
        },
        None => cross_validate(prepared, folds, &mut on_fold)?,
    };
    let (mean, std) = scores.mean_std();
    Ok(Some(CrossValidation {
        metric: scores.metric.to_string(),
        folds: scores.headline(),
        mean,
        std,
        summary: scores
            .summary()
            .into_iter()
            .map(|(k, (mean, std))| (k, MeanStd { mean, std }))
            .collect(),
    }))
}

fn predicted(
    job_id: u64,
    result: Result<Vec<Prediction>, kiln_protocol::worker::JobError>,
) -> WorkerEvent {
    match result {
        Ok(predictions) => WorkerEvent::Predicted {
            job_id,
            predictions,
        },
        Err(error) => WorkerEvent::Failed { job_id, error },
    }
}

fn prediction(p: kiln_engine::artifact::Prediction) -> Prediction {
    Prediction {
        label: p.label,
        value: p.value,
        probabilities: p.probabilities,
        components: p.components,
    }
}

fn predict_image(
    artifact: serde_json::Value,
    rgba: &[u8],
) -> Result<Prediction, kiln_protocol::worker::JobError> {
    let artifact = Artifact::from_value(artifact).map_err(|e| convert::error("artifact", e))?;
    artifact
        .predict_rgba(rgba)
        .map(prediction)
        .map_err(|e| convert::error("input", e))
}

fn predict(
    artifact: serde_json::Value,
    rows: &[BTreeMap<String, String>],
) -> Result<Vec<Prediction>, kiln_protocol::worker::JobError> {
    let artifact = Artifact::from_value(artifact).map_err(|e| convert::error("artifact", e))?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            artifact
                .predict(|c| row.get(c).cloned())
                .map(prediction)
                .map_err(|e| convert::error("input", format!("row {}: {e}", i + 1)))
        })
        .collect()
}
