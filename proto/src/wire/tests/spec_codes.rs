//! The reason-code (§5) and close-code (§6) tables of docs/PROTOCOL.md list exactly
//! the codes this build knows, each under its name.

use crate::wire::{CloseCode, ErrorCode};

const SPEC: &str = include_str!("../../../../docs/PROTOCOL.md");

/// `(code, name)` rows of the table under the heading starting with `heading`.
fn table(heading: &str) -> Vec<(u16, String)> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in SPEC.lines() {
        if line.starts_with("## ") {
            inside = line.starts_with(heading);
            continue;
        }
        if !inside {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if let [_, code, name, ..] = cells.as_slice() {
            if let Ok(code) = code.parse::<u16>() {
                rows.push((code, (*name).to_owned()));
            }
        }
    }
    rows
}

#[test]
fn reason_code_table_matches_the_known_codes() {
    let spec = table("## 5.");
    let known: Vec<(u16, String)> = ErrorCode::KNOWN
        .iter()
        .map(|c| (c.0, c.name().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(spec, known);
}

#[test]
fn close_code_table_matches_the_known_codes() {
    let spec = table("## 6.");
    let known: Vec<(u16, String)> = CloseCode::KNOWN
        .iter()
        .map(|c| (c.0, c.name().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(spec, known);
}
