use super::*;
use std::path::{Path, PathBuf};

// ───────────────────── the table's machinery ─────────────────────

// A fixed phrase is found whole; a phrase the table does not hold (a name, quoted input)
// comes back unchanged and borrowed, so English input is never altered by accident.
#[test]
fn fixed_and_unknown() {
    assert_eq!(phrase("end of command"), "命令结尾");
    assert!(matches!(phrase("\"lb_algoo\""), Cow::Borrowed("\"lb_algoo\"")));
    assert!(!knows("eth0"));
}

// A pattern puts its captures back in the Chinese order, and a list capture gets 、 and 或:
// the expected string is built from the table's own template, so this checks the
// machinery (holes, order, lists), not the wording.
#[test]
fn pattern_captures_and_lists() {
    let mut caps = Vec::new();
    assert!(captures("a field of {}: {}", "a field of Scenario: about, notes", &mut caps));
    assert_eq!(caps, ["Scenario", "about, notes"]);
    assert_eq!(fill("{1}：{0,}", &["a, b or c", "X"], &[false, false], 0).0, "X：a、b 或 c");
    // A Chinese character meets a Latin word with a space between, as the docs write it;
    // full-width punctuation takes none.
    assert_eq!(fill("带{}的{}", &["X", "Y"], &[false, false], 0).0, "带 X 的 Y");
    assert_eq!(fill("（{}）", &["X"], &[false], 0).0, "（X）");
    // A hole never matches empty text, so a bare prefix is not a match; between
    // backticks it does (serde's "unknown field ``" names an empty key).
    assert!(!captures("did you mean {}?", "did you mean ?", &mut Vec::new()));
    let mut caps = Vec::new();
    assert!(captures("unknown field `{}`, expected {}", "unknown field ``, expected `t`", &mut caps));
    assert_eq!(caps, ["", "`t`"]);
}

// A capture that is itself a phrase is translated too: the hint of a filter error inside a
// scenario error is "column N: expected …, found …", and both inner phrases must come out
// Chinese. Checked by asking the table for the inner phrase on its own.
#[test]
fn nested_phrases_translate() {
    let inner = phrase("an IPv4 address like 10.0.0.1").into_owned();
    assert_ne!(inner, "an IPv4 address like 10.0.0.1");
    let mut caps = Vec::new();
    assert!(captures("did you mean {}?", "did you mean an IPv4 address like 10.0.0.1?", &mut caps));
    assert!(fill("{}", &caps, &[false], 0).0.contains(&inner));
}

// Every entry is reachable and says something: no English key twice (the second would never
// be used), no Chinese left empty or equal to its English, and each pattern has a hole and
// a Chinese template that puts back no more holes than the English has.
#[test]
fn table_is_well_formed() {
    let mut seen = std::collections::HashSet::new();
    for (en, zh) in FIXED.iter().chain(PATTERNS) {
        assert!(seen.insert(*en), "{en:?} twice");
        assert!(!zh.is_empty() && zh != en, "{en:?}");
        // "{} instead" → "{}" drops ron's word and keeps the capture: no Chinese of its own.
        let holes_only = zh.chars().all(|c| "{}0123456789,".contains(c));
        assert!(holes_only || zh.chars().any(|c| lang_width(c) == 2), "{en:?} → {zh:?}: no Chinese");
    }
    for (en, _) in FIXED {
        assert!(!en.contains("{}"), "{en:?} has a hole: move it to PATTERNS");
    }
    for (en, zh) in PATTERNS {
        let holes = en.matches("{}").count();
        assert!(holes > 0, "{en:?} has no hole: move it to FIXED");
        let used = zh.matches('{').count() - usize::from(zh.contains("`{`"));
        assert!(used <= holes, "{en:?} → {zh:?}: more holes in the Chinese");
    }
}

fn lang_width(c: char) -> usize {
    crate::lang::width(&c.to_string())
}

// ───────────────────── completeness ─────────────────────

/// Calls whose string arguments are error phrases: `x.err("…")`, `CmdError::new(span, "…")`,
/// `.with_hint("…")`, `ScenarioError::at(…)`, the filter's `err(col, "…")`, and the rest.
/// `.name` is a method call only; `name` any call; `Type::name` that associated function.
const PHRASE_CALLS: &[&str] = &[
    "err",
    "err_at",
    "at",
    "bad",
    "unknown",
    "missing",
    "with_hint",
    "with_hint_opt",
    ".hint",
    ".arg",
    "CmdError::new",
    "ConfError::new",
    "ScenarioError::at",
    "ScenarioError::at_end",
    "ExerciseError::other",
    "Err((",
    "Takes::Value",
    "incomplete",
    "error",
    "phrase_in",
];

/// Files (relative to src/) of the parsers and checkers whose errors a student reads: every
/// literal with words in them, outside the unit tests, is an error phrase or listed in
/// [`NOT_PHRASES`] with the reason it is not. Other files are read for the calls of
/// [`PHRASE_CALLS`] only.
const PHRASE_FILES: &[&str] = &[
    "batch/sweep.rs",
    "cmdline/fault.rs",
    "cmdline/ip.rs",
    "cmdline/ip_show.rs",
    "cmdline/ipvsadm.rs",
    "cmdline/ipvsadm_list.rs",
    "cmdline/keepalived.rs",
    "cmdline/lex.rs",
    "cmdline/netfilter.rs",
    "cmdline/pattern.rs",
    "cmdline/sysctl.rs",
    "exercise/answer.rs",
    "exercise/key.rs",
    "exercise/mod.rs",
    "import/save.rs",
    "scenario/build.rs",
    "scenario/error.rs",
    "scenario/mod.rs",
    "sim/time.rs",
    "stack/config.rs",
    "trace/filter.rs",
    "workload/dist.rs",
];

/// Files (relative to src/) whose error phrases are drawn for the student.
fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "tests") {
                source_files(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "tests.rs") {
            out.push(p);
        }
    }
}

#[derive(Debug, PartialEq)]
enum Tok {
    Str(String),
    Ident(String),
    Punct(char),
}

/// Rust tokens, enough to find calls and their string arguments: comments skipped, strings
/// (plain, raw, byte) unescaped, char literals and lifetimes told apart.
fn lex(src: &str) -> Vec<Tok> {
    let b: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && (b.get(i + 1) == Some(&'"') || (b.get(i + 1) == Some(&'#') && b.get(i + 2) != Some(&'[')))
        {
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            j += 1;
            let start = j;
            loop {
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    break;
                }
                j += 1;
            }
            toks.push(Tok::Str(b[start..j].iter().collect()));
            i = j + 1 + hashes;
        } else if c == '"' || (c == 'b' && b.get(i + 1) == Some(&'"')) {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut s = String::new();
            while b[j] != '"' {
                if b[j] == '\\' {
                    j += 1;
                    match b[j] {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        '\n' => {
                            while b[j + 1].is_whitespace() {
                                j += 1;
                            }
                        }
                        other => s.push(other),
                    }
                } else {
                    s.push(b[j]);
                }
                j += 1;
            }
            toks.push(Tok::Str(s));
            i = j + 1;
        } else if c == '\'' {
            // '\n', '\'', 'x' are chars; 'a (no closing quote two on) is a lifetime.
            if b.get(i + 1) == Some(&'\\') {
                i += 2;
                while b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if b.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            toks.push(Tok::Ident(b[start..i].iter().collect()));
        } else {
            if !c.is_whitespace() {
                toks.push(Tok::Punct(c));
            }
            i += 1;
        }
    }
    toks
}

/// The index of the `)` that closes the `(` at `toks[open]`.
fn group_end(toks: &[Tok], open: usize) -> usize {
    let mut depth = 0;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Punct('(') => depth += 1,
            Tok::Punct(')') => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// Whether the string at `toks[j]` is a format string: of `format!(…)`, `format_args!(…)`
/// or thiserror's `#[error("…")]`.
fn is_format(toks: &[Tok], j: usize) -> bool {
    let macro_call = j >= 3
        && toks[j - 1] == Tok::Punct('(')
        && toks[j - 2] == Tok::Punct('!')
        && matches!(&toks[j - 3], Tok::Ident(m) if m == "format" || m == "format_args");
    let attribute = j >= 2 && toks[j - 1] == Tok::Punct('(') && toks[j - 2] == Tok::Ident("error".into());
    macro_call || attribute
}

/// Literals the scan finds that are not phrases, each with the reason it stays as it is.
const NOT_PHRASES: &[&str] = &[
    // `found` quoting the scenario file's own `key: value` (src/scenario/build.rs).
    "mtu: X9",
    "users: X9",
    "rate: X9",
    // Command syntax, the same in both languages (src/cmdline/ipvsadm.rs).
    "--mcast-interface IF",
    // What `lvsim ip` prints and the syntax it names (src/cmdline/ip_show.rs, ipvsadm_list.rs).
    " dev {d}",
    " show",
    "-br ",
    "ip ",
    "dev NAME",
    "ipvsadm -L",
    "ipvsadm -S",
    "-L|-l|--list, -S|--save, -n|--numeric, -c|--connection, -t|--tcp-service VIP[:PORT], -u|--udp-service VIP[:PORT], --stats, --rate, --thresholds, --persistent-conn, --tun-info, --timeout, --daemon, --exact|-X, --nosort, --sort",
    // ipvsadm's and ip's own messages, word for word as the real tools print them.
    "Device \"X9\" does not exist.",
    "--X9: option does not take an argument",
    "Illegal 'X9' option with the 'X9' command",
    "The option 'X9' conflicts with the 'X9' option in the 'X9' command",
    "multiple 'X9' options specified",
    "multiple commands specified",
    "options conflicts in the list command",
    // Frames: the words around the phrases, which `render_in` and `message_in` write in
    // each language themselves.
    " (hint: {h})",
    " (hint: {hint})",
    "\nhint: ",
    "help: ",
    "  help: {h}",
    "error: X9\n",
    "Expected ",
    " but found ",
    "expected X9",
    // Commands and filters as written (lvsim prints them, or suggests them verbatim).
    "echo b > /proc/sysrq-trigger",
    "echo c > /proc/sysrq-trigger",
    "echo o > /proc/sysrq-trigger",
    "qdisc add|replace|change|del dev DEV root netem loss P%",
    "ipvsadm --set {tcp} {tcpfin} {udp}",
    "ipvsadm --start-daemon {} --mcast-interface {} --syncid {}",
    "ipvsadm --stop-daemon {}",
    "ipvsadm -A ",
    "ipvsadm -C",
    "ipvsadm -D {}",
    "ipvsadm -E ",
    "ipvsadm -a ",
    "ipvsadm -d {} -r {addr}:{port}",
    "ipvsadm -e ",
    "ipvsadm X9",
    "sysctl net.ipv4.conf.*.{}",
    "sysctl net.ipv4.neigh.*.{}",
    "sysctl {key}",
    "(why == vrrp.state && (why.to == MASTER || why.from == MASTER)) || (why == command && (why.cmd contains \"ip addr add\" || why.cmd contains \"ip addr del\"))",
    "why == keepalived.ipvsadm && why.change != start",
    // A scheduling script an answer runs, printed in an error as written (src/exercise/answer.rs).
    "(scheduler: \"rr\", weights: [\"1\", \"1\"], connections: X9)",
    // `lvsim verify`'s lines for a check, not errors (src/scenario/expect.rs).
    " at X9",
    " lladdr of {o}",
    " {st}",
    "X9: completed",
    "X9: dropped X9",
    "X9: neigh X9",
    "X9: refused",
    "X9: served",
    "X9: timed out",
    "X9: unreachable",
    "no entry",
    "ok  ",
    "traceX9 matching `X9`",
    // The messages of `expect`s that cannot fail, and a file lvsim writes (not errors).
    "every point was run",
    "the EVENTS definitions parse",
    "director runs IPVS",
    "filtered on subject",
    "just made",
    "8 bytes",
    "# lvsim course key: keep it private. Whoever holds it can print every answer\n# (--show-answers) and compute any student's variant. See docs/exercises/teacher.md.\nkey = X9\n# Optional: after this time a student's `lvsim exercise check` also shows the\n# explanation of a wrong answer. Set it before `lvsim exercise start --key`, which\n# copies it into each student's folder. Write the time zone (+08:00 is Beijing time).\n# deadline = 2026-12-20 18:00 +08:00\n",
    "exercise:X9/X9 (variant of X9)",
    // A bug in lvsim's event loop, not a student's error (src/sim/agenda.rs).
    "event scheduled at X9 but the clock is already at X9",
    // The message of a poisoned lock's `expect`, not an error (src/exercise/answer.rs).
    "sweep cache poisoned",
    // The frame of `ExerciseError::render` (English only; `render_in` draws the Chinese one).
    "  help: X9",
    // A file's name as the place of an error, like a path (src/exercise/mod.rs).
    "X9 (variant of X9)",
    // The message of an `expect` that cannot fail, not an error (src/batch/sweep.rs).
    "checked when parsed",
    // `lvsim kernel-diff` and `lvsim lab`: the teacher's tools for a kernel VM, English only.
    "cannot run X9: X9\n",
];

/// The phrase a format string reads as, each `{…}` replaced by a sample word.
fn sample(fmt: &str) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
                out.push_str("X9");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every phrase literal of the error paths, as (file, sample phrase).
fn phrase_literals() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&root, &mut files);
    files.sort();
    let mut consts: Vec<(String, String)> = Vec::new();
    let mut lexed = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // Unit tests sit at the end of a file, in `#[cfg(test)] mod tests { … }` (a
        // `#[cfg(test)] mod tests;` line names another file and hides nothing).
        let text = text.find("#[cfg(test)]\nmod tests {").map_or(text.as_str(), |i| &text[..i]);
        let toks = lex(text);
        // `const NAME: &str = "…";`, for a call that passes NAME.
        for w in toks.windows(7) {
            if let [
                Tok::Ident(k),
                Tok::Ident(name),
                Tok::Punct(':'),
                Tok::Punct('&'),
                Tok::Ident(t),
                Tok::Punct('='),
                Tok::Str(s),
            ] = w
                && k == "const"
                && t == "str"
            {
                consts.push((name.clone(), s.clone()));
            }
        }
        lexed.push((f.strip_prefix(&root).unwrap().display().to_string(), toks));
    }
    let mut out = Vec::new();
    for (file, toks) in &lexed {
        if file.starts_with("lang") {
            continue;
        }
        // `let expected = "…";` (or a `format!`, or a `match` of them): the literals a local
        // name can hold, for a call that passes the name.
        let mut locals: Vec<(&str, &str)> = Vec::new();
        for (k, w) in toks.windows(3).enumerate() {
            if let [Tok::Ident(l), Tok::Ident(name), Tok::Punct('=' | ':')] = w
                && l == "let"
            {
                let mut depth = 0;
                for t in &toks[k + 3..] {
                    match t {
                        Tok::Punct('(' | '[' | '{') => depth += 1,
                        Tok::Punct(')' | ']' | '}') => depth -= 1,
                        Tok::Punct(';') if depth == 0 => break,
                        Tok::Str(s) => locals.push((name, s)),
                        _ => {}
                    }
                    if depth < 0 {
                        break;
                    }
                }
            }
        }
        if PHRASE_FILES.contains(&file.as_str()) {
            let mut j = 0;
            while j < toks.len() {
                match &toks[j] {
                    // Words for both readers, picked next to the code: `lang.pick("…", "…")`.
                    Tok::Ident(n) if n == "pick" && toks.get(j + 1) == Some(&Tok::Punct('(')) => {
                        j = group_end(toks, j + 1);
                    }
                    Tok::Str(s) => out.push((file.clone(), if is_format(toks, j) { sample(s) } else { s.clone() })),
                    _ => {}
                }
                j += 1;
            }
        }
        let mut i = 0;
        while i < toks.len() {
            let call = PHRASE_CALLS.iter().any(|c| match c.split_once("::") {
                // `Err((expected, found, hint))`: a helper's error, a tuple of phrases.
                _ if c.ends_with("((") => {
                    matches!(&toks[i], Tok::Ident(x) if *x == c[..c.len() - 2])
                        && toks.get(i + 2) == Some(&Tok::Punct('('))
                }
                _ if c.starts_with('.') => {
                    matches!(&toks[i], Tok::Ident(x) if *x == c[1..]) && i > 0 && toks[i - 1] == Tok::Punct('.')
                }
                Some((ty, f)) => {
                    matches!(&toks[i], Tok::Ident(x) if x == f)
                        && i >= 3
                        && matches!(&toks[i - 3], Tok::Ident(t) if t == ty)
                        && toks[i - 2] == Tok::Punct(':')
                }
                None => {
                    matches!(&toks[i], Tok::Ident(x) if x == c) && (i == 0 || toks[i - 1] != Tok::Ident("fn".into()))
                }
            });
            if !call || toks.get(i + 1) != Some(&Tok::Punct('(')) {
                i += 1;
                continue;
            }
            let mut depth = 0;
            let mut j = i + 1;
            while j < toks.len() {
                match &toks[j] {
                    Tok::Punct('(' | '[' | '{') => depth += 1,
                    Tok::Punct(')' | ']' | '}') => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    // Words for another language's reader, picked next to the code.
                    Tok::Ident(n) if n == "pick" && toks.get(j + 1) == Some(&Tok::Punct('(')) => {
                        j = group_end(toks, j + 1);
                    }
                    Tok::Str(s) => {
                        out.push((file.clone(), if is_format(toks, j) { sample(s) } else { s.clone() }));
                        // A constant named inside a format string: `"…; {LISTING_HINT}"`.
                        for (c, v) in &consts {
                            if s.contains(&format!("{{{c}}}")) {
                                out.push((file.clone(), sample(v)));
                            }
                        }
                    }
                    Tok::Ident(n) => {
                        if let Some((_, s)) = consts.iter().find(|(c, _)| c == n) {
                            out.push((file.clone(), sample(s)));
                        }
                        for (_, s) in locals.iter().filter(|(l, _)| l == n) {
                            out.push((file.clone(), sample(s)));
                        }
                    }
                    Tok::Punct(_) => {}
                }
                j += 1;
            }
            i += 1;
        }
    }
    out.retain(|(_, s)| wordy(s) && !NOT_PHRASES.contains(&s.as_str()));
    out.sort();
    out.dedup();
    out
}

// The table is complete: every string literal that the error paths pass as an expected,
// found or hint phrase (found by reading the source, so a new call site is seen the day it
// is written) is translated. A literal with format arguments is checked as the phrase it
// reads as, each argument a sample word, so it must match a pattern of the table.
#[test]
fn every_error_phrase_has_chinese() {
    let all = phrase_literals();
    assert!(all.len() > 100, "the scan found only {} phrases: is it still reading the calls?", all.len());
    let missing: Vec<String> = all.iter().filter(|(_, s)| !knows(s)).map(|(f, s)| format!("{f}: {s:?}")).collect();
    assert!(missing.is_empty(), "{} phrases without Chinese:\n{}", missing.len(), missing.join("\n"));
}
