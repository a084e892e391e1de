//! The command line around the simulator (issue 15): `verify --all`, and a closed
//! standard output (`lvsim trace … | head`) ending the program quietly.

use lvsim::lang::Lang;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn verify_all_covers_every_embedded_scenario() {
    // One summary per embedded scenario, in `lvsim list` order; each total is the length
    // of the scenario's own expect: list (read from the parsed file, not from the
    // checker), and every embedded scenario meets all of them.
    let all = lvsim::cli::verify_summaries(lvsim::scenario::EMBEDDED).unwrap();
    let names: Vec<&str> = all.iter().map(|s| s.name.as_str()).collect();
    let embedded: Vec<&str> = lvsim::scenario::EMBEDDED.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, embedded);
    for s in &all {
        let expect = lvsim::scenario::load(&s.name).unwrap().scenario.expect.len();
        assert_eq!((s.met, s.total), (expect, expect), "{}", s.name);
    }
}

#[test]
fn verify_all_fails_when_one_scenario_fails() {
    // dr with its Neigh expectation pointed at rs1 (the router holds the director's MAC):
    // exactly one of its 6 expectations fails, so the list fails; dr alone passes.
    let dr = lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == "dr").unwrap().1;
    let bad = dr.replace("mac_of: \"director\"", "mac_of: \"rs1\"");
    assert_ne!(bad, dr);
    let s = lvsim::cli::verify_summaries(&[("dr", dr), ("dr-bad", &bad)]).unwrap();
    assert_eq!((s[0].met, s[0].total, s[1].met, s[1].total), (6, 6, 5, 6));
    assert!(lvsim::cli::verify_list(&[("dr", dr)], Lang::En).is_ok());
    assert!(lvsim::cli::verify_list(&[("dr", dr), ("dr-bad", &bad)], Lang::En).is_err());
}

/// Runs lvsim with `args`, its standard output a pipe whose read end is closed after
/// `lines` lines have been read; returns the exit status and what it wrote on stderr.
fn closed_after(args: &[&str], lines: usize) -> (std::process::ExitStatus, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_lvsim"))
        .args(args)
        .env("LANG", "C")
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut r = BufReader::new(reader);
    for _ in 0..lines {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "{args:?} printed fewer than {lines} lines");
    }
    drop(r);
    let out = child.wait_with_output().unwrap();
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Exit 0, or killed by SIGPIPE as C programs are; nothing on stderr (no panic message).
fn quiet(args: &[&str], (status, stderr): (std::process::ExitStatus, String)) {
    use std::os::unix::process::ExitStatusExt;
    assert!(status.code() == Some(0) || status.signal() == Some(13), "{args:?}: {status:?}\n{stderr}");
    assert_eq!(stderr, "", "{args:?}");
}

#[test]
fn trace_into_a_closed_pipe_exits_quietly() {
    // `lvsim trace dr | head -1`: the dr trace is about 100 KB, more than a pipe holds
    // (64 KiB on Linux), so lvsim is still writing after the reader is gone and every
    // later write fails with EPIPE.
    for args in [&["trace", "dr"][..], &["trace", "dr", "--json"][..]] {
        quiet(args, closed_after(args, 1));
    }
}

#[test]
fn run_and_listings_into_a_closed_pipe_exit_quietly() {
    // `run` prints its table only at the end, and `ipvsadm`/`verify` print a few lines:
    // the read end is closed before anything is read (0 lines), so the first write
    // already fails with EPIPE. Before the fix, `run` and `verify` panicked there
    // ("failed printing to stdout", status 101).
    let out = std::env::temp_dir().join(format!("lvsim-pipe-run-{}", std::process::id()));
    let out_s = out.to_string_lossy().into_owned();
    for args in [&["run", "dr", "--out", &out_s][..], &["ipvsadm", "dr"][..], &["verify", "dr"][..], &["list"][..]] {
        quiet(args, closed_after(args, 0));
    }
    let _ = std::fs::remove_dir_all(&out);
}
