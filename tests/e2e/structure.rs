//! The module import graph, read from the code: every `crate::` path (in `use` lines and
//! in expressions) names the module it comes from. Modules are the top-level folders of
//! `src/` plus the leaf submodules listed in [`LEAVES`]. The test proves the layering
//! that docs/architecture.md draws: the graph has no cycle and no arrow runs up the
//! layer list, and the list of arrows in the architecture page is the one read here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Top to bottom. A module may import modules of its own layer or below, never above;
/// cycles are refused even inside a layer.
const LAYERS: &[(&str, &[&str])] = &[
    ("front ends", &["main", "cli", "tui", "batch", "exercise", "lab", "bench", "capture", "import"]),
    ("scenario files", &["scenario"]),
    ("engine", &["engine"]),
    ("model", &["ipvs", "schedulers", "stack", "workload", "metrics", "trace", "why", "topology"]),
    ("leaves", &["dest", "cmdline", "packet", "sim", "lang", "lib"]),
];

/// Submodules that are modules of their own in the graph (leaves other modules may use
/// without depending on their parent).
const LEAVES: &[&str] = &[];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `src/ipvs/conn.rs` → `["ipvs", "conn"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// The graph unit a module path belongs to: the longest listed leaf that prefixes it,
/// else its top-level module (`lib` for the crate root).
fn unit(path: &[String]) -> String {
    for leaf in LEAVES {
        let l: Vec<&str> = leaf.split("::").collect();
        if path.len() >= l.len() && path.iter().zip(&l).all(|(a, b)| a == b) {
            return (*leaf).to_string();
        }
    }
    path.first().cloned().unwrap_or_else(|| "lib".into())
}

/// Strips comments and string literals, so a path in a doc comment or a message is not
/// an import.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if in_str {
                if c == '"' && prev != '\\' {
                    in_str = false;
                }
                prev = if prev == '\\' && c == '\\' { ' ' } else { c };
                continue;
            }
            if c == '/' && chars.peek() == Some(&'/') {
                break;
            }
            if c == '"' {
                in_str = true;
                prev = ' ';
                continue;
            }
            out.push(c);
        }
        out.push('\n');
    }
    out
}

/// Drops `#[cfg(test)]` items (a test module may load scenarios to test a model file;
/// that is not an import of the model). Works on `code_only` text, so braces in strings
/// and comments do not count.
fn without_tests(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(open) = after.find(['{', ';']) else { break };
        if after.as_bytes()[open] == b';' {
            rest = &after[open + 1..];
            continue;
        }
        let mut depth = 0usize;
        let mut end = after.len();
        for (j, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Every `crate::a::b` and `super::a` path in the code, resolved to module paths
/// (`use crate::x::{a, b}` names `x`).
fn imports(me: &[String], code: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "lvsim::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_' || bytes[at - 1] == b':') {
                continue;
            }
            let rest = &code[at..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            let segs: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
            let mut path: Vec<String> = if start == "super::" {
                // `super` is the parent of the file's module. (Inside an inline
                // `mod tests` it is the file's own module; such paths resolve to no
                // top-level module and are dropped by the caller.)
                let mut p = me.to_vec();
                p.pop();
                p
            } else {
                Vec::new()
            };
            let mut segs = segs.into_iter().skip(1).peekable();
            while segs.peek() == Some(&"super") {
                path.pop();
                segs.next();
            }
            path.extend(segs.filter(|s| s.chars().next().is_some_and(|c| c.is_ascii_lowercase())).map(String::from));
            found.push(path);
        }
    }
    found
}

/// The arrows between units, with the files that make each one.
fn graph() -> BTreeMap<(String, String), BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let tops: BTreeSet<String> = files.iter().filter_map(|f| module_path(&src, f).first().cloned()).collect();
    let mut arrows: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let me = module_path(&src, &f);
        let code = without_tests(&code_only(&std::fs::read_to_string(&f).unwrap()));
        let from = unit(&me);
        for target in imports(&me, &code) {
            if target.first().is_none_or(|t| !tops.contains(t)) {
                continue;
            }
            let to = unit(&target);
            if to != from {
                let file = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                arrows.entry((from.clone(), to)).or_default().insert(file);
            }
        }
    }
    arrows
}

/// The strongly connected groups of more than one unit (Tarjan's algorithm is overkill
/// for ~25 nodes: reachability both ways).
fn cycles(arrows: &BTreeMap<(String, String), BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let nodes: BTreeSet<&String> = arrows.keys().flat_map(|(a, b)| [a, b]).collect();
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(n) = stack.pop() {
            for (a, b) in arrows.keys() {
                if *a == n && seen.insert(b.clone()) {
                    stack.push(b.clone());
                }
            }
        }
        seen
    };
    let mut groups: Vec<BTreeSet<String>> = Vec::new();
    for n in &nodes {
        if groups.iter().any(|g| g.contains(*n)) {
            continue;
        }
        let r = reach(n);
        if !r.contains(*n) {
            continue;
        }
        let g: BTreeSet<String> = r.into_iter().filter(|m| reach(m).contains(*n)).collect();
        groups.push(g);
    }
    groups
}

/// The arrow list as docs/architecture.md shows it.
pub fn arrow_table() -> String {
    let mut by_from: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (a, b) in graph().keys() {
        by_from.entry(a.clone()).or_default().push(b.clone());
    }
    let mut out = String::new();
    for (layer, modules) in LAYERS {
        for m in *modules {
            let to = by_from.get(*m).map_or_else(|| "—".into(), |v| v.join(", "));
            let _ = writeln!(out, "| {layer} | `{m}` | {to} |");
        }
    }
    out
}

#[test]
fn every_module_has_a_layer() {
    // A new top-level module must be placed in LAYERS (and so in the architecture page).
    let arrows = graph();
    let unplaced: BTreeSet<&String> = arrows.keys().flat_map(|(a, b)| [a, b]).filter(|m| rank(m).is_none()).collect();
    assert!(unplaced.is_empty(), "modules missing from LAYERS: {unplaced:?}");
}

#[test]
fn the_import_graph_has_no_cycle() {
    let arrows = graph();
    let cs = cycles(&arrows);
    let explain: Vec<String> = cs
        .iter()
        .map(|g| {
            let ties: Vec<String> = arrows
                .iter()
                .filter(|((a, b), _)| g.contains(a) && g.contains(b))
                .map(|((a, b), files)| format!("{a} -> {b} ({})", files.iter().cloned().collect::<Vec<_>>().join(", ")))
                .collect();
            ties.join("; ")
        })
        .collect();
    assert!(cs.is_empty(), "import cycles: {explain:#?}");
}

#[test]
fn no_arrow_runs_up_the_layers() {
    let arrows = graph();
    let up: Vec<String> = arrows
        .iter()
        .filter(|((a, b), _)| matches!((rank(a), rank(b)), (Some(x), Some(y)) if y < x))
        .map(|((a, b), files)| format!("{a} -> {b} ({})", files.iter().cloned().collect::<Vec<_>>().join(", ")))
        .collect();
    assert!(up.is_empty(), "upward imports: {up:#?}");
}

#[test]
fn the_architecture_page_lists_the_arrows_read_here() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let page = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let table = arrow_table();
    if std::env::var_os("LVSIM_BLESS").is_some() {
        println!("{table}");
    }
    assert!(page.contains(&table), "docs/architecture.md's import table is stale; it should contain:\n{table}");
}
