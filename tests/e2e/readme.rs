//! The READMEs show real output: every fenced code block of README.md and README.zh.md
//! that starts with a `$ lvsim …` (or `$ cargo run …`) line is run, command by command,
//! and its output compared with the lines under each `$` line, byte for byte.
//!
//! How a block is read:
//! - each `$` line is a command; its output is the lines up to the next `$` line or the
//!   end of the block; the commands of one block run in order in one fresh directory, so
//!   `exercise start` makes the files `exercise check` reads;
//! - `cargo run [--release] [--]` is the same as `lvsim`; the command runs through `sh -c`
//!   with the built binary first on `PATH`, so pipes (`| head -n 7`) work; stderr goes to
//!   the same stream as stdout, as a terminal shows them;
//! - the language is the command's `--lang` if it has one, else the README's (`LANG` and
//!   `LC_ALL` set to `C` for README.md, `zh_CN.UTF-8` for README.zh.md);
//! - a trailing comment on the `$` line is only a remark, except that one starting with a
//!   marker of [`SKIP`] (`# figures vary`, `# needs the VM`, `# 数字每次不同`,
//!   `# 需要虚拟机`) leaves the command unrun (wall-clock figures, QEMU), and one saying
//!   `exit status N` (`退出状态为 N`) is checked too.
//!
//! Refreshing the READMEs (after a merge changed an output on purpose):
//!
//! ```text
//! LVSIM_BLESS=1 cargo test --test e2e readme
//! git diff README.md README.zh.md     # read every changed output before committing
//! ```
//!
//! Blessing rewrites each checked command's output in place and leaves everything else
//! (prose, skipped commands, remarks) as it was.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Trailing-comment markers of a command whose output is not reproducible here.
const SKIP: &[&str] = &["figures vary", "needs the VM", "数字每次不同", "需要虚拟机"];

/// One `$` line of a README and the output lines under it.
struct Shell {
    /// 0-based line index of the `$` line.
    line: usize,
    /// The command as `sh` runs it: `lvsim …`, remark removed.
    command: String,
    /// Left unrun: its remark starts with a [`SKIP`] marker.
    skip: bool,
    /// The exit status its remark promises, if any.
    status: Option<i32>,
    /// 0-based line indices of its output: `out.0..out.1`.
    out: (usize, usize),
}

/// The command blocks of a README, each a list of commands run in one directory.
fn blocks(lines: &[&str]) -> Vec<Vec<Shell>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].trim_start().starts_with("```") {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && !lines[end].trim_start().starts_with("```") {
            end += 1;
        }
        if start < end && command_of(lines[start]).is_some() {
            let dollars: Vec<usize> = (start..end).filter(|&k| command_of(lines[k]).is_some()).collect();
            let block = dollars
                .iter()
                .enumerate()
                .map(|(n, &k)| {
                    let (command, remark) = command_of(lines[k]).unwrap();
                    let next = dollars.get(n + 1).copied().unwrap_or(end);
                    Shell {
                        line: k,
                        command,
                        skip: SKIP.iter().any(|m| remark.starts_with(m)),
                        status: promised_status(&remark),
                        out: (k + 1, next),
                    }
                })
                .collect();
            out.push(block);
        }
        i = end + 1;
    }
    out
}

/// `(command, remark)` of a `$ lvsim …` or `$ cargo run …` line; `None` for other lines.
fn command_of(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("$ ")?;
    let (cmd, remark) = match rest.find(" #") {
        Some(i) => (rest[..i].trim(), rest[i + 2..].trim()),
        None => (rest.trim(), ""),
    };
    let cmd = if let Some(args) = cmd.strip_prefix("cargo run") {
        let args = args.trim_start();
        let args = args.strip_prefix("--release").unwrap_or(args).trim_start();
        let args = args.strip_prefix("--").unwrap_or(args).trim_start();
        format!("lvsim {args}")
    } else if cmd == "lvsim" || cmd.starts_with("lvsim ") {
        cmd.to_string()
    } else {
        return None;
    };
    Some((cmd.trim_end().to_string(), remark.to_string()))
}

/// The `N` of a remark saying `exit status N` or `退出状态为 N`.
fn promised_status(remark: &str) -> Option<i32> {
    ["exit status ", "退出状态为 "].iter().find_map(|p| {
        let at = remark.find(p)? + p.len();
        let digits: String = remark[at..].chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// The locale a command runs under: its `--lang`, else the README's.
fn locale(command: &str, readme_zh: bool) -> &'static str {
    let words: Vec<&str> = command.split_whitespace().collect();
    let lang = words.windows(2).find(|w| w[0] == "--lang").map(|w| w[1]);
    let zh = match lang {
        Some(l) => l == "zh",
        None => readme_zh,
    };
    if zh { "zh_CN.UTF-8" } else { "C" }
}

/// Runs one command in `dir`: (stdout and stderr as one stream, exit status).
fn run(command: &str, dir: &Path, locale: &str) -> (String, Option<i32>) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_lvsim"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("LANG", locale)
        .env("LC_ALL", locale)
        .env_remove("LC_MESSAGES")
        .env_remove("LANGUAGE")
        .output()
        .expect("sh runs");
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code())
}

/// What checking one README found.
struct Checked {
    /// The README with every checked output replaced by the real one.
    blessed: String,
    /// `file:line: message` for every difference.
    problems: Vec<String>,
    /// Commands run (not skipped).
    ran: usize,
    /// Every command, `--lang` removed, in order: the two READMEs must list the same ones.
    commands: Vec<String>,
}

/// Checks the README `name` of the repository.
fn check_file(name: &str, zh: bool) -> Checked {
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap();
    check(name, &text, zh)
}

/// Runs the command blocks of `text` (named `name` in messages; `zh`: a Chinese README).
fn check(name: &str, text: &str, zh: bool) -> Checked {
    let lines: Vec<&str> = text.lines().collect();
    // The real output to write after each checked `$` line, and the README lines it replaces.
    let mut after: Vec<Option<Vec<String>>> = vec![None; lines.len()];
    let mut dropped = vec![false; lines.len()];
    let mut problems = Vec::new();
    let mut ran = 0;
    let mut commands = Vec::new();
    for (n, block) in blocks(&lines).iter().enumerate() {
        let dir = std::env::temp_dir().join(format!("lvsim-readme-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for sh in block {
            commands.push(without_lang(&sh.command));
            if sh.skip {
                continue;
            }
            ran += 1;
            let (output, status) = run(&sh.command, &dir, locale(&sh.command, zh));
            let found: Vec<String> = output.lines().map(str::to_string).collect();
            let shown: Vec<&str> = lines[sh.out.0..sh.out.1].to_vec();
            // A blank line before the next `$` line or the fence separates commands on the
            // page; it is not output, so it stays and is not compared.
            let trailing_blank = shown.iter().rev().take_while(|l| l.trim().is_empty()).count();
            let shown = &shown[..shown.len() - trailing_blank];
            if shown != found.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                let k = shown.iter().zip(&found).take_while(|(a, b)| **a == b.as_str()).count();
                problems.push(format!(
                    "{name}:{}: `{}`: output line {} differs\n    README: {:?}\n    lvsim:  {:?}",
                    sh.line + 1,
                    sh.command,
                    k + 1,
                    shown.get(k),
                    found.get(k)
                ));
            }
            if let Some(want) = sh.status.filter(|_| status != sh.status) {
                problems.push(format!(
                    "{name}:{}: `{}`: the README says exit status {want}, lvsim exited with {status:?}",
                    sh.line + 1,
                    sh.command
                ));
            }
            let mut new = found;
            new.extend(std::iter::repeat_n(String::new(), trailing_blank));
            after[sh.line] = Some(new);
            dropped[sh.out.0..sh.out.1].iter_mut().for_each(|d| *d = true);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let mut blessed = String::new();
    for (i, line) in lines.iter().enumerate() {
        if !dropped[i] {
            blessed.push_str(line);
            blessed.push('\n');
        }
        for l in after[i].iter().flatten() {
            blessed.push_str(l);
            blessed.push('\n');
        }
    }
    Checked { blessed, problems, ran, commands }
}

/// A command with its `--lang xx` removed: what both READMEs must run alike.
fn without_lang(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "--lang" {
            i += 2;
        } else {
            out.push(words[i]);
            i += 1;
        }
    }
    out.join(" ")
}

#[test]
fn readme_commands_print_what_the_readmes_show() {
    // The expected text is what a reader sees in the README; the found text is what the
    // binary prints when the reader types the same command in an empty directory under
    // the README's language. Equal line for line proves the README shows real output;
    // `ran > 0` for each file proves the test read commands at all (a parser that found
    // no block would otherwise pass), and the two READMEs listing the same commands
    // (apart from `--lang`) proves README.zh.md mirrors README.md.
    let bless = std::env::var_os("LVSIM_BLESS").is_some();
    let en = check_file("README.md", false);
    let zh = check_file("README.zh.md", true);
    assert!(en.ran > 0 && zh.ran > 0, "no `$ lvsim` block found (README.md: {}, README.zh.md: {})", en.ran, zh.ran);
    assert_eq!(en.commands, zh.commands, "README.zh.md must show the same commands as README.md");
    if bless {
        for (name, c) in [("README.md", &en), ("README.zh.md", &zh)] {
            std::fs::write(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(name), &c.blessed).unwrap();
        }
        return;
    }
    let problems: Vec<&String> = en.problems.iter().chain(&zh.problems).collect();
    assert!(
        problems.is_empty(),
        "{}\n(refresh with `LVSIM_BLESS=1 cargo test --test e2e readme`, then read the diff)",
        problems.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn a_block_is_read_as_commands_and_their_outputs() {
    // The parser on a hand-written block: two commands, the first with a `cargo run`
    // prefix and a plain remark, the second with a skip marker; the line numbers and
    // ranges below are counted by hand from the text.
    let text = "intro\n```\n$ cargo run --release -- exercise check x --lang zh   # 退出状态为 1\nA\nB\n\n$ lvsim bench --sweep 60   # figures vary\nC\n```\n```\nnot a command\n```\n";
    let lines: Vec<&str> = text.lines().collect();
    let b = blocks(&lines);
    assert_eq!(b.len(), 1);
    let [first, second] = &b[0][..] else { panic!("two commands expected") };
    assert_eq!(first.command, "lvsim exercise check x --lang zh");
    assert_eq!((first.line, first.out, first.skip, first.status), (2, (3, 6), false, Some(1)));
    assert_eq!(second.command, "lvsim bench --sweep 60");
    assert_eq!((second.line, second.out, second.skip, second.status), (6, (7, 8), true, None));
    assert_eq!(locale(&first.command, false), "zh_CN.UTF-8");
    assert_eq!(locale("lvsim list", false), "C");
    assert_eq!(without_lang(&first.command), "lvsim exercise check x");
}

#[test]
fn a_wrong_output_or_status_is_reported_and_blessing_fixes_the_output() {
    // A README whose one command shows a line lvsim cannot print (it has no output line
    // "not what lvsim prints") and promises exit status 3 where `sh` gives `head`'s 0 (a
    // pipe's status is its last command's, POSIX). Both must be reported; the blessed
    // text, checked again, must report only the status (blessing rewrites outputs, never
    // a remark), which proves blessing writes exactly what the check compares against.
    let text = "```\n$ lvsim exercise list --lang en | head -n 1   # exit status 3\nnot what lvsim prints\n```\n";
    let first = check("T.md", text, false);
    assert_eq!(first.ran, 1);
    assert_eq!(first.problems.len(), 2, "{:?}", first.problems);
    assert!(!first.blessed.contains("not what lvsim prints"));
    let again = check("T.md", &first.blessed, false);
    assert_eq!(again.problems.len(), 1, "{:?}", again.problems);
    assert_eq!(again.blessed, first.blessed);
}
