//! Running the `kiln` binary from the repository root, as a person would.
#![allow(clippy::unwrap_used, dead_code)]

use std::process::{Command, Output};

pub fn kiln(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap()
}

/// Standard output of a run that must succeed (its standard error in the failure message).
pub fn stdout_of(args: &[&str]) -> String {
    let out = kiln(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Standard error of a run that must fail cleanly (a message, no panic).
pub fn fails(args: &[&str]) -> String {
    let out = kiln(args);
    assert!(!out.status.success(), "{args:?} should fail");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    err
}
