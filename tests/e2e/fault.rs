//! Faults from `at:`: a service stops, a machine crashes or reboots, a link loses frames.
//! Each is checked against what the director decided (typed trace data) and against the
//! frame accounting: nothing a failed machine held or received may vanish uncounted.
use crate::common::{Run, assert_conserved, run_text};
use lvsim::sim::{SimDuration, SimTime};
use lvsim::trace::{Action, Step};
use lvsim::why::{DropReason, Why};
use std::net::Ipv4Addr;

/// dr.ron with ten connections, one every 100 ms, a longer run and extra `at:` entries
/// (and `boot` for rs2).
fn dr_with(at: &[(&str, &str, &str)], rs2_boot: Option<&str>) -> String {
    let mut src = include_str!("../../scenarios/dr.ron")
        .replace("count: 4, every: \"100ms\"", "count: 10, every: \"100ms\"")
        .replace("duration: \"1s\"", "duration: \"3s\"");
    assert!(src.contains("count: 10") && src.contains("duration: \"3s\""), "dr.ron changed shape");
    if let Some(b) = rs2_boot {
        src = src.replacen("Host(name: \"rs2\",", &format!("Host(name: \"rs2\", boot: \"{b}\","), 1);
        assert!(src.contains("boot:"), "dr.ron's rs2 changed shape");
    }
    let list: Vec<String> =
        at.iter().map(|(t, h, c)| format!("        At(time: \"{t}\", host: \"{h}\", run: \"{c}\"),")).collect();
    let at_block = format!("    at: [\n{}\n    ],\n    expect: [", list.join("\n"));
    let out = src.replacen("    expect: [", &at_block, 1);
    assert!(out.contains("At(time"), "dr.ron has no expect list to put at: before");
    out
}

/// When the director scheduled each connection, and to which server.
fn picks(r: &Run) -> Vec<(SimTime, Ipv4Addr)> {
    r.steps
        .iter()
        .filter_map(|s| match s.why {
            Why::IpvsSchedule { server, .. } => Some((s.time, server)),
            _ => None,
        })
        .collect()
}

fn at_host<'a>(r: &'a Run, host: &'a str) -> impl Iterator<Item = &'a Step> + 'a {
    r.steps.iter().filter(move |s| r.names.host(s.host) == host)
}

const RS1: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);
const RS2: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 12);

#[test]
fn a_stopped_service_refuses_new_connections_and_finishes_old_ones() {
    // rs2's server stops at 450 ms. The director does not know (no health check), so rr
    // keeps sending rs2 its share: every connection scheduled to rs2 after 450 ms meets a
    // closed port and is refused with RST, every one before it is served. The picks come
    // from the director's own decisions, so the claim is checked against an independent
    // record, not against the counters under test.
    let r = run_text("stop.ron", &dr_with(&[("450ms", "rs2", "systemctl stop tcp-80")], None));
    let stop = SimTime::ZERO + SimDuration::from_millis(450);
    let p = picks(&r);
    assert_eq!(p.len(), 10, "ten connections, each scheduled once");
    let to = |server, after: bool| p.iter().filter(|(t, s)| *s == server && (*t > stop) == after).count() as u64;
    // rr over two equal servers alternates: five each (hand count).
    assert_eq!(to(RS1, false) + to(RS1, true), 5);
    let m = &r.engine.metrics;
    let c = &m.clients[0];
    assert_eq!(c.refused, to(RS2, true), "refused = scheduled to rs2 after the stop");
    assert_eq!(c.completed, 10 - to(RS2, true));
    assert_eq!(m.served, vec![5, to(RS2, false)], "served: rs1 all five, rs2 those before the stop");
    let stopped = r.steps.iter().find(|s| matches!(s.why, Why::ServiceState { .. })).expect("the stop is traced");
    assert!(matches!(stopped.why, Why::ServiceState { port: 80, was_running: true, running: false, .. }));
    assert_eq!(stopped.time, stop);
    assert_conserved(&r.engine);
}

#[test]
fn a_started_service_listens_again() {
    // Stopped at 150 ms, started at 550 ms: rs2 refuses exactly the connections scheduled
    // to it between the two, and serves the others.
    let r = run_text(
        "restart.ron",
        &dr_with(&[("150ms", "rs2", "systemctl stop tcp-80"), ("550ms", "rs2", "systemctl start tcp-80")], None),
    );
    let (a, b) = (SimTime(150_000_000), SimTime(550_000_000));
    let p = picks(&r);
    let gap = p.iter().filter(|(t, s)| *s == RS2 && *t > a && *t < b).count() as u64;
    assert!(gap > 0, "rr sent rs2 something while it was stopped");
    assert_eq!(r.engine.metrics.clients[0].refused, gap);
    assert_eq!(r.engine.metrics.served[1], 5 - gap);
}

#[test]
fn a_crashed_machine_is_silent_and_every_frame_it_gets_is_counted_lost() {
    // rs2 crashes at 450 ms. From then on it sends nothing: its only steps are drops, each
    // `host_down`, one per frame that reached it (its rx counter grows by exactly the
    // number of those drops). Connections rr sends it after the crash never complete
    // (their SYNs are lost; a 3 s run is shorter than the SYN retries), the rest do.
    let src = dr_with(&[("450ms", "rs2", "echo c > /proc/sysrq-trigger")], None);
    let l = lvsim::scenario::parse("crash.ron", &src).unwrap();
    let mut e = l.build().unwrap();
    let crash = SimTime(450_000_000);
    e.run_until(crash);
    let rs2 = e.hosts.iter().position(|h| h.name == "rs2").unwrap();
    let (rx0, down0) = (e.metrics.hosts[rs2].rx, e.metrics.host_drops[rs2][DropReason::HostDown as usize]);
    assert!(e.host_down(rs2 as u16).is_some(), "down at the crash instant");
    let mut t = crash;
    while t < e.end {
        t += SimDuration::from_millis(37);
        e.run_until(t);
        assert_conserved(&e);
    }
    let got = e.metrics.hosts[rs2].rx - rx0;
    let lost = e.metrics.host_drops[rs2][DropReason::HostDown as usize] - down0;
    assert!(got > 0, "frames kept coming to rs2 (SYNs, their retransmissions, ARP)");
    assert_eq!(got, lost, "every frame rs2 received after the crash was dropped as host_down");

    let r = run_text("crash.ron", &src);
    for s in at_host(&r, "rs2").filter(|s| s.time > crash) {
        assert_eq!(s.action, Action::Drop(DropReason::HostDown), "rs2 did something after its crash: {s:?}");
    }
    let after = picks(&r).iter().filter(|(t, s)| *s == RS2 && *t > crash).count() as u64;
    assert!(after > 0);
    assert_eq!(r.engine.metrics.clients[0].completed, 10 - after);
}

#[test]
fn a_rebooted_machine_comes_back_as_built_after_its_boot_time() {
    // rs2 reboots at 450 ms with a 200 ms boot: between 450 and 650 ms it only drops
    // (`host_down`); at 650 ms it is up, with the neighbour table it was built with (the
    // ARP cache it learned is gone); connections rr sends it are served again.
    let src = dr_with(&[("450ms", "rs2", "reboot")], Some("200ms"));
    let r = run_text("reboot.ron", &src);
    let (down, up) = (SimTime(450_000_000), SimTime(650_000_000));
    for s in at_host(&r, "rs2").filter(|s| s.time > down && s.time < up) {
        assert_eq!(s.action, Action::Drop(DropReason::HostDown), "{s:?}");
    }
    let booted = r.steps.iter().find(|s| matches!(s.why, Why::HostBooted { .. })).expect("rs2 booted");
    assert_eq!(booted.time, up);
    assert_eq!(booted.why, Why::HostBooted { after: SimDuration::from_millis(200) });
    let p = picks(&r);
    let during = p.iter().filter(|(t, s)| *s == RS2 && *t > down && *t < up).count() as u64;
    let after = p.iter().filter(|(t, s)| *s == RS2 && *t > up).count() as u64;
    assert!(during > 0 && after > 0, "rr sent rs2 connections while down and after: {p:?}");
    // A SYN lost while rs2 boots is sent again 1 s later (TCP_TIMEOUT_INIT), after the
    // boot: so every connection rr gave rs2 is served in the end, all five, and all ten
    // complete.
    assert_eq!(r.engine.metrics.served[1], 5);
    assert_eq!(r.engine.metrics.clients[0].completed, 10);

    // Right after the boot, rs2's neighbour table is the one a fresh build has.
    let l = lvsim::scenario::parse("reboot.ron", &src).unwrap();
    let (mut e, fresh) = (l.build().unwrap(), l.build().unwrap());
    let rs2 = e.hosts.iter().position(|h| h.name == "rs2").unwrap();
    e.run_until(SimTime(449_000_000));
    assert!(!e.hosts[rs2].neigh.entries.is_empty(), "rs2 had learned neighbours before the reboot");
    e.run_until(up);
    assert_eq!(format!("{:?}", e.hosts[rs2].neigh.entries), format!("{:?}", fresh.hosts[rs2].neigh.entries));
    e.run();
    assert_conserved(&e);
}

#[test]
fn a_rebooted_director_forgets_what_was_typed_after_boot() {
    // `ipvsadm -e ... -w 0` at 100 ms is not in the director's `run:` list, so after a
    // reboot at 200 ms (boot 10 s by default, so the run's 3 s end first: use a
    // 100 ms boot) the weight is 1 again, as a real machine without a saved table.
    let src = dr_with(
        &[("100ms", "director", "ipvsadm -e -t 10.0.0.100:80 -r 10.0.0.11 -g -w 0"), ("200ms", "director", "reboot")],
        None,
    )
    .replacen("Host(name: \"director\",", "Host(name: \"director\", boot: \"100ms\",", 1);
    let l = lvsim::scenario::parse("director-reboot.ron", &src).unwrap();
    let mut e = l.build().unwrap();
    let d = e.hosts.iter().position(|h| h.name == "director").unwrap();
    let weight = |e: &lvsim::engine::Engine| {
        let v = e.hosts[d].ipvs.as_deref().unwrap();
        v.services[0].dests.iter().find(|x| x.addr == RS1).unwrap().weight
    };
    e.run_until(SimTime(150_000_000));
    assert_eq!(weight(&e), 0);
    e.run_until(SimTime(300_000_000));
    assert!(e.host_down(d as u16).is_none());
    assert_eq!(weight(&e), 1);
}

#[test]
fn netem_loses_its_share_of_frames_deterministically() {
    // 30 % loss on client1's only link: of the frames it offers (sent on the link + lost
    // by netem), the lost share must be within 4 standard deviations of 0.3 (binomial).
    // The same seed loses the same frames; another seed other ones.
    let src = include_str!("../../scenarios/dr.ron")
        .replace("count: 4, every: \"100ms\"", "count: 400, every: \"2ms\"")
        .replace(
            "\"ip route add default via 203.0.113.1\",",
            "\"ip route add default via 203.0.113.1\", \"tc qdisc add dev eth0 root netem loss 30%\",",
        );
    assert!(src.contains("netem loss 30%") && src.contains("count: 400"), "dr.ron changed shape");
    let l = lvsim::scenario::parse("netem.ron", &src).unwrap();
    let run = |seed| {
        let mut e = l.build_with_seed(seed).unwrap();
        e.run();
        assert_conserved(&e);
        let c = e.hosts.iter().position(|h| h.name == "client1").unwrap();
        (e.metrics.host_drops[c][DropReason::NetemLoss as usize], e.metrics.hosts[c].tx, e.metrics.clients[0].completed)
    };
    let (lost, tx, done) = run(1);
    let n = (lost + tx) as f64;
    let sd = (n * 0.3 * 0.7).sqrt();
    assert!(n > 500.0, "enough frames: {n}");
    assert!((lost as f64 - 0.3 * n).abs() < 4.0 * sd, "lost {lost} of {n}");
    assert!(done < 400, "some connections lost a frame and did not finish in time");
    assert_eq!(run(1), (lost, tx, done));
    assert_ne!(run(2), (lost, tx, done));
}

#[test]
fn fault_commands_read_back_as_typed() {
    // Each accepted spelling parses to the typed command, which prints back in its
    // canonical form; that form parses again to the same value.
    use lvsim::cmdline::{Command, Power, UnitAction, parse};
    let cases: &[(&str, Command, &str)] = &[
        (
            "systemctl stop nginx.service",
            Command::Systemctl { action: UnitAction::Stop, unit: "nginx".into() },
            "systemctl stop nginx",
        ),
        (
            "service nginx start",
            Command::Systemctl { action: UnitAction::Start, unit: "nginx".into() },
            "systemctl start nginx",
        ),
        ("sudo reboot", Command::Power(Power::Reboot), "reboot"),
        ("shutdown -r now", Command::Power(Power::Reboot), "reboot"),
        ("systemctl poweroff", Command::Power(Power::Poweroff), "poweroff"),
        ("echo c > /proc/sysrq-trigger", Command::Power(Power::SysrqCrash), "echo c > /proc/sysrq-trigger"),
        ("echo b >/proc/sysrq-trigger", Command::Power(Power::SysrqReboot), "echo b > /proc/sysrq-trigger"),
        (
            "tc qdisc add dev eth0 root netem loss 0.5%",
            Command::Netem { dev: "eth0".into(), loss_ppm: Some(5_000) },
            "tc qdisc add dev eth0 root netem loss 0.5%",
        ),
        (
            "tc qdisc replace dev eth1 root netem loss random 100%",
            Command::Netem { dev: "eth1".into(), loss_ppm: Some(1_000_000) },
            "tc qdisc add dev eth1 root netem loss 100%",
        ),
        (
            "tc qdisc del dev eth0 root",
            Command::Netem { dev: "eth0".into(), loss_ppm: None },
            "tc qdisc del dev eth0 root",
        ),
    ];
    for (text, typed, canonical) in cases {
        let c = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(&c, typed, "{text}");
        assert_eq!(c.to_string(), *canonical);
        assert_eq!(&parse(canonical).unwrap(), typed);
    }
    // Refused, each at the offending word.
    for (text, word) in [
        ("tc qdisc add dev eth0 root netem loss 101%", "101%"),
        ("tc qdisc add dev eth0 root netem loss 10", "10"),
        ("tc qdisc add dev eth0 root netem delay 10ms", "delay"),
        ("systemctl frobnicate nginx", "frobnicate"),
        ("echo x > /proc/sysrq-trigger", "x"),
        ("shutdown -r +5", "+5"),
    ] {
        let e = parse(text).expect_err(text);
        assert_eq!(&text[e.span.clone()], word, "{text}: {e}");
    }
}

#[test]
fn faults_are_refused_in_run_and_unknown_units_in_at() {
    // A crash in `run:` has no time to happen at; `systemctl stop` of a unit the host does
    // not run is a typo. Both are located errors naming the line of the command.
    let src = include_str!("../../scenarios/dr.ron").replacen(
        "\"ip addr add 10.0.0.12/24 dev eth0\",",
        "\"ip addr add 10.0.0.12/24 dev eth0\", \"reboot\",",
        1,
    );
    let e = lvsim::scenario::parse("x.ron", &src).unwrap().build().err().expect("reboot in run:");
    let line = src.lines().position(|l| l.contains("\"reboot\"")).unwrap() + 1;
    assert!(matches!(e, lvsim::scenario::ScenarioError::At { line: l, .. } if l == line), "{}", e.render());

    let src = dr_with(&[("1s", "rs2", "systemctl stop apache2")], None);
    let e = lvsim::scenario::parse("y.ron", &src).unwrap().build().err().expect("no such unit");
    let line = src.lines().position(|l| l.contains("apache2")).unwrap() + 1;
    assert!(matches!(e, lvsim::scenario::ScenarioError::At { line: l, .. } if l == line), "{}", e.render());
}

#[test]
fn a_failover_run_reports_detection_and_takeover_and_draws_the_timeline() {
    // rs-failure-tcp-check: rs2's link goes down at 2 s; the first check after it starts at
    // ~2.00005 s and times out 1 s later, the retry (delay_before_retry 1 s) times out at
    // ~5.00005 s, when keepalived declares 10.0.0.12:80 down: detection 3.00005 s (the
    // scenario's notes derive the same). director-failover-no-sync: director1 goes down at
    // 9 s and director2 is MASTER 3.609375 s after the 8.414062 s advertisement it last
    // heard (plus its ~21 µs trip), so the takeover takes about 3.0235 s. The timeline chart
    // marks exactly the milestones, at their times.
    use lvsim::batch::{charts::Chart, run_charts, run_full};
    let l = lvsim::scenario::load("rs-failure-tcp-check").unwrap();
    let run = run_full(&l, 1, None).unwrap();
    let d = run.summary.detection_s.expect("a check declared the server down");
    assert!((d - 3.000_05).abs() < 1e-4, "detection {d}");
    assert!(run.summary.takeover_s.is_none(), "no VRRP here");

    let l = lvsim::scenario::load("director-failover-no-sync").unwrap();
    let run = run_full(&l, 1, None).unwrap();
    let t = run.summary.takeover_s.expect("director2 took over");
    assert!((t - (8.414_062 + 3.609_375 - 9.0)).abs() < 1e-3, "takeover {t}");
    let kinds: Vec<(&str, &str)> = run.summary.milestones.iter().map(|m| (m.host.as_str(), m.kind.as_str())).collect();
    assert_eq!(kinds, [("director1", "vrrp_master"), ("director1", "host_down"), ("director2", "vrrp_master")]);
    let charts = run_charts(&run, lvsim::lang::Lang::En);
    let Some((_, Chart::Lines(tl))) = charts.iter().find(|(n, _)| *n == "timeline") else {
        panic!("no timeline chart")
    };
    let marks: Vec<f64> = tl.marks.iter().map(|m| m.1).collect();
    let times: Vec<f64> = run.summary.milestones.iter().map(|m| m.t_s).collect();
    assert_eq!(marks, times);
    // A run without faults draws no timeline.
    let run = run_full(&lvsim::scenario::load("dr").unwrap(), 1, None).unwrap();
    assert!(run.summary.milestones.is_empty());
    assert!(run_charts(&run, lvsim::lang::Lang::En).iter().all(|(n, _)| *n != "timeline"));
}

#[test]
fn the_detection_sweep_follows_keepalived_timers() {
    // scenarios/sweeps/detection.ron: rs2's link goes down at 2 s; checks run at 1 s and
    // then delay_loop after the previous one ended (~50 µs each), so the first one after
    // the fault starts at 1 + delay_loop × ceil(1 / delay_loop) s and times out 1 s
    // (connect_timeout) later; each retry adds delay_before_retry 1 s and another 1 s
    // timeout. Detection = start − 2 + 1 + 2 × retry (derived in the sweep file's header),
    // within the few ~50 µs round trips the checks take.
    use lvsim::batch::sweep;
    let sw = sweep::load("detection").unwrap();
    let results = sweep::run(&sw, 0).unwrap();
    assert_eq!(results.len(), 12);
    for (p, r) in sw.points.iter().zip(&results) {
        let get = |k: &str| p.params.iter().find(|(n, _)| n == k).unwrap().1.parse::<f64>().unwrap();
        let (d, retry) = (get("delay_loop"), get("retry"));
        let start = 1.0 + d * (1.0 / d).ceil();
        let want = start - 2.0 + 1.0 + 2.0 * retry;
        let got = r.summary.detection_s.expect("detected");
        assert!((got - want).abs() < 0.001, "delay_loop {d}, retry {retry}: {got} s, by hand {want} s");
    }
    // Later detection loses more connections: never fewer as retry grows at one delay_loop.
    let lost = |i: usize| results[i].summary.clients.started - results[i].summary.clients.completed;
    for x in 0..4 {
        assert!(lost(x) <= lost(4 + x) && lost(4 + x) <= lost(8 + x));
    }
}
