//! Runs a lab script in the project's QEMU harness (`kernel/run.sh`: Debian's Linux 6.1
//! with IPVS, booted for one lab) and returns the lab's output.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the harness is: `--harness`, else `kernel/` in the current directory, else the
/// one in the source tree this binary was built from.
pub fn harness_dir(given: Option<&Path>) -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = match given {
        Some(p) => vec![p.to_path_buf()],
        None => vec![PathBuf::from("kernel"), Path::new(env!("CARGO_MANIFEST_DIR")).join("kernel")],
    };
    candidates.into_iter().find(|d| d.join("run.sh").is_file()).ok_or_else(|| {
        "error: no kernel harness found (kernel/run.sh)\n  help: run from the repository, or pass --harness DIR; \
         set it up once with `bash kernel/setup.sh`\n"
            .to_string()
    })
}

/// A stripped copy of the lvsim binary `me` (the lab's `lvsim agent`), made once per
/// process.
fn agent_binary(tmp: &Path, me: &Path) -> Result<PathBuf, String> {
    let out = tmp.join("lvsim");
    let stripped = Command::new("strip").arg("-o").arg(&out).arg(me).status().is_ok_and(|s| s.success());
    if !stripped {
        std::fs::copy(me, &out).map_err(|e| format!("copying {}: {e}\n", me.display()))?;
    }
    Ok(out)
}

/// Boots the VM for `script` and returns the lab's output (between the harness's
/// markers). `timeout` is the lab's limit in seconds; `lvsim` is the binary whose
/// `agent` subcommand the lab runs (the running `lvsim` itself, or a test's
/// `CARGO_BIN_EXE_lvsim`).
pub fn run(harness: &Path, lvsim: &Path, script: &str, timeout: u32) -> Result<String, String> {
    let tmp = std::env::temp_dir().join(format!("lvsim-kdiff-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}\n", tmp.display()))?;
    let agent = if tmp.join("lvsim").is_file() { tmp.join("lvsim") } else { agent_binary(&tmp, lvsim)? };
    let lab = tmp.join("lab.sh");
    std::fs::write(&lab, script).map_err(|e| format!("{}: {e}\n", lab.display()))?;
    let out = Command::new("bash")
        .arg(harness.join("run.sh"))
        .arg(&lab)
        .arg(timeout.to_string())
        .arg(&agent)
        .output()
        .map_err(|e| format!("cannot run {}: {e}\n", harness.join("run.sh").display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let code = out.status.code().unwrap_or(-1);
    if code == 125 || !stdout.contains("===== KVMLAB OUTPUT BEGIN =====") {
        return Err(format!(
            "error: the kernel VM did not run the lab (exit {code})\n{}\n  help: `bash {}/setup.sh` builds the guest; QEMU must be installed\n",
            String::from_utf8_lossy(&out.stderr).trim_end(),
            harness.display()
        ));
    }
    let body = stdout.split("===== KVMLAB OUTPUT BEGIN =====").nth(1).unwrap_or_default();
    let body = body.split("===== KVMLAB OUTPUT END").next().unwrap_or_default();
    if code == 124 {
        eprintln!(
            "kernel-diff: the VM stopped the lab at its {timeout} s limit; labs that did not finish have no output"
        );
    }
    Ok(body.to_string())
}

/// Runs several labs in one boot (each in turn, each cleaning up after itself) and
/// returns each lab's output by name. Saves the boot (4–5 s under TCG) per lab.
pub fn run_many(
    harness: &Path,
    lvsim: &Path,
    labs: &[(String, String)],
    timeout: u32,
) -> Result<Vec<(String, String)>, String> {
    let mut driver =
        String::from("#!/bin/sh\n# lvsim kernel-diff: several labs in one boot\nexport LVSIM=/lab/lvsim\n");
    for (i, (name, script)) in labs.iter().enumerate() {
        if script.contains("LVSIM_CASE_EOF") {
            return Err(format!("lab {name}: its script contains the driver's heredoc marker\n"));
        }
        let _ = write!(
            driver,
            "cat > /tmp/case{i}.sh <<'LVSIM_CASE_EOF'\n{script}LVSIM_CASE_EOF\necho '@@@@ case {name}'\nOUT=/tmp/out{i} sh /tmp/case{i}.sh\necho '@@@@ done'\n"
        );
    }
    let out = run(harness, lvsim, &driver, timeout)?;
    let mut res = Vec::new();
    // A lab cut short by the limit has no closing marker: it gets no output.
    for part in out.split("@@@@ case ").skip(1).filter(|p| p.contains("@@@@ done")) {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        res.push((name.trim().to_string(), body.to_string()));
    }
    Ok(res)
}

/// The VM time limit for labs of these durations (seconds): each lab spends about 10 s
/// building namespaces and waiting for t0 and the captures under TCG, and a loaded host
/// stretches that; 25 s plus twice its duration each, and a minute for the boot.
pub fn budget(durations: impl IntoIterator<Item = f64>) -> u32 {
    let s: f64 = durations.into_iter().map(|d| 25.0 + 2.0 * d).sum();
    (s + 60.0).ceil() as u32
}
