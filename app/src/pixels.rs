//! Images decoded and resized by the browser on the page (`createImageBitmap`,
//! `OffscreenCanvas`): the same steps the engine worker takes with the training images, so a
//! picture tried on Evaluate is seen exactly as the network saw its training pictures.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ImageBitmap, ImageBitmapOptions, OffscreenCanvas, ResizeQuality};

fn text(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

fn canvas(
    width: u32,
    height: u32,
) -> Result<(OffscreenCanvas, web_sys::OffscreenCanvasRenderingContext2d), String> {
    let canvas = OffscreenCanvas::new(width, height).map_err(text)?;
    let context = canvas
        .get_context("2d")
        .map_err(text)?
        .ok_or("this browser has no 2D canvas")?
        .unchecked_into();
    Ok((canvas, context))
}

/// A picture file resized to `size`×`size`, as RGBA bytes row by row.
pub async fn rgba(blob: &web_sys::Blob, size: u32) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let options = ImageBitmapOptions::new();
    options.set_resize_width(size);
    options.set_resize_height(size);
    options.set_resize_quality(ResizeQuality::High);
    let promise = window
        .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)
        .map_err(text)?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| "the browser cannot decode it as an image".to_string())?
        .unchecked_into();
    let (_canvas, context) = canvas(size, size)?;
    context
        .draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)
        .map_err(text)?;
    bitmap.close();
    let data = context
        .get_image_data(0.0, 0.0, f64::from(size), f64::from(size))
        .map_err(text)?;
    Ok(data.data().0)
}

/// The video's current frame at its own size, as a JPEG file (a webcam capture).
pub async fn snapshot(video: &web_sys::HtmlVideoElement) -> Result<web_sys::Blob, String> {
    let (width, height) = (video.video_width(), video.video_height());
    if width == 0 || height == 0 {
        return Err("the camera has not shown a picture yet".into());
    }
    let (canvas, context) = canvas(width, height)?;
    context
        .draw_image_with_html_video_element(video, 0.0, 0.0)
        .map_err(text)?;
    let options = web_sys::ImageEncodeOptions::new();
    options.set_type("image/jpeg");
    options.set_quality(0.92);
    let promise = canvas
        .convert_to_blob_with_options(&options)
        .map_err(text)?;
    JsFuture::from(promise)
        .await
        .map(|blob| blob.unchecked_into())
        .map_err(|e| format!("cannot capture the frame: {}", text(e)))
}
