//! Retraining behind the gate: the production run's spec fitted on a batch (alone or after the
//! project's data), then scored beside production on held-out rows of the batch
//! (`kiln_engine::retrain`). The candidate comes back as an ordinary run with the report.

use kiln_engine::artifact::Artifact;
use kiln_engine::retrain::{self, Source};
use kiln_engine::train::TrainError;
use kiln_protocol::monitor::Gate;
use kiln_protocol::project::TrainSpec;
use kiln_protocol::worker::WorkerEvent;
use web_time::Instant;

use crate::convert;
use crate::jobs::{Gpu, fit_prepared, preparing, record};
use crate::nn_jobs::Host;

#[allow(clippy::too_many_arguments)]
pub async fn retrain(
    job_id: u64,
    production: serde_json::Value,
    spec: &TrainSpec,
    base: Option<(&str, &str)>,
    batch: (&str, &str),
    gate: &Gate,
    gpu: &Gpu,
    host: &Host<'_>,
) -> WorkerEvent {
    let failed = |error| WorkerEvent::Failed { job_id, error };
    let production = match Artifact::from_value(production) {
        Ok(a) => a,
        Err(e) => return failed(convert::error("artifact", e)),
    };
    let started = Instant::now();
    let result = async {
        preparing(job_id, host);
        let source = |(file_name, text)| Source { file_name, text };
        let config = convert::config(spec);
        let (prepared, batch_rows) = retrain::prepare(&config, base.map(source), source(batch))?;
        let ran = fit_prepared(job_id, prepared, spec, gpu, host).await?;
        let report = retrain::compare(
            &production,
            &ran.outcome.artifact,
            &ran.prepared,
            gate,
            batch_rows,
        )?;
        let mut run = record(job_id, spec, started, ran)?;
        run.notes.insert(
            0,
            match base {
                Some((name, _)) => format!(
                    "Retrained on {name} and {} ({} + {} rows); compared with production on {} held-out rows of {}.",
                    batch.0, report.base_rows, report.batch_train_rows, report.held_out, batch.0
                ),
                None => format!(
                    "Retrained on {} ({} rows); compared with production on {} held-out rows of it.",
                    batch.0, report.batch_train_rows, report.held_out
                ),
            },
        );
        Ok::<_, TrainError>((run, report))
    }
    .await;
    match result {
        Ok((run, report)) => WorkerEvent::Retrained {
            job_id,
            run: Box::new(run),
            report: Box::new(report),
        },
        Err(e) => failed(convert::train_error(&e)),
    }
}
