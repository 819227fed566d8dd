//! Pictures from the webcam for an image classifier: turn the camera on, then capture one frame
//! or a burst of them into the typed class. Frames are stored at the camera's own size as JPEG
//! files, like any added image; the camera is turned off when the card goes away.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::pages::images::{describe, save, wait_ms};
use crate::pixels;
use crate::state::use_studio;
use crate::store::NewImage;

/// Frames in a burst, and the pause between them.
const BURST: usize = 10;
const BURST_GAP_MS: i32 = 200;

async fn open_camera() -> Result<web_sys::MediaStream, String> {
    let devices = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .media_devices()
        .map_err(|_| "this browser gives no access to a camera here".to_string())?;
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video_bool(true);
    constraints.set_audio_bool(false);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| describe(&e))?;
    JsFuture::from(promise)
        .await
        .map(|stream| stream.unchecked_into())
        .map_err(|e| format!("the camera could not be opened: {}", describe(&e)))
}

fn stop(stream: &web_sys::MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

#[component]
pub fn Camera(class: RwSignal<String>) -> impl IntoView {
    let studio = use_studio();
    let stream = RwSignal::new_local(None::<web_sys::MediaStream>);
    let busy = RwSignal::new(false);
    let video = NodeRef::<leptos::html::Video>::new();
    let taken = RwSignal::new(0usize);
    let toggle = move |_| {
        if let Some(s) = stream.get_untracked() {
            stop(&s);
            stream.set(None);
            return;
        }
        spawn_local(async move {
            match open_camera().await {
                Ok(s) => {
                    if let Some(v) = video.get_untracked() {
                        v.set_src_object(Some(&s));
                        if let Ok(playing) = v.play() {
                            let _ = JsFuture::from(playing).await;
                        }
                    }
                    let _ = stream.try_set(Some(s));
                }
                Err(e) => studio.fail(e),
            }
        });
    };
    on_cleanup(move || {
        if let Some(s) = stream.try_get_untracked().flatten() {
            stop(&s);
        }
    });
    let capture = move |frames: usize| {
        let typed = class.get_untracked().trim().to_string();
        if typed.is_empty() {
            studio.fail("Name the class first (for example \"cat\"), then capture its pictures.");
            return;
        }
        let (Some(project), Some(v)) = (studio.current.get_untracked(), video.get_untracked())
        else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            let mut images = Vec::with_capacity(frames);
            for i in 0..frames {
                if i > 0 {
                    wait_ms(BURST_GAP_MS).await;
                }
                match pixels::snapshot(&v).await {
                    Ok(blob) => images.push(NewImage {
                        class: typed.clone(),
                        name: format!("camera-{}-{i}.jpg", js_sys::Date::now() as u64),
                        blob,
                    }),
                    Err(e) => {
                        studio.fail(e);
                        break;
                    }
                }
            }
            let n = images.len();
            if n > 0 {
                save(studio, &project, (images, 0)).await;
                let _ = taken.try_update(|t| *t += n);
            }
            let _ = busy.try_set(false);
        });
    };
    let on = move || stream.with(Option::is_some);
    view! {
        <div class="row" data-testid="camera">
            <button data-testid="camera-toggle" on:click=toggle>
                {move || if on() { "Turn the camera off" } else { "Use the camera" }}
            </button>
            <Show when=on>
                <button data-testid="camera-capture" disabled=move || busy.get() on:click=move |_| capture(1)>"Capture"</button>
                <button data-testid="camera-burst" disabled=move || busy.get()
                    title=format!("{BURST} pictures, {BURST_GAP_MS} ms apart")
                    on:click=move |_| capture(BURST)>{format!("Capture {BURST}")}</button>
                <span class="hint" data-testid="camera-taken">{move || format!("{} taken", taken.get())}</span>
            </Show>
            <video node_ref=video data-testid="camera-video" autoplay muted playsinline
                style=move || format!("max-width: 16rem; display: {}", if on() { "block" } else { "none" })></video>
        </div>
    }
}
