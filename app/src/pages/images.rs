//! Images for an image classifier: image files added to a named class, a whole folder or a zip
//! archive (where subfolders name the classes), or pictures taken with the webcam. They go
//! straight into the browser database, each batch in one transaction; the project keeps only
//! the count per class. The engine worker reads and decodes them when the convolutional
//! network trains.

use std::collections::BTreeMap;
use std::io::Read;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::state::{Studio, use_studio};
use crate::store::{self, NewImage};

/// Image types by file extension (entries of a zip archive carry no type of their own).
const TYPES: [(&str, &str); 6] = [
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("bmp", "image/bmp"),
];

fn image_type(name: &str) -> Option<&'static str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    if base.starts_with('.') {
        return None; // hidden files, such as the `._x.png` resource forks of macOS archives
    }
    let extension = base.rsplit_once('.')?.1.to_ascii_lowercase();
    TYPES
        .iter()
        .find(|(e, _)| *e == extension)
        .map(|(_, mime)| *mime)
}

/// The class of an image at `path` (`/`-separated, inside a chosen folder or a zip): the
/// folder that holds it; an image at the top goes to the typed class or, with none typed, to
/// the folder's or the archive's own name.
fn class_for(path: &str, typed: &str, container: &str) -> String {
    let parent = path
        .rsplit_once('/')
        .and_then(|(dir, _)| dir.rsplit('/').next())
        .filter(|d| !d.is_empty());
    parent
        .or(Some(typed).filter(|t| !t.is_empty()))
        .unwrap_or(container)
        .to_string()
}

/// What was picked, as images bound for the database, and how many picked files were skipped
/// (not images).
type Gathered = (Vec<NewImage>, usize);

fn picked_files(input: &web_sys::HtmlInputElement) -> Vec<web_sys::File> {
    let Some(list) = input.files() else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Plain files: all of them go to the typed class.
fn from_files(files: Vec<web_sys::File>, typed: &str) -> Gathered {
    let total = files.len();
    let images: Vec<NewImage> = files
        .into_iter()
        .filter(|f| f.type_().starts_with("image/") || image_type(&f.name()).is_some())
        .map(|f| NewImage {
            class: typed.to_string(),
            name: f.name(),
            blob: f.into(),
        })
        .collect();
    let skipped = total - images.len();
    (images, skipped)
}

/// A chosen folder: each file's path below it decides its class.
fn from_folder(files: Vec<web_sys::File>, typed: &str) -> Gathered {
    let total = files.len();
    let images: Vec<NewImage> = files
        .into_iter()
        .filter_map(|f| {
            let path = js_sys::Reflect::get(&f, &"webkitRelativePath".into())
                .ok()
                .and_then(|p| p.as_string())
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| f.name());
            image_type(&path)?;
            let (root, below) = path.split_once('/').unwrap_or(("", path.as_str()));
            Some(NewImage {
                class: class_for(below, typed, root),
                name: f.name(),
                blob: f.into(),
            })
        })
        .collect();
    let skipped = total - images.len();
    (images, skipped)
}

/// Waits `ms` milliseconds (0: lets the page draw between chunks of work).
pub(crate) async fn wait_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// The images inside a zip archive; entries in folders take the folder's name as their class.
async fn from_zip(file: &web_sys::File, typed: &str) -> Result<Gathered, String> {
    let name = file.name();
    let unreadable = |e: &dyn std::fmt::Display| format!("cannot read the zip \"{name}\": {e}");
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| unreadable(&format!("{e:?}")))?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let stem = name.strip_suffix(".zip").unwrap_or(&name).to_string();
    let (mut images, mut skipped) = (Vec::new(), 0);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| unreadable(&e))?;
        if entry.is_dir() {
            continue;
        }
        let path = entry.name().map_err(|e| unreadable(&e))?.to_string();
        let Some(mime) = image_type(&path).filter(|_| !path.starts_with("__MACOSX/")) else {
            skipped += 1;
            continue;
        };
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| unreadable(&format!("{path}: {e}")))?;
        let bag = web_sys::BlobPropertyBag::new();
        bag.set_type(mime);
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(data.as_slice()));
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &bag)
            .map_err(|e| unreadable(&format!("{e:?}")))?;
        images.push(NewImage {
            class: class_for(&path, typed, &stem),
            name: path.rsplit('/').next().unwrap_or(&path).to_string(),
            blob,
        });
        if i % 200 == 199 {
            wait_ms(0).await;
        }
    }
    Ok((images, skipped))
}

/// Stores `images` in the project and counts them per class; says what was added.
pub async fn save(studio: Studio, project: &str, (images, skipped): Gathered) {
    if images.is_empty() {
        studio.fail("None of the chosen files is an image (PNG, JPEG, GIF, WebP or BMP).");
        return;
    }
    if let Err(e) = store::add_images(project, &images).await {
        studio.fail(e);
        return;
    }
    let mut added: BTreeMap<String, usize> = BTreeMap::new();
    for image in &images {
        *added.entry(image.class.clone()).or_default() += 1;
    }
    studio.edit_project(project, |p| {
        for (class, n) in &added {
            *p.images.entry(class.clone()).or_default() += n;
        }
    });
    let per_class: Vec<String> = added.iter().map(|(c, n)| format!("\"{c}\" {n}")).collect();
    let mut text = format!("Added {} images: {}.", images.len(), per_class.join(", "));
    if skipped > 0 {
        text.push_str(&format!(" Skipped {skipped} files that are not images."));
    }
    studio.tell(text);
}

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Files,
    Folder,
    Zip,
}

#[component]
pub fn ImagesCard() -> impl IntoView {
    let studio = use_studio();
    let class = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let add = move |ev: leptos::ev::Event, source: Source| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let typed = class.get_untracked().trim().to_string();
        let files = picked_files(&input);
        input.set_value("");
        if source == Source::Files && typed.is_empty() {
            studio.fail("Name the class first (for example \"cat\"), then add its images.");
            return;
        }
        let Some(project) = studio.current.get_untracked() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let gathered = match source {
                Source::Files => Ok(from_files(files, &typed)),
                Source::Folder => Ok(from_folder(files, &typed)),
                Source::Zip => {
                    let mut all: Gathered = (Vec::new(), 0);
                    let mut result = Ok(());
                    for file in &files {
                        match from_zip(file, &typed).await {
                            Ok((images, skipped)) => {
                                all.0.extend(images);
                                all.1 += skipped;
                            }
                            Err(e) => {
                                result = Err(e);
                                break;
                            }
                        }
                    }
                    result.map(|()| all)
                }
            };
            match gathered {
                Ok(gathered) => save(studio, &project, gathered).await,
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
            <p class="hint">"For an image classifier: name a class, then add its pictures, or take them with the camera. In a folder or a zip, each subfolder is a class of its own. They stay in this browser."</p>
            <div class="row">
                <label>"Class "
                    <input data-testid="image-class" placeholder="e.g. cat"
                        prop:value=move || class.get()
                        on:input=move |ev| class.set(event_target_value(&ev)) />
                </label>
                <label class="button">"Add image files"
                    <input type="file" accept="image/*" multiple data-testid="image-files"
                        disabled=move || busy.get() on:change=move |ev| add(ev, Source::Files) style="display: none" />
                </label>
                <label class="button">"Add a folder"
                    <input type="file" multiple node_ref=folder data-testid="image-folder"
                        disabled=move || busy.get() on:change=move |ev| add(ev, Source::Folder) style="display: none" />
                </label>
                <label class="button">"Add a zip"
                    <input type="file" accept=".zip,application/zip" multiple data-testid="image-zip"
                        disabled=move || busy.get() on:change=move |ev| add(ev, Source::Zip) style="display: none" />
                </label>
            </div>
            <crate::pages::camera::Camera class=class />
            <ul data-testid="image-classes">
                {move || counts().into_iter().map(|(c, n)| view! {
                    <li data-testid="image-class-count" data-class=c.clone() data-count=n>{format!("{c}: {n} images")}</li>
                }).collect_view()}
            </ul>
        </div>
    }
}

/// A browser error's message (a `DOMException`'s, or the value itself).
pub(crate) fn describe(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| format!("{e:?}"))
}
