//! Labelled images for the convolutional network, already decoded and resized by the caller
//! (the command line reads files; the studio decodes in its worker). A set becomes a prepared
//! run whose rows are images: each row is the image's values (`[channels, size, size]`, 0 to 1),
//! so splitting, scoring and the artifact work as for tables.

use crate::artifact::fingerprint_of;
use crate::data::Frame;
use crate::models::cnn::ImageShape;
use crate::recipe::FittedRecipe;
use crate::split;
use crate::train::{Labels, Prepared, Task, TrainConfig, TrainError};

/// Images with their class names, all of one shape.
#[derive(Debug, Clone)]
pub struct ImageSet {
    pub shape: ImageShape,
    /// One image after another, `shape.values()` each.
    pub values: Vec<f32>,
    pub labels: Vec<String>,
}

impl ImageSet {
    pub fn new(shape: ImageShape) -> Self {
        Self {
            shape,
            values: Vec::new(),
            labels: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Adds one image; `values` must have the set's shape.
    pub fn push(&mut self, label: &str, values: &[f32]) -> Result<(), TrainError> {
        if values.len() != self.shape.values() {
            return Err(TrainError::Config(format!(
                "an image of class \"{label}\" has {} values; {} were expected",
                values.len(),
                self.shape.values()
            )));
        }
        self.values.extend_from_slice(values);
        self.labels.push(label.to_string());
        Ok(())
    }

    /// A run over these images: classes, a stratified split and rows of image values.
    pub fn prepare(&self, config: &TrainConfig) -> Result<Prepared, TrainError> {
        if config.task != Task::Classification {
            return Err(TrainError::Config(
                "images train a classifier: use the classification task".into(),
            ));
        }
        let mut names: Vec<String> = self.labels.clone();
        names.sort();
        names.dedup();
        if names.len() < 2 {
            return Err(TrainError::Config(format!(
                "images of at least two classes are needed (found {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    format!("only \"{}\"", names[0])
                }
            )));
        }
        if self.len() < 4 {
            return Err(TrainError::TooFewRows { rows: self.len() });
        }
        let all: Vec<usize> = self
            .labels
            .iter()
            .map(|l| names.binary_search(l).unwrap_or(0))
            .collect();
        let split = split::stratified(&all, config.holdout, config.seed);
        if split.holdout.is_empty() || split.train.is_empty() {
            return Err(TrainError::NoHoldout);
        }
        let width = self.shape.values();
        let gather = |rows: &[usize]| -> Vec<f64> {
            rows.iter()
                .flat_map(|&r| &self.values[r * width..(r + 1) * width])
                .map(|&v| f64::from(v))
                .collect()
        };
        let recipe = FittedRecipe {
            inputs: Vec::new(),
            steps: Vec::new(),
            features: (0..width).map(|i| format!("pixel_{i}")).collect(),
            fills: vec![0.0; width],
            notes: Vec::new(),
            keep_missing: false,
        };
        let data_hash = fingerprint_of(
            self.labels
                .iter()
                .flat_map(|l| l.bytes().chain([0]))
                .chain(self.values.iter().flat_map(|v| v.to_le_bytes())),
        );
        Ok(Prepared {
            config: config.clone(),
            frame: Frame {
                columns: Vec::new(),
                rows: self.len(),
                format: "images".into(),
            },
            rows: (0..self.len()).collect(),
            labels: Labels::Classes { all, names },
            x_train: gather(&split.train),
            x_holdout: gather(&split.holdout),
            split,
            recipe,
            recipe_spec: Default::default(),
            data_hash,
        })
    }
}
