//! Files a person picks in the studio: the one chosen in a file input, and its text.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The file chosen in a file input's `change` event. The input is cleared, so choosing the
/// same file again fires another change.
pub fn picked(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    let input = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())?;
    let file = input.files().and_then(|f| f.get(0));
    input.set_value("");
    file
}

/// A file's text, or a sentence naming the file that could not be read.
pub async fn text(file: &web_sys::File) -> Result<String, String> {
    JsFuture::from(file.text())
        .await
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(|| format!("Cannot read {}.", file.name()))
}
