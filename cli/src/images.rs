//! `kiln train --images DIR --model cnn`: reads one folder per class, decodes PNG and JPEG
//! files with the `image` crate, resizes them to the network's square size, and trains the
//! convolutional network like any other run (holdout scores, baseline, artifact, JSON report).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use kiln_engine::artifact::{Artifact, Prediction};
use kiln_engine::fit::{FamilyParams, finish};
use kiln_engine::images::ImageSet;
use kiln_engine::models::cnn::ImageShape;
use kiln_engine::train::{Family, Task, TrainConfig};

use crate::report;
use crate::train::{TrainArgs, cross_validate_network, read_params, train_mlp};

const EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "bmp"];

/// Decodes one file into `[channels, size, size]` values from 0 to 1.
pub fn load(path: &Path, shape: ImageShape) -> anyhow::Result<Vec<f32>> {
    let image = image::ImageReader::open(path)
        .with_context(|| format!("cannot open {}", path.display()))?
        .with_guessed_format()
        .with_context(|| format!("cannot read {}", path.display()))?
        .decode()
        .with_context(|| format!("{} is not an image Kiln can read", path.display()))?;
    let size = shape.size as u32;
    let rgba = image::imageops::resize(
        &image.to_rgba8(),
        size,
        size,
        image::imageops::FilterType::Triangle,
    );
    shape
        .values_from_rgba(rgba.as_raw())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// Every image under `dir`, labelled with the name of the folder it is in.
pub fn load_dir(dir: &Path, shape: ImageShape) -> anyhow::Result<ImageSet> {
    let mut set = ImageSet::new(shape);
    for class_dir in sorted_entries(dir)?.into_iter().filter(|p| p.is_dir()) {
        let class = class_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for file in sorted_entries(&class_dir)?
            .into_iter()
            .filter(|p| is_image(p))
        {
            set.push(&class, &load(&file, shape)?)?;
        }
    }
    if set.is_empty() {
        bail!(
            "{} holds no images: put PNG or JPEG files in one folder per class (e.g. {}/cat/1.png)",
            dir.display(),
            dir.display()
        );
    }
    Ok(set)
}

/// Every image file at `path` (one file, or a folder searched through, in name order).
fn image_files(path: &Path, found: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if path.is_dir() {
        for entry in sorted_entries(path)? {
            image_files(&entry, found)?;
        }
    } else if is_image(path) {
        found.push(path.to_path_buf());
    }
    Ok(())
}

/// Classifies the images at `path` with an image model.
pub fn predict(
    artifact: &Artifact,
    shape: ImageShape,
    path: &Path,
) -> anyhow::Result<Vec<(String, Prediction)>> {
    if !path.exists() {
        bail!("{} does not exist", path.display());
    }
    let mut files = Vec::new();
    image_files(path, &mut files)?;
    if files.is_empty() {
        bail!("{} holds no PNG or JPEG images", path.display());
    }
    files
        .into_iter()
        .map(|file| {
            let values: Vec<f64> = load(&file, shape)?.into_iter().map(f64::from).collect();
            let p = artifact
                .predict_values(&values)
                .map_err(|e| anyhow::anyhow!("cannot classify {}: {e}", file.display()))?;
            Ok((file.display().to_string(), p))
        })
        .collect()
}

pub fn train(args: &TrainArgs, dir: &Path) -> anyhow::Result<()> {
    let family = Family::parse(&args.model);
    if family != Some(Family::Cnn) {
        bail!(
            "--images trains a convolutional network: use --model cnn (got \"{}\")",
            args.model
        );
    }
    let mut config = TrainConfig::new(Task::Classification, "class", Family::Cnn);
    config.seed = args.seed;
    config.holdout = args.test_size;
    config.epochs = args.epochs;
    config.params = read_params(&args.params)?;
    let FamilyParams::Cnn(params) = FamilyParams::read(&config)? else {
        bail!("the network's settings could not be read");
    };
    let started = Instant::now();
    let set = load_dir(dir, params.shape)?;
    let load_seconds = started.elapsed().as_secs_f64();
    let prepared = set
        .prepare(&config)
        .with_context(|| format!("cannot train on {}", dir.display()))?;
    let started = Instant::now();
    let (model, curve, history, device) = train_mlp(&prepared, args.device)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let outcome = finish(&prepared, model, curve);
    let cv = match args.cv {
        None | Some(0 | 1) => None,
        Some(k) => Some(cross_validate_network(&prepared, k as usize, args.device)?),
    };
    if let Some(out) = &args.out {
        std::fs::write(out, outcome.artifact.encode()?)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    let timing = report::Timing {
        fit_seconds,
        predict_seconds: 0.0,
    };
    if args.json {
        let mut json = report::json(&prepared, &outcome, cv.as_ref(), timing);
        json["device"] = serde_json::json!(device);
        json["history"] = serde_json::to_value(&history)?;
        json["images"] = serde_json::json!({
            "count": set.len(),
            "size": params.shape.size,
            "channels": params.shape.channels,
            "load_seconds": load_seconds,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!(
            "{} images of {}x{} pixels ({} channel(s)) read in {load_seconds:.2} s",
            set.len(),
            params.shape.size,
            params.shape.size,
            params.shape.channels
        );
        report::print(&prepared, &outcome, cv.as_ref(), timing);
        report::print_history(&history, &device);
    }
    Ok(())
}
