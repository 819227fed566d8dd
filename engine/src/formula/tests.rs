use super::*;

fn row(name: &str) -> Option<f64> {
    match name {
        "x" => Some(2.0),
        "y" => Some(3.0),
        "income" => Some(1000.0),
        "age" => Some(40.0),
        "annual income" => Some(1200.0),
        "âge" => Some(30.0),
        "naïve col" => Some(5.0),
        "nan" => Some(f64::NAN),
        _ => None,
    }
}

fn ev(source: &str) -> Option<f64> {
    Formula::parse(source).unwrap().eval(&row)
}

fn close(source: &str, expected: f64) {
    let got = ev(source).unwrap_or_else(|| panic!("{source} gave None"));
    assert!(
        (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
        "{source}: got {got}, expected {expected}"
    );
}

fn err(source: &str) -> FormulaError {
    Formula::parse(source).unwrap_err()
}

fn err_at(source: &str, position: usize, message_part: &str) {
    let e = err(source);
    assert_eq!(e.position, position, "{source}: {e}");
    assert!(e.message.contains(message_part), "{source}: {e}");
    assert_eq!(e.source_text, source);
}

#[test]
fn precedence_and_associativity() {
    close("1 + 2 * 3", 7.0);
    close("(1 + 2) * 3", 9.0);
    close("10 - 4 - 3", 3.0);
    close("64 / 4 / 2", 8.0);
    close("2 ^ 3 ^ 2", 512.0);
    close("-2^2", -4.0);
    close("(-2)^2", 4.0);
    close("2^-1", 0.5);
    close("-2^-2", -0.25);
    close("2^3*2", 16.0);
    close("2*3^2", 18.0);
    close("-x", -2.0);
    close("+x", 2.0);
    close("--x", 2.0);
    close("2 * -x", -4.0);
    close("1 - -1", 2.0);
    close("x - y * x / 4 + 1", 1.5);
    close("log(income) / age", 1000f64.ln() / 40.0);
}

#[test]
fn numbers() {
    close(".5", 0.5);
    close("2.5", 2.5);
    close("3.", 3.0);
    close("1e-3", 0.001);
    close("1E3", 1000.0);
    close("1.5e+2", 150.0);
    close("0.25e1", 2.5);
    close("007", 7.0);
}

#[test]
fn functions() {
    close("log(exp(2))", 2.0);
    close("log10(1000)", 3.0);
    close("log1p(0)", 0.0);
    close("exp(0)", 1.0);
    close("sqrt(16)", 4.0);
    close("abs(-3)", 3.0);
    close("round(2.5)", 3.0);
    close("round(-2.5)", -3.0);
    close("floor(-1.5)", -2.0);
    close("ceil(1.2)", 2.0);
    close("min(x, y)", 2.0);
    close("max(x, y)", 3.0);
    close("pow(2, 10)", 1024.0);
    close("max(min(1, 2), -x) + abs (x - y)", 2.0);
    close("sqrt(x * 8) ^ 2", 16.0);
}

#[test]
fn missing_values_give_none() {
    assert_eq!(ev("x + missing"), None);
    assert_eq!(ev("0 * missing"), None);
    assert_eq!(ev("min(x, missing)"), None);
    assert_eq!(ev("nan * 0"), None);
}

#[test]
fn non_finite_results_give_none() {
    for source in [
        "log(-1)",
        "log(0)",
        "1 / 0",
        "0 / 0",
        "x / (y - 3)",
        "sqrt(-1)",
        "exp(1000)",
        "exp(1000) / exp(1000)",
        "min(log(-1), 1)",
        "(-8) ^ (1/3)",
        "1e300 * 1e300",
    ] {
        assert_eq!(ev(source), None, "{source}");
    }
}

#[test]
fn empty_and_unexpected() {
    err_at("", 0, "the formula is empty");
    err_at("  \t ", 0, "the formula is empty");
    err_at("a $ b", 2, "unexpected character '$'");
    err_at("a +", 3, "the formula ends too early");
    err_at("log(", 4, "the formula ends too early");
    err_at("a b", 2, "unexpected name \"b\"");
    err_at("2 3", 2, "unexpected number");
    err_at("a * / b", 4, "unexpected \"/\"");
    err_at("()", 1, "unexpected \")\"");
    err_at("min(1,)", 6, "unexpected \")\"");
    err_at("a . b", 2, "unexpected character '.'");
    err_at("âge + 1", 0, "backticks");
    let e = err("a $ b");
    assert_eq!(e.message, "unexpected character '$'");
    assert_eq!(
        e.to_string(),
        "unexpected character '$' at character 3 of \"a $ b\""
    );
}

#[test]
fn leftmost_error_wins() {
    // The parser error at position 2 comes before the lexical one at position 4.
    err_at("a b $", 2, "unexpected name");
    err_at("(a $", 3, "unexpected character");
}

#[test]
fn parentheses() {
    err_at("(a + b", 0, "unmatched parenthesis");
    err_at("log(a", 3, "unmatched parenthesis");
    err_at("((a) + b", 0, "unmatched parenthesis");
    err_at("x * (a + (b)", 4, "unmatched parenthesis");
    err_at("a + b)", 5, "unmatched closing parenthesis");
    err_at("(a b)", 3, "expected an operator or \")\"");
    close("((((x))))", 2.0);
}

#[test]
fn function_errors() {
    err_at("foo(1)", 0, "unknown function \"foo\"");
    err_at("x + bar(1, 2)", 4, "unknown function \"bar\"");
    err_at("LOG(x)", 0, "unknown function \"LOG\"");
    let e = err("log(1, 2)");
    assert_eq!(
        (e.position, e.message.as_str()),
        (0, "log takes 1 argument, not 2")
    );
    let e = err("x + min(1)");
    assert_eq!(
        (e.position, e.message.as_str()),
        (4, "min takes 2 arguments, not 1")
    );
    err_at("pow()", 0, "pow takes 2 arguments, not 0");
    err_at("sqrt()", 0, "sqrt takes 1 argument, not 0");
    // A function name without parentheses is a column.
    assert_eq!(
        Formula::parse("log + 1").unwrap().columns(),
        [("log".to_string(), 0)]
    );
}

#[test]
fn number_errors() {
    err_at("1e", 1, "exponent");
    err_at("1e+", 1, "exponent");
    err_at("x * 2x", 5, "expected an operator after the number");
    err_at("1.2.3", 0, "malformed number");
    err_at("1e999", 0, "too large");
    close("1e308", 1e308);
}

#[test]
fn backtick_names() {
    close("`annual income` / 12", 100.0);
    let f = Formula::parse("`annual income` / 12 + `x`").unwrap();
    assert_eq!(
        f.columns(),
        [("annual income".to_string(), 0), ("x".to_string(), 23)]
    );
    err_at("`abc", 0, "unterminated backtick");
    err_at("x + `abc", 4, "unterminated backtick");
    err_at("x + ``", 4, "empty column name");
    err_at("`a` `b`", 4, "unexpected column \"b\"");
}

#[test]
fn positions_count_characters_not_bytes() {
    close("`âge` + `naïve col`", 35.0);
    let f = Formula::parse("`âge` + `naïve col` + zzz").unwrap();
    assert_eq!(
        f.columns(),
        [
            ("âge".to_string(), 0),
            ("naïve col".to_string(), 8),
            ("zzz".to_string(), 22),
        ]
    );
    let e = f.check_columns(&|name| row(name).is_some()).unwrap_err();
    assert_eq!(e.position, 22);
    assert_eq!(e.message, "unknown column \"zzz\"");
    err_at("`été` $", 6, "unexpected character '$'");
    err_at("`日本` +", 6, "ends too early");
}

#[test]
fn columns_in_order_of_first_appearance() {
    let f = Formula::parse("b + a * b + c + a").unwrap();
    assert_eq!(
        f.columns(),
        [
            ("b".to_string(), 0),
            ("a".to_string(), 4),
            ("c".to_string(), 12)
        ]
    );
    let f = Formula::parse("log(x) + max(x, _y2)").unwrap();
    assert_eq!(f.columns(), [("x".to_string(), 4), ("_y2".to_string(), 16)]);
    assert!(Formula::parse("1 + 2").unwrap().columns().is_empty());
    assert_eq!(f.source(), "log(x) + max(x, _y2)");
}

#[test]
fn check_columns_reports_first_unknown() {
    let f = Formula::parse("log(income) / agee").unwrap();
    let e = f.check_columns(&|name| row(name).is_some()).unwrap_err();
    assert_eq!(e.position, 14);
    assert_eq!(e.message, "unknown column \"agee\"");
    assert_eq!(
        e.to_string(),
        "unknown column \"agee\" at character 15 of \"log(income) / agee\""
    );
    let f = Formula::parse("a + b + a").unwrap();
    assert_eq!(
        f.check_columns(&|name| name == "a").unwrap_err().position,
        4
    );
    assert!(f.check_columns(&|_| true).is_ok());
}

#[test]
fn limits() {
    let deep = format!("{}x{}", "(".repeat(100), ")".repeat(100));
    err_at(&deep, 64, "nested too deeply");
    let ok = format!("{}x{}", "(".repeat(60), ")".repeat(60));
    close(&ok, 2.0);
    err_at(&"-".repeat(200), 64, "nested too deeply");
    err_at(&"2^".repeat(100), 128, "nested too deeply");
    let long = format!("{}x", "x+".repeat(600));
    let e = err(&long);
    assert_eq!(e.position, MAX_SOURCE_CHARS);
    assert!(e.to_string().ends_with("…\""));
    // A long flat chain within the limit is fine.
    close(&format!("{}1", "1+".repeat(499)), 500.0);
}

#[test]
fn display_is_one_line() {
    let e = err("a +\n$");
    assert_eq!(e.position, 4);
    let shown = e.to_string();
    assert!(!shown.contains('\n'), "{shown}");
    assert_eq!(
        shown,
        "unexpected character '$' at character 5 of \"a + $\""
    );
    let e = Formula::parse("`a\nb` + 1")
        .unwrap()
        .check_columns(&|_| false)
        .unwrap_err();
    assert!(!e.to_string().contains('\n'));
    let e = err("a \0");
    assert!(!e.to_string().contains('\0'));
}

#[test]
fn never_panics_on_random_input() {
    let alphabet: Vec<char> = "()+-*/^,.eE1x `é$\n\tlogmin(".chars().collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let len = (next() % 24) as usize;
        let source: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        if let Ok(f) = Formula::parse(&source) {
            let _ = f.eval(&|_| Some(1.0));
            let _ = f.check_columns(&|_| true);
        } else {
            let e = Formula::parse(&source).unwrap_err();
            assert!(e.position <= source.chars().count(), "{source:?}: {e}");
        }
    }
}
