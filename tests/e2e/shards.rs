//! Sweeps cut into slices (`lvsim sweep SPEC --shard K/N`) and joined again
//! (`lvsim sweep merge`) give the unsharded sweep's files byte for byte, and the merge
//! refuses slices that do not make one whole sweep.

use crate::common::files;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Eight points (2 modes × 2 rates × 2 seeds), short runs: 3 slices get 2, 3 and 3.
const SWEEP: &str = r#"Sweep(
    about: "shards",
    duration: "100ms",
    seeds: 2,
    vary: [
        Mode([("nat", "bottleneck-nat"), ("dr", "bottleneck-dr")]),
        Rate([4000, 16000]),
    ],
    x: "rate",
    series: "mode",
)"#;

fn lvsim(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lvsim")).env("LC_ALL", "C").args(args).args(paths).output().unwrap()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn merged_slices_are_the_unsharded_sweep_byte_for_byte() {
    let root = std::env::temp_dir().join(format!("lvsim-shards-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let spec = root.join("s.ron");
    std::fs::write(&spec, SWEEP).unwrap();
    let spec = spec.to_str().unwrap();
    let whole = root.join("whole");
    ok(&lvsim(&["sweep", spec, "--threads", "1", "--out"], &[&whole]));
    let want = files(&whole);
    assert!(want.len() >= 9, "points.csv and charts");
    for n in 1..=3usize {
        let slices: Vec<PathBuf> = (1..=n).map(|k| root.join(format!("n{n}-k{k}"))).collect();
        for (k, d) in slices.iter().enumerate() {
            ok(&lvsim(&["sweep", spec, "--shard", &format!("{}/{n}", k + 1), "--out"], &[d]));
        }
        let merged = root.join(format!("merged{n}"));
        let mut args: Vec<&Path> = slices.iter().map(PathBuf::as_path).collect();
        args.push(Path::new("--out"));
        args.push(&merged);
        ok(&lvsim(&["sweep", "merge"], &args));
        // Every file of the whole sweep, compared as bytes: a lost digit in a slice's
        // JSON, a point out of order or a missing point would change some byte.
        assert_eq!(files(&merged), want, "{n} slices");
    }
    // A missing slice, a slice given twice and slices of another sweep are refused (exit 1).
    let merge = |paths: &[&Path]| {
        let mut v = paths.to_vec();
        let out = root.join("bad");
        v.push(Path::new("--out"));
        v.push(&out);
        lvsim(&["sweep", "merge"], &v).status.code()
    };
    assert_eq!(merge(&[&root.join("n3-k1"), &root.join("n3-k2")]), Some(1));
    assert_eq!(merge(&[&root.join("n3-k1"), &root.join("n3-k1"), &root.join("n3-k2"), &root.join("n3-k3")]), Some(1));
    assert_eq!(merge(&[&root.join("n2-k1"), &root.join("n3-k2")]), Some(1));
    let other = root.join("o.ron");
    std::fs::write(&other, SWEEP.replace("\"shards\"", "\"other\"")).unwrap();
    ok(&lvsim(&["sweep", other.to_str().unwrap(), "--shard", "2/2", "--out"], &[&root.join("o2")]));
    assert_eq!(merge(&[&root.join("n2-k1"), &root.join("o2")]), Some(1));
    assert!(!root.join("bad").exists(), "a refused merge writes nothing");

    // docs/scale-out/sweep.sbatch runs as written: each array task as Slurm would start
    // it (its environment), lvsim found on PATH; the merge gives the whole sweep again.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scale-out/sweep.sbatch");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_lvsim")).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let sb = root.join("sb");
    for k in 1..=2 {
        ok(&Command::new("bash")
            .arg(&script)
            .env("PATH", &path)
            .env("SLURM_ARRAY_TASK_ID", k.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", "2")
            .env("SLURM_CPUS_PER_TASK", "1")
            .env("SWEEP", spec)
            .env("OUT", &sb)
            .output()
            .unwrap());
    }
    let merged = root.join("sb-merged");
    ok(&lvsim(&["sweep", "merge"], &[&sb.join("1"), &sb.join("2"), Path::new("--out"), &merged]));
    assert_eq!(files(&merged), want, "slices from the sbatch script");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_class_graded_in_slices_is_the_class_graded_at_once() {
    // Five students (variants differ by name); one slice per machine, joined: the same
    // CSV and the same table, byte for byte, for 1, 2 and 3 slices. 3 slices of 5 hold
    // 1, 2 and 2 students.
    let root = std::env::temp_dir().join(format!("lvsim-grade-shards-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let class = root.join("class");
    for s in ["ann", "ben", "cai", "dan", "eve"] {
        ok(&lvsim(&["exercise", "start", "terms-roles", "--student", s, "--lang", "en", "--dir"], &[&class.join(s)]));
    }
    let grade = |extra: &[&str]| {
        let mut args = vec!["exercise", "grade", "terms-roles", class.to_str().unwrap(), "--lang", "en"];
        args.extend(extra);
        lvsim(&args, &[])
    };
    for csv in [true, false] {
        let flag: &[&str] = if csv { &["--csv"] } else { &[] };
        let whole = grade(flag);
        ok(&whole);
        for n in 1..=3 {
            let dir = root.join(format!("n{n}"));
            for k in 1..=n {
                ok(&grade(&["--shard", &format!("{k}/{n}"), "--out", dir.to_str().unwrap()]));
            }
            let mut args = vec!["exercise", "merge", dir.to_str().unwrap()];
            args.extend(flag);
            let merged = lvsim(&args, &[]);
            ok(&merged);
            assert_eq!(String::from_utf8_lossy(&merged.stdout), String::from_utf8_lossy(&whole.stdout), "{n} slices");
        }
    }
    // A slice missing, and a slice of another class (one student more), are refused.
    std::fs::remove_file(root.join("n3/grade-2-of-3.json")).unwrap();
    assert_eq!(lvsim(&["exercise", "merge"], &[&root.join("n3")]).status.code(), Some(1));
    ok(&lvsim(
        &["exercise", "start", "terms-roles", "--student", "fay", "--lang", "en", "--dir"],
        &[&class.join("fay")],
    ));
    ok(&grade(&["--shard", "2/3", "--out", root.join("n3").to_str().unwrap()]));
    assert_eq!(lvsim(&["exercise", "merge"], &[&root.join("n3")]).status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&root);
}
