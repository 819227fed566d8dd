//! Feeds arbitrary text to the CSV/TSV reader: it must return (Ok or Err), never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = kiln_engine::data::parse_table("fuzz.csv", text);
        let _ = kiln_engine::data::parse_table("fuzz.tsv", text);
    }
});
