//! Resource guards (issue 16): inputs that would allocate without bound get a clear
//! error and exit status 1 instead of an abort.

use std::process::Command;

#[test]
fn a_bin_that_gives_too_many_rows_is_refused() {
    // dr runs for 1 s: a 1 ns bin would be 10^9 bins (2 GB of counters). The limit is
    // 100,000 bins, so 10 us (exactly 100,000 bins) is accepted and 9 us is not.
    let bin = env!("CARGO_BIN_EXE_lvsim");
    let out = std::env::temp_dir().join(format!("lvsim-bins-{}", std::process::id()));
    let run = |b: &str| Command::new(bin).args(["run", "dr", "--bin", b, "--out"]).arg(&out).output().unwrap();
    let o = run("1ns");
    assert_eq!(o.status.code(), Some(1));
    assert!(!out.join("summary.json").exists(), "nothing is written for a refused run");
    assert_eq!(run("9us").status.code(), Some(1));
    let o = run("10us");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&out);
}
