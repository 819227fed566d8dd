//! The hyperparameters of each model family as the studio's forms show them: name, default,
//! what it does, and the values a search tries unless the person says otherwise. The engine
//! checks every value (and a test there checks that these defaults are all accepted).

use crate::project::{ModelKind, Task};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    pub name: &'static str,
    /// The default, as text (what the engine uses when the field is left empty).
    pub default: &'static str,
    pub help: &'static str,
    /// Values a search tries by default (`3, 6, 12` or `0.01..1 log`); empty: not searched.
    pub search: &'static str,
}

const fn p(
    name: &'static str,
    default: &'static str,
    help: &'static str,
    search: &'static str,
) -> ParamSpec {
    ParamSpec {
        name,
        default,
        help,
        search,
    }
}

const RIDGE: &[ParamSpec] = &[p("alpha", "1", "L2 penalty (0 or more)", "0.01..100 log")];
const LASSO: &[ParamSpec] = &[
    p(
        "alpha",
        "1",
        "penalty strength (0 or more)",
        "0.001..10 log",
    ),
    p("l1_ratio", "1", "share of L1 in the penalty (0 to 1)", ""),
    p("max_iter", "1000", "coordinate-descent passes", ""),
    p("tol", "0.0001", "stopping tolerance", ""),
];
const ELASTIC_NET: &[ParamSpec] = &[
    p(
        "alpha",
        "1",
        "penalty strength (0 or more)",
        "0.001..10 log",
    ),
    p(
        "l1_ratio",
        "0.5",
        "share of L1 in the penalty (0 to 1)",
        "0.1, 0.5, 0.9",
    ),
    p("max_iter", "1000", "coordinate-descent passes", ""),
    p("tol", "0.0001", "stopping tolerance", ""),
];
const LOGISTIC: &[ParamSpec] = &[
    p("C", "1", "inverse L2 penalty (above 0)", "0.01..100 log"),
    p("max_iter", "100", "L-BFGS iterations", ""),
    p("tol", "0.0001", "stopping tolerance on the gradient", ""),
];
const TREE: &[ParamSpec] = &[
    p(
        "max_depth",
        "none",
        "deepest split level (1 to 100, or none)",
        "3, 5, 8, 12, none",
    ),
    p("min_samples_split", "2", "rows a node needs to split", ""),
    p("min_samples_leaf", "1", "rows every leaf keeps", "1, 5, 20"),
    p(
        "max_features",
        "all",
        "features tried per split: all, sqrt, log2 or a fraction",
        "",
    ),
    p(
        "criterion",
        "gini",
        "gini or entropy (classes); squared_error (values)",
        "",
    ),
    p(
        "max_bins",
        "255",
        "histogram bins per feature (2 to 255)",
        "",
    ),
    p(
        "min_impurity_decrease",
        "0",
        "smallest gain a split must bring",
        "",
    ),
];
const FOREST: &[ParamSpec] = &[
    p("n_estimators", "100", "trees (1 to 2000)", "50, 100, 200"),
    p(
        "max_features",
        "sqrt",
        "features tried per split (sqrt for classes, all for values)",
        "sqrt, 0.5, all",
    ),
    p(
        "max_depth",
        "none",
        "deepest split level (1 to 100, or none)",
        "8, 16, none",
    ),
    p("min_samples_leaf", "1", "rows every leaf keeps", "1, 3, 10"),
    p("min_samples_split", "2", "rows a node needs to split", ""),
    p(
        "bootstrap",
        "true",
        "sample rows with replacement for each tree",
        "",
    ),
    p(
        "max_samples",
        "1",
        "share of rows each tree sees (0 to 1)",
        "",
    ),
    p(
        "criterion",
        "gini",
        "gini or entropy (classes); squared_error (values)",
        "",
    ),
    p(
        "max_bins",
        "255",
        "histogram bins per feature (2 to 255)",
        "",
    ),
];
const GBDT: &[ParamSpec] = &[
    p(
        "learning_rate",
        "0.1",
        "shrinkage of each tree (above 0)",
        "0.03..0.3 log",
    ),
    p("max_iter", "100", "boosting rounds", "100, 200, 400"),
    p("max_leaf_nodes", "31", "leaves per tree", "15, 31, 63"),
    p("max_depth", "none", "deepest split level, or none", ""),
    p(
        "min_samples_leaf",
        "20",
        "rows every leaf keeps",
        "5, 20, 50",
    ),
    p(
        "l2_regularization",
        "0",
        "L2 penalty on leaf values",
        "0, 0.1, 1",
    ),
    p(
        "max_bins",
        "255",
        "histogram bins per feature (2 to 255)",
        "",
    ),
    p(
        "early_stopping",
        "auto",
        "auto (on above 10,000 rows), true or false",
        "",
    ),
    p(
        "validation_fraction",
        "0.1",
        "share of training rows watched for early stopping",
        "",
    ),
    p(
        "n_iter_no_change",
        "10",
        "rounds without improvement before stopping",
        "",
    ),
    p("tol", "0.0000001", "smallest improvement that counts", ""),
];
const KNN: &[ParamSpec] = &[
    p("n_neighbors", "5", "neighbours that vote", "1..30"),
    p(
        "weights",
        "uniform",
        "uniform or distance",
        "uniform, distance",
    ),
    p("metric", "euclidean", "euclidean or manhattan", ""),
];
const NAIVE_BAYES: &[ParamSpec] = &[
    p(
        "variant",
        "gaussian",
        "gaussian or categorical",
        "gaussian, categorical",
    ),
    p(
        "var_smoothing",
        "0.000000001",
        "variance added for stability (gaussian)",
        "",
    ),
    p("bins", "10", "bins per numeric feature (categorical)", ""),
    p("alpha", "1", "additive smoothing (categorical)", ""),
];
const KMEANS: &[ParamSpec] = &[
    p("n_clusters", "8", "clusters to find", "2..12"),
    p("n_init", "10", "restarts; the best is kept", ""),
    p("max_iter", "300", "iterations per restart", ""),
    p("tol", "0.0001", "stopping tolerance", ""),
];
const PCA: &[ParamSpec] = &[
    p(
        "n_components",
        "all",
        "components kept: a number, a variance share below 1, or all",
        "",
    ),
    p("whiten", "false", "scale components to unit variance", ""),
];
const MLP: &[ParamSpec] = &[
    p(
        "hidden",
        "64",
        "units per hidden layer, input side first: 64, or 128x64",
        "32, 64, 128x64",
    ),
    p(
        "activation",
        "relu",
        "relu, tanh, logistic or identity",
        "relu, tanh",
    ),
    p(
        "dropout",
        "0",
        "share of hidden units dropped per step (0 to 0.9)",
        "",
    ),
    p(
        "batch_norm",
        "false",
        "batch normalisation after each hidden layer",
        "",
    ),
    p("optimizer", "adam", "adam, or sgd with momentum", ""),
    p("learning_rate", "0.001", "step size", "0.0003..0.03 log"),
    p("momentum", "0.9", "momentum of sgd", ""),
    p(
        "schedule",
        "constant",
        "learning rate over the epochs: constant, step (÷10 at 50 % and 75 %) or cosine",
        "",
    ),
    p(
        "batch_size",
        "auto",
        "rows per step; auto is min(200, rows)",
        "",
    ),
    p("epochs", "200", "passes over the training rows", ""),
    p(
        "weight_decay",
        "0.0001",
        "added times each weight and bias to its gradient (unlike scikit-learn's alpha, not divided by the batch size)",
        "",
    ),
    p(
        "validation_fraction",
        "0.1",
        "share of the training rows kept aside to validate each epoch",
        "",
    ),
    p(
        "early_stopping",
        "true",
        "stop when the validation loss stops improving, keeping the best weights",
        "",
    ),
    p(
        "patience",
        "10",
        "epochs without improvement before stopping",
        "",
    ),
    p(
        "class_weight",
        "none",
        "none, or balanced for rare classes",
        "",
    ),
];

const CNN: &[ParamSpec] = &[
    p(
        "image_size",
        "32",
        "images are resized to this many pixels square",
        "",
    ),
    p("color", "rgb", "rgb, or gray for one channel", ""),
    p(
        "filters",
        "16x32",
        "filters per convolution block (3x3 convolution, then 2x2 max pooling)",
        "8x16, 16x32, 32x64",
    ),
    p(
        "hidden",
        "64",
        "units in the dense layers after the convolutions",
        "",
    ),
    p(
        "flip",
        "true",
        "augment: mirror images left to right at random",
        "",
    ),
    p(
        "shift",
        "2",
        "augment: move images by up to this many pixels",
        "",
    ),
    p(
        "dropout",
        "0.25",
        "share of dense units dropped per step",
        "",
    ),
    p(
        "batch_norm",
        "false",
        "batch normalisation after each convolution",
        "",
    ),
    p("optimizer", "adam", "adam, or sgd with momentum", ""),
    p("learning_rate", "0.001", "step size", "0.0003..0.01 log"),
    p("momentum", "0.9", "momentum of sgd", ""),
    p("schedule", "constant", "constant, step or cosine", ""),
    p("batch_size", "64", "images per step", ""),
    p("epochs", "30", "passes over the training images", ""),
    p(
        "weight_decay",
        "0.0001",
        "added times each weight and bias to its gradient (unlike scikit-learn's alpha, not divided by the batch size)",
        "",
    ),
    p(
        "validation_fraction",
        "0.1",
        "share of training images kept aside",
        "",
    ),
    p(
        "early_stopping",
        "true",
        "stop when the validation loss stops improving",
        "",
    ),
    p(
        "patience",
        "5",
        "epochs without improvement before stopping",
        "",
    ),
    p(
        "class_weight",
        "none",
        "none, or balanced for rare classes",
        "",
    ),
];

/// The hyperparameters of a family (for `linear`, those of the model the task uses).
pub fn params_of(kind: ModelKind, task: Task) -> &'static [ParamSpec] {
    match kind {
        ModelKind::Linear if task == Task::Classification => LOGISTIC,
        ModelKind::Linear => &[],
        ModelKind::Ridge => RIDGE,
        ModelKind::Lasso => LASSO,
        ModelKind::ElasticNet => ELASTIC_NET,
        ModelKind::Logistic => LOGISTIC,
        ModelKind::Tree => TREE,
        ModelKind::Forest => FOREST,
        ModelKind::Gbdt => GBDT,
        ModelKind::Knn => KNN,
        ModelKind::NaiveBayes => NAIVE_BAYES,
        ModelKind::KMeans => KMEANS,
        ModelKind::Pca => PCA,
        ModelKind::Mlp => MLP,
        ModelKind::Cnn => CNN,
    }
}

/// The default of a family's tree criterion depends on the task.
pub fn default_for(spec: &ParamSpec, task: Task) -> &'static str {
    match (spec.name, task) {
        ("criterion", Task::Regression) => "squared_error",
        ("max_features", Task::Regression) if spec.default == "sqrt" => "all",
        _ => spec.default,
    }
}
