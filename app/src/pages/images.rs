//! Images for an image classifier: pick a class name and add files (or a whole folder) to it.
//! The files go straight into the browser database, one class at a time in one transaction;
//! the project keeps only the count per class. The engine worker reads and decodes them when
//! the convolutional network trains.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::state::use_studio;
use crate::store;

fn image_files(input: &web_sys::HtmlInputElement) -> Vec<web_sys::File> {
    let Some(list) = input.files() else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .filter(|f| f.type_().starts_with("image/"))
        .collect()
}

#[component]
pub fn ImagesCard() -> impl IntoView {
    let studio = use_studio();
    let class = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let add = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let name = class.get_untracked().trim().to_string();
        let files = image_files(&input);
        input.set_value("");
        if name.is_empty() {
            studio.fail("Name the class first (for example \"cat\"), then add its images.");
            return;
        }
        if files.is_empty() {
            studio.fail("None of the chosen files is an image (PNG, JPEG, GIF, WebP or BMP).");
            return;
        }
        let Some(project) = studio.current.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match store::add_images(&project, &name, &files).await {
                Ok(()) => {
                    let n = files.len();
                    studio.edit_project(&project, |p| {
                        *p.images.entry(name.clone()).or_insert(0) += n;
                    });
                    studio.tell(format!("Added {n} images to \"{name}\"."));
                }
                Err(e) => studio.fail(e),
            }
            let _ = busy.try_set(false);
        });
    };
    // Folder picking has no attribute in the view macro's vocabulary; set it once mounted.
    let folder = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    let counts = move || studio.project().map(|p| p.images).unwrap_or_default();
    view! {
        <div class="card" data-testid="images-card">
            <h3>"Images"</h3>
            <p class="hint">"For an image classifier: name a class, then add its pictures (files or a whole folder). They stay in this browser."</p>
            <div class="row">
                <label>"Class "
                    <input data-testid="image-class" placeholder="e.g. cat"
                        prop:value=move || class.get()
                        on:input=move |ev| class.set(event_target_value(&ev)) />
                </label>
                <label class="button">"Add image files"
                    <input type="file" accept="image/*" multiple data-testid="image-files"
                        disabled=move || busy.get() on:change=add style="display: none" />
                </label>
                <label class="button">"Add a folder"
                    <input type="file" multiple node_ref=folder data-testid="image-folder"
                        disabled=move || busy.get() on:change=add style="display: none" />
                </label>
            </div>
            <ul data-testid="image-classes">
                {move || counts().into_iter().map(|(c, n)| view! {
                    <li data-testid="image-class-count" data-class=c.clone() data-count=n>{format!("{c}: {n} images")}</li>
                }).collect_view()}
            </ul>
        </div>
    }
}
