//! lvsim against the real Linux 6.1 kernel.
//!
//! `tests/kernel/*.kernel.txt` are outputs of `lvsim lab` scripts run in the project's
//! QEMU harness (`kernel/run.sh`, Debian's 6.1.192 with IPVS), kept by
//! `lvsim kernel-diff --all --arp --keep tests/kernel`. The fast test replays them: lvsim
//! runs each scenario again and every aspect (frames per segment, who served each
//! connection, ARP caches, routes, `ipvsadm -Ln`/`-Lnc`) is compared with what the
//! kernel did. The expected values therefore come from the kernel, not from lvsim.
//! Differences are allowed only where `KNOWN` lists them with the reason (each is
//! written up in docs/real-lab.md); a known difference that disappears fails too, so the
//! list and the page stay true.
//!
//! The ignored test `live_kernel` boots the VM and does the same on fresh runs (`.ci/run`
//! runs it after installing QEMU and building the guest).

use lvsim::lab::{self, Case, diff::Row};
use std::collections::BTreeSet;
use std::path::Path;

/// (scenario, aspect) pairs that differ, and why. Keep in step with docs/real-lab.md.
const KNOWN: &[(&str, &str, &str)] = &[
    // The kernel's director relays the real server's ICMP error about a tunnelled packet
    // to the client (ip_vs_in_icmp); lvsim does not relay it yet.
    ("tun-tunl0-down", "frames lan", "ICMP relay of tunnelled packets (ip_vs_in_icmp) not simulated"),
    ("tun-tunl0-down", "frames wan", "ICMP relay of tunnelled packets (ip_vs_in_icmp) not simulated"),
    ("tun-tunl0-down", "served", "the client gets ICMP 3/3 from the VIP in the kernel, nothing in lvsim"),
    ("tun-tunl0-down", "neigh router", "the router forwarded that ICMP, so its entry for the client is DELAY"),
    // Under software emulation `ipvsadm -e` at 150 ms finished after the 200 ms connection
    // started: the kept run says nothing about order there (its other aspects agree).
    ("dr-quiesce", "timing", "the VM ran the at: command late"),
];

/// The suite and the ARP matrix; `arp_every` keeps every n-th ARP case (the live test
/// takes a fixed third of them, to stay within CI's 20 minutes of VM time).
fn cases_every(arp_every: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for (name, ok) in lab::suite() {
        if ok.is_ok() {
            let l = lvsim::scenario::load(name).unwrap();
            out.push(Case::new(&l, l.scenario.seed).unwrap());
        }
    }
    for (name, src) in lab::arp::cases().into_iter().step_by(arp_every) {
        let l = lvsim::scenario::parse(&format!("{name}.ron"), &src).unwrap();
        out.push(Case::new(&l, l.scenario.seed).unwrap());
    }
    out
}

fn cases() -> Vec<Case> {
    cases_every(1)
}

/// Checks the rows against `KNOWN`; returns the failures as text.
fn check(rows: &[Row]) -> Vec<String> {
    let known: BTreeSet<(&str, &str)> = KNOWN.iter().map(|(s, a, _)| (*s, *a)).collect();
    let mut bad = Vec::new();
    for r in rows {
        let key = (r.scenario.as_str(), r.aspect.as_str());
        match (&r.differ, known.contains(&key)) {
            (Some((l, k)), false) => bad.push(format!("{} / {}: lvsim {l} | kernel {k}", r.scenario, r.aspect)),
            (None, true) => {
                bad.push(format!("{} / {}: now agrees; remove it from KNOWN and docs", r.scenario, r.aspect));
            }
            _ => {}
        }
    }
    bad
}

#[test]
fn replayed_kernel_runs_agree_except_known() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kernel");
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for c in cases() {
        let f = dir.join(format!("{}.kernel.txt", c.plan.name));
        match std::fs::read_to_string(&f) {
            Ok(out) => rows.extend(c.rows(&out).unwrap()),
            Err(_) => missing.push(c.plan.name.clone()),
        }
    }
    assert!(
        missing.is_empty(),
        "no kernel output kept for {missing:?}: run `lvsim kernel-diff --all --arp --keep tests/kernel`"
    );
    let bad = check(&rows);
    assert!(bad.is_empty(), "{} unexpected result(s):\n{}", bad.len(), bad.join("\n"));
}

#[test]
#[ignore = "boots the kernel VM (kernel/setup.sh first); .ci/run runs it"]
fn live_kernel() {
    let harness = lab::vm::harness_dir(None).unwrap();
    let cases = cases_every(3);
    let labs: Vec<(String, String)> = cases.iter().map(|c| (c.plan.name.clone(), c.script.clone())).collect();
    let limit = lab::vm::budget(cases.iter().map(|c| c.plan.duration));
    let outputs = lab::vm::run_many(&harness, Path::new(env!("CARGO_BIN_EXE_lvsim")), &labs, limit).unwrap();
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kernel");
    std::fs::create_dir_all(&keep).unwrap();
    let mut rows: Vec<Row> = Vec::new();
    for c in &cases {
        let (_, out) = outputs.iter().find(|(n, _)| *n == c.plan.name).expect("an output per lab");
        std::fs::write(keep.join(format!("{}.kernel.txt", c.plan.name)), out).unwrap();
        rows.extend(c.rows(out).unwrap());
    }
    eprintln!("kernel outputs kept in {}", keep.display());
    // A lab whose client or at: command ran late on the (emulated, shared) VM saw events
    // in another order than lvsim: its results prove nothing either way. Say so loudly and
    // judge the others.
    let late: BTreeSet<String> =
        rows.iter().filter(|r| r.aspect == "timing" && !r.agrees()).map(|r| r.scenario.clone()).collect();
    for s in &late {
        eprintln!("kernel-diff: {s}: the VM ran late, results not judged");
    }
    rows.retain(|r| !late.contains(&r.scenario));
    // tun-mtu's frames depend on which connection draws the ICMP frag-needed first and
    // when each client thread writes: on the emulated guest that order changed in two of
    // three CI runs of 2026-12-03 in ways the lateness checks cannot all see. Its recorded
    // run is still judged by `replayed_kernel_runs_agree_except_known`; live, it is shown.
    for r in rows.iter().filter(|r| r.scenario == "tun-mtu" && !r.agrees()) {
        eprintln!("kernel-diff: tun-mtu (timing-sensitive on the guest, not judged live): {r:?}");
    }
    rows.retain(|r| r.scenario != "tun-mtu");
    let bad = check(&rows);
    assert!(bad.is_empty(), "{} unexpected result(s):\n{}", bad.len(), bad.join("\n"));
}
