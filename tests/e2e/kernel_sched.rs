//! Scheduler picks proven on the real kernel, replayed without a VM.
//!
//! `tests/kernel/sched/NAME.kernel.txt` is the output of one VM boot of Debian's Linux
//! 6.1.192 (`lvsim kernel-diff --sched --keep DIR`): for each of 20 random scripts, the
//! script itself and the picks the kernel made when the lab drove it as real TCP
//! connections and ipvsadm commands. Replaying the same JSON through
//! `ipvs::script::run` must give the same pick lists: the expected values were not
//! written by hand or by lvsim, so agreement means lvsim schedules as the kernel does.

use lvsim::lab::sched::{SCHEDULERS, batch, compare, lab, parse_output, show, timeout};
use std::path::Path;

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/kernel/sched/{name}.kernel.txt"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn every_scheduler_picks_as_the_kernel_did() {
    let mut differ = Vec::new();
    for name in SCHEDULERS {
        let text = fixture(name);
        assert!(text.contains("@@@ kernel 6.1."), "{name}: not a Linux 6.1 run");
        let runs = parse_output(&text);
        // At least 20 scripts, every one finished by the kernel with no note from the agent
        // (a connection that did not settle or an ipvsadm command the kernel refused).
        assert!(runs.len() >= 20, "{name}: {} scripts", runs.len());
        for r in &runs {
            assert!(r.picks.is_ok() && r.notes.is_empty(), "{}: {:?} {:?}", r.name, r.picks, r.notes);
            assert!(r.script.contains(&format!("\"scheduler\":\"{name}\"")), "{}", r.name);
        }
        for o in compare(&runs) {
            if !o.agrees() {
                differ.push(format!("{}\n  lvsim  {}\n  kernel {}", o.name, show(&o.lvsim), show(&o.kernel)));
            }
        }
    }
    assert!(differ.is_empty(), "lvsim differs from the kernel:\n{}", differ.join("\n"));
}

#[test]
fn fixtures_are_not_trivial() {
    // The comparison would prove little if the kernel had refused everything or picked one
    // server each time: in every scheduler's batch at least a third of the scripts spread
    // their connections over two servers or more (dh, fo and ovf spread least: one VIP is
    // one dh bucket, and fo/ovf fill the heaviest server first).
    for name in SCHEDULERS {
        let runs = parse_output(&fixture(name));
        let spread = runs
            .iter()
            .filter(|r| {
                let mut s: Vec<usize> = r.picks.as_ref().unwrap().iter().flatten().copied().collect();
                s.sort_unstable();
                s.dedup();
                s.len() > 1
            })
            .count();
        assert!(spread * 3 >= runs.len(), "{name}: only {spread} of {} scripts spread", runs.len());
    }
}

#[test]
fn the_kernel_uses_the_totalconns_overhead() {
    // docs/sched-cases/lc-totalconns.json (on a VIP of the lab): 256 connections closed on
    // server 0 (inactive), then one held on server 1 (active). The two formulas disagree on
    // the last connect only: activeconns·256 + inactconns ties 256 = 256 and takes the
    // first in list order (server 1); activeconns·256 + totalconns gives 257 > 256 and
    // takes server 0. The kernel (6.1.192) took server 0, so the scripts' "overhead":
    // "totalconns" is the kernel's formula, and lvsim with the classic one would differ.
    let runs = parse_output(&fixture("lc-totalconns"));
    assert_eq!(runs.len(), 1);
    let kernel = runs[0].picks.clone().unwrap();
    assert_eq!(kernel.len(), 258);
    assert_eq!(kernel[256..], [Some(1), Some(0)]);
    assert_eq!(lvsim::ipvs::script::run(&runs[0].script).unwrap(), kernel);
    let classic = runs[0].script.replace("\"overhead\":\"totalconns\"", "\"overhead\":\"inactconns\"");
    assert_ne!(lvsim::ipvs::script::run(&classic).unwrap(), kernel);
}

#[test]
#[ignore = "boots the kernel VM (bash kernel/setup.sh first); about 1 min a scheduler"]
fn live_kernel_sched() {
    // Fresh scripts (seed 2, not the fixtures' seed 1) through the whole pipeline: the lab,
    // the VM, `lvsim agent sched`, the parse and the comparison. Every script must come back
    // from the kernel with picks, and they must agree with lvsim's.
    let harness = lvsim::lab::vm::harness_dir(None).unwrap();
    let lvsim_bin = Path::new(env!("CARGO_BIN_EXE_lvsim"));
    for name in ["rr", "wrr", "wlc", "lblcr", "sh", "mh"] {
        let scripts = batch(name, 2, 3);
        let out = lvsim::lab::vm::run(&harness, lvsim_bin, &lab(name, 2, &scripts), timeout(scripts.len())).unwrap();
        let runs = parse_output(&out);
        assert_eq!(runs.len(), scripts.len(), "{name}: {out}");
        for o in compare(&runs) {
            assert!(o.agrees(), "{}: lvsim {} kernel {}", o.name, show(&o.lvsim), show(&o.kernel));
        }
    }
}
