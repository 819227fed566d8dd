//! The exported bytes decode back into the graph Kiln means, and a small evaluator of that
//! graph (the few operators it uses, in float32) reproduces Kiln's predictions. The same files
//! run in onnxruntime in `e2e/onnx.test.mjs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use prost::Message;

use super::proto::tensor_shape_proto::dimension;
use super::proto::type_proto::Value;
use super::proto::{GraphProto, ModelProto, ValueInfoProto};
use super::{OnnxError, export};
use crate::artifact::Artifact;
use crate::fit::{no_stop, train};
use crate::model::{Activation, Dense, FittedModel};
use crate::train::{Family, Task, TrainConfig, prepare};

/// 120 rows of `size,colour,weight,<target>`: `kind`, three classes that depend on size and
/// colour, or `price`, a number that depends on size, weight and colour.
fn table(target: &str) -> String {
    let mut out = format!("size,colour,weight,{target}\n");
    for i in 0..120u32 {
        let size = f64::from(i % 17) * 0.7 + f64::from(i % 5) * 0.13;
        let colour = ["red", "green", "blue"][(i as usize * 7) % 3];
        let weight = 10.0 + f64::from((i * 31) % 23);
        let y = if target == "kind" {
            match (size > 6.0, colour) {
                (true, _) => "large".to_string(),
                (false, "red") => "red-small".to_string(),
                _ => "small".to_string(),
            }
        } else {
            let blue = if colour == "blue" { 4.0 } else { 0.0 };
            format!("{:.3}", 3.0 * size + 0.5 * weight + blue)
        };
        out.push_str(&format!("{size:.2},{colour},{weight},{y}\n"));
    }
    out
}

fn trained(task: Task, target: &str, family: Family) -> Artifact {
    let config = TrainConfig::new(task, target, family);
    let prepared = prepare("t.csv", &table(target), &config).unwrap();
    train(&prepared, &mut no_stop).unwrap().artifact
}

fn decode(artifact: &Artifact) -> ModelProto {
    let bytes = export(artifact).unwrap();
    ModelProto::decode(bytes.as_slice()).unwrap()
}

/// `(name, elem_type, dims)` with a symbolic dimension as its name.
fn signature(v: &ValueInfoProto) -> (String, i32, Vec<String>) {
    let Some(Value::TensorType(t)) = v.r#type.as_ref().and_then(|t| t.value.clone()) else {
        panic!("{v:?} is not a tensor")
    };
    let dims = t
        .shape
        .unwrap()
        .dim
        .into_iter()
        .map(|d| match d.value.unwrap() {
            dimension::Value::DimValue(n) => n.to_string(),
            dimension::Value::DimParam(p) => p,
        })
        .collect();
    (v.name.clone().unwrap(), t.elem_type.unwrap(), dims)
}

fn ops(graph: &GraphProto) -> Vec<&str> {
    graph
        .node
        .iter()
        .map(|n| n.op_type.as_deref().unwrap())
        .collect()
}

fn metadata<'a>(model: &'a ModelProto, key: &str) -> &'a str {
    model
        .metadata_props
        .iter()
        .find(|p| p.key.as_deref() == Some(key))
        .and_then(|p| p.value.as_deref())
        .unwrap()
}

/// Runs the graph on one row in float32 (Gemm with transB, the activations, Softmax, ArgMax,
/// Mul and Add with a one-value operand): every output by name.
fn run(graph: &GraphProto, x: &[f64]) -> std::collections::HashMap<String, Vec<f32>> {
    let mut values: std::collections::HashMap<String, (Vec<i64>, Vec<f32>)> = graph
        .initializer
        .iter()
        .map(|t| {
            (
                t.name.clone().unwrap(),
                (t.dims.clone(), t.float_data.clone()),
            )
        })
        .collect();
    values.insert(
        "features".into(),
        (vec![], x.iter().map(|&v| v as f32).collect()),
    );
    for node in &graph.node {
        let arg = |i: usize| values[&node.input[i]].clone();
        let (_, a) = arg(0);
        let out: Vec<f32> = match node.op_type.as_deref().unwrap() {
            "Gemm" => {
                let ((dims, w), (_, b)) = (arg(1), arg(2));
                let inputs = dims[1] as usize;
                w.chunks(inputs)
                    .zip(&b)
                    .map(|(row, b)| row.iter().zip(&a).map(|(w, v)| w * v).sum::<f32>() + b)
                    .collect()
            }
            "Relu" => a.iter().map(|v| v.max(0.0)).collect(),
            "Tanh" => a.iter().map(|v| v.tanh()).collect(),
            "Sigmoid" => a.iter().map(|v| 1.0 / (1.0 + (-v).exp())).collect(),
            "Identity" => a,
            "Softmax" => {
                let max = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = a.iter().map(|v| (v - max).exp()).collect();
                let sum: f32 = e.iter().sum();
                e.iter().map(|v| v / sum).collect()
            }
            "ArgMax" => {
                let best = a
                    .iter()
                    .enumerate()
                    .fold(0, |b, (i, v)| if *v > a[b] { i } else { b });
                vec![best as f32]
            }
            "Mul" => vec![a[0] * arg(1).1[0]],
            "Add" => vec![a[0] + arg(1).1[0]],
            op => panic!("unexpected operator {op}"),
        };
        values.insert(node.output[0].clone(), (vec![], out));
    }
    graph
        .output
        .iter()
        .map(|o| {
            let name = o.name.clone().unwrap();
            let v = values[&name].1.clone();
            (name, v)
        })
        .collect()
}

/// The first rows of the training table, prepared.
fn rows(artifact: &Artifact) -> Vec<Vec<f64>> {
    let text = table(&artifact.target);
    let frame =
        crate::data::parse("t.csv", text.as_bytes(), &Default::default(), &mut |_| {}).unwrap();
    let rows: Vec<usize> = (0..40).collect();
    let width = artifact.recipe.width();
    artifact
        .recipe
        .transform_frame(&frame, &rows)
        .chunks(width)
        .map(<[f64]>::to_vec)
        .collect()
}

#[test]
fn onnx_classifier_decodes_with_its_signature_metadata_and_weights() {
    let artifact = trained(Task::Classification, "kind", Family::Logistic);
    let width = artifact.recipe.width();
    assert!(
        artifact
            .recipe
            .features
            .iter()
            .any(|f| f.contains("colour"))
    );
    let model = decode(&artifact);
    assert_eq!(model.ir_version, Some(8));
    assert_eq!(model.producer_name.as_deref(), Some("kiln"));
    assert_eq!(
        model.producer_version.as_deref(),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(model.opset_import.len(), 1);
    assert_eq!(model.opset_import[0].domain.as_deref(), Some(""));
    assert_eq!(model.opset_import[0].version, Some(17));
    let graph = model.graph.as_ref().unwrap();
    assert_eq!(graph.input.len(), 1);
    assert_eq!(
        signature(&graph.input[0]),
        ("features".into(), 1, vec!["N".into(), width.to_string()])
    );
    let outputs: Vec<_> = graph.output.iter().map(signature).collect();
    assert_eq!(
        outputs,
        vec![
            ("probabilities".into(), 1, vec!["N".into(), "3".into()]),
            ("label".into(), 7, vec!["N".into()]),
        ]
    );
    assert_eq!(ops(graph), ["Gemm", "Softmax", "ArgMax"]);
    let argmax = &graph.node[2];
    let attrs: Vec<_> = argmax
        .attribute
        .iter()
        .map(|a| (a.name.clone().unwrap(), a.i, a.r#type))
        .collect();
    assert_eq!(
        attrs,
        [
            ("axis".to_string(), Some(-1), Some(2)),
            ("keepdims".to_string(), Some(0), Some(2))
        ]
    );
    let FittedModel::Linear { layer } = &artifact.model else {
        panic!("not linear")
    };
    let weight = &graph.initializer[0];
    assert_eq!(weight.name.as_deref(), Some("layer1.weight"));
    assert_eq!(weight.dims, [3, width as i64]);
    assert_eq!(
        weight.float_data,
        layer.weights.iter().map(|&w| w as f32).collect::<Vec<_>>()
    );
    assert_eq!(metadata(&model, "kiln.target"), "kind");
    assert_eq!(metadata(&model, "kiln.task"), "classification");
    assert_eq!(metadata(&model, "kiln.family"), artifact.lineage.family);
    assert_eq!(
        metadata(&model, "kiln.classes"),
        r#"["large","red-small","small"]"#
    );
    let features: Vec<String> = serde_json::from_str(metadata(&model, "kiln.features")).unwrap();
    assert_eq!(features, artifact.recipe.features);

    for x in rows(&artifact) {
        let kiln = artifact.predict_prepared(&x);
        let onnx = run(graph, &x);
        for ((_, p), q) in kiln.probabilities.iter().zip(&onnx["probabilities"]) {
            assert!((p - f64::from(*q)).abs() < 1e-5, "{p} {q}");
        }
        let label = artifact.classes[onnx["label"][0] as usize].clone();
        assert_eq!(label, kiln.label);
    }
}

#[test]
fn onnx_regression_unstandardises_its_value() {
    let artifact = trained(Task::Regression, "price", Family::Linear);
    let (mean, scale) = artifact.target_scale.unwrap();
    assert!(scale != 1.0 && mean != 0.0);
    let model = decode(&artifact);
    let graph = model.graph.as_ref().unwrap();
    let outputs: Vec<_> = graph.output.iter().map(signature).collect();
    assert_eq!(outputs, [("value".into(), 1, vec!["N".into(), "1".into()])]);
    assert_eq!(ops(graph), ["Gemm", "Mul", "Add"]);
    assert_eq!(metadata(&model, "kiln.task"), "regression");
    assert_eq!(metadata(&model, "kiln.classes"), "[]");
    for x in rows(&artifact) {
        let kiln = artifact.predict_prepared(&x).value.unwrap();
        let onnx = f64::from(run(graph, &x)["value"][0]);
        assert!(
            (kiln - onnx).abs() < 1e-5 * kiln.abs().max(1.0),
            "{kiln} {onnx}"
        );
    }
}

#[test]
fn onnx_mlp_maps_each_activation_between_layers() {
    let base = trained(Task::Classification, "kind", Family::Logistic);
    let width = base.recipe.width();
    let layer = |inputs: usize, outputs: usize, seed: usize| Dense {
        inputs,
        outputs,
        weights: (0..inputs * outputs)
            .map(|i| (((i + seed) * 37 % 11) as f64 - 5.0) / 4.0)
            .collect(),
        bias: (0..outputs).map(|i| i as f64 / 10.0 - 0.1).collect(),
    };
    for (activation, op) in [
        (Activation::Relu, "Relu"),
        (Activation::Tanh, "Tanh"),
        (Activation::Logistic, "Sigmoid"),
        (Activation::Identity, "Identity"),
    ] {
        let mut artifact = base.clone();
        artifact.model = FittedModel::Mlp {
            layers: vec![layer(width, 5, 1), layer(5, 4, 2), layer(4, 3, 3)],
            activation,
        };
        let model = decode(&artifact);
        let graph = model.graph.as_ref().unwrap();
        assert_eq!(
            ops(graph),
            ["Gemm", op, "Gemm", op, "Gemm", "Softmax", "ArgMax"]
        );
        for x in rows(&artifact) {
            let kiln = artifact.predict_prepared(&x);
            let onnx = run(graph, &x);
            for ((_, p), q) in kiln.probabilities.iter().zip(&onnx["probabilities"]) {
                assert!((p - f64::from(*q)).abs() < 1e-5, "{activation:?}: {p} {q}");
            }
        }
    }
}

#[test]
fn onnx_export_names_a_family_it_cannot_export() {
    let artifact = trained(Task::Classification, "kind", Family::Gbdt);
    let e = export(&artifact).unwrap_err();
    assert!(matches!(e, OnnxError::Unsupported { .. }));
    let message = e.to_string();
    assert!(
        message.contains("this model is a gradient-boosted ensemble"),
        "{message}"
    );
    assert!(message.contains("\"gbdt\""), "{message}");
    assert!(
        message.contains("linear models and neural networks"),
        "{message}"
    );

    let mut clustering = trained(Task::Regression, "price", Family::Linear);
    clustering.task = Task::Clustering;
    assert_eq!(export(&clustering).unwrap_err(), OnnxError::Clustering);
}

#[test]
fn onnx_export_refuses_weights_float32_cannot_hold_and_broken_layers() {
    let mut artifact = trained(Task::Regression, "price", Family::Linear);
    if let FittedModel::Linear { layer } = &mut artifact.model {
        layer.weights[0] = 1e300;
    }
    let e = export(&artifact).unwrap_err();
    assert!(matches!(e, OnnxError::OutOfRange { .. }), "{e}");
    assert!(e.to_string().contains("layer 1"), "{e}");
    if let FittedModel::Linear { layer } = &mut artifact.model {
        layer.weights.pop();
    }
    assert!(matches!(
        export(&artifact).unwrap_err(),
        OnnxError::Inconsistent(_)
    ));
}
