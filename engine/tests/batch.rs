//! Batch scoring a chunk at a time: every row keeps its cells and gains the model's outputs, a
//! row that cannot be scored is kept and says why, and chunks are cut between rows only.
#![allow(clippy::unwrap_used)]

use kiln_engine::artifact::Artifact;
use kiln_engine::batch::{chunk_starts, header, output_columns, score_chunk};

const MODEL: &str = include_str!("fixtures/iris-v1.kiln.json");

const FILE: &str = "id,sepal_length,sepal_width,petal_length,petal_width,prediction\n\
a,5.1,3.5,1.4,0.2,x\n\
b,6.7,3.0,5.2,2.3,y\n\
c,5.9,abc,4.2,1.3,z\n\
d,5.9,,4.2,1.3,w\n";

#[test]
fn every_row_keeps_its_cells_and_gains_the_outputs_a_bad_one_says_why() {
    let a = Artifact::decode(MODEL).unwrap();
    let columns = header(FILE, b',').unwrap();
    let out = output_columns(&a, &columns);
    // The file already has a "prediction" column: the model's gets a prefix.
    assert_eq!(out[0], "kiln_prediction");
    assert_eq!(out.len(), 1 + a.classes.len() + 1);
    assert_eq!(out.last().unwrap(), "prediction_error");
    let chunks = chunk_starts(FILE, 2);
    assert_eq!(chunks.rows, 4);
    let starts = chunks.starts;
    assert_eq!(starts.len(), 2, "{starts:?}");
    let first = score_chunk(&a, &columns, &FILE[starts[0]..starts[1]], b',', 1).unwrap();
    let second = score_chunk(&a, &columns, &FILE[starts[1]..], b',', 3).unwrap();
    assert_eq!((first.rows, first.failed), (2, 0));
    assert_eq!((second.rows, second.failed), (2, 1));
    assert_eq!(second.errors.len(), 1);
    assert!(
        second.errors[0].starts_with("row 3: "),
        "{:?}",
        second.errors
    );
    assert!(
        second.errors[0].contains("sepal_width"),
        "{:?}",
        second.errors
    );
    let lines: Vec<Vec<String>> = format!("{}{}", first.csv, second.csv)
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(lines.len(), 4);
    for (line, id) in lines.iter().zip(["a", "b", "c", "d"]) {
        assert_eq!(line.len(), columns.len() + out.len());
        assert_eq!(line[0], id);
    }
    // The appended label and probabilities are the single-row prediction's.
    let row = &lines[1];
    let p = a
        .predict(|c| columns.iter().position(|n| n == c).map(|i| row[i].clone()))
        .unwrap();
    assert_eq!(row[columns.len()], p.label);
    for (k, (_, prob)) in p.probabilities.iter().enumerate() {
        let written: f64 = row[columns.len() + 1 + k].parse().unwrap();
        assert!((written - prob).abs() < 1e-6);
    }
    // The unreadable row keeps its cells, has empty outputs and its reason last.
    assert_eq!(lines[2][columns.len()], "");
    assert!(lines[2].last().unwrap().contains("abc"));
    // A missing cell is filled as in training, not an error.
    assert!(!lines[3][columns.len()].is_empty());
}

#[test]
fn chunks_are_cut_between_rows_even_inside_quoted_line_breaks() {
    let text = "name,note\nx,\"one\ntwo\"\ny,plain\nz,\"three\nfour\nfive\"\n";
    let chunks = chunk_starts(text, 1);
    assert_eq!(chunks.rows, 3);
    let starts = chunks.starts;
    assert_eq!(starts.len(), 3);
    assert_eq!(&text[starts[1]..starts[2]], "y,plain\n");
    assert!(text[starts[0]..starts[1]].starts_with("x,\"one\ntwo\""));
    assert!(text[starts[2]..].starts_with("z,"));
    // A file with only a header has one empty chunk.
    assert_eq!(chunk_starts("a,b\n", 10).starts, vec![4]);
    assert_eq!(chunk_starts("a,b", 10).starts, vec![3]);
    assert_eq!(chunk_starts("a,b", 10).rows, 0);
    // A last row without a line break counts.
    assert_eq!(chunk_starts("a,b\n1,2\n3,4", 10).rows, 2);
}

#[test]
fn a_file_without_any_model_input_is_refused_by_name() {
    let a = Artifact::decode(MODEL).unwrap();
    let columns = header("colour,size\n", b',').unwrap();
    let e = score_chunk(&a, &columns, "red,3\n", b',', 1).unwrap_err();
    assert!(e.contains("none of the model's input columns"), "{e}");
    assert!(e.contains("petal_width"), "{e}");
}
