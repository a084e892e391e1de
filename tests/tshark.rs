//! Needs `tshark` (Wireshark's CLI); `.ci/run` installs it and runs these with
//! `cargo test --test tshark -- --ignored`. They prove the pcap files are real: Wireshark
//! reads every packet, decodes IPIP, and sees the same addresses as lvsim's JSON trace.

use lvsim::trace::{Action, Recorder, Stage, Step};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::process::Command;
use std::rc::Rc;

#[derive(Default)]
struct Keep(Vec<Step>);
impl Recorder for Keep {
    fn record(&mut self, s: Step) {
        self.0.push(s);
    }
}

/// Per segment: sorted "ip.src ip.dst" lines as Wireshark's `-T fields` prints them
/// (outer and inner header comma-separated for IPIP), from lvsim's own trace.
fn expected(name: &str, dir: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let l = lvsim::scenario::load(name).unwrap();
    let mut e = l.build().unwrap();
    let segs: Vec<String> = e.net.segments.iter().map(|s| s.name.clone()).collect();
    let cap = Rc::new(RefCell::new(lvsim::capture::PcapCapture::create(dir, &segs).unwrap()));
    e.set_capture(Box::new(cap.clone()));
    let rec = Rc::new(RefCell::new(Keep::default()));
    e.set_recorder(Box::new(rec.clone()));
    e.run();
    let mut out: BTreeMap<String, Vec<String>> = segs.iter().map(|s| (s.clone(), Vec::new())).collect();
    for s in rec.borrow().0.iter().filter(|s| s.stage == Stage::Tx && s.action == Action::Send) {
        let (seg, _) = e.hosts[s.host as usize].ifaces[s.iface.unwrap() as usize].port.unwrap();
        let f = s.subject.unwrap().frame;
        let get = |n: &str| f.field(n).map(|v| v.to_string());
        let line = match (get("ip.src"), get("ip.dst")) {
            (Some(src), Some(dst)) => match (get("inner.ip.src"), get("inner.ip.dst")) {
                (Some(isrc), Some(idst)) => format!("{src},{isrc} {dst},{idst}"),
                _ => format!("{src} {dst}"),
            },
            _ => " ".to_string(),
        };
        out.get_mut(&segs[seg as usize]).unwrap().push(line);
    }
    drop(e);
    Rc::try_unwrap(cap).ok().unwrap().into_inner().finish().unwrap();
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn tshark(path: &std::path::Path) -> Vec<String> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-T", "fields", "-E", "separator= ", "-e", "ip.src", "-e", "ip.dst"])
        .output()
        .expect("tshark is installed (.ci/run installs it)");
    assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut v: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    v.sort();
    v
}

#[test]
#[ignore = "needs tshark; run by .ci/run"]
fn wireshark_reads_every_packet_with_the_same_addresses() {
    for name in ["dr", "nat", "tun"] {
        let dir = std::env::temp_dir().join(format!("lvsim-tshark-{}-{name}", std::process::id()));
        let want = expected(name, &dir);
        for (seg, lines) in &want {
            let got = tshark(&dir.join(format!("{seg}.pcap")));
            assert_eq!(&got, lines, "{name}/{seg}: tshark disagrees with the JSON trace");
        }
        if name == "tun" {
            // IPIP decoded: some frame on dc2 has two IP layers (outer,inner).
            assert!(want["dc2"].iter().any(|l| l.contains(',')), "no IPIP frame on dc2");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
#[ignore = "needs tshark; run by .ci/run"]
fn wireshark_checksums_are_valid() {
    // tshark validates IPv4/TCP/UDP checksums when asked; a bad one shows in the expert info.
    let dir = std::env::temp_dir().join(format!("lvsim-tshark-ck-{}", std::process::id()));
    let _ = expected("nat", &dir);
    for seg in ["wan", "lan", "priv"] {
        let out = Command::new("tshark")
            .args(["-n", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-r"])
            .arg(dir.join(format!("{seg}.pcap")))
            .args(["-Y", "ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\""])
            .output()
            .expect("tshark");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty(), "bad checksums on {seg}: {}", String::from_utf8_lossy(&out.stdout));
    }
    let _ = std::fs::remove_dir_all(dir);
}
