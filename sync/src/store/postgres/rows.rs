//! Rows of the PostgreSQL store back to records.

use kiln_protocol::sync::{StageEvent, VersionLineage};
use postgres::{GenericClient, Row};

use super::pg;
use crate::store::{
    ModelRecord, ProjectRecord, StoreResult, VersionRecord, parse_stage, version_number,
};

pub(super) fn project_row(row: &Row) -> ProjectRecord {
    ProjectRecord {
        id: row.get(0),
        name: row.get(1),
        etag: row.get(2),
        updated_at_ms: row.get(3),
        body: row.get(4),
    }
}

fn version_row(row: &Row) -> StoreResult<VersionRecord> {
    let metrics: String = row.get(4);
    Ok(VersionRecord {
        version: version_number(row.get(0))?,
        stage: parse_stage(row.get(1))?,
        public_id: row.get(2),
        created_at_ms: row.get(3),
        metrics: serde_json::from_str(&metrics)?,
        lineage: VersionLineage {
            project_id: row.get(5),
            run_id: row.get(6),
            data_hash: row.get(7),
            family: row.get(8),
            training_rows: u64::try_from(row.get::<_, i64>(9)).unwrap_or(0),
        },
    })
}

pub(super) fn load_model(
    client: &mut impl GenericClient,
    owner: i64,
    name: &str,
    lock: bool,
) -> StoreResult<Option<ModelRecord>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let Some(row) = client
        .query_opt(
            &format!("SELECT public FROM models WHERE owner_id = $1 AND name = $2{lock}"),
            &[&owner, &name],
        )
        .map_err(pg)?
    else {
        return Ok(None);
    };
    let versions = client
        .query(
            "SELECT version, stage, public_id, created_at_ms, metrics, project_id, run_id,
                    data_hash, family, training_rows
             FROM model_versions WHERE owner_id = $1 AND name = $2 ORDER BY version",
            &[&owner, &name],
        )
        .map_err(pg)?
        .iter()
        .map(version_row)
        .collect::<StoreResult<Vec<_>>>()?;
    let history = client
        .query(
            "SELECT version, from_stage, to_stage, reason, by_user, rollback, at_ms
             FROM stage_events WHERE owner_id = $1 AND name = $2 ORDER BY id DESC",
            &[&owner, &name],
        )
        .map_err(pg)?
        .iter()
        .map(|r| {
            Ok(StageEvent {
                version: version_number(r.get(0))?,
                from: parse_stage(r.get(1))?,
                to: parse_stage(r.get(2))?,
                reason: r.get(3),
                by: r.get(4),
                rollback: r.get(5),
                at_ms: r.get(6),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(ModelRecord {
        name: name.to_owned(),
        public: row.get(0),
        versions,
        history,
    }))
}
