//! ONNX export of the dense families: linear and logistic models and neural networks (MLP).
//!
//! The graph takes the recipe's prepared feature vector — input `features`, float32
//! `[N, width]` with a symbolic batch dimension `N`, columns in the order of
//! `recipe.features` — so the recipe itself (parsing, encoding, scaling, filling) stays in
//! Kiln: `kiln features` writes that vector for a data file. Outputs:
//!
//! - classification: `probabilities`, float32 `[N, classes]` (the softmax of the last layer,
//!   classes in the order of `kiln.classes`), and `label`, int64 `[N]` (the index of the
//!   most probable class, the first on ties, as in Kiln);
//! - regression: `value`, float32 `[N, 1]`, on the target's own scale.
//!
//! Only operators of the default domain at opset 17 are used (Gemm, Relu, Tanh, Sigmoid,
//! Identity, Softmax, ArgMax, Mul, Add). The model's metadata names the target, the task, the
//! features, the classes and the family (`kiln.*`).
//!
//! The export is float32 (weights, inputs and outputs) while Kiln computes in f64, so a
//! runtime's outputs agree with `kiln predict` to about 1e-5, not to the last bit.

pub mod proto;
#[cfg(test)]
mod tests;

use prost::Message;

use crate::artifact::Artifact;
use crate::model::{Activation, Dense, FittedModel};
use crate::train::Task;
use proto::tensor_shape_proto::{Dimension, dimension};
use proto::type_proto::{Tensor, Value};
use proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto, attribute_type,
};

/// ONNX IR version 8 (ONNX 1.10–1.12), the one that goes with opset 17.
pub const IR_VERSION: i64 = 8;
/// The default domain's operator set the graph is written against.
pub const OPSET: i64 = 17;
/// The graph's input: the prepared feature vector.
pub const INPUT: &str = "features";
/// The symbolic batch dimension.
pub const BATCH: &str = "N";

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OnnxError {
    #[error(
        "ONNX export covers linear models and neural networks (MLP); this model is {model} \
         (family \"{family}\")"
    )]
    Unsupported { model: &'static str, family: String },
    #[error(
        "ONNX export covers classification and regression; clustering models are not \
         exportable"
    )]
    Clustering,
    #[error("the model cannot be exported: {0}")]
    Inconsistent(String),
    #[error("{what} is {value}, which float32 (the type of the exported weights) cannot hold")]
    OutOfRange { what: String, value: f64 },
}

/// The model as an ONNX file (a serialised `ModelProto`).
pub fn export(artifact: &Artifact) -> Result<Vec<u8>, OnnxError> {
    Ok(model_proto(artifact)?.encode_to_vec())
}

/// The model as ONNX's `ModelProto`, before encoding.
pub fn model_proto(artifact: &Artifact) -> Result<ModelProto, OnnxError> {
    let (layers, activation) = match &artifact.model {
        FittedModel::Linear { layer } => (std::slice::from_ref(layer), Activation::Identity),
        FittedModel::Mlp { layers, activation } => (layers.as_slice(), *activation),
        other => {
            return Err(OnnxError::Unsupported {
                model: describe(other),
                family: artifact.lineage.family.clone(),
            });
        }
    };
    let outputs = match artifact.task {
        Task::Classification => artifact.classes.len(),
        Task::Regression => 1,
        Task::Clustering => return Err(OnnxError::Clustering),
    };
    let width = artifact.recipe.width();
    artifact
        .model
        .check(width, outputs)
        .map_err(OnnxError::Inconsistent)?;

    let mut graph = Builder::default();
    let mut h = INPUT.to_string();
    for (i, layer) in layers.iter().enumerate() {
        let n = i + 1;
        h = graph.dense(n, layer, &h)?;
        if n < layers.len() {
            h = graph.activation(n, activation, &h);
        }
    }
    let (outputs, task) = match artifact.task {
        Task::Classification => {
            graph.node(
                "Softmax",
                "softmax",
                &[&h],
                "probabilities",
                vec![int("axis", -1)],
            );
            graph.node(
                "ArgMax",
                "argmax",
                &["probabilities"],
                "label",
                vec![int("axis", -1), int("keepdims", 0)],
            );
            let classes = dim_value(artifact.classes.len());
            let outputs = vec![
                value_info("probabilities", proto::FLOAT, vec![batch(), classes]),
                value_info("label", proto::INT64, vec![batch()]),
            ];
            (outputs, "classification")
        }
        _ => {
            // The network predicts the standardised target: value = out * scale + mean.
            let (mean, scale) = artifact.target_scale.unwrap_or((0.0, 1.0));
            graph.constant("target.scale", &[1], &[scale], "the target's scale")?;
            graph.constant("target.mean", &[1], &[mean], "the target's mean")?;
            graph.node("Mul", "scale", &[&h, "target.scale"], "scaled", Vec::new());
            graph.node(
                "Add",
                "unstandardise",
                &["scaled", "target.mean"],
                "value",
                Vec::new(),
            );
            let outputs = vec![value_info(
                "value",
                proto::FLOAT,
                vec![batch(), dim_value(1)],
            )];
            (outputs, "regression")
        }
    };

    let json = |names: &[String]| serde_json::to_string(names).unwrap_or_else(|_| "[]".into());
    let metadata = [
        ("kiln.target", artifact.target.clone()),
        ("kiln.task", task.to_string()),
        ("kiln.features", json(&artifact.recipe.features)),
        ("kiln.classes", json(&artifact.classes)),
        ("kiln.family", artifact.lineage.family.clone()),
    ];
    Ok(ModelProto {
        ir_version: Some(IR_VERSION),
        producer_name: Some("kiln".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        doc_string: Some(format!(
            "Kiln {task} model of \"{}\". Input \"{INPUT}\": the recipe's prepared feature \
             vector (kiln.features). Float32: agrees with Kiln's f64 scoring to about 1e-5.",
            artifact.target
        )),
        graph: Some(GraphProto {
            node: graph.nodes,
            name: Some("kiln".into()),
            initializer: graph.initializers,
            doc_string: None,
            input: vec![value_info(
                INPUT,
                proto::FLOAT,
                vec![batch(), dim_value(width)],
            )],
            output: outputs,
        }),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        metadata_props: metadata
            .into_iter()
            .map(|(key, value)| StringStringEntryProto {
                key: Some(key.into()),
                value: Some(value),
            })
            .collect(),
    })
}

/// What a model that cannot be exported is, for the error.
fn describe(model: &FittedModel) -> &'static str {
    match model {
        FittedModel::Linear { .. } => "a linear model",
        FittedModel::Mlp { .. } => "a neural network (MLP)",
        FittedModel::Tree(_) => "a decision tree",
        FittedModel::Forest(_) => "a random forest",
        FittedModel::Gbdt(_) => "a gradient-boosted ensemble",
        FittedModel::Knn(_) => "a k-nearest-neighbours model",
        FittedModel::NaiveBayes(_) => "a naive Bayes model",
        FittedModel::KMeans(_) => "a k-means clustering",
        FittedModel::Pca(_) => "a PCA projection",
        FittedModel::Cnn(_) => "a convolutional network (images)",
    }
}

/// The nodes and initializers of a graph under construction.
#[derive(Default)]
struct Builder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

impl Builder {
    fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        output: &str,
        attribute: Vec<AttributeProto>,
    ) {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: Some(name.to_string()),
            op_type: Some(op.to_string()),
            attribute,
            domain: Some(String::new()),
        });
    }

    /// A float32 initializer.
    fn constant(
        &mut self,
        name: &str,
        dims: &[usize],
        values: &[f64],
        what: &str,
    ) -> Result<(), OnnxError> {
        let float_data = values
            .iter()
            .map(|&v| {
                let f = v as f32;
                if f.is_finite() {
                    Ok(f)
                } else {
                    Err(OnnxError::OutOfRange {
                        what: what.to_string(),
                        value: v,
                    })
                }
            })
            .collect::<Result<Vec<f32>, _>>()?;
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| to_i64(d)).collect(),
            data_type: Some(proto::FLOAT),
            float_data,
            name: Some(name.to_string()),
            ..TensorProto::default()
        });
        Ok(())
    }

    /// `out = h · Wᵀ + b` as one Gemm (`transB = 1`: Kiln keeps W as `[outputs, inputs]`).
    fn dense(&mut self, n: usize, layer: &Dense, h: &str) -> Result<String, OnnxError> {
        let (weight, bias, out) = (
            format!("layer{n}.weight"),
            format!("layer{n}.bias"),
            format!("layer{n}.out"),
        );
        let what = format!("a weight of layer {n}");
        self.constant(
            &weight,
            &[layer.outputs, layer.inputs],
            &layer.weights,
            &what,
        )?;
        let what = format!("a bias of layer {n}");
        self.constant(&bias, &[layer.outputs], &layer.bias, &what)?;
        self.node(
            "Gemm",
            &format!("layer{n}"),
            &[h, &weight, &bias],
            &out,
            vec![int("transB", 1)],
        );
        Ok(out)
    }

    /// The activation between layers, one ONNX operator per Kiln activation.
    fn activation(&mut self, n: usize, activation: Activation, h: &str) -> String {
        let op = match activation {
            Activation::Relu => "Relu",
            Activation::Tanh => "Tanh",
            Activation::Logistic => "Sigmoid",
            Activation::Identity => "Identity",
        };
        let out = format!("layer{n}.{}", op.to_ascii_lowercase());
        self.node(op, &format!("layer{n}.activation"), &[h], &out, Vec::new());
        out
    }
}

fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.to_string()),
        i: Some(value),
        r#type: Some(attribute_type::INT),
        ..AttributeProto::default()
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn batch() -> Dimension {
    Dimension {
        value: Some(dimension::Value::DimParam(BATCH.into())),
    }
}

fn dim_value(n: usize) -> Dimension {
    Dimension {
        value: Some(dimension::Value::DimValue(to_i64(n))),
    }
}

fn value_info(name: &str, elem_type: i32, dim: Vec<Dimension>) -> ValueInfoProto {
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto {
            value: Some(Value::TensorType(Tensor {
                elem_type: Some(elem_type),
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
        doc_string: None,
    }
}
