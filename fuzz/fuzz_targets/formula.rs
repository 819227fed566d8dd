//! Feeds arbitrary text to the formula parser, and evaluates what parses: never a panic.
#![no_main]

use kiln_engine::formula::Formula;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data)
        && let Ok(formula) = Formula::parse(source)
    {
        let _ = formula.eval(&|_| Some(1.0));
        let _ = formula.check_columns(&|_| true);
    }
});
