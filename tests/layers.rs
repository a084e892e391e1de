//! Imports point one way: read from the source (every `crate::` and `super::` path outside
//! comments), per file, so a new upward import fails here instead of waiting for a review.
//! docs/architecture.md ("Modules and their imports") lists the same arrows.

use std::path::Path;

/// The `crate::a::b` paths a source file names outside comments, as `a/b` prefixes
/// (`super::x` resolved against the file's own module directory). Before the split,
/// `schedulers/*` named `crate::ipvs` (the whole of IPVS) and `workload` `crate::ipvs::Proto`:
/// the tests below would have failed.
fn imports(file: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let text = std::fs::read_to_string(root.join(file)).unwrap();
    let dir = Path::new(file).parent().unwrap().to_string_lossy().into_owned();
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        for (prefix, base) in [("crate::", String::new()), ("super::", format!("{dir}/"))] {
            let mut rest = code;
            while let Some(i) = rest.find(prefix) {
                rest = &rest[i + prefix.len()..];
                let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                let path = path.trim_end_matches(':');
                // `use super::*` / `use super::{..}`: the parent as a whole (in a file's
                // test module, the file itself); the names inside braces are not read.
                if !path.is_empty() {
                    out.push(format!("{base}{}", path.replace("::", "/")));
                }
            }
        }
    }
    out
}

fn files_in(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut v: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    v.sort();
    v
}

// The schedulers see IPVS only through its leaf files (types, the ipvsadm value types,
// the counters): `ipvs/mod.rs` imports the schedulers, so any other IPVS path here would
// close a cycle. compare.rs (`lvsim sched compare`) is a front end that runs ipvs::script.
#[test]
fn schedulers_import_only_the_ipvs_leaves() {
    let leaves = ["ipvs/types", "ipvs/ipvsadm", "ipvs/estimator"];
    for f in files_in("schedulers").into_iter().filter(|f| !f.ends_with("compare.rs")) {
        for p in imports(&f) {
            if p.starts_with("ipvs") {
                assert!(leaves.iter().any(|l| p.starts_with(l)), "{f} imports {p}");
            }
        }
    }
}

// The leaf files of IPVS import neither the rest of IPVS nor the schedulers.
#[test]
fn ipvs_leaves_stay_leaves() {
    for f in ["ipvs/types.rs", "ipvs/estimator.rs", "ipvs/state.rs"] {
        for p in imports(f) {
            let ok = p.starts_with("sim")
                || p.starts_with("packet")
                || ["ipvs/state", "ipvs/estimator", "ipvs/ipvsadm"].iter().any(|l| p.starts_with(l));
            assert!(ok, "{f} imports {p}");
        }
    }
}

// Sockets and workloads, the packet layer and the simulation core are below IPVS.
#[test]
fn lower_layers_do_not_import_ipvs() {
    for dir in ["workload", "packet", "sim"] {
        for f in files_in(dir) {
            for p in imports(&f) {
                assert!(!p.starts_with("ipvs") && !p.starts_with("schedulers"), "{f} imports {p}");
            }
        }
    }
}
