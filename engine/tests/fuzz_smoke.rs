//! Runs the bodies of the fuzz targets in `fuzz/` over a few nasty inputs, so ordinary CI
//! exercises them without nightly Rust: every input must give Ok or Err, never a panic.
#![allow(clippy::unwrap_used)]

use kiln_engine::data::parse_table;
use kiln_engine::formula::Formula;

/// The body of `fuzz/fuzz_targets/csv_reader.rs`.
fn csv_reader(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_table("fuzz.csv", text);
        let _ = parse_table("fuzz.tsv", text);
    }
}

/// The body of `fuzz/fuzz_targets/formula.rs`; returns whether the formula parsed.
fn formula(data: &[u8]) -> bool {
    let Ok(source) = std::str::from_utf8(data) else {
        return false;
    };
    match Formula::parse(source) {
        Ok(formula) => {
            let _ = formula.eval(&|_| Some(1.0));
            let _ = formula.check_columns(&|_| true);
            true
        }
        Err(_) => false,
    }
}

fn nasty_inputs() -> Vec<Vec<u8>> {
    let deep_parens = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
    let deep_calls = format!("{}1{}", "log(".repeat(5_000), ")".repeat(5_000));
    let wide_row = format!(
        "{}\n{}\n",
        "c,".repeat(5_000) + "c",
        "1,".repeat(5_000) + "1"
    );
    vec![
        b"".to_vec(),
        deep_parens.into_bytes(),
        deep_calls.into_bytes(),
        "-".repeat(10_000).into_bytes(),
        "2^".repeat(5_000).into_bytes(),
        format!("{}1", "1+".repeat(20_000)).into_bytes(),
        format!("a,b\n{},{}\n", "9".repeat(400), "1e999999").into_bytes(),
        b"1e308 * 1e308 / -0".to_vec(),
        b"a,b\n\"unterminated,1\n2,3\n".to_vec(),
        b"`unterminated backtick + 1".to_vec(),
        b"a,b\n1\x002\n".to_vec(),
        b"x + \x00".to_vec(),
        b"a,b\r1,2\r3,4".to_vec(),
        b"a\tb\r\n1\t2\r\n\r".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        "\u{feff}a,b\n1,2\n".as_bytes().to_vec(),
        "`日本語` + `é` * log(`🦀`)".as_bytes().to_vec(),
        b",,,\n,,,\n".to_vec(),
        b"a,a\n1,2\n".to_vec(),
        b"\"\"\"\"\n\"".to_vec(),
        wide_row.into_bytes(),
        b"min(,) max(1,2,3) pow(1) foo(1) (((((".to_vec(),
        b".e5 + 1.2.3 + 4e + 5x".to_vec(),
    ]
}

#[test]
fn fuzz_bodies_survive_nasty_inputs() {
    for input in nasty_inputs() {
        csv_reader(&input);
        formula(&input);
    }
}

#[test]
fn deep_nesting_is_rejected() {
    let deep = format!("{}x{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(!formula(deep.as_bytes()));
    assert!(Formula::parse(&deep).is_err());
    // Deep but within the length limit: rejected for its depth.
    let deep = format!("{}x{}", "(".repeat(400), ")".repeat(400));
    let error = Formula::parse(&deep).unwrap_err();
    assert!(error.message.contains("nested too deeply"), "{error}");
}
