use super::*;

fn column<'a>(f: &'a Frame, name: &str) -> &'a Column {
    f.column(name).unwrap()
}

#[test]
fn types_are_inferred_with_missing_counts() {
    let text = "i,f,b,c,d,t\n\
        1,2.5,true,red,2024-01-05,\"a long free text that somebody typed in, number one\"\n\
        2,NA,FALSE,blue,2024-02-29,\"another long free text that somebody typed in, two\"\n\
        ?,4,True,red,,\"and a third long free text that somebody typed in here\"\n";
    let f = parse_table("t.csv", text).unwrap();
    assert_eq!(f.rows, 3);
    let kinds: Vec<ColumnType> = f.columns.iter().map(|c| c.kind).collect();
    use ColumnType::*;
    assert_eq!(
        kinds,
        vec![Integer, Float, Boolean, Categorical, Datetime, Text]
    );
    assert_eq!(column(&f, "i").missing(), 1);
    assert_eq!(column(&f, "f").missing(), 1);
    assert_eq!(column(&f, "d").missing(), 1);
    assert_eq!(column(&f, "b").cell_text(2), "true");
    assert_eq!(column(&f, "d").cell_text(1), "2024-02-29");
}

#[test]
fn every_missing_token_reads_as_missing() {
    let text = "x,y\n1,a\n,b\nNA,c\nN/A,d\nnull,e\nNaN,f\n?,g\n#N/A,h\n";
    let f = parse_table("t.csv", text).unwrap();
    assert_eq!(column(&f, "x").missing(), 7);
    assert_eq!(column(&f, "x").kind, ColumnType::Integer);
}

#[test]
fn day_first_and_month_first_dates_are_told_apart_by_the_column() {
    let f = parse_table("t.csv", "d,y\n25/12/2023,1\n01/02/2024,2\n").unwrap();
    assert_eq!(column(&f, "d").date_format.as_deref(), Some("%d/%m/%Y"));
    assert_eq!(column(&f, "d").cell_text(1), "2024-02-01");
    let g = parse_table("t.csv", "d,y\n12/25/2023,1\n02/01/2024,2\n").unwrap();
    assert_eq!(column(&g, "d").date_format.as_deref(), Some("%m/%d/%Y"));
    assert_eq!(column(&g, "d").cell_text(1), "2024-02-01");
    let h = parse_table(
        "t.csv",
        "d,y\n2024-03-01T10:30:00Z,1\n2024-03-02T11:00:00+01:00,2\n",
    )
    .unwrap();
    assert_eq!(column(&h, "d").kind, ColumnType::Datetime);
    assert_eq!(column(&h, "d").cell_text(1), "2024-03-02T10:00:00");
}

#[test]
fn a_type_override_reads_cells_as_that_type_and_counts_the_failures() {
    let options = ParseOptions {
        types: BTreeMap::from([
            ("zip".to_string(), ColumnType::Categorical),
            ("n".to_string(), ColumnType::Float),
        ]),
        ..Default::default()
    };
    let text = "zip,n\n01234,1\n99999,x\n";
    let f = parse("t.csv", text.as_bytes(), &options, &mut |_| {}).unwrap();
    assert_eq!(column(&f, "zip").kind, ColumnType::Categorical);
    assert_eq!(column(&f, "zip").inferred, ColumnType::Integer);
    assert_eq!(column(&f, "zip").cell_text(0), "01234");
    assert_eq!(column(&f, "n").unparsed, 1);
    assert_eq!(column(&f, "n").missing(), 1);
}

#[test]
fn ragged_row_names_its_line() {
    let err = parse_table("t.csv", "a,b\n1,2\n3\n").unwrap_err();
    assert_eq!(
        err,
        DataError::Ragged {
            line: 3,
            expected: 2,
            found: 1
        }
    );
    assert!(err.to_string().contains("line 3"));
}

#[test]
fn unclosed_quote_names_line_and_column() {
    let err = parse_table("t.csv", "a,b,c\n1,2,3\n4,\"five,6\n7,8,9\n").unwrap_err();
    assert_eq!(err, DataError::UnterminatedQuote { line: 3, column: 2 });
}

#[test]
fn invalid_utf8_names_line_and_column() {
    let err = parse(
        "t.csv",
        b"a,b\n1,x\n2,\xff\xfe\n",
        &ParseOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err, DataError::InvalidUtf8 { line: 3, column: 2 });
}

#[test]
fn empty_and_binary_files_are_refused() {
    assert_eq!(parse_table("t.csv", "  \n").unwrap_err(), DataError::Empty);
    assert!(matches!(
        parse_table("t.png", "\u{89}PNG\r\n\u{1a}\n\0\0").unwrap_err(),
        DataError::NotText { .. }
    ));
    assert_eq!(
        parse_table("t.csv", "a,b\n").unwrap_err(),
        DataError::NoRows
    );
}

#[test]
fn delimiters_are_detected_by_extension_and_by_content() {
    let f = parse_table("t.tsv", "a\tb\n1\t2\n").unwrap();
    assert_eq!(f.columns.len(), 2);
    assert_eq!(f.format, "TSV");
    let g = parse_table("t.txt", "a\tb\n1\t2\n").unwrap();
    assert_eq!(g.columns[1].name, "b");
    let h = parse_table("t.txt", "a|b|c\n1|2|3\n4|5|6\n").unwrap();
    assert_eq!(h.format, "CSV (|)");
    // Commas inside quotes do not fool the detection.
    let i = parse_table("t.txt", "a;b\n\"x, y, z\";1\n\"p, q\";2\n").unwrap();
    assert_eq!(i.columns.len(), 2);
}

#[test]
fn a_file_without_header_gets_numbered_columns() {
    let f = parse_table("t.csv", "1.5,2,x\n3.5,4,y\n").unwrap();
    assert_eq!(f.names(), vec!["column_1", "column_2", "column_3"]);
    assert_eq!(f.rows, 2);
    let g = parse_table("t.csv", "height,weight\n1.5,2\n").unwrap();
    assert_eq!(g.names(), vec!["height", "weight"]);
}

#[test]
fn byte_order_mark_crlf_and_quoted_fields_are_read_as_a_spreadsheet_writes_them() {
    let text = "\u{feff}name,score\r\n\"Smith, Ann\",1.5\r\n\"O'Brien\r\nJr\",2\r\n";
    let f = parse_table("export.csv", text).unwrap();
    assert_eq!(f.columns[0].name, "name");
    assert_eq!(f.columns[0].cell_text(0), "Smith, Ann");
    assert_eq!(f.columns[0].cell_text(1), "O'Brien\r\nJr");
    assert!(f.columns[1].is_numeric());
}

#[test]
fn header_problems_are_reported_with_positions() {
    let err = parse_table("t.csv", "a,b,a\n1,2,3\n").unwrap_err();
    assert!(err.to_string().contains("columns 1 and 3"), "{err}");
    let err = parse_table("t.csv", "a,,c\n1,2,3\n").unwrap_err();
    assert_eq!(err, DataError::EmptyHeader { column: 2 });
}

#[test]
fn json_arrays_and_ndjson_become_tables() {
    let f = parse_table(
        "t.json",
        r#"[{"x": 1, "c": "a", "ok": true}, {"x": 2.5, "c": null, "extra": "z"}]"#,
    )
    .unwrap();
    assert_eq!(f.names(), vec!["c", "ok", "x", "extra"]);
    assert_eq!(f.format, "JSON");
    assert_eq!(column(&f, "x").kind, ColumnType::Float);
    assert_eq!(column(&f, "c").missing(), 1);
    assert_eq!(column(&f, "extra").missing(), 1);
    let g = parse_table(
        "t.ndjson",
        "{\"a\":1,\"b\":\"x\"}\n\n{\"a\":2,\"b\":\"y\"}\n",
    )
    .unwrap();
    assert_eq!(g.rows, 2);
    assert_eq!(g.format, "NDJSON");
    let err = parse_table("t.ndjson", "{\"a\":1,\"b\":2}\n{\"a\":\n").unwrap_err();
    assert!(err.to_string().starts_with("line 2:"), "{err}");
    let err = parse_table("t.json", "[{\"a\":1,\"b\":2}, 3]").unwrap_err();
    assert!(err.to_string().contains("item 2"), "{err}");
}

#[test]
fn limits_are_errors_not_crashes() {
    let wide: Vec<String> = (0..MAX_COLUMNS + 1).map(|i| format!("c{i}")).collect();
    let text = format!("{}\n{}\n", wide.join(","), vec!["1"; wide.len()].join(","));
    assert!(matches!(
        parse_table("t.csv", &text).unwrap_err(),
        DataError::TooManyColumns { .. }
    ));
    let big = format!("a,b\n1,{}\n", "x".repeat(MAX_FIELD_BYTES + 1));
    assert_eq!(
        parse_table("t.csv", &big).unwrap_err(),
        DataError::FieldTooLarge {
            line: 2,
            column: 2,
            bytes: MAX_FIELD_BYTES + 1,
            limit: MAX_FIELD_BYTES
        }
    );
}

#[test]
fn progress_is_reported_while_reading() {
    let mut text = String::from("a,b\n");
    for i in 0..20_000 {
        text.push_str(&format!("{i},{}\n", i % 7));
    }
    let mut seen = Vec::new();
    parse(
        "t.csv",
        text.as_bytes(),
        &ParseOptions::default(),
        &mut |p| seen.push(p),
    )
    .unwrap();
    assert!(seen.len() >= 4, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(seen.last(), Some(&1.0));
}

#[test]
fn a_table_rewritten_as_csv_reads_back_the_same() {
    let text = "name,note\n\"Smith, Ann\",\"say \"\"hi\"\"\"\nBob,NA\n";
    let mut raw = read_raw(
        "t.csv",
        text.as_bytes(),
        &ParseOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert!(raw.map_column("name", &|v| format!("#{}", v.len())));
    let again = parse_table("t.csv", &rewrite_csv(&raw).unwrap()).unwrap();
    assert_eq!(again.columns[0].cell_text(0), "#10");
    assert_eq!(again.columns[1].cell_text(0), "say \"hi\"");
    assert_eq!(again.columns[1].missing(), 1);
}

#[test]
fn a_quote_inside_a_value_is_text_and_a_bracketed_header_is_csv() {
    let f = parse_table("t.csv", "[ID],item\n1,\"a, b\"\n2,55\" TV\n").unwrap();
    assert_eq!(f.names(), vec!["[ID]", "item"]);
    assert_eq!(f.columns[1].cell_text(1), "55\" TV");
    assert!(parse_table("t.txt", "[\n{\"a\":1,\"b\":2}\n]").is_ok());
}
