//! Fitting the chosen model family on a prepared run, scoring it on the held-out rows next to
//! a trivial baseline, and bundling the artifact. Neural networks fit in `nn` and finish here.

use std::ops::ControlFlow;

use kiln_protocol::evaluation::{Decomposition, Evaluation, Report};

use crate::artifact::{ARTIFACT_FORMAT, ARTIFACT_KIND, Artifact, Lineage};
use crate::drift::{Distribution, Reference, cluster_label};
use crate::evaluation;
use crate::model::{FittedModel, argmax};
use crate::models::linear::{LinearParams, fit_logistic, fit_regression};
use crate::models::params::Params;
use crate::models::{
    Matrix, Report as Progressing, Target, forest, gbdt, kmeans, knn, naive_bayes, pca, tree,
};
use crate::train::{Family, Labels, Prepared, Progress, Task, TrainConfig, TrainError};

/// The hyperparameters of a run, read and range-checked.
#[derive(Debug, Clone, PartialEq)]
pub enum FamilyParams {
    Linear(LinearParams),
    Tree(tree::TreeParams),
    Forest(forest::ForestParams),
    Gbdt(gbdt::GbdtParams),
    Knn(knn::KnnParams),
    NaiveBayes(naive_bayes::NaiveBayesParams),
    KMeans(kmeans::KMeansParams),
    Pca(pca::PcaParams),
    Mlp(MlpParams),
    Cnn(crate::models::cnn::CnnParams),
}

pub use crate::models::mlp::MlpParams;

impl FamilyParams {
    /// Reads the run's hyperparameters for its family, rejecting unknown names and values out
    /// of range before anything is fitted.
    pub fn read(config: &TrainConfig) -> Result<Self, TrainError> {
        let family = effective_family(config);
        let p = Params::new(family.name(), &config.params);
        let classification = config.task == Task::Classification;
        let read = match family {
            Family::Linear => FamilyParams::Linear(LinearParams::ols(&p)?),
            Family::Ridge => FamilyParams::Linear(LinearParams::ridge(&p)?),
            Family::Lasso => FamilyParams::Linear(LinearParams::elastic_net(&p, 1.0)?),
            Family::ElasticNet => FamilyParams::Linear(LinearParams::elastic_net(&p, 0.5)?),
            Family::Logistic => FamilyParams::Linear(LinearParams::logistic(&p)?),
            Family::Tree => FamilyParams::Tree(tree::TreeParams::from_params(&p, classification)?),
            Family::Forest => {
                FamilyParams::Forest(forest::ForestParams::from_params(&p, classification)?)
            }
            Family::Gbdt => FamilyParams::Gbdt(gbdt::GbdtParams::from_params(&p)?),
            Family::Knn => FamilyParams::Knn(knn::KnnParams::from_params(&p)?),
            Family::NaiveBayes => {
                FamilyParams::NaiveBayes(naive_bayes::NaiveBayesParams::from_params(&p)?)
            }
            Family::KMeans => FamilyParams::KMeans(kmeans::KMeansParams::from_params(&p)?),
            Family::Pca => FamilyParams::Pca(pca::PcaParams::from_params(&p)?),
            Family::Mlp => FamilyParams::Mlp(MlpParams::from_params(&p, config.epochs)?),
            Family::Cnn => FamilyParams::Cnn(crate::models::cnn::CnnParams::from_params(&p)?),
        };
        p.finish()?;
        Ok(read)
    }
}

/// The family actually fitted: `linear` on classes is logistic regression.
pub fn effective_family(config: &TrainConfig) -> Family {
    match (config.family, config.task) {
        (Family::Linear, Task::Classification) => Family::Logistic,
        (f, _) => f,
    }
}

/// What a model learns from, for some rows.
#[derive(Debug, Clone, PartialEq)]
pub enum FitTarget {
    Classes {
        y: Vec<usize>,
        n_classes: usize,
    },
    /// Standardised values, and the standard deviation they were divided by.
    Values {
        y: Vec<f64>,
        scale: f64,
    },
    None,
}

impl FitTarget {
    /// The target of the given labelled rows (regression values standardised by the labels'
    /// training mean and scale).
    pub fn of(labels: &Labels, rows: &[usize]) -> Self {
        match labels {
            Labels::Classes { all, names } => FitTarget::Classes {
                y: rows.iter().map(|&i| all[i]).collect(),
                n_classes: names.len(),
            },
            Labels::Values { all, mean, scale } => FitTarget::Values {
                y: rows.iter().map(|&i| (all[i] - mean) / scale).collect(),
                scale: *scale,
            },
            Labels::None => FitTarget::None,
        }
    }

    fn as_target(&self) -> Target<'_> {
        match self {
            FitTarget::Classes { y, n_classes } => Target::Classes {
                y,
                n_classes: *n_classes,
            },
            FitTarget::Values { y, .. } => Target::Values(y),
            FitTarget::None => Target::None,
        }
    }
}

/// Fits every family but the neural network. Returns the model and the loss curve (the losses
/// the learner reported, one per iteration where it has one).
pub fn fit_model(
    config: &TrainConfig,
    x: &Matrix,
    target: &FitTarget,
    report: Progressing,
) -> Result<(FittedModel, Vec<f64>), TrainError> {
    let params = FamilyParams::read(config)?;
    let mut curve = Vec::new();
    let mut watch = |p: Progress| {
        if let Some(loss) = p.loss {
            curve.push(loss);
        }
        report(p)
    };
    let seed = config.seed;
    let t = target.as_target();
    let model = match (&params, target) {
        (FamilyParams::Linear(p), FitTarget::Classes { y, n_classes }) => {
            fit_logistic(x, y, *n_classes, p, &mut watch)
                .map(|(layer, _)| FittedModel::Linear { layer })
        }
        (FamilyParams::Linear(p), FitTarget::Values { y, scale }) => {
            fit_regression(x, y, &p.for_scaled_target(*scale), &mut watch)
                .map(|(layer, _)| FittedModel::Linear { layer })
        }
        (FamilyParams::Tree(p), _) => tree::fit(x, t, p, seed, &mut watch).map(FittedModel::Tree),
        (FamilyParams::Forest(p), _) => {
            forest::fit(x, t, p, seed, &mut watch).map(FittedModel::Forest)
        }
        (FamilyParams::Gbdt(p), _) => gbdt::fit(x, &t, p, seed, &mut watch).map(FittedModel::Gbdt),
        (FamilyParams::Knn(p), _) => knn::fit(x, &t, p, seed, &mut watch).map(FittedModel::Knn),
        (FamilyParams::NaiveBayes(p), _) => {
            naive_bayes::fit(x, &t, p, seed, &mut watch).map(FittedModel::NaiveBayes)
        }
        (FamilyParams::KMeans(p), _) => {
            kmeans::fit(x, &t, p, seed, &mut watch).map(FittedModel::KMeans)
        }
        (FamilyParams::Pca(p), _) => pca::fit(x, &t, p, seed, &mut watch).map(FittedModel::Pca),
        (FamilyParams::Mlp(_) | FamilyParams::Cnn(_), _) => {
            return Err(TrainError::Config(
                "neural networks are trained by the nn module".into(),
            ));
        }
        (FamilyParams::Linear(_), FitTarget::None) => {
            return Err(TrainError::Config("linear models need a target".into()));
        }
    };
    let model = model.ok_or(TrainError::Cancelled)?;
    Ok((model, curve))
}

/// The result of a run: the artifact, the loss curve and the holdout evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub artifact: Artifact,
    pub loss_curve: Vec<f64>,
    pub evaluation: Report,
}

/// Fits the configured family on the training rows and finishes the run.
pub fn train(prepared: &Prepared, report: Progressing) -> Result<Outcome, TrainError> {
    let x = Matrix::new(&prepared.x_train, prepared.width());
    let target = FitTarget::of(&prepared.labels, &prepared.split.train);
    let (model, curve) = fit_model(&prepared.config, &x, &target, report)?;
    Ok(finish(prepared, model, curve))
}

/// The model's outputs for every row of `x`, row after row.
pub fn outputs(model: &FittedModel, x: &Matrix) -> Vec<Vec<f64>> {
    x.rows().map(|row| model.output(row)).collect()
}

/// Scores a model's outputs on some labelled rows (`rows` index the labels), next to the
/// trivial baseline fitted on `train_rows`.
pub fn evaluate(
    model: &FittedModel,
    labels: &Labels,
    train_rows: &[usize],
    rows: &[usize],
    x: &Matrix,
    seed: u64,
) -> Report {
    let out = outputs(model, x);
    match labels {
        Labels::Classes { all, names }
            if !matches!(model, FittedModel::KMeans(_) | FittedModel::Pca(_)) =>
        {
            let actual: Vec<usize> = rows.iter().map(|&i| all[i]).collect();
            let proba: Vec<f64> = out.into_iter().flatten().collect();
            let train: Vec<usize> = train_rows.iter().map(|&i| all[i]).collect();
            Report {
                model: Evaluation::Classification(evaluation::classification(
                    &actual, &proba, names,
                )),
                baseline: Some(Evaluation::Classification(evaluation::majority_baseline(
                    &train, &actual, names,
                ))),
            }
        }
        Labels::Values { all, mean, scale } => {
            let actual: Vec<f64> = rows.iter().map(|&i| all[i]).collect();
            let predicted: Vec<f64> = out
                .iter()
                .map(|o| o.first().copied().unwrap_or(f64::NAN) * scale + mean)
                .collect();
            let train: Vec<f64> = train_rows.iter().map(|&i| all[i]).collect();
            Report {
                model: Evaluation::Regression(evaluation::regression(&actual, &predicted)),
                baseline: Some(Evaluation::Regression(evaluation::mean_baseline(
                    &train, &actual,
                ))),
            }
        }
        _ => Report {
            model: unsupervised(model, labels, rows, x, &out, seed),
            baseline: None,
        },
    }
}

fn unsupervised(
    model: &FittedModel,
    labels: &Labels,
    rows: &[usize],
    x: &Matrix,
    out: &[Vec<f64>],
    seed: u64,
) -> Evaluation {
    match model {
        FittedModel::Pca(p) => {
            let ratio = p.explained_variance_ratio.clone();
            let cumulative = ratio
                .iter()
                .scan(0.0, |sum, r| {
                    *sum += r;
                    Some(*sum)
                })
                .collect();
            Evaluation::Decomposition(Decomposition {
                explained_variance_ratio: ratio,
                cumulative,
            })
        }
        _ => {
            let clusters: Vec<usize> = out
                .iter()
                .map(|o| o.first().copied().unwrap_or(0.0).max(0.0) as usize)
                .collect();
            let truth: Option<Vec<usize>> = match labels {
                Labels::Classes { all, .. } => Some(rows.iter().map(|&i| all[i]).collect()),
                _ => None,
            };
            let inertia = match model {
                FittedModel::KMeans(k) => Some(inertia_of(k, x)),
                _ => None,
            };
            Evaluation::Clustering(evaluation::clustering(
                x,
                &clusters,
                truth.as_deref(),
                inertia,
                seed,
            ))
        }
    }
}

/// Sum of squared distances of the rows to their nearest centroid.
fn inertia_of(model: &kmeans::KMeans, x: &Matrix) -> f64 {
    let width = model.width.max(1);
    x.rows()
        .map(|row| {
            let start = model.nearest(row) * width;
            model.centroids.get(start..start + width).map_or(0.0, |c| {
                row.iter()
                    .zip(c)
                    .filter(|(v, _)| v.is_finite())
                    .map(|(v, m)| (v - m) * (v - m))
                    .sum()
            })
        })
        .sum()
}

/// Scores the fitted model on the holdout and bundles the artifact.
pub fn finish(prepared: &Prepared, model: FittedModel, loss_curve: Vec<f64>) -> Outcome {
    let config = &prepared.config;
    let (classes, target_scale) = match &prepared.labels {
        Labels::Classes { names, .. } if config.task == Task::Classification => {
            (names.clone(), None)
        }
        Labels::Values { mean, scale, .. } => (Vec::new(), Some((*mean, *scale))),
        _ => (Vec::new(), None),
    };
    let x = Matrix::new(&prepared.x_holdout, prepared.width());
    let evaluation = evaluate(
        &model,
        &prepared.labels,
        &prepared.split.train,
        &prepared.split.holdout,
        &x,
        config.seed,
    );
    let image = match &model {
        FittedModel::Cnn(m) => Some(m.shape),
        _ => None,
    };
    let reference = image
        .is_none()
        .then(|| reference_of(prepared, &model, &classes));
    let artifact = Artifact {
        image,
        reference,
        format: ARTIFACT_FORMAT,
        kind: ARTIFACT_KIND.to_string(),
        task: config.task,
        target: config.target.clone(),
        recipe: prepared.recipe.clone(),
        model,
        classes,
        target_scale,
        scores: evaluation.model.scalars(),
        lineage: Lineage {
            data_hash: prepared.data_hash.clone(),
            training_rows: prepared.split.train.len(),
            seed: config.seed,
            family: effective_family(config).name().to_string(),
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            params: config.params.clone(),
        },
    };
    Outcome {
        artifact,
        loss_curve,
        evaluation,
    }
}

/// Rows of the training data the prediction reference is built from (predicting every row of a
/// large set with a big forest would cost more than the reference gains).
const PREDICTION_REFERENCE_ROWS: usize = 5_000;

/// The drift and explanation reference of a table model: its inputs on the training rows, its
/// prepared training matrix, and its predictions on (a sample of) those rows.
fn reference_of(prepared: &Prepared, model: &FittedModel, classes: &[String]) -> Reference {
    let config = &prepared.config;
    let frame_rows = prepared.frame_rows(&prepared.split.train);
    let inputs = prepared.recipe.input_columns(&prepared.frame, &frame_rows);
    let x = Matrix::new(&prepared.x_train, prepared.width());
    let step = x.len().div_ceil(PREDICTION_REFERENCE_ROWS).max(1);
    let sample = x.rows().step_by(step).map(|row| model.output(row));
    let prediction = match (config.task, model) {
        (Task::Classification, _) => {
            let labels: Vec<String> = sample
                .map(|o| classes.get(argmax(&o)).cloned().unwrap_or_default())
                .collect();
            Some(Distribution::categorical(labels.iter().map(String::as_str)))
        }
        (Task::Regression, _) => {
            let (mean, scale) = match &prepared.labels {
                Labels::Values { mean, scale, .. } => (*mean, *scale),
                _ => (0.0, 1.0),
            };
            let values: Vec<f64> = sample
                .filter_map(|o| o.first().map(|v| v * scale + mean))
                .filter(|v| v.is_finite())
                .collect();
            Distribution::numeric(&values)
        }
        (Task::Clustering, FittedModel::Pca(_)) => None,
        (Task::Clustering, _) => {
            let labels: Vec<String> = sample
                .map(|o| cluster_label(o.first().copied().unwrap_or(0.0)))
                .collect();
            Some(Distribution::categorical(labels.iter().map(String::as_str)))
        }
    };
    Reference::build(&inputs, &x, prediction, config.seed)
}

/// A progress callback that never stops the work.
pub fn no_stop(_: Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}
