//! Batch scoring a chunk at a time: every row keeps its cells and gains the model's outputs, a
//! row that cannot be scored is kept and says why, and chunks are cut between rows only.
#![allow(clippy::unwrap_used)]

use kiln_engine::artifact::Artifact;
use kiln_engine::batch::{Cutter, chunk_starts, header, output_columns, score_chunk};

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
    let chunks = chunk_starts(FILE, 2, b',');
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
    let chunks = chunk_starts(text, 1, b',');
    assert_eq!(chunks.rows, 3);
    let starts = chunks.starts;
    assert_eq!(starts.len(), 3);
    assert_eq!(&text[starts[1]..starts[2]], "y,plain\n");
    assert!(text[starts[0]..starts[1]].starts_with("x,\"one\ntwo\""));
    assert!(text[starts[2]..].starts_with("z,"));
    // A file with only a header has one empty chunk.
    assert_eq!(chunk_starts("a,b\n", 10, b',').starts, vec![4]);
    assert_eq!(chunk_starts("a,b", 10, b',').starts, vec![3]);
    assert_eq!(chunk_starts("a,b", 10, b',').rows, 0);
    // A last row without a line break counts.
    assert_eq!(chunk_starts("a,b\n1,2\n3,4", 10, b',').rows, 2);
}

#[test]
fn chunks_follow_the_reader_through_stray_quotes_blank_lines_and_carriage_returns() {
    // A quote inside a cell is text, not the start of a quoted cell: the line break after
    // `5'11"` ends its row, and the quoted cell after it still holds a line break.
    let text = "name,height\nx,5'11\"\ny,\"a\"\"b\nc\"\nz,6\n";
    let chunks = chunk_starts(text, 1, b',');
    assert_eq!(chunks.rows, 3);
    assert_eq!(
        &text[chunks.starts[1]..chunks.starts[2]],
        "y,\"a\"\"b\nc\"\n"
    );
    // Blank lines are skipped as the reader skips them, before the header too, so rows are
    // numbered alike whichever chunk they fall in.
    let text = "\n\na,b\n\n1,2\n\n3,4\n5,6\n";
    let chunks = chunk_starts(text, 2, b',');
    assert_eq!(chunks.rows, 3);
    assert_eq!(&text[..chunks.starts[0]], "\n\na,b\n");
    assert_eq!(&text[chunks.starts[1]..], "5,6\n");
    // CRLF lines are cut after their `\n`, a quoted CRLF stays in its cell, and a lone `\r`
    // ends a line.
    let text = "a,b\r\n1,\"x\r\ny\"\r\n2,3\r\n";
    let chunks = chunk_starts(text, 1, b',');
    assert_eq!(chunks.rows, 2);
    assert_eq!(&text[chunks.starts[1]..], "2,3\r\n");
    let chunks = chunk_starts("a,b\r1,2\r3,4\r", 1, b',');
    assert_eq!((chunks.rows, chunks.starts.len()), (2, 2));
    // Tab-separated: the quote rule follows the file's delimiter.
    let chunks = chunk_starts("a\tb\n1\t\"x\ny\"\n", 5, b'\t');
    assert_eq!(chunks.rows, 1);
}

#[test]
fn a_row_with_more_or_fewer_cells_than_the_header_is_kept_and_says_so() {
    let a = Artifact::decode(MODEL).unwrap();
    let text = "sepal_length,sepal_width,petal_length,petal_width\n\
                5.1,3.5,1.4\n\
                5.1,3.5,1.4,0.2,9\n\
                5.1,3.5,1.4,0.2\n";
    let columns = header(text, b',').unwrap();
    let chunks = chunk_starts(text, 10, b',');
    let scored = score_chunk(&a, &columns, &text[chunks.starts[0]..], b',', 1).unwrap();
    assert_eq!((scored.rows, scored.failed), (3, 2));
    assert!(
        scored.errors[0].starts_with("row 1: "),
        "{:?}",
        scored.errors
    );
    assert!(scored.errors[0].contains("3 cells where the header has 4"));
    assert!(scored.errors[1].contains("5 cells where the header has 4"));
    let width = columns.len() + output_columns(&a, &columns).len();
    let lines: Vec<&str> = scored.csv.lines().collect();
    // Every line has the header's width: the outputs stay under their names.
    assert!(
        lines.iter().all(|l| l.split(',').count() == width),
        "{lines:?}"
    );
    assert!(lines[0].starts_with("5.1,3.5,1.4,,"));
    assert!(!lines[2].split(',').nth(columns.len()).unwrap().is_empty());
}

#[test]
fn a_file_without_any_model_input_is_refused_by_name() {
    let a = Artifact::decode(MODEL).unwrap();
    let columns = header("colour,size\n", b',').unwrap();
    let e = score_chunk(&a, &columns, "red,3\n", b',', 1).unwrap_err();
    assert!(e.contains("none of the model's input columns"), "{e}");
    assert!(e.contains("petal_width"), "{e}");
}

#[test]
fn a_file_is_planned_and_scored_from_its_bytes_as_stored() {
    let a = Artifact::decode(MODEL).unwrap();
    // A byte-order mark before a quoted first name, a Latin-1 é (not UTF-8) in a cell, and a
    // multi-byte character at the end of a chunk's last line.
    let mut file =
        b"\xEF\xBB\xBF\"id\",sepal_length,sepal_width,petal_length,petal_width\n".to_vec();
    file.extend_from_slice(b"caf\xE9,5.1,3.5,1.4,0.2\n");
    file.extend_from_slice("n\u{e9},6.7,3.0,5.2,2.3\n".as_bytes());
    file.extend_from_slice("\u{1F33C},5.9,3.0,4.2,1.3\n".as_bytes());
    let columns = header(&file, b',').unwrap();
    assert_eq!(columns[0], "id");
    let chunks = chunk_starts(&file, 2, b',');
    assert_eq!(chunks.rows, 3);
    // Offsets count the bytes as stored, the mark included.
    assert_eq!(
        chunks.starts[0],
        file.iter().position(|&b| b == b'\n').unwrap() + 1
    );
    let cut =
        |i: usize| &file[chunks.starts[i]..chunks.starts.get(i + 1).copied().unwrap_or(file.len())];
    let first = score_chunk(&a, &columns, cut(0), b',', 1).unwrap();
    let second = score_chunk(&a, &columns, cut(1), b',', 3).unwrap();
    assert_eq!(
        (first.rows, first.failed, second.rows, second.failed),
        (2, 0, 1, 0)
    );
    // The byte that is not UTF-8 reads as U+FFFD; the characters that are come back whole.
    let lines: Vec<&str> = first.csv.lines().chain(second.csv.lines()).collect();
    assert!(lines[0].starts_with("caf\u{FFFD},5.1,"), "{lines:?}");
    assert!(lines[1].starts_with("n\u{e9},6.7,"), "{lines:?}");
    assert!(lines[2].starts_with("\u{1F33C},5.9,"), "{lines:?}");
}

#[test]
fn a_file_fed_a_piece_at_a_time_is_cut_as_when_read_whole() {
    let files: [&[u8]; 7] = [
        b"\xEF\xBB\xBF\"a\nb\",c\r\n1,\"x\r\ny\"\r\n\r\n2,3\r\n4,5",
        b"name,height\nx,5'11\"\ny,\"a\"\"b\nc\"\nz,6\n",
        b"a,b\r1,2\r3,4\r",
        b"a,b\r\r\n1,2\r\n\n3,4\r",
        b"\n\na,b\n\n1,2\n\n3,4\n5,6\n\n",
        b"a,b",
        b"a,b\n1,\"2\"\r",
    ];
    for file in files {
        for rows in 1..=3 {
            let whole = chunk_starts(file, rows, b',');
            for size in 1..=file.len() {
                let mut cutter = Cutter::new(rows, b',');
                // The first piece holds the byte-order mark whole, as the worker's do.
                let (head, rest) = file.split_at(size.max(3).min(file.len()));
                cutter.feed(head);
                for piece in rest.chunks(size) {
                    cutter.feed(piece);
                }
                assert_eq!(
                    cutter.finish(),
                    whole,
                    "{:?} in pieces of {size}, {rows} rows a chunk",
                    String::from_utf8_lossy(file)
                );
            }
        }
    }
    // A lone carriage return at a piece's end still ends its line.
    let mut cutter = Cutter::new(1, b',');
    for piece in [&b"a,b\r"[..], b"1,2\r", b"3,4"] {
        cutter.feed(piece);
    }
    let chunks = cutter.finish();
    assert_eq!((chunks.rows, chunks.starts), (2, vec![4, 8]));
}
