//! The PostgreSQL tables: the same as SQLite's at schema version 3, with PostgreSQL's types.

/// Creates whatever is missing; safe to run on every start.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kiln_schema (version BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label         TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_id);
CREATE TABLE IF NOT EXISTS projects (
    owner_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    revision      BIGINT NOT NULL,
    etag          TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (owner_id, id)
);
CREATE INDEX IF NOT EXISTS projects_owner ON projects(owner_id, updated_at_ms DESC);
CREATE TABLE IF NOT EXISTS models (
    owner_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    public        BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (owner_id, name)
);
CREATE TABLE IF NOT EXISTS model_versions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    version       BIGINT NOT NULL,
    stage         TEXT NOT NULL DEFAULT 'none',
    public_id     TEXT NOT NULL UNIQUE,
    artifact      TEXT NOT NULL,
    project_id    TEXT,
    run_id        TEXT,
    created_at_ms BIGINT NOT NULL,
    metrics       TEXT NOT NULL DEFAULT '{}',
    data_hash     TEXT NOT NULL DEFAULT '',
    family        TEXT NOT NULL DEFAULT '',
    training_rows BIGINT NOT NULL DEFAULT 0,
    UNIQUE (owner_id, name, version)
);
CREATE TABLE IF NOT EXISTS stage_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    version       BIGINT NOT NULL,
    from_stage    TEXT NOT NULL,
    to_stage      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    by_user       TEXT NOT NULL,
    rollback      BOOLEAN NOT NULL,
    at_ms         BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS stage_events_model ON stage_events(owner_id, name, id);
CREATE TABLE IF NOT EXISTS shares (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id      BIGINT NOT NULL,
    project_id    TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    FOREIGN KEY (owner_id, project_id) REFERENCES projects(owner_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS shares_project ON shares(owner_id, project_id);
";
