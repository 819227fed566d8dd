//! Explanations checked against the models themselves: contributions add up to each model's
//! own output (TreeSHAP on every tree family, exact linear, sampled for the rest), permutation
//! importance finds the informative columns of a synthetic table, partial dependence follows
//! a known effect, and what cannot be explained says why.
#![allow(clippy::unwrap_used)]

use kiln_engine::artifact::Artifact;
use kiln_engine::data::{ParseOptions, parse};
use kiln_engine::explain::importance::{Rows, global, partial_dependence};
use kiln_engine::explain::{ExplainError, contributions};
use kiln_engine::fit::{no_stop, train};
use kiln_engine::model::softmax;
use kiln_engine::models::Matrix;
use kiln_engine::train::{Family, Prepared, Task, TrainConfig, prepare};
use kiln_protocol::explain::{ExplainMethod, OutputSpace};
use kiln_protocol::rng::SplitMix64;

/// `a,b,noise1,noise2,colour,y`: y depends on a strongly, b and colour a little, never on the
/// noise columns. `classes`: 0 for a number, else the number of classes y is cut into.
fn table(rows: usize, classes: usize) -> String {
    let mut rng = SplitMix64::new(5);
    let mut out = String::from("a,b,noise1,noise2,colour,y\n");
    for _ in 0..rows {
        let (a, b, n1, n2) = (rng.unit(), rng.unit(), rng.unit(), rng.unit());
        let colour = ["red", "green", "blue"][rng.below(3)];
        let lift = if colour == "red" { 0.5 } else { 0.0 };
        let value = 4.0 * a + 1.5 * b + lift + 0.2 * rng.unit();
        let y = match classes {
            0 => format!("{value:.4}"),
            k => format!(
                "c{}",
                ((value / 6.2) * k as f64).clamp(0.0, k as f64 - 1.0) as usize
            ),
        };
        out.push_str(&format!("{a:.4},{b:.4},{n1:.4},{n2:.4},{colour},{y}\n"));
    }
    out
}

fn run(family: Family, classes: usize) -> (Prepared, Artifact) {
    let task = if classes == 0 {
        Task::Regression
    } else {
        Task::Classification
    };
    let mut config = TrainConfig::new(task, "y", family);
    if family == Family::Forest {
        config.params.insert("n_estimators".into(), "20".into());
    }
    let p = prepare("s.csv", &table(600, classes), &config).unwrap();
    let artifact = train(&p, &mut no_stop).unwrap().artifact;
    (p, artifact)
}

/// The model's own output on the scale the contributions use.
fn own_output(artifact: &Artifact, x: &[f64], space: OutputSpace, outputs: usize) -> Vec<f64> {
    let p = artifact.predict_prepared(x);
    match space {
        OutputSpace::Value => vec![p.value.unwrap()],
        OutputSpace::Probability => p.probabilities.iter().map(|(_, v)| *v).collect(),
        OutputSpace::LogOdds if outputs == 1 => {
            let q = p.probabilities[1].1;
            vec![(q / (1.0 - q)).ln()]
        }
        OutputSpace::LogOdds => p.probabilities.iter().map(|(_, v)| *v).collect(),
    }
}

fn check_sums(family: Family, classes: usize, method: &str) {
    let (p, artifact) = run(family, classes);
    let x = Matrix::new(&p.x_holdout, p.width());
    for i in [0, 7, 19, 33] {
        let row = x.row(i);
        let c = contributions(&artifact, row, 1).unwrap();
        let kind = match c.method {
            ExplainMethod::TreeShap => "tree",
            ExplainMethod::Linear => "linear",
            ExplainMethod::Sampling { .. } => "sampling",
        };
        assert_eq!(kind, method, "{family:?}");
        assert_eq!(c.features.len(), p.width());
        let sums: Vec<f64> = c
            .expected
            .iter()
            .zip(&c.values)
            .map(|(e, v)| e + v.iter().sum::<f64>())
            .collect();
        let mut own = own_output(&artifact, row, c.space, c.values.len());
        let mut got = sums.clone();
        if c.space == OutputSpace::LogOdds && c.values.len() > 1 {
            // Raw class scores are defined up to a constant: compare as probabilities.
            got = softmax(&got);
            own = softmax(&own.iter().map(|p| p.ln()).collect::<Vec<_>>());
        }
        for (g, o) in got.iter().zip(&own) {
            assert!(
                (g - o).abs() < 1e-6,
                "{family:?} row {i}: {got:?} vs {own:?}"
            );
        }
        assert_eq!(c.prediction, sums);
    }
}

#[test]
fn tree_shap_adds_up_to_every_tree_models_output() {
    for classes in [0, 2, 3] {
        check_sums(Family::Tree, classes, "tree");
        check_sums(Family::Forest, classes, "tree");
        check_sums(Family::Gbdt, classes, "tree");
    }
}

#[test]
fn linear_contributions_are_exact_and_other_families_are_sampled() {
    check_sums(Family::Linear, 0, "linear");
    check_sums(Family::Logistic, 2, "linear");
    check_sums(Family::Logistic, 3, "linear");
    check_sums(Family::Knn, 2, "sampling");
    check_sums(Family::NaiveBayes, 3, "sampling");
}

#[test]
fn the_informative_column_gets_the_largest_contribution() {
    let (p, artifact) = run(Family::Gbdt, 0);
    let x = Matrix::new(&p.x_holdout, p.width());
    let a = artifact
        .recipe
        .features
        .iter()
        .position(|f| f == "a")
        .unwrap();
    let mut largest = 0;
    for i in 0..x.len() {
        let c = contributions(&artifact, x.row(i), 1).unwrap();
        let top = (0..p.width())
            .max_by(|&j, &k| c.values[0][j].abs().total_cmp(&c.values[0][k].abs()))
            .unwrap();
        largest += usize::from(top == a);
    }
    assert!(
        largest * 2 > x.len(),
        "a led in {largest} of {} rows",
        x.len()
    );
}

#[test]
fn permutation_importance_ranks_the_informative_columns_first() {
    for (family, classes) in [(Family::Forest, 3), (Family::Linear, 0), (Family::Knn, 2)] {
        let (p, artifact) = run(family, classes);
        let frame_rows = p.frame_rows(&p.split.holdout);
        let rows = Rows::new(&artifact, &p.frame, &frame_rows, None, 3).unwrap();
        let g = global(&artifact, &rows, 5, 3).unwrap();
        let names: Vec<&str> = g
            .permutation
            .features
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names[0], "a", "{family:?}: {names:?}");
        assert_eq!(g.permutation.repeats, 5);
        let noise = g
            .permutation
            .features
            .iter()
            .filter(|f| f.name.starts_with("noise"));
        for f in noise {
            assert!(f.importance.abs() < 0.05, "{family:?}: {f:?}");
        }
        assert!(
            g.permutation.features[0].importance > 0.1,
            "{family:?}: {names:?}"
        );
        // The informative column's importance stands clear of its spread over the repeats.
        let top = &g.permutation.features[0];
        assert!(
            top.spread.is_finite() && top.spread < top.importance / 2.0,
            "{family:?}: {top:?}"
        );
        assert_eq!(g.partial_dependence.len(), 3);
        match family {
            Family::Forest => assert_eq!(g.model.unwrap().method, "impurity"),
            Family::Linear => assert_eq!(g.model.unwrap().method, "coefficient"),
            _ => assert!(g.model.is_none()),
        }
    }
}

#[test]
fn partial_dependence_follows_a_known_effect() {
    let (p, artifact) = run(Family::Linear, 0);
    let frame_rows = p.frame_rows(&p.split.holdout);
    let rows = Rows::new(&artifact, &p.frame, &frame_rows, Some("rmse"), 3).unwrap();
    let pd = partial_dependence(&artifact, &rows, "a").unwrap();
    assert!(pd.numeric);
    let first = pd.values.first().unwrap()[0];
    let last = pd.values.last().unwrap()[0];
    // y rises by about 4 per unit of a, and the grid spans nearly 0 to 1.
    assert!(
        last - first > 3.0 && last - first < 5.0,
        "{first} .. {last}"
    );
    assert!(pd.values.windows(2).all(|w| w[1][0] >= w[0][0] - 1e-9));
    let colour = partial_dependence(&artifact, &rows, "colour").unwrap();
    assert!(!colour.numeric);
    let red = colour.grid.iter().position(|g| g == "red").unwrap();
    let blue = colour.grid.iter().position(|g| g == "blue").unwrap();
    let lift = colour.values[red][0] - colour.values[blue][0];
    assert!((lift - 0.5).abs() < 0.15, "{lift}");
}

#[test]
fn what_cannot_be_explained_says_why() {
    let (p, artifact) = run(Family::Tree, 2);
    let err = contributions(&artifact, &[1.0], 1).unwrap_err();
    assert!(matches!(err, ExplainError::Width { given: 1, .. }), "{err}");
    let config = TrainConfig::new(Task::Clustering, "", Family::KMeans);
    let text = table(100, 0).replace(",y\n", ",z\n");
    let clusters = train(&prepare("c.csv", &text, &config).unwrap(), &mut no_stop)
        .unwrap()
        .artifact;
    let x = vec![0.0; clusters.recipe.width()];
    let err = contributions(&clusters, &x, 1).unwrap_err();
    assert!(err.to_string().contains("clustering"), "{err}");
    // A model written before references were kept explains trees but not sampled families.
    let (_, mut knn) = run(Family::Knn, 2);
    knn.reference = None;
    let row = Matrix::new(&p.x_holdout, p.width()).row(0).to_vec();
    assert!(contributions(&artifact, &row, 1).is_ok());
    let err = contributions(&knn, &row, 1).unwrap_err();
    assert_eq!(err, ExplainError::NoReference);
    let frame = parse(
        "x.csv",
        b"a,b\n1,2\n",
        &ParseOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let rows = Rows::new(&artifact, &frame, &[0], None, 1).unwrap();
    assert!(global(&artifact, &rows, 3, 1).is_err());
}
