//! keepalived on the director: its services installed at start, health checks as real
//! frames, and the IPVS change a failed check makes, at times computed by hand from the
//! configuration (docs/keepalived.md, keepalived 2.2.7's check_tcp.c `tcp_epilog`).
use crate::common::{assert_conserved, field, run, run_text};
use lvsim::packet::Value;
use lvsim::sim::{SimDuration, SimTime};
use lvsim::trace::{Stage, Step};
use lvsim::why::Why;
use std::net::Ipv4Addr;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// The times of keepalived's IPVS changes of kind `change` for server `addr`.
fn changes(steps: &[Step], change: &str, addr: &str) -> Vec<SimTime> {
    steps
        .iter()
        .filter(|s| matches!(&s.why, Why::KaIpvsadm { change: c, addr: a, .. } if *c == change && *a == ip(addr)))
        .map(|s| s.time)
        .collect()
}

/// The start times of the checks of `addr`.
fn checks(steps: &[Step], addr: &str) -> Vec<SimTime> {
    steps.iter().filter(|s| matches!(&s.why, Why::KaCheck { addr: a, .. } if *a == ip(addr))).map(|s| s.time).collect()
}

/// The real servers of the director's one service, as (address, weight).
fn servers(r: &crate::common::Run) -> Vec<(Ipv4Addr, u32)> {
    let v = r.host("director").ipvs.as_deref().expect("keepalived made the director an IPVS host");
    let mut d: Vec<_> = v.services[0].dests.iter().map(|d| (d.addr, d.weight)).collect();
    d.sort();
    d
}

const S: u64 = 1_000_000_000;

#[test]
fn a_dead_server_is_removed_after_connect_timeout_times_retry_plus_one() {
    // delay_loop 1 s, connect_timeout 1 s, retry 1, delay_before_retry 1 s; rs2's link goes
    // down at 2 s. The first check after that starts at t0 (the 1 s check's end plus
    // delay_loop: 2 s plus one round trip). tcp_epilog: it times out at t0 + 1 s (retry_it
    // 0 < retry 1: retry after delay_before_retry), the retry starts at t0 + 2 s and times
    // out at t0 + 3 s with retry_it = retry: down then, so `-d` at exactly t0 + 3 s.
    let r = run("rs-failure-tcp-check");
    let t0 = *checks(&r.steps, "10.0.0.12").iter().find(|t| t.as_nanos() > 2 * S).expect("a check after 2 s");
    assert!(t0.as_nanos() < 2 * S + 1_000_000, "the check runs one round trip after 2 s: {t0}");
    assert_eq!(changes(&r.steps, "down", "10.0.0.12"), vec![t0 + SimDuration::from_secs(3)]);
    assert!(changes(&r.steps, "down", "10.0.0.11").is_empty(), "rs1 stays up");
    // ipvsadm -d: only rs1 is left in the service.
    assert_eq!(servers(&r), vec![(ip("10.0.0.11"), 1)]);
    assert_conserved(&r.engine);
}

#[test]
fn the_probes_are_frames_from_the_director() {
    // Every check of a live server is a SYN from the director's own address to port 80,
    // counted in the director's tx like any frame. Checks of rs1 run every second from
    // 1 s to 7 s (delay_loop 1 s, 8 s run): 7 SYNs to 10.0.0.11. rs2's start at 1, 2, 4
    // and 6 s (a failure takes connect_timeout, 1 s, then delay_before_retry, 1 s); the
    // three that fail each see the kernel resend their SYN at its initial RTO of 1 s, the
    // instant of connect_timeout, before keepalived closes the socket: 4 + 3 = 7.
    let r = run("rs-failure-tcp-check");
    let syns = |dst: &str| {
        r.frames("director", Stage::Tx)
            .filter(|s| {
                field(s, "ip.src") == Some(Value::Ip(ip("10.0.0.2")))
                    && field(s, "ip.dst") == Some(Value::Ip(ip(dst)))
                    && field(s, "tcp.flags") == Some(Value::Hex16(0x02))
            })
            .count()
    };
    assert_eq!(syns("10.0.0.11"), 7);
    assert_eq!(syns("10.0.0.12"), 7);
}

#[test]
fn inhibit_on_failure_sets_weight_zero_instead() {
    // Same timing as above; with inhibit_on_failure keepalived runs `-e ... -w 0`, so rs2
    // stays in the table with weight 0.
    let r = run("rs-failure-inhibit");
    let t0 = *checks(&r.steps, "10.0.0.12").iter().find(|t| t.as_nanos() > 2 * S).unwrap();
    assert_eq!(changes(&r.steps, "down", "10.0.0.12"), vec![t0 + SimDuration::from_secs(3)]);
    assert_eq!(servers(&r), vec![(ip("10.0.0.11"), 1), (ip("10.0.0.12"), 0)]);
    assert_conserved(&r.engine);
}

#[test]
fn the_sorry_server_replaces_the_last_real_server() {
    // One real server (weight 1, quorum 1): when it goes down the live weight is 0 < 1, so
    // the sorry server goes in at the same instant, with weight 1.
    let r = run("sorry-server");
    let down = changes(&r.steps, "down", "10.0.0.11");
    assert_eq!(down.len(), 1);
    assert_eq!(changes(&r.steps, "sorry_on", "10.0.0.99"), down);
    assert_eq!(servers(&r), vec![(ip("10.0.0.99"), 1)]);
    assert_conserved(&r.engine);
}

/// rs-failure-tcp-check with its checkers' blocks replaced by `checker`, and no fault.
fn with_checker(checker: &str) -> String {
    let src = include_str!("../../scenarios/rs-failure-tcp-check.ron");
    let block =
        "TCP_CHECK {\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }";
    assert_eq!(src.matches(block).count(), 2, "rs-failure-tcp-check changed shape");
    src.replace(block, checker).replace("At(time: \"2s\", host: \"rs2\", run: \"ip link set eth0 down\"),", "")
}

#[test]
fn a_refused_connect_takes_a_server_down_at_its_first_check() {
    // connect_port 8080 has no listener: the real servers answer the SYN with a RST. At
    // start a checker's retry_it equals retry ("one failure is enough initially",
    // check_data.c), so the first check, at the bootstrap delay of 1 s, takes each server
    // down as soon as the RST is back: one round trip after 1 s.
    let r = run_text("refused.ron", &with_checker("TCP_CHECK {\n connect_port 8080\n }"));
    for rs in ["10.0.0.11", "10.0.0.12"] {
        let down = changes(&r.steps, "down", rs);
        assert_eq!(down.len(), 1, "{rs}");
        assert!(down[0].as_nanos() > S && down[0].as_nanos() < S + 1_000_000, "{rs}: {}", down[0]);
        assert!(
            r.steps.iter().any(|s| matches!(&s.why, Why::KaCheckFailed { cause: "rst", addr, .. } if *addr == ip(rs)))
        );
    }
    assert!(servers(&r).is_empty());
}

#[test]
fn misc_check_outcomes_are_named_by_the_path() {
    // /bin/false fails at once: down at exactly the bootstrap delay, 1 s (no frame, no
    // round trip). /bin/true never changes anything.
    let r = run_text("misc.ron", &with_checker("MISC_CHECK {\n misc_path /bin/false\n }"));
    assert_eq!(changes(&r.steps, "down", "10.0.0.11"), vec![SimTime(S)]);
    let r = run_text("misc.ron", &with_checker("MISC_CHECK {\n misc_path /bin/true\n }"));
    assert!(r.steps.iter().all(|s| !matches!(&s.why, Why::KaIpvsadm { change: "down", .. })));
}

#[test]
fn http_get_reads_the_status() {
    // lvsim's servers answer 200. A url expecting 200 keeps both servers; one expecting
    // 404 fails at the first check, after the response (so later than a SYN-ACK alone).
    let ok = run_text("http.ron", &with_checker("HTTP_GET {\n url {\n path /\n status_code 200\n }\n }"));
    assert!(ok.steps.iter().any(|s| matches!(&s.why, Why::KaCheckOk { check: "HTTP_GET", .. })));
    assert!(ok.steps.iter().all(|s| !matches!(&s.why, Why::KaIpvsadm { change: "down", .. })));
    assert_eq!(servers(&ok).len(), 2);
    let bad = run_text("http.ron", &with_checker("HTTP_GET {\n url {\n path /\n status_code 404\n }\n }"));
    let failed: Vec<_> = bad
        .steps
        .iter()
        .filter(|s| matches!(&s.why, Why::KaCheckFailed { cause: "status", status: 404, .. }))
        .collect();
    assert!(!failed.is_empty());
    assert_eq!(changes(&bad.steps, "down", "10.0.0.11").len(), 1);
    assert_conserved(&bad.engine);
}

#[test]
fn an_error_in_inline_keepalived_text_points_into_the_scenario() {
    // `dealy_loop` on the scenario's line holding `    delay_loop 1` inside the Text (found
    // below): the error names that line and the keyword's column.
    let src = include_str!("../../scenarios/rs-failure-tcp-check.ron").replacen(
        "    delay_loop 1\n",
        "    dealy_loop 1\n",
        1,
    );
    let line = src.lines().position(|l| l.contains("dealy_loop")).unwrap() + 1;
    let col = src.lines().nth(line - 1).unwrap().find("dealy_loop").unwrap() + 1;
    let e = lvsim::scenario::parse("typo.ron", &src).unwrap().build().err().expect("an error");
    match e {
        lvsim::scenario::ScenarioError::At { line: l, col: c, found, .. } => {
            assert_eq!((l, c), (line, col));
            assert_eq!(found, "\"dealy_loop\"");
        }
        other @ lvsim::scenario::ScenarioError::Io { .. } => panic!("{other}"),
    }
}

#[test]
fn keepalived_runs_are_deterministic() {
    let a = run("rs-failure-tcp-check");
    let b = run("rs-failure-tcp-check");
    let times = |r: &crate::common::Run| r.steps.iter().map(|s| (s.time, s.why.key())).collect::<Vec<_>>();
    assert_eq!(times(&a), times(&b));
}

/// `name` with `at` (an `At(...)` line) added after its link-down fault.
fn with_fault(name: &str, src: &str, at: &str) -> String {
    let host = if name == "sorry-server" { "rs1" } else { "rs2" };
    let fault = format!("At(time: \"2s\", host: \"{host}\", run: \"ip link set eth0 down\"),");
    assert!(src.contains(&fault), "{name} changed shape");
    src.replace(&fault, &format!("{fault}\n        {at}"))
}

#[test]
fn a_server_that_answers_again_comes_back() {
    // rs2 down at t0 + 3 s (above). keepalived keeps checking it: the down decision reset
    // retry_it to 0 and the next check runs delay_loop (1 s) later, at t0 + 4 s, after the
    // link is back up at 6 s. It succeeds one round trip (and an ARP exchange) later, and
    // the server comes back: `-a` after a removal, `-e -w 1` after inhibit_on_failure.
    for (name, src, cmd) in [
        (
            "rs-failure-tcp-check",
            include_str!("../../scenarios/rs-failure-tcp-check.ron"),
            "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1",
        ),
        (
            "rs-failure-inhibit",
            include_str!("../../scenarios/rs-failure-inhibit.ron"),
            "ipvsadm -e -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1",
        ),
    ] {
        let r =
            run_text(name, &with_fault(name, src, "At(time: \"6s\", host: \"rs2\", run: \"ip link set eth0 up\"),"));
        let t0 = *checks(&r.steps, "10.0.0.12").iter().find(|t| t.as_nanos() > 2 * S).unwrap();
        let up: Vec<_> = r
            .steps
            .iter()
            .filter(|s| matches!(&s.why, Why::KaIpvsadm { change: "up", .. }))
            .map(|s| match &s.why {
                Why::KaIpvsadm { cmd, .. } => (s.time, cmd.to_string()),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(up.len(), 1, "{name}: {up:?}");
        let back = t0 + SimDuration::from_secs(4);
        assert!(up[0].0 > back && up[0].0 < back + SimDuration::from_millis(10), "{name}: {} vs {back}", up[0].0);
        assert_eq!(up[0].1, cmd, "{name}");
        assert_eq!(servers(&r), vec![(ip("10.0.0.11"), 1), (ip("10.0.0.12"), 1)], "{name}");
        assert_conserved(&r.engine);
    }
}

#[test]
fn the_sorry_server_leaves_when_a_real_server_returns() {
    // The live weight is back to 1 = quorum as rs1 comes up: the sorry server is removed at
    // the same instant.
    let src = include_str!("../../scenarios/sorry-server.ron");
    let r = run_text(
        "sorry",
        &with_fault("sorry-server", src, "At(time: \"6s\", host: \"rs1\", run: \"ip link set eth0 up\"),"),
    );
    let up = changes(&r.steps, "up", "10.0.0.11");
    assert_eq!(up.len(), 1);
    assert_eq!(changes(&r.steps, "sorry_off", "10.0.0.99"), up);
    assert_eq!(servers(&r), vec![(ip("10.0.0.11"), 1)]);
}

#[test]
fn an_error_in_a_keepalived_file_points_into_that_file() {
    // `File("ka.conf")` is read next to the scenario; an error names ka.conf with the line
    // and column of the bad word: `lb_kind DSR` is line 3, and DSR starts at column 13
    // (four spaces, `lb_kind`, a space: 12 characters before it).
    let dir = std::env::temp_dir().join(format!("lvsim-ka-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = "virtual_server 10.0.0.100 80 {\n    delay_loop 1\n    lb_kind DSR\n}\n";
    std::fs::write(dir.join("ka.conf"), conf).unwrap();
    let src = include_str!("../../scenarios/rs-failure-tcp-check.ron");
    let start = src.find("keepalived: Text(\"").unwrap();
    let end = start + src[start..].find("\")),").unwrap() + 2;
    let scenario = format!("{}keepalived: File(\"ka.conf\"){}", &src[..start], &src[end..]);
    let path = dir.join("s.ron");
    std::fs::write(&path, &scenario).unwrap();
    let e = lvsim::scenario::load(path.to_str().unwrap()).unwrap().build().err().expect("an error");
    match e {
        lvsim::scenario::ScenarioError::At { origin, line, col, found, .. } => {
            assert!(origin.ends_with("ka.conf"), "{origin}");
            assert_eq!((line, col, found.as_str()), (3, 13, "\"DSR\""));
        }
        other @ lvsim::scenario::ScenarioError::Io { .. } => panic!("{other}"),
    }
    // The same file, fixed, builds: the path is read relative to the scenario.
    std::fs::write(dir.join("ka.conf"), conf.replace("DSR", "DR")).unwrap();
    assert!(lvsim::scenario::load(path.to_str().unwrap()).unwrap().build().is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lvsim_check_sees_keepalived_services() {
    // keepalived's configuration is installed as the engine is built, so `lvsim check`'s
    // per-real-server rules apply to its services: rs2 without the VIP on lo is a DR real
    // server with the VIP on no interface (vip_missing), as with an `ipvsadm -a ... -g`.
    let src = include_str!("../../scenarios/rs-failure-tcp-check.ron");
    let rs2 = "\"ip addr add 10.0.0.12/24 dev eth0\",\n            \"ip addr add 10.0.0.100/32 dev lo\",";
    assert!(src.contains(rs2), "rs-failure-tcp-check changed shape");
    let broken = src.replace(rs2, "\"ip addr add 10.0.0.12/24 dev eth0\",");
    let e = lvsim::scenario::parse("novip.ron", &broken).unwrap().build().unwrap();
    let w: Vec<_> = lvsim::engine::check::warnings(&e.net, &e.hosts)
        .iter()
        .map(|w| (w.key(), e.hosts[w.host() as usize].name.clone()))
        .collect();
    assert!(w.contains(&("vip_missing", "rs2".to_string())), "{w:?}");
}

#[test]
fn a_real_server_without_a_checker_is_warned_about() {
    // rs2's TCP_CHECK block removed: keepalived would never test it. `lvsim check` warns
    // (typed: KeepalivedNoChecker for 10.0.0.12 80 on the director), in both languages, and
    // still exits 0 without --deny-warnings.
    let src = include_str!("../../scenarios/rs-failure-tcp-check.ron");
    let rs2 = "real_server 10.0.0.12 80 {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 1\n            retry 1\n            delay_before_retry 1\n        }\n    }";
    assert!(src.contains(rs2), "rs-failure-tcp-check changed shape");
    let text = src.replace(rs2, "real_server 10.0.0.12 80 {\n        weight 1\n    }");
    let e = lvsim::scenario::parse("nochk.ron", &text).unwrap().build().unwrap();
    let w = e.keepalived_warnings();
    assert!(
        matches!(w[..], [lvsim::engine::check::Warning::KeepalivedNoChecker { rip, port: 80, .. }] if rip == ip("10.0.0.12")),
        "{w:?}"
    );
    assert_eq!(w[0].key(), "keepalived_no_checker");
    assert_eq!(e.hosts[w[0].host() as usize].name, "director");
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let (en, zh) =
        (w[0].render(&e.net, &e.hosts, lvsim::lang::Lang::En), w[0].render(&e.net, &e.hosts, lvsim::lang::Lang::Zh));
    assert!(!cjk(&en.text) && !cjk(&en.hint) && cjk(&zh.text) && cjk(&zh.hint));
    // The embedded scenarios check every real server.
    for name in ["rs-failure-tcp-check", "rs-failure-inhibit", "sorry-server"] {
        assert!(lvsim::scenario::load(name).unwrap().build().unwrap().keepalived_warnings().is_empty(), "{name}");
    }
    let path = std::env::temp_dir().join(format!("lvsim-ka-nochk-{}.ron", std::process::id()));
    std::fs::write(&path, &text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lvsim"))
        .args(["check", path.to_str().unwrap(), "--lang", "en"])
        .output()
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).matches("warning:").count() == 1);
}
