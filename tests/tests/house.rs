//! House rules that keep the codemap true, in the style of rust-analyzer's tidy tests: every
//! Rust source file of the repository is named in ARCHITECTURE.md, and every `.rs` file named
//! there exists. A newcomer who reads the codemap finds every room, and no room that is gone.

// Test code: a failed expectation should stop the test where it happened.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The repository's root: this crate lives in `tests/`.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Every `.rs` file under `dir`, as a path relative to the root with `/` separators, leaving
/// out build output and hidden folders.
fn sources(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("readable folder") {
        let path = entry.expect("folder entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            sources(root, &path, out);
        } else if name.ends_with(".rs") {
            let relative = path.strip_prefix(root).expect("under the root");
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// Every `something.rs` the codemap names between backticks.
fn named(codemap: &str) -> Vec<String> {
    codemap
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| quoted.ends_with(".rs") && !quoted.contains(char::is_whitespace))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_codemap_names_every_source_file_and_only_files_that_exist() {
    let root = root();
    let codemap = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let named = named(&codemap);
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 50, "found only {files:?}");

    // A file is named when the codemap names it by any tail of its path (`keys.rs` in the
    // issuer's `service/` line, `tests/api.rs`, `fuzz_targets/open_lists.rs`).
    let unnamed: Vec<&String> = files
        .iter()
        .filter(|file| {
            let parts: Vec<&str> = file.split('/').collect();
            !(0..parts.len()).any(|i| named.contains(&parts[i..].join("/")))
        })
        .collect();
    assert!(
        unnamed.is_empty(),
        "ARCHITECTURE.md does not name these source files: {unnamed:?}"
    );

    let missing: Vec<&String> = named
        .iter()
        .filter(|name| {
            !files
                .iter()
                .any(|file| file == *name || file.ends_with(&format!("/{name}")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
}

#[test]
fn a_quoted_name_is_read_only_when_it_is_a_file_name() {
    let names = named("the `gate.rs` file, `a b.rs` is prose, and `sync` is no file: `x/y.rs`");
    assert_eq!(names, ["gate.rs", "x/y.rs"]);
}
