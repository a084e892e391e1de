//! Every ipvsadm listing and `ip addr|route|neigh` on state produced by running the
//! embedded scenarios, as snapshots (layouts checked by eye against spec d and iproute2;
//! the unit tests in `ipvs::listing` and `stack::show` pin the exact columns).

use lvsim::engine::Engine;
use lvsim::ipvs::{RateEstimator, listing};
use lvsim::sim::{SimDuration, SimTime};
use lvsim::stack::show::show;

/// insta trims whitespace at the end of a snapshot, which would hide the padding of the
/// last line and the final newline: a marker after the output keeps both visible.
fn whole(s: String) -> String {
    s + "(end)"
}

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

/// Builds scenario source `src` and runs it to `t` (past its end if need be).
fn run_source(origin: &str, src: &str, t: SimTime) -> Engine {
    let l = lvsim::scenario::parse(origin, src).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut e = l.build().unwrap_or_else(|e| panic!("{}", e.render()));
    e.end = e.end.max(t);
    e.run_until(t);
    e
}

fn embedded(name: &str) -> &'static str {
    lvsim::scenario::EMBEDDED.iter().find(|(n, _)| *n == name).unwrap().1
}

fn run_at(name: &str, t: &str) -> Engine {
    run_source(name, embedded(name), SimTime::ZERO + SimDuration::parse(t).unwrap())
}

fn ipvsadm(e: &Engine, a: &str) -> String {
    let v = e.hosts.iter().find_map(|h| h.ipvs.as_deref()).expect("a director");
    listing::list(v, e.now(), &args(a)).unwrap_or_else(|err| panic!("ipvsadm {a}: {err}"))
}

fn ip(e: &Engine, host: &str, a: &str) -> String {
    let h = e.hosts.iter().find(|h| h.name == host).expect("host exists");
    show(h, &args(a)).unwrap_or_else(|err| panic!("ip {a}: {err}"))
}

#[test]
fn dr_listings() {
    // At 150 ms two connections exist (FIN_WAIT, one per real server): the snapshots show
    // every listing of the same state, so each layout can be read against spec d.
    let e = run_at("dr", "150ms");
    insta::assert_snapshot!("dr_ln", whole(ipvsadm(&e, "-Ln")));
    insta::assert_snapshot!("dr_lnc", whole(ipvsadm(&e, "-Lnc")));
    insta::assert_snapshot!("dr_stats", whole(ipvsadm(&e, "-Ln --stats")));
    insta::assert_snapshot!("dr_stats_exact", whole(ipvsadm(&e, "-Ln --stats --exact")));
    insta::assert_snapshot!("dr_thresholds", whole(ipvsadm(&e, "-Ln --thresholds")));
    insta::assert_snapshot!("dr_persistent_conn", whole(ipvsadm(&e, "-Ln --persistent-conn")));
    insta::assert_snapshot!("dr_timeout", whole(ipvsadm(&e, "-L --timeout")));
    insta::assert_snapshot!("dr_save", whole(ipvsadm(&e, "-S -n")));
    insta::assert_snapshot!("dr_nosort", whole(ipvsadm(&e, "-Ln --nosort")));
    insta::assert_snapshot!("dr_one_service", whole(ipvsadm(&e, "-L -n -t 10.0.0.100:80")));
}

#[test]
fn nat_listings() {
    // NAT replies pass the director, so OutPkts/OutBytes are counted (non-zero), unlike
    // DR; -S saves -m and the mapped port 8080.
    let e = run_at("nat", "1s");
    let stats = ipvsadm(&e, "-Ln --stats");
    let svc = stats.lines().nth(3).unwrap();
    assert_ne!(svc.split_whitespace().nth(4), Some("0"), "OutPkts counted: {svc}");
    insta::assert_snapshot!("nat_ln", whole(ipvsadm(&e, "-Ln")));
    insta::assert_snapshot!("nat_lnc", whole(ipvsadm(&e, "-Lnc")));
    insta::assert_snapshot!("nat_stats", whole(stats));
    insta::assert_snapshot!("nat_save", whole(ipvsadm(&e, "-S -n")));
}

#[test]
fn tun_listings() {
    // Tunnel servers show as Tunnel, save with `-i ... --tun-type ipip`, and --tun-info
    // names the tunnel type (spec d.6, d.7).
    let e = run_at("tun", "1s");
    let save = ipvsadm(&e, "-S -n");
    assert!(save.lines().filter(|l| l.starts_with("-a")).all(|l| l.ends_with(" -i -w 1 --tun-type ipip")), "{save}");
    insta::assert_snapshot!("tun_ln", whole(ipvsadm(&e, "-Ln")));
    insta::assert_snapshot!("tun_save", whole(save));
    insta::assert_snapshot!("tun_tun_info", whole(ipvsadm(&e, "-Ln --tun-info")));
}

/// Per director: the estimators of each service and of its real servers.
type Shadow = Vec<Vec<(RateEstimator, Vec<RateEstimator>)>>;

/// Runs `e` to `until` and runs the kernel's 2-second estimation timer at 2 s, 4 s, ...
/// through `Ipvs::estimate`. Each sample starts from this function's own copy of the
/// estimators, so the result is the same whether or not the engine samples as well.
fn run_estimating(e: &mut Engine, until: SimTime) {
    let mut shadow: Shadow = Vec::new();
    for h in &e.hosts {
        let v: Vec<_> = h
            .ipvs
            .iter()
            .flat_map(|v| v.services.iter())
            .map(|s| (s.est, s.dests.iter().map(|d| d.est).collect()))
            .collect();
        shadow.push(v);
    }
    let mut t = SimTime::ZERO + SimDuration::from_secs(2);
    e.end = e.end.max(until);
    while t <= until {
        e.run_until(t);
        for (h, sh) in e.hosts.iter_mut().zip(&mut shadow) {
            let Some(v) = h.ipvs.as_deref_mut() else { continue };
            for (s, (se, de)) in v.services.iter_mut().zip(sh.iter()) {
                s.est = *se;
                for (d, est) in s.dests.iter_mut().zip(de) {
                    d.est = *est;
                }
            }
            v.estimate();
            for (s, (se, de)) in v.services.iter().zip(sh.iter_mut()) {
                *se = s.est;
                for (d, est) in s.dests.iter().zip(de.iter_mut()) {
                    *est = d.est;
                }
            }
        }
        t += SimDuration::from_secs(2);
    }
    e.run_until(until);
}

#[test]
fn rate_listing() {
    // 100 connections/s for 6 s on the DR scenario: after samples at 2, 4 and 6 s the
    // EWMA (weight 1/4) reads 100·(1 − (3/4)^3) ≈ 58 cps on the service and about half
    // on each server, the figure the kernel's integer arithmetic gives.
    let src = embedded("dr").replacen("duration: \"1s\"", "duration: \"7s\"", 1).replacen(
        "count: 4, every: \"100ms\"",
        "count: 600, every: \"10ms\"",
        1,
    );
    let until = SimTime::ZERO + SimDuration::from_secs(6);
    let l = lvsim::scenario::parse("dr-busy", &src).unwrap_or_else(|e| panic!("{}", e.render()));
    let mut e = l.build().unwrap_or_else(|e| panic!("{}", e.render()));
    run_estimating(&mut e, until);
    let rate = ipvsadm(&e, "-Ln --rate");
    let cps: u64 = rate.lines().nth(3).unwrap().split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!((55..=60).contains(&cps), "{rate}");
    insta::assert_snapshot!("dr_busy_rate", whole(rate));
    insta::assert_snapshot!("dr_busy_rate_exact", whole(ipvsadm(&e, "-Ln --rate --exact")));
    insta::assert_snapshot!("dr_busy_stats", whole(ipvsadm(&e, "-Ln --stats")));
}

#[test]
fn ip_listings() {
    // The director's VIP is a second primary on eth0, a DR real server's VIP is on lo,
    // a TUN real server's on tunl0@NONE; routes come in FIB order; neighbours as learnt.
    let dr = run_at("dr", "150ms");
    insta::assert_snapshot!("dr_director_addr", whole(ip(&dr, "director", "addr")));
    insta::assert_snapshot!("dr_director_route", whole(ip(&dr, "director", "route")));
    insta::assert_snapshot!("dr_director_neigh", whole(ip(&dr, "director", "neigh")));
    insta::assert_snapshot!("dr_rs1_addr", whole(ip(&dr, "rs1", "addr show")));
    insta::assert_snapshot!("dr_router_brief", whole(ip(&dr, "router", "-br addr")));
    insta::assert_snapshot!("dr_router_neigh", whole(ip(&dr, "router", "neigh show")));
    // `lvsim ip` without --exact: the same lines, each MAC's owner in a `# HOST` column.
    let names = dr.names();
    let owner = |m| names.mac_owner(m);
    let router = dr.hosts.iter().find(|h| h.name == "router").unwrap();
    let named =
        lvsim::stack::show::run_named(router, &lvsim::stack::show::parse_show(&args("neigh")).unwrap(), Some(&owner));
    insta::assert_snapshot!("dr_router_neigh_named", whole(named.unwrap()));
    let tun = run_at("tun", "1s");
    insta::assert_snapshot!("tun_rs1_addr", whole(ip(&tun, "rs1", "a")));
    insta::assert_snapshot!("tun_rs1_link", whole(ip(&tun, "rs1", "link")));
    insta::assert_snapshot!("tun_router_route", whole(ip(&tun, "router", "r")));
}

#[test]
fn the_engine_samples_the_rate_estimator() {
    // Without the engine's 2-second estimator timer every rate stays 0; the dr scenario
    // sends ~20 client packets in its first 0.3 s, so after the first sample the service's
    // InPPS is (20 << 9 >> 2 + 0x1FF) >> 10 = 2, as ip_vs_est.c computes.
    let e = run_at("dr", "2500ms");
    let out = ipvsadm(&e, "-Ln --rate");
    let svc = out.lines().find(|l| l.starts_with("TCP  10.0.0.100:80")).expect("service line");
    let inpps: u64 = svc.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(inpps > 0, "{out}");
}
