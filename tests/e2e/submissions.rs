//! Hostile coursework submissions (issue 16): a FIFO, a link to /dev/zero and a link to
//! /etc/passwd in a class folder. Each used to block, exhaust memory or leak the file
//! into the feedback; now each is that student's error row and the others are graded.

#[cfg(unix)]
#[test]
fn grade_reports_hostile_files_and_goes_on_with_the_class() {
    use std::os::unix::fs::symlink;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let bin = env!("CARGO_BIN_EXE_lvsim");
    let dir = std::env::temp_dir().join(format!("lvsim-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for s in ["ann", "eve", "fay", "gus"] {
        std::fs::create_dir_all(dir.join(s)).unwrap();
    }
    // ann: an honest (empty, so wrong) sheet; the others are hostile.
    std::fs::write(dir.join("ann/answers.txt"), "").unwrap();
    symlink("/etc/passwd", dir.join("eve/answers.txt")).unwrap();
    symlink("/dev/zero", dir.join("fay/answers.txt")).unwrap();
    let fifo = Command::new("mkfifo").arg(dir.join("gus/answers.txt")).status().is_ok_and(|s| s.success());
    let mut child = Command::new(bin)
        .env("LC_ALL", "C")
        .args(["exercise", "grade", "terms-roles"])
        .arg(&dir)
        .args(["--csv", "--lang", "en"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A blocked open of the FIFO would never end: give the class 60 s (debug build).
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("grade hung on a submission");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    // One row per student, in name order, whatever their files were.
    let names: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(names, ["ann", "eve", "fay", "gus"], "{csv}");
    // Nothing of /etc/passwd's first line (root's entry) reaches the report.
    assert!(!csv.contains("root:"), "{csv}");
    // The hostile ones scored 0 and are not full marks.
    for r in &rows[1..if fifo { 4 } else { 3 }] {
        assert!(r.contains(",0,") && r.contains(",false,"), "{csv}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
