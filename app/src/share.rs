//! Share links: a project's recipe and models (and a small data sample if the person chooses)
//! compressed (zlib, whose checksum catches a link cut short or altered) and base64url-encoded
//! in the URL fragment (`#share=...`). A fragment never reaches a server, so the data stays
//! with the people who hold the link. Links made before the checksum (raw deflate) still open.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kiln_protocol::project::Project;

pub const PREFIX: &str = "share=";
/// Longest fragment offered as a link: Chromium, Firefox and Safari all open links this long,
/// while longer ones are cut by some browsers, mail clients and chat apps.
pub const MAX_LINK_CHARS: usize = 80_000;
/// Decompressed size limit, so a hostile link cannot exhaust memory.
const MAX_PROJECT_BYTES: usize = 64 * 1024 * 1024;
/// Rows a link's data sample has unless the person chooses otherwise.
pub const DEFAULT_SAMPLE_ROWS: usize = 200;

/// What a link carries of `project`: the recipe, the target and task, every registered model
/// version's run and the `selected` run (the latest one when none is registered or selected),
/// and no data (the caller adds a sample when the person asks for one).
pub fn for_link(project: &Project, selected: Option<&str>) -> Project {
    let mut kept: Vec<&str> = project
        .registry
        .iter()
        .flat_map(|m| m.versions.iter().map(|v| v.run_id.as_str()))
        .collect();
    let usable = |id: &str| {
        project
            .runs
            .iter()
            .any(|r| r.id == id && !r.artifact.is_null())
    };
    match selected.filter(|id| usable(id)) {
        Some(id) => kept.push(id),
        None if kept.is_empty() => {
            if let Some(last) = project.runs.iter().rev().find(|r| !r.artifact.is_null()) {
                kept.push(&last.id);
            }
        }
        None => {}
    }
    let mut out = project.clone();
    out.runs.retain(|r| kept.contains(&r.id.as_str()));
    out.dataset = None;
    out.images.clear();
    out
}

pub fn encode(project: &Project) -> Result<String, String> {
    let json = serde_json::to_vec(project).map_err(|e| e.to_string())?;
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&json, 9);
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(packed)))
}

/// Reads a fragment (without the `#`); `None` when it is not a share link.
pub fn decode(fragment: &str) -> Option<Result<Project, String>> {
    let payload = fragment.strip_prefix(PREFIX)?;
    Some(decode_payload(payload))
}

fn decode_payload(payload: &str) -> Result<Project, String> {
    let packed = URL_SAFE_NO_PAD.decode(payload.trim()).map_err(|_| {
        "This share link is damaged: it holds characters or a length no Kiln link has. Copy the whole link again, or ask its sender for it.".to_string()
    })?;
    let json = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&packed, MAX_PROJECT_BYTES)
        .or_else(|_| {
            miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_PROJECT_BYTES)
        })
        .map_err(|_| {
            "This share link is cut short or altered (its contents do not check out). Copy the whole link again, or ask its sender for it.".to_string()
        })?;
    serde_json::from_slice(&json).map_err(|e| {
        format!("This share link does not hold a Kiln project ({e}). Ask its sender for a new one.")
    })
}
