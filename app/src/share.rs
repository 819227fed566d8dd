//! Share links: the whole project, deflated and base64url-encoded, in the URL fragment
//! (`#share=...`). A fragment never reaches a server, so the data stays with the people who
//! hold the link.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kiln_protocol::project::Project;

pub const PREFIX: &str = "share=";
/// Longest fragment offered as a link; browsers and chat apps cut longer URLs.
pub const MAX_LINK_BYTES: usize = 1_500_000;
/// Decompressed size limit, so a hostile link cannot exhaust memory.
const MAX_PROJECT_BYTES: usize = 64 * 1024 * 1024;

pub fn encode(project: &Project) -> Result<String, String> {
    let json = serde_json::to_vec(project).map_err(|e| e.to_string())?;
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(packed)))
}

/// Reads a fragment (without the `#`); `None` when it is not a share link.
pub fn decode(fragment: &str) -> Option<Result<Project, String>> {
    let payload = fragment.strip_prefix(PREFIX)?;
    Some(decode_payload(payload))
}

fn decode_payload(payload: &str) -> Result<Project, String> {
    let packed = URL_SAFE_NO_PAD.decode(payload.trim()).map_err(|_| {
        "the share link is damaged (not valid base64); ask for it again".to_string()
    })?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_PROJECT_BYTES)
        .map_err(|_| {
            "the share link is damaged (cannot decompress); ask for it again".to_string()
        })?;
    serde_json::from_slice(&json)
        .map_err(|e| format!("the share link does not hold a Kiln project: {e}"))
}
