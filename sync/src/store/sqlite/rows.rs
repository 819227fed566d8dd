//! Rows of the SQLite store back to records.

use kiln_protocol::sync::{Stage, StageEvent, VersionLineage};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::store::{
    ModelRecord, ProjectRecord, StoreResult, VersionRecord, parse_stage, version_number,
};

pub(super) fn project_row(row: &Row<'_>) -> rusqlite::Result<ProjectRecord> {
    Ok(ProjectRecord {
        id: row.get(0)?,
        name: row.get(1)?,
        etag: row.get(2)?,
        updated_at_ms: row.get(3)?,
        body: row.get(4)?,
    })
}

const VERSION_COLUMNS: &str = "version, stage, public_id, created_at_ms, metrics, project_id, \
                               run_id, data_hash, family, training_rows";

fn version_row(row: &Row<'_>) -> rusqlite::Result<(i64, String, VersionRecord, String)> {
    let record = VersionRecord {
        version: 0,
        stage: Stage::None,
        public_id: row.get(2)?,
        created_at_ms: row.get(3)?,
        metrics: Default::default(),
        lineage: VersionLineage {
            project_id: row.get(5)?,
            run_id: row.get(6)?,
            data_hash: row.get(7)?,
            family: row.get(8)?,
            training_rows: u64::try_from(row.get::<_, i64>(9)?).unwrap_or(0),
        },
    };
    Ok((row.get(0)?, row.get(1)?, record, row.get(4)?))
}

fn finish_version(raw: (i64, String, VersionRecord, String)) -> StoreResult<VersionRecord> {
    let (version, stage, mut record, metrics) = raw;
    record.version = version_number(version)?;
    record.stage = parse_stage(&stage)?;
    record.metrics = serde_json::from_str(&metrics)?;
    Ok(record)
}

pub(super) fn load_model(
    conn: &Connection,
    owner: i64,
    name: &str,
) -> StoreResult<Option<ModelRecord>> {
    let public: Option<bool> = conn
        .query_row(
            "SELECT public FROM models WHERE owner_id = ?1 AND name = ?2",
            params![owner, name],
            |row| row.get(0),
        )
        .optional()?;
    let Some(public) = public else {
        return Ok(None);
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT {VERSION_COLUMNS} FROM model_versions WHERE owner_id = ?1 AND name = ?2
         ORDER BY version"
    ))?;
    let versions = stmt
        .query_map(params![owner, name], version_row)?
        .map(|raw| finish_version(raw?))
        .collect::<StoreResult<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT version, from_stage, to_stage, reason, by_user, rollback, at_ms FROM stage_events
         WHERE owner_id = ?1 AND name = ?2 ORDER BY id DESC",
    )?;
    let history = stmt
        .query_map(params![owner, name], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, bool>(5)?,
                row.get::<_, i64>(6)?,
            ))
        })?
        .map(|raw| {
            let (version, from, to, reason, by, rollback, at_ms) = raw?;
            Ok(StageEvent {
                version: version_number(version)?,
                from: parse_stage(&from)?,
                to: parse_stage(&to)?,
                reason,
                by,
                rollback,
                at_ms,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Some(ModelRecord {
        name: name.to_owned(),
        public,
        versions,
        history,
    }))
}
