//! The documentation as a student reads it: every link stays inside the repository and
//! resolves, every page under docs/ has its other-language twin, and the scenario blocks
//! of the scenario-format reference are real scenarios that `lvsim check` accepts.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `*.md` of the repository except build output and VCS data.
fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            if !matches!(name.as_str(), "target" | ".git" | "node_modules") {
                markdown_files(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
}

/// The text outside fenced code blocks: a `](x)` inside a code sample is not a link.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The targets of the Markdown links `[text](target)` and images `![alt](target)`.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        let after = &rest[i + 2..];
        let end = after.find(')').unwrap_or(after.len());
        let target = after[..end].split_whitespace().next().unwrap_or("").to_string();
        out.push(target);
        rest = &after[end..];
    }
    out
}

/// Links that may leave the repository. Empty: a student has the repository and nothing
/// else, so every page must stand on its own.
const ALLOWED_EXTERNAL: &[&str] = &[];

#[test]
fn no_link_in_any_markdown_file_leaves_the_repository() {
    // A link is broken for a reader if its target is not a file in the checkout: an
    // http(s) link needs the network (and may be gone), an absolute or `../` path past
    // the root needs a directory the reader does not have. Resolving each relative
    // target against its page's folder and requiring it to exist under the root proves
    // both at once; the list of files read is checked to be non-empty so the test cannot
    // pass by reading nothing.
    let root = root();
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    assert!(files.iter().any(|f| f.ends_with("README.md")), "no markdown files found under {}", root.display());
    let canon_root = root.canonicalize().unwrap();
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        for target in link_targets(&prose(&text)) {
            if target.is_empty() || target.starts_with('#') {
                continue;
            }
            if target.contains("://") || target.starts_with("mailto:") {
                if !ALLOWED_EXTERNAL.contains(&target.as_str()) {
                    bad.push(format!("{rel}: external link {target}"));
                }
                continue;
            }
            let path = target.split('#').next().unwrap();
            let resolved = f.parent().unwrap().join(path);
            match resolved.canonicalize() {
                Ok(p) if p.starts_with(&canon_root) => {}
                Ok(_) => bad.push(format!("{rel}: {target} leaves the repository")),
                Err(_) => bad.push(format!("{rel}: {target} does not exist")),
            }
        }
    }
    assert!(bad.is_empty(), "links that leave the repository or resolve to nothing:\n{}", bad.join("\n"));
}

#[test]
fn every_page_for_students_has_an_english_and_a_chinese_version() {
    // The course is taught in Chinese and the code is written in English: a page that
    // exists in one language only leaves one group of readers without it. Pairing by
    // file name (X.md ⇄ X.zh.md) is the convention the pages link each other by.
    // docs/architecture.md is the developers' design map and stays English only.
    let root = root();
    let mut files = Vec::new();
    markdown_files(&root.join("docs"), &mut files);
    files.push(root.join("README.md"));
    files.push(root.join("README.zh.md"));
    let mut missing = Vec::new();
    for f in &files {
        let name = f.to_string_lossy().into_owned();
        let twin = name.strip_suffix(".zh.md").map_or_else(|| name.replace(".md", ".zh.md"), |s| format!("{s}.md"));
        if name.ends_with("docs/architecture.md") {
            continue;
        }
        // The reader finds the other language from the top of the page: a link to the twin.
        let twin_name = Path::new(&twin).file_name().unwrap().to_string_lossy().into_owned();
        match std::fs::read_to_string(&twin) {
            Err(_) => missing.push(format!("{name} has no {twin}")),
            Ok(_) if !std::fs::read_to_string(f).unwrap().contains(&format!("]({twin_name})")) => {
                missing.push(format!("{name} does not link {twin_name}"));
            }
            Ok(_) => {}
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn no_chinese_page_sends_the_reader_to_the_english_one() {
    // A Chinese page that says "see the English version" for its examples is not
    // complete. The phrases are the ones such pages used ("…见英文版", "以英文页为准"):
    // finding none of them in any *.zh.md is what the claim needs.
    let root = root();
    let mut files = Vec::new();
    markdown_files(&root, &mut files);
    let mut bad = Vec::new();
    for f in files.iter().filter(|f| f.to_string_lossy().ends_with(".zh.md")) {
        let text = std::fs::read_to_string(f).unwrap();
        for phrase in ["见英文版", "见英文页", "以英文页为准", "（英文）"] {
            if text.contains(phrase) {
                bad.push(format!("{}: {phrase}", f.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The ```` ```ron scenario ```` blocks of a page: the ones the page presents as complete
/// scenario files (other ```ron blocks are fragments).
fn scenario_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        match &mut cur {
            None if t.starts_with("```ron scenario") => cur = Some(String::new()),
            Some(_) if t.starts_with("```") => out.push(cur.take().unwrap()),
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

#[test]
fn the_scenario_format_pages_examples_pass_lvsim_check_and_verify() {
    // Each complete example is written to a file and given to the real `lvsim check`,
    // the command the page tells students to run: exit status 0 means it parsed, every
    // command line was accepted and the world was built. The English and Chinese pages
    // must show the same number of examples, so neither language loses one.
    let root = root();
    let dir = std::env::temp_dir().join(format!("lvsim-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut counts = Vec::new();
    for page in ["docs/scenario-format.md", "docs/scenario-format.zh.md"] {
        let text = std::fs::read_to_string(root.join(page)).unwrap();
        let blocks = scenario_blocks(&text);
        counts.push(blocks.len());
        for (i, b) in blocks.iter().enumerate() {
            let file = dir.join(format!("{}-{i}.ron", page.replace(['/', '.'], "_")));
            std::fs::write(&file, b).unwrap();
            // An example that states what a student should observe is also run: `lvsim verify`
            // exits 0 only if every `expect:` entry holds, so the page's claims are true.
            let commands: &[&str] = if b.contains("expect:") { &["check", "verify"] } else { &["check"] };
            for cmd in commands {
                let out = Command::new(env!("CARGO_BIN_EXE_lvsim")).arg(cmd).arg(&file).output().unwrap();
                assert!(
                    out.status.success(),
                    "{page}, example {}: lvsim {cmd} failed:\n{}{}\n{b}",
                    i + 1,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(counts[0] >= 3, "docs/scenario-format.md should show complete scenarios, found {}", counts[0]);
    assert_eq!(counts[0], counts[1], "the English and Chinese pages show different numbers of examples");
}

#[test]
fn the_scenario_format_pages_name_every_sysctl_scheduler_and_drop_reason_lvsim_knows() {
    // The lists are read from the parser's own tables (`ConfName::ALL`, `VsName::ALL`,
    // `NeighName::ALL`, `Sched::ALL`, `DropReason::ALL`), not from the pages: a key added
    // to the code without a line in the reference fails here, in both languages.
    use lvsim::cmdline::ipvsadm::Sched;
    use lvsim::cmdline::{ConfName, NeighName, VsName};
    use lvsim::why::DropReason;
    let mut names: Vec<String> = Vec::new();
    names.extend(ConfName::ALL.iter().map(|n| format!("net.ipv4.conf.DEV.{}", n.name())));
    names.extend(VsName::ALL.iter().map(|n| n.name().to_string()));
    names.extend(NeighName::ALL.iter().map(|n| format!("net.ipv4.neigh.DEV.{}", n.name())));
    names.extend(Sched::ALL.iter().map(|s| format!("`{}`", s.name())));
    names.extend(DropReason::ALL.iter().map(|d| format!("`{}`", d.key())));
    for page in ["docs/scenario-format.md", "docs/scenario-format.zh.md"] {
        let text = std::fs::read_to_string(root().join(page)).unwrap();
        let missing: Vec<&String> = names.iter().filter(|n| !text.contains(n.as_str())).collect();
        assert!(missing.is_empty(), "{page} does not name {missing:?}");
    }
}

/// A page's shape: the level of each heading, and the number of code blocks and tables,
/// outside code blocks.
fn shape(text: &str) -> (Vec<usize>, usize, usize) {
    let (mut heads, mut blocks, mut tables, mut fenced) = (Vec::new(), 0, 0, false);
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            fenced = !fenced;
            blocks += usize::from(fenced);
        } else if !fenced && line.starts_with('#') {
            heads.push(line.bytes().take_while(|&b| b == b'#').count());
        } else if !fenced && (t.starts_with("|-") || t.starts_with("|:-")) {
            tables += 1;
        }
    }
    (heads, blocks, tables)
}

#[test]
fn each_chinese_page_has_the_sections_examples_and_tables_of_its_english_twin() {
    // A translation that leaves out a section, an output block or a table is not complete,
    // whatever its words say. The headings' levels in order, the number of code blocks
    // (commands and real outputs) and the number of tables are language-independent, so
    // equal shapes mean nothing was left out; a difference names the page.
    let root = root();
    let mut files = vec![root.join("README.md")];
    markdown_files(&root.join("docs"), &mut files);
    let mut bad = Vec::new();
    for en in files.iter().filter(|f| !f.to_string_lossy().ends_with(".zh.md") && !f.ends_with("docs/architecture.md"))
    {
        let zh = en.with_extension("zh.md");
        let (a, b) = (std::fs::read_to_string(en).unwrap(), std::fs::read_to_string(&zh).unwrap_or_default());
        let (sa, sb) = (shape(&a), shape(&b));
        if sa != sb {
            bad.push(format!(
                "{}: headings {:?} / {:?}, code blocks {} / {}, tables {} / {}",
                en.strip_prefix(&root).unwrap().display(),
                sa.0,
                sb.0,
                sa.1,
                sb.1,
                sa.2,
                sb.2
            ));
        }
    }
    assert!(bad.is_empty(), "Chinese pages that differ from their English twin (en / zh):\n{}", bad.join("\n"));
}

#[test]
fn the_trace_pages_list_every_reason_with_its_fields() {
    // `Why::KEYS` is the code's own list of reason kinds and field names (the filter
    // language resolves `why == KEY` and `why.FIELD` against it, and its error hint sends
    // the reader to docs/trace.md). Each key must have a row in both languages naming
    // every field, so a reason added to the code without a line in the reference fails.
    use lvsim::why::Why;
    for page in ["docs/trace.md", "docs/trace.zh.md"] {
        let text = std::fs::read_to_string(root().join(page)).unwrap();
        for (key, fields) in Why::KEYS {
            let row = text
                .lines()
                .find(|l| l.starts_with(&format!("| `{key}` |")))
                .unwrap_or_else(|| panic!("{page} has no row for {key}"));
            for f in *fields {
                assert!(row.contains(&format!("`{f}`")), "{page}: the row of {key} does not name its field {f}");
            }
        }
    }
}
