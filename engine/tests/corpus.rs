#![allow(clippy::unwrap_used)]
//! A corpus of malformed files (`tests/corpus/`), each read through the public API: every one
//! must give the exact `DataError` (line and column where the variant has them) and a message
//! that names the place in words a person reads. The two oversized inputs are generated here
//! rather than committed.

use kiln_engine::data::{DataError, MAX_COLUMNS, MAX_FIELD_BYTES, ParseOptions, parse};
use kiln_engine::train::{Family, Task, TrainConfig, TrainError, prepare};

/// The bytes of a corpus file.
macro_rules! corpus {
    ($name:literal) => {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/", $name)).unwrap()
    };
}

/// Parses with every setting detected; the file must be rejected.
fn reject(file_name: &str, bytes: &[u8]) -> DataError {
    let result = parse(file_name, bytes, &ParseOptions::default(), &mut |f| {
        assert!((0.0..=1.0).contains(&f), "progress {f} out of range");
    });
    match result {
        Ok(frame) => panic!(
            "{file_name} was accepted: {} rows, columns {:?}",
            frame.rows,
            frame.names()
        ),
        Err(e) => e,
    }
}

/// The message must contain every fragment.
fn says(err: &DataError, fragments: &[&str]) {
    let text = err.to_string();
    for f in fragments {
        assert!(text.contains(f), "message {text:?} does not say {f:?}");
    }
}

#[test]
fn ragged_row_names_its_line() {
    let err = reject("ragged.csv", &corpus!("ragged.csv"));
    assert_eq!(
        err,
        DataError::Ragged {
            line: 4,
            expected: 3,
            found: 2
        }
    );
    says(&err, &["line 4", "2 fields", "header has 3"]);
}

#[test]
fn unterminated_quote_names_where_it_opens() {
    let err = reject("unterminated_quote.csv", &corpus!("unterminated_quote.csv"));
    assert_eq!(err, DataError::UnterminatedQuote { line: 3, column: 2 });
    says(&err, &["line 3", "column 2", "closing quote"]);
}

#[test]
fn invalid_utf8_names_line_and_column() {
    let bytes = corpus!("invalid_utf8.csv");
    assert!(
        bytes.windows(2).any(|w| w == [0xff, 0xfe]),
        "corpus file lost its bytes"
    );
    let err = reject("invalid_utf8.csv", &bytes);
    assert_eq!(err, DataError::InvalidUtf8 { line: 3, column: 2 });
    says(&err, &["line 3", "column 2", "UTF-8"]);
}

#[test]
fn empty_file() {
    let bytes = corpus!("empty.csv");
    assert!(bytes.is_empty());
    let err = reject("empty.csv", &bytes);
    assert_eq!(err, DataError::Empty);
    says(&err, &["empty"]);
}

#[test]
fn whitespace_only_file_is_empty() {
    let bytes = corpus!("whitespace.csv");
    assert!(!bytes.is_empty() && bytes.iter().all(u8::is_ascii_whitespace));
    let err = reject("whitespace.csv", &bytes);
    assert_eq!(err, DataError::Empty);
    says(&err, &["empty"]);
}

#[test]
fn header_only_has_no_rows() {
    let err = reject("header_only.csv", &corpus!("header_only.csv"));
    assert_eq!(err, DataError::NoRows);
    says(&err, &["header", "no data rows"]);
}

#[test]
fn duplicate_header_names_both_columns() {
    let err = reject("duplicate_header.csv", &corpus!("duplicate_header.csv"));
    assert_eq!(
        err,
        DataError::DuplicateHeader {
            name: "a".into(),
            first: 1,
            second: 3
        }
    );
    says(&err, &["\"a\"", "columns 1 and 3"]);
}

#[test]
fn empty_header_names_its_column() {
    let err = reject("empty_header.csv", &corpus!("empty_header.csv"));
    assert_eq!(err, DataError::EmptyHeader { column: 2 });
    says(&err, &["column 2", "empty name"]);
}

#[test]
fn png_is_not_text() {
    let bytes = corpus!("binary.png");
    assert_eq!(bytes.len(), 32);
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"));
    let err = reject("binary.png", &bytes);
    // 0x1a, the sixth byte of the signature, is the first control character.
    assert_eq!(err, DataError::NotText { offset: 6 });
    says(&err, &["not look like a text table", "byte 6"]);
}

#[test]
fn json_syntax_error_names_its_line() {
    let err = reject("bad_json.json", &corpus!("bad_json.json"));
    let DataError::Malformed { line, message } = &err else {
        panic!("expected Malformed, got {err:?}");
    };
    assert_eq!(*line, 3);
    // `  {"a": 3 "b": 4}`: the comma is missing before the quote at character 11.
    assert!(message.contains("character 11"), "{message}");
    says(&err, &["line 3", "column 11"]);
}

#[test]
fn json_array_item_not_an_object_names_its_line() {
    let err = reject("json_not_objects.json", &corpus!("json_not_objects.json"));
    let DataError::Malformed { line, message } = &err else {
        panic!("expected Malformed, got {err:?}");
    };
    assert!(message.contains("item 2"), "{message}");
    assert_eq!(*line, 3, "{err}");
    says(&err, &["line 3", "item 2", "not an object"]);
}

#[test]
fn ndjson_line_not_an_object_names_its_line() {
    let err = reject("ndjson_bad_line.ndjson", &corpus!("ndjson_bad_line.ndjson"));
    assert_eq!(
        err,
        DataError::Malformed {
            line: 2,
            message: "each line must be one JSON object".into()
        }
    );
    says(&err, &["line 2", "JSON object"]);
}

#[test]
fn all_missing_target_is_rejected_by_prepare() {
    let text = String::from_utf8(corpus!("target_all_missing.csv")).unwrap();
    let frame = kiln_engine::data::parse_table("target_all_missing.csv", &text).unwrap();
    let y = frame.column("y").unwrap();
    assert_eq!(
        y.missing(),
        frame.rows,
        "every target cell should read as missing"
    );
    for task in [Task::Classification, Task::Regression] {
        let config = TrainConfig::new(task, "y", Family::Linear);
        let err = prepare("target_all_missing.csv", &text, &config).unwrap_err();
        assert_eq!(err, TrainError::TargetEmpty { target: "y".into() });
        assert!(err.to_string().contains("\"y\" has no values"), "{err}");
    }
}

#[test]
fn too_many_columns_generated() {
    let columns = 10_000;
    assert!(columns > MAX_COLUMNS);
    let header: Vec<String> = (1..=columns).map(|i| format!("c{i}")).collect();
    let row: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
    let text = format!(
        "{}\n{}\n{}\n",
        header.join(","),
        row.join(","),
        row.join(",")
    );
    let err = reject("wide.csv", text.as_bytes());
    assert_eq!(
        err,
        DataError::TooManyColumns {
            found: columns,
            limit: MAX_COLUMNS
        }
    );
    says(&err, &["10000 columns", &format!("limit is {MAX_COLUMNS}")]);
}

#[test]
fn field_too_large_generated() {
    let big = 1 << 20;
    assert!(big > MAX_FIELD_BYTES);
    let text = format!("id,value\n1,{}\n2,small\n", "x".repeat(big));
    let err = reject("big_field.csv", text.as_bytes());
    assert_eq!(
        err,
        DataError::FieldTooLarge {
            line: 2,
            column: 2,
            bytes: big,
            limit: MAX_FIELD_BYTES
        }
    );
    says(&err, &["line 2", "column 2", &format!("{big} bytes")]);
}
