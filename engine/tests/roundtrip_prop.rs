#![allow(clippy::unwrap_used)]
//! Property: a table written by the `csv` crate (any of `,` `;` tab, quoted where needed or
//! everywhere) reads back through `parse_table` with the same names, rows, inferred column
//! types and cells.

use kiln_engine::data::{ColumnData, ColumnType, parse_date, parse_table};
use proptest::prelude::*;
use proptest::sample::select;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Integer,
    Float,
    Boolean,
    Categorical,
}

impl Kind {
    fn column_type(self) -> ColumnType {
        match self {
            Kind::Integer => ColumnType::Integer,
            Kind::Float => ColumnType::Float,
            Kind::Boolean => ColumnType::Boolean,
            Kind::Categorical => ColumnType::Categorical,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(i64),
    Float(f64),
    /// The value and how it is spelled.
    Bool(bool, &'static str),
    Text(String),
}

impl Value {
    fn text(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            // `{:?}` always writes a `.` or an exponent, so the column never reads as integer.
            Value::Float(x) => format!("{x:?}"),
            Value::Bool(_, spelled) => (*spelled).to_string(),
            Value::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone)]
struct Table {
    names: Vec<String>,
    kinds: Vec<Kind>,
    /// By column, then row; `None` is missing (written as an empty cell).
    cells: Vec<Vec<Option<Value>>>,
    rows: usize,
    delimiter: u8,
    quote_always: bool,
    file_name: String,
}

/// Text that can only read as a category: it starts with a letter, is short, has no
/// surrounding whitespace, and is not a number, boolean word, date or missing-value token.
fn plain_text(s: &str) -> bool {
    const RESERVED: [&str; 10] = [
        "true", "false", "yes", "no", "na", "n/a", "#n/a", "nan", "null", "?",
    ];
    let lower = s.to_lowercase();
    !s.is_empty()
        && s.trim() == s
        && s.chars().any(char::is_alphabetic)
        && !RESERVED.contains(&lower.as_str())
        && s.parse::<f64>().is_err()
        && parse_date(s, None).is_none()
}

fn text_value() -> impl Strategy<Value = String> {
    let first = select(vec!['a', 'b', 'n', 'x', 'Q', 'Z', 'é', 'ß', 'ж', 'Ω', '日']);
    let inner = select(vec![
        'a', 'e', 'n', 'l', 'u', 'K', '0', '7', ' ', ' ', ',', ',', '"', '"', ';', '\t', '\n',
        '\r', '\'', '.', '-', '|', '#', '?', '/', 'é', 'ü', '本', '🙂',
    ]);
    (first, prop::collection::vec(inner, 0..9))
        .prop_map(|(first, inner)| {
            let mut s = String::new();
            s.push(first);
            s.extend(inner);
            s.trim_end().to_string()
        })
        .prop_filter("must read as a category", |s| plain_text(s))
}

fn value(kind: Kind) -> BoxedStrategy<Value> {
    match kind {
        Kind::Integer => prop_oneof![(-100i64..100), (-(1i64 << 53)..(1i64 << 53)),]
            .prop_map(Value::Int)
            .boxed(),
        Kind::Float => prop_oneof![
            (-1e6f64..1e6),
            any::<f64>().prop_filter("finite", |x| x.is_finite()),
        ]
        .prop_map(Value::Float)
        .boxed(),
        // Only true/false in any case read as boolean (yes/no columns stay categorical).
        Kind::Boolean => select(vec![
            (true, "true"),
            (false, "false"),
            (true, "TRUE"),
            (false, "FALSE"),
            (true, "True"),
            (false, "False"),
        ])
        .prop_map(|(b, s)| Value::Bool(b, s))
        .boxed(),
        Kind::Categorical => text_value().prop_map(Value::Text).boxed(),
    }
}

/// A column: its kind and, per row, a value and whether it is written as missing.
fn column(rows: usize) -> impl Strategy<Value = (Kind, Vec<(Value, bool)>)> {
    select(vec![
        Kind::Integer,
        Kind::Float,
        Kind::Boolean,
        Kind::Categorical,
    ])
    .prop_flat_map(move |kind| {
        prop::collection::vec((value(kind), prop::bool::weighted(0.2)), rows)
            .prop_map(move |cells| (kind, cells))
    })
}

fn table() -> impl Strategy<Value = Table> {
    (2usize..=8, 1usize..=50).prop_flat_map(|(width, rows)| {
        (
            prop::collection::vec("[a-zA-Z]{1,10}", width).prop_filter("unique names", |n| {
                let mut sorted = n.clone();
                sorted.sort();
                sorted.dedup();
                sorted.len() == n.len()
            }),
            prop::collection::vec(column(rows), width),
            select(vec![b',', b';', b'\t']),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(move |(names, columns, delimiter, quote_always, tsv_name)| {
                let kinds = columns.iter().map(|(k, _)| *k).collect();
                let mut missing: Vec<Vec<bool>> = columns
                    .iter()
                    .map(|(_, c)| c.iter().map(|(_, m)| *m).collect())
                    .collect();
                // A line of only delimiters reads as a blank line (skipped), and an
                // all-missing column has no type: keep one value in every row and column.
                for row in 0..rows {
                    if missing.iter().all(|c| c[row]) {
                        missing[0][row] = false;
                    }
                }
                for column in &mut missing {
                    if column.iter().all(|&m| m) {
                        column[0] = false;
                    }
                }
                let cells = columns
                    .into_iter()
                    .zip(missing)
                    .map(|((_, values), missing)| {
                        values
                            .into_iter()
                            .zip(missing)
                            .map(|((v, _), m)| (!m).then_some(v))
                            .collect()
                    })
                    .collect();
                let file_name = if delimiter == b'\t' && tsv_name {
                    "table.tsv"
                } else {
                    "table.csv"
                };
                Table {
                    names,
                    kinds,
                    cells,
                    rows,
                    delimiter,
                    quote_always,
                    file_name: file_name.to_string(),
                }
            })
    })
}

fn write(table: &Table) -> String {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(table.delimiter)
        .quote_style(if table.quote_always {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .from_writer(Vec::new());
    writer.write_record(&table.names).unwrap();
    for row in 0..table.rows {
        writer
            .write_record(
                table
                    .cells
                    .iter()
                    .map(|c| c[row].as_ref().map(Value::text).unwrap_or_default()),
            )
            .unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn written_tables_read_back(table in table()) {
        let text = write(&table);
        let frame = parse_table(&table.file_name, &text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- input ---\n{text}")))?;
        prop_assert_eq!(frame.names(), table.names.iter().map(String::as_str).collect::<Vec<_>>());
        prop_assert_eq!(frame.rows, table.rows, "input:\n{}", text);
        for ((column, kind), cells) in frame.columns.iter().zip(&table.kinds).zip(&table.cells) {
            prop_assert_eq!(column.kind, kind.column_type(), "column {}, input:\n{}", column.name, text);
            prop_assert_eq!(column.inferred, kind.column_type());
            prop_assert_eq!(column.unparsed, 0);
            prop_assert_eq!(column.data.len(), table.rows);
            for (row, cell) in cells.iter().enumerate() {
                let Some(value) = cell else {
                    prop_assert!(column.data.is_missing(row), "{} row {} should be missing", column.name, row);
                    continue;
                };
                match (&column.data, value) {
                    (ColumnData::Numeric(v), Value::Int(i)) => {
                        // |i| < 2^53: exact as f64.
                        let expected = *i as f64;
                        prop_assert_eq!(v[row], Some(expected));
                    }
                    (ColumnData::Numeric(v), Value::Float(x)) => {
                        let expected: f64 = value.text().parse().unwrap();
                        prop_assert_eq!(expected, *x);
                        prop_assert_eq!(v[row], Some(expected));
                    }
                    (ColumnData::Numeric(v), Value::Bool(b, _)) => {
                        prop_assert_eq!(v[row], Some(if *b { 1.0 } else { 0.0 }));
                    }
                    (ColumnData::Categorical(v), Value::Text(s)) => {
                        prop_assert_eq!(v[row].as_deref(), Some(s.trim()));
                    }
                    (data, value) => {
                        prop_assert!(false, "{}: {:?} read into {:?}", column.name, value, data);
                    }
                }
            }
        }
    }
}
