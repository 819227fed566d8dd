//! Every boundary type survives JSON and keeps the wire names the other side expects.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use kiln_protocol::profile::*;
use kiln_protocol::project::*;
use kiln_protocol::recipe::*;
use kiln_protocol::sync::*;
use kiln_protocol::worker::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: &T,
) -> serde_json::Value {
    let json = serde_json::to_value(value).unwrap();
    let back: T = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(&back, value);
    json
}

fn sample_project() -> Project {
    Project {
        format: PROJECT_FORMAT,
        id: "p1".into(),
        name: "Iris".into(),
        task: Task::Classification,
        target: Some("species".into()),
        dataset: Some(Dataset {
            file_name: "iris.csv".into(),
            text: "a,species\n1,x\n".into(),
            profile: DatasetProfile {
                rows: 1,
                columns: vec![ColumnProfile {
                    name: "a".into(),
                    kind: ColumnType::Integer,
                    inferred: Some(ColumnType::Integer),
                    count: 1,
                    missing: 0,
                    distinct: 1,
                    stats: None,
                    histogram: Some(Histogram {
                        edges: vec![0.5, 1.5],
                        counts: vec![1],
                    }),
                    top: Vec::new(),
                }],
                preview: vec![vec!["1".into(), "x".into()]],
                correlations: None,
                target: None,
                warnings: vec![Warning {
                    column: "a".into(),
                    kind: WarningKind::Constant,
                    message: "a has one value".into(),
                }],
                default_recipe: Recipe::default(),
                format: "CSV (,)".into(),
            },
            types: BTreeMap::from([("a".to_string(), ColumnType::Float)]),
        }),
        runs: vec![RunRecord {
            id: "run-1".into(),
            model: ModelKind::Mlp,
            device: "WebGPU (test)".into(),
            scores: BTreeMap::from([("accuracy".to_string(), 0.9)]),
            metrics: Some(Metrics::Classification {
                accuracy: 0.9,
                macro_f1: 0.8,
                confusion: ConfusionMatrix {
                    labels: vec!["x".into(), "y".into()],
                    counts: vec![vec![1, 0], vec![0, 1]],
                },
                holdout_rows: 2,
            }),
            loss_curve: vec![1.0, 0.5],
            artifact: std::sync::Arc::new(serde_json::json!({"kind": "kiln-model"})),
            duration_ms: 12.5,
            created_at_ms: 1.0,
            notes: vec!["left out \"id\"".into()],
            cv: Some(CrossValidation {
                metric: "accuracy".into(),
                folds: vec![0.9, 1.0],
                mean: 0.95,
                std: 0.05,
                summary: BTreeMap::from([(
                    "accuracy".to_string(),
                    kiln_protocol::project::MeanStd {
                        mean: 0.95,
                        std: 0.05,
                    },
                )]),
            }),
            recipe: None,
            split: Some(SplitSpec::Group { column: "a".into() }),
            inputs: vec![InputField {
                name: "a".into(),
                numeric: true,
                kind: Some(ColumnType::Integer),
                categories: Vec::new(),
                default: "1".into(),
            }],
            task: Some(Task::Classification),
            target: Some("y".into()),
            params: BTreeMap::from([("hidden".to_string(), "16".to_string())]),
            seed: Some(3),
            data_hash: Some("abc".into()),
            engine_version: Some("0.1.0".into()),
            evaluation: None,
            search: None,
            fit_ms: Some(2.0),
            history: None,
            holdout: None,
        }],
        registry: vec![RegisteredModel {
            name: "iris".into(),
            versions: vec![RegisteredVersion {
                version: 1,
                run_id: "run-1".into(),
                created_at_ms: 2.0,
                public_path: None,
            }],
            public: true,
            production: Some(1),
            promotions: vec![Promotion {
                version: 1,
                replaced: None,
                at_ms: 2.0,
                reasons: vec!["First version of the model.".into()],
                gate: None,
            }],
        }],
        recipe: Some(sample_recipe()),
        images: BTreeMap::from([("cat".to_string(), 3)]),
        updated_at_ms: 3.0,
    }
}

fn sample_recipe() -> Recipe {
    Recipe {
        types: BTreeMap::from([("a".to_string(), ColumnType::Categorical)]),
        steps: vec![
            Step::Drop {
                columns: vec!["id".into()],
            },
            Step::Impute {
                columns: vec!["a".into()],
                strategy: Impute::Constant("0".into()),
                indicator: true,
            },
            Step::Clip {
                columns: vec!["a".into()],
                method: Clip::Percentiles(1.0, 99.0),
            },
            Step::Formula {
                name: "r".into(),
                expr: "log(a)".into(),
            },
        ],
    }
}

#[test]
fn recipes_use_the_documented_json_names() {
    let json = round_trip(&sample_recipe());
    assert_eq!(json["types"]["a"], "categorical");
    assert_eq!(json["steps"][0]["op"], "drop");
    assert_eq!(json["steps"][1]["strategy"]["constant"], "0");
    assert_eq!(json["steps"][2]["method"]["percentiles"][1], 99.0);
    // A hand-written recipe may leave out optional fields.
    let text = r#"{"steps":[{"op":"one_hot","columns":["c"]},{"op":"scale","columns":["x"],"method":"robust"}]}"#;
    let recipe: Recipe = serde_json::from_str(text).unwrap();
    assert_eq!(
        recipe.steps[0],
        Step::OneHot {
            columns: vec!["c".into()],
            max_levels: 20
        }
    );
    // Projects saved before column types existed still open.
    let old: ColumnProfile =
        serde_json::from_str(r#"{"name":"a","kind":"numeric","missing":0,"distinct":3}"#).unwrap();
    assert_eq!(old.kind, ColumnType::Float);
}

#[test]
fn project_documents_round_trip() {
    let json = round_trip(&sample_project());
    assert_eq!(json["task"], "classification");
    assert_eq!(json["runs"][0]["metrics"]["kind"], "classification");
    assert_eq!(json["runs"][0]["scores"]["accuracy"], 0.9);
    assert_eq!(json["runs"][0]["model"], "mlp");
}

#[test]
fn worker_messages_are_tagged_by_type_and_carry_job_ids() {
    let spec = TrainSpec {
        task: Task::Regression,
        target: "y".into(),
        model: ModelKind::Linear,
        device: DevicePreference::Cpu,
        seed: 1,
        holdout: 0.2,
        epochs: 10,
        split: SplitSpec::Time { column: "t".into() },
        cv_folds: 5,
        recipe: Some(sample_recipe()),
        params: BTreeMap::from([("alpha".to_string(), "0.5".to_string())]),
    };
    let train = WorkerRequest::Train {
        job_id: 7,
        file_name: "t.csv".into(),
        text: "a,y\n".into(),
        spec,
    };
    assert_eq!(round_trip(&train)["type"], "train");
    assert_eq!(train.job_id(), 7);
    let predict = WorkerRequest::Predict {
        job_id: 8,
        artifact: serde_json::json!({}),
        rows: vec![BTreeMap::from([("a".to_string(), "1".to_string())])],
    };
    assert_eq!(predict.job_id(), 8);
    round_trip(&predict);
    assert_eq!(round_trip(&WorkerEvent::Ready)["type"], "ready");
    let failed = WorkerEvent::Failed {
        job_id: 3,
        error: JobError {
            kind: "parse".into(),
            message: "line 3".into(),
            details: None,
        },
    };
    assert_eq!(round_trip(&failed)["error"]["kind"], "parse");
    round_trip(&WorkerEvent::Progress {
        job_id: 1,
        fraction: 0.5,
        phase: "epoch 1".into(),
        loss: Some(0.3),
        device: None,
    });
    round_trip(&WorkerEvent::Trained {
        job_id: 2,
        run: Box::new(sample_project().runs.remove(0)),
    });
}

#[test]
fn network_steering_and_epochs_have_their_own_messages() {
    let pause = WorkerRequest::Control {
        job_id: 4,
        action: Control::Pause,
    };
    let json = round_trip(&pause);
    assert_eq!(
        (json["type"].as_str(), json["action"].as_str()),
        (Some("control"), Some("pause"))
    );
    assert_eq!(
        round_trip(&WorkerRequest::Control {
            job_id: 0,
            action: Control::LoseGpu
        })["action"],
        "lose_gpu"
    );
    let epoch = WorkerEvent::Epoch {
        job_id: 4,
        stats: EpochStats {
            epoch: 3,
            train_loss: 0.5,
            val_loss: None,
            train_metric: 0.8,
            val_metric: None,
            learning_rate: 0.001,
            ms: 12.0,
            device: "CPU".into(),
        },
    };
    assert_eq!(round_trip(&epoch)["stats"]["epoch"], 3);
    assert!(!epoch.is_final() && epoch.job_id() == 4);
    let paused = WorkerEvent::Paused {
        job_id: 4,
        paused: true,
    };
    assert!(!paused.is_final());
    assert_eq!(round_trip(&paused)["type"], "paused");
    assert_eq!(round_trip(&DevicePreference::Gpu), "gpu");
    assert!(
        WorkerEvent::TrialDone {
            job_id: 1,
            result: kiln_protocol::worker::TrialResult {
                scores: BTreeMap::new(),
                cv: None,
                train_rows: 1,
                duration_ms: 1.0,
                loss_curve: Vec::new(),
            },
        }
        .is_final()
    );
}

#[test]
fn sync_bodies_round_trip_with_snake_case_stages() {
    let info = ModelVersionInfo {
        name: "iris".into(),
        version: 2,
        stage: Stage::Production,
        public_id: "abc".into(),
        public_path: "/api/public/models/abc".into(),
        created_at_ms: 5,
        metrics: BTreeMap::from([("accuracy".to_string(), 0.9)]),
        lineage: kiln_protocol::sync::VersionLineage {
            data_hash: "ff".into(),
            ..Default::default()
        },
    };
    assert_eq!(round_trip(&info)["stage"], "production");
    round_trip(&Credentials {
        username: "ada".into(),
        password: "secret-pass".into(),
    });
    round_trip(&ProjectUpload {
        name: "n".into(),
        body: serde_json::to_value(sample_project()).unwrap(),
    });
    let error = ApiError {
        error: ApiErrorBody {
            kind: "conflict".into(),
            message: "changed elsewhere".into(),
            field: None,
        },
    };
    assert_eq!(round_trip(&error)["error"]["kind"], "conflict");
}

#[test]
fn dropping_a_column_takes_it_out_of_every_later_step() {
    let mut recipe = Recipe {
        types: BTreeMap::new(),
        steps: vec![
            Step::Drop {
                columns: vec!["id".into()],
            },
            Step::Scale {
                columns: vec!["a".into(), "leak".into()],
                method: Scale::Standard,
            },
            Step::Log1p {
                columns: vec!["leak".into()],
            },
        ],
    };
    assert!(recipe.drop_column("leak"));
    assert_eq!(recipe.steps.len(), 2);
    assert_eq!(recipe.steps[0].columns(), ["id", "leak"]);
    assert_eq!(recipe.steps[1].columns(), ["a"]);
    assert!(!recipe.drop_column("leak"));
    let mut empty = Recipe::default();
    assert!(empty.drop_column("x"));
    assert_eq!(empty.steps[0].describe(), "drop x");
}

#[test]
fn model_kinds_parse_from_their_names_and_learn_the_right_tasks() {
    for k in ModelKind::ALL {
        assert_eq!(ModelKind::parse(k.name()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        assert!(!k.tasks().is_empty());
        assert_eq!(k.supervised(), !k.supports(Task::Clustering));
    }
    assert_eq!(
        ModelKind::parse(" Naive-Bayes "),
        Some(ModelKind::NaiveBayes)
    );
    assert_eq!(ModelKind::parse("svm"), None);
    assert_eq!(
        ModelKind::for_task(Task::Clustering),
        [ModelKind::KMeans, ModelKind::Pca]
    );
    assert_eq!(ModelKind::Ridge.tasks(), [Task::Regression]);
    assert_eq!(
        ModelKind::Linear.tasks(),
        [Task::Classification, Task::Regression]
    );
}
