//! Shipping jobs: batch scoring a file chunk by chunk (the page spreads the chunks over the
//! pool) and exporting a model as ONNX.

use std::cell::RefCell;
use std::rc::Rc;

use kiln_engine::artifact::Artifact;
use kiln_protocol::worker::{JobError, WorkerEvent};

use crate::convert;

/// A linear model or MLP as ONNX.
pub fn export_onnx(job_id: u64, artifact: serde_json::Value) -> WorkerEvent {
    let result = Artifact::from_value(artifact)
        .map_err(|e| convert::error("artifact", e))
        .and_then(|a| {
            let bytes = kiln_engine::onnx::export(&a).map_err(|e| convert::error("export", e))?;
            Ok((bytes, a.recipe.features))
        });
    match result {
        Ok((bytes, features)) => WorkerEvent::ExportedOnnx {
            job_id,
            bytes,
            features,
        },
        Err(error) => WorkerEvent::Failed { job_id, error },
    }
}

/// Where a batch-scoring file is cut, and the header its scored copy gets. The file comes in
/// `pieces`, read one after another; only those up to the end of the header line are kept.
pub fn plan_chunks(
    job_id: u64,
    artifact: serde_json::Value,
    pieces: impl IntoIterator<Item = Result<Vec<u8>, String>>,
    delimiter: u8,
    rows: usize,
) -> WorkerEvent {
    use kiln_engine::batch;
    let result = Artifact::from_value(artifact)
        .map_err(|e| convert::error("artifact", e))
        .and_then(|a| {
            let mut cutter = batch::Cutter::new(rows, delimiter);
            // The file's start, kept only until its header line is whole.
            let mut head = Vec::new();
            let mut head_whole = false;
            for piece in pieces {
                let piece = piece.map_err(|e| convert::error("input", e))?;
                cutter.feed(&piece);
                if !head_whole {
                    head.extend_from_slice(&piece);
                    head_whole = cutter.header_end().is_some();
                }
            }
            let columns =
                batch::header(&head, delimiter).map_err(|e| convert::error("input", e))?;
            let outputs = batch::output_columns(&a, &columns);
            let header = batch::header_line(columns.iter().chain(&outputs), delimiter)
                .map_err(|e| convert::error("input", e))?;
            Ok((columns, header, cutter.finish()))
        });
    match result {
        Ok((columns, header, chunks)) => WorkerEvent::ChunksPlanned {
            job_id,
            columns,
            header,
            starts: chunks.starts,
            rows: chunks.rows,
        },
        Err(error) => WorkerEvent::Failed { job_id, error },
    }
}

thread_local! {
    /// The model this worker last scored a chunk with, by its artifact's text: a file's
    /// chunks all name one model, and decoding it (hundreds of kilobytes of JSON for a
    /// boosted model) for each would cost a good part of scoring the chunk.
    static MODEL: RefCell<Option<(String, Rc<Artifact>)>> = const { RefCell::new(None) };
}

/// The artifact whose JSON text is `text`, decoded once per model.
fn model(text: String) -> Result<Rc<Artifact>, JobError> {
    if let Some(known) = MODEL.with_borrow(|m| {
        m.as_ref()
            .filter(|(t, _)| *t == text)
            .map(|(_, a)| a.clone())
    }) {
        return Ok(known);
    }
    // Read as the plan read it (`from_value`): the studio's own artifacts, at any size.
    let artifact = serde_json::from_str(&text)
        .map_err(|e| convert::error("artifact", e))
        .and_then(|v| Artifact::from_value(v).map_err(|e| convert::error("artifact", e)))?;
    let artifact = Rc::new(artifact);
    MODEL.set(Some((text, artifact.clone())));
    Ok(artifact)
}

/// One chunk of a batch-scoring file (the page cuts the file and spreads its chunks over the
/// pool's workers).
pub fn score_chunk(
    job_id: u64,
    artifact: String,
    columns: &[String],
    delimiter: u8,
    chunk: &[u8],
    first_row: usize,
) -> WorkerEvent {
    let result = model(artifact).and_then(|a| {
        kiln_engine::batch::score_chunk(&a, columns, chunk, delimiter, first_row)
            .map_err(|e| convert::error("input", e))
    });
    match result {
        Ok(s) => WorkerEvent::ScoredChunk {
            job_id,
            csv: s.csv.into_bytes(),
            rows: s.rows,
            failed: s.failed,
            errors: s.errors,
        },
        Err(error) => WorkerEvent::Failed { job_id, error },
    }
}
