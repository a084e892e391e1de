//! `ipvsadm`'s listings, laid out exactly as ipvsadm 1.31 prints them (spec d.3–d.7),
//! trailing spaces included: `-Ln`, `-Lnc`, `--stats`, `--rate`, `--thresholds`,
//! `--persistent-conn`, `--tun-info`, `--timeout`, `--exact`, `--nosort`, one service with
//! `-t|-u VIP:PORT`, and the save format `-S -n`. [`list`] reads an ipvsadm argument list
//! and picks the listing.
//!
//! lvsim resolves no names, so every listing is numeric, with or without `-n`.

use super::{Dest, Fwd, Ipvs, Proto, Service, ServiceAddr};
pub use crate::cmdline::ipvsadm_list::{ListCmd, ListError, Opt, parse_list};
use crate::sim::SimTime;
use std::cmp::Ordering;
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The version header of a full listing: IPVS 1.2.1 (`0x010201`), 2^12 connection buckets.
const VERSION_LINE: &str = "IP Virtual Server version 1.2.1 (size=4096)\n";

/// ipvsadm's comparator: `ntohl(a) − ntohl(b)` in unsigned 32 bits, read as signed, so
/// addresses 2^31 or more apart compare the wrong way (10.0.0.100 sorts after 192.168.10.1).
fn cmp_addr(a: Ipv4Addr, b: Ipv4Addr) -> Ordering {
    u32::from(a).wrapping_sub(u32::from(b)).cast_signed().cmp(&0)
}

/// `ipvs_cmp_services` (IPv4): fwmark first (`svc1->fwmark - svc2->fwmark`, the same
/// unsigned-difference quirk, so services without a mark come first and fwmark services
/// last), then protocol (TCP 6 before UDP 17), address with the quirk above, port.
fn cmp_services(a: &Service, b: &Service) -> Ordering {
    a.addr
        .fwmark
        .wrapping_sub(b.addr.fwmark)
        .cast_signed()
        .cmp(&0)
        .then_with(|| proto_num(a.addr.proto).cmp(&proto_num(b.addr.proto)))
        .then_with(|| cmp_addr(a.addr.addr, b.addr.addr))
        .then(a.addr.port.cmp(&b.addr.port))
}

/// `ipvs_cmp_dests` (IPv4): address with the quirk above, then port.
fn cmp_dests(a: &Dest, b: &Dest) -> Ordering {
    cmp_addr(a.addr, b.addr).then(a.port.cmp(&b.port))
}

const fn proto_num(p: Proto) -> u8 {
    match p {
        Proto::Tcp => 6,
        Proto::Udp => 17,
    }
}

/// glibc's `qsort`: a merge sort that splits `n` into `n/2` and `n − n/2` and takes the
/// left element while the comparator says ≤ 0. With ipvsadm's comparator (not a total
/// order when addresses are 2^31 apart) the result depends on exactly this algorithm, so
/// it is reproduced rather than using `sort_by`, which may order such input differently.
fn msort<T: Copy>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let (left, right) = v.split_at_mut(n / 2);
    msort(left, cmp);
    msort(right, cmp);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if cmp(&left[i], &right[j]) == Ordering::Greater {
            merged.push(right[j]);
            j += 1;
        } else {
            merged.push(left[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&left[i..]);
    merged.extend_from_slice(&right[j..]);
    v.copy_from_slice(&merged);
}

fn proto_name(p: Proto) -> &'static str {
    match p {
        Proto::Tcp => "TCP",
        Proto::Udp => "UDP",
    }
}

/// ipvsadm's format flags (`FMT_*`): which listing to print. The first of `stats`,
/// `rate`, `thresholds`, `persistent_conn`, `tun_info` that is set wins, as in ipvsadm.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // ipvsadm's independent FMT_* bits
pub struct Format {
    /// `--stats`
    pub stats: bool,
    /// `--rate`
    pub rate: bool,
    /// `--thresholds`
    pub thresholds: bool,
    /// `--persistent-conn`
    pub persistent_conn: bool,
    /// `--tun-info`
    pub tun_info: bool,
    /// `--nosort`: kernel order (see [`list_all`] for what that is in lvsim).
    pub nosort: bool,
    /// `--exact`: full numbers instead of K/M/G/T.
    pub exact: bool,
    /// `-S`: the save format (`FMT_RULE`).
    pub rule: bool,
}

/// `print_largenum`: right-aligned in 9 columns; from 10^8 on scaled to fit with K, M,
/// G or T (value / 10^3, 10^6, 10^9, 10^12 in 8 columns plus the letter). `--exact`
/// prints the whole number right-aligned in max(9, digits + 1).
fn largenum(o: &mut String, n: u64, exact: bool) {
    let _ = if exact {
        let width = (n.to_string().len() + 1).max(9);
        write!(o, "{n:>width$}")
    } else if n < 100_000_000 {
        write!(o, "{n:>9}")
    } else if n < 1_000_000_000 {
        write!(o, "{:>8}K", n / 1_000)
    } else if n < 100_000_000_000 {
        write!(o, "{:>8}M", n / 1_000_000)
    } else if n < 100_000_000_000_000 {
        write!(o, "{:>8}G", n / 1_000_000_000)
    } else {
        write!(o, "{:>8}T", n / 1_000_000_000_000)
    };
}

/// `print_title`: the two title lines (none in the save format).
fn title(o: &mut String, f: Format) {
    let local = "Prot LocalAddress:Port";
    let five = |o: &mut String, h: [&str; 5]| {
        let _ = writeln!(o, "{local:<33} {:>8} {:>8} {:>8} {:>8} {:>8}", h[0], h[1], h[2], h[3], h[4]);
    };
    if f.stats {
        five(o, ["Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"]);
    } else if f.rate {
        five(o, ["CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"]);
    } else if f.thresholds {
        let _ = writeln!(
            o,
            "{local:<33} {:<10} {:<10} {:<10} {:<10}",
            "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        );
    } else if f.persistent_conn {
        let _ =
            writeln!(o, "{local:<33} {:<9} {:<11} {:<10} {:<10}", "Weight", "PersistConn", "ActiveConn", "InActConn");
    } else if f.tun_info {
        o.push_str("Prot LocalAddress:Port Scheduler Flags\n");
        o.push_str("  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n");
        return;
    } else if !f.rule {
        o.push_str("Prot LocalAddress:Port Scheduler Flags\n");
        o.push_str("  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
        return;
    } else {
        return;
    }
    o.push_str("  -> RemoteAddress:Port\n");
}

/// `print_service_entry`: the service line, then one line per real server.
fn service_entry(o: &mut String, s: &Service, f: Format) {
    let vname = format!("{}:{}", s.addr.addr, s.addr.port);
    // `"%-4s %s"`, cut at 33 characters (a numeric IPv4 name never reaches that); a fwmark
    // service is `"FWM  %d"` (`"-f %d"` in rules), the mark printed signed.
    let svc_name = if s.addr.fwmark != 0 {
        let m = s.addr.fwmark.cast_signed();
        if f.rule { format!("-f {m}") } else { format!("FWM  {m}") }
    } else if f.rule {
        format!("{} {vname}", s.addr.proto.flag())
    } else {
        let mut n = format!("{:<4} {vname}", proto_name(s.addr.proto));
        n.truncate(33);
        n
    };
    let flags = s.opts.flags;
    if f.rule {
        let _ = write!(o, "-A {svc_name} -s {}", s.sched_name.name());
        if let Some(t) = s.persistent {
            let _ = write!(o, " -p {t}");
            if s.netmask != Ipv4Addr::BROADCAST {
                let _ = write!(o, " -M {}", s.netmask);
            }
        }
        if s.opts.one_packet {
            o.push_str(" -o");
        }
        if !flags.is_empty() {
            let _ = write!(o, " -b {flags}");
        }
    } else if f.stats {
        let _ = write!(o, "{svc_name:<33}");
        let st = s.stats;
        for n in [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes] {
            largenum(o, n, f.exact);
        }
    } else if f.rate {
        let _ = write!(o, "{svc_name:<33}");
        let r = s.est.rates();
        for n in [r.cps, r.inpps, r.outpps, r.inbps, r.outbps] {
            largenum(o, n, f.exact);
        }
    } else {
        let _ = write!(o, "{svc_name} {}", s.sched_name.name());
        if !flags.is_empty() {
            let _ = write!(o, " ({flags})");
        }
        if let Some(t) = s.persistent {
            let _ = write!(o, " persistent {t}");
            if s.netmask != Ipv4Addr::BROADCAST {
                let _ = write!(o, " mask {}", s.netmask);
            }
        }
        if s.opts.one_packet {
            o.push_str(" ops");
        }
    }
    o.push('\n');

    let mut dests: Vec<&Dest> = s.dests.iter().collect();
    if !f.nosort {
        msort(&mut dests, &|a: &&Dest, b: &&Dest| cmp_dests(a, b));
    }
    for d in dests {
        let mut dname = format!("{}:{}", d.addr, d.port);
        if !f.rule {
            dname.truncate(28);
        }
        let _ = if f.rule {
            let tun = if d.fwd == Fwd::Tun { " --tun-type ipip" } else { "" };
            writeln!(o, "-a {svc_name} -r {dname} {} -w {}{tun}", d.fwd.flag(), d.weight)
        } else if f.stats {
            let _ = write!(o, "  -> {dname:<28}");
            let st = d.stats;
            for n in [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes] {
                largenum(o, n, f.exact);
            }
            writeln!(o)
        } else if f.rate {
            // Server lines print CPS, InPPS and OutPPS with a plain " %8llu": never
            // scaled, and --exact changes nothing there (spec d.4).
            let r = d.est.rates();
            let _ = write!(o, "  -> {dname:<28} {:>8} {:>8} {:>8}", r.cps, r.inpps, r.outpps);
            largenum(o, r.inbps, f.exact);
            largenum(o, r.outbps, f.exact);
            writeln!(o)
        } else if f.thresholds {
            writeln!(
                o,
                "  -> {dname:<28} {:<10} {:<10} {:<10} {:<10}",
                d.u_threshold, d.l_threshold, d.activeconns, d.inactconns
            )
        } else if f.persistent_conn {
            writeln!(
                o,
                "  -> {dname:<28} {:<9} {:<11} {:<10} {:<10}",
                d.weight, d.persistconns, d.activeconns, d.inactconns
            )
        } else if f.tun_info {
            let info = if d.fwd == Fwd::Tun { "ipip" } else { "n/a" };
            writeln!(
                o,
                "  -> {dname:<28} {:<7} {info:<13} {:<6} {:<10} {:<10}",
                d.fwd.name(),
                d.weight,
                d.activeconns,
                d.inactconns
            )
        } else {
            writeln!(
                o,
                "  -> {dname:<28} {:<7} {:<6} {:<10} {:<10}",
                d.fwd.name(),
                d.weight,
                d.activeconns,
                d.inactconns
            )
        };
    }
}

/// `list_all`: every service (`ipvsadm -Ln [--stats|--rate|...]`, or `-S -n` with
/// `f.rule`). The version header is printed unless saving.
///
/// Sorted by ipvsadm's comparators unless `f.nosort`. Without sorting, real servers come
/// in kernel list order (newest first), as in the kernel; services come in the order they
/// were added. (The kernel's order is that of its service hash table, whose hash mixes in
/// the address of the network namespace's IPVS state, so it is not reproducible.)
pub fn list_all(v: &Ipvs, f: Format) -> String {
    let mut o = String::new();
    if !f.rule {
        o.push_str(VERSION_LINE);
    }
    let mut svcs: Vec<&Service> = v.services.iter().collect();
    if !f.nosort {
        msort(&mut svcs, &|a: &&Service, b: &&Service| cmp_services(a, b));
    }
    title(&mut o, f);
    for s in svcs {
        service_entry(&mut o, s, f);
    }
    o
}

/// `list_service`: one service (`ipvsadm -Ln -t VIP:PORT`), titles but no version header.
pub fn list_service(v: &Ipvs, svc: ServiceAddr, f: Format) -> Result<String, ListError> {
    let i = v.find_service(svc).ok_or(ListError::NoSuchService)?;
    let mut o = String::new();
    title(&mut o, f);
    service_entry(&mut o, &v.services[i], f);
    Ok(o)
}

/// `ipvsadm -Ln`.
pub fn list_services(v: &Ipvs) -> String {
    list_all(v, Format::default())
}

/// `ipvsadm -S -n`: one `-A` line per service, then its `-a` lines; no header.
/// Thresholds are not saved (ipvsadm does not).
pub fn save(v: &Ipvs) -> String {
    list_all(v, Format { rule: true, ..Format::default() })
}

/// `ipvsadm -L --timeout`: the three timeouts `--set` changes, in seconds.
pub fn list_timeout(v: &Ipvs) -> String {
    let secs = |d: crate::sim::SimDuration| d.as_nanos() / 1_000_000_000;
    let t = v.timeouts;
    format!("Timeout (tcp tcpfin udp): {} {} {}\n", secs(t.tcp), secs(t.tcpfin), secs(t.udp))
}

/// `ipvsadm -Lnc` at time `now` (expire = time left on each entry's timer).
pub fn list_conns(v: &Ipvs, now: SimTime) -> String {
    let mut o = String::new();
    o.push_str("IPVS connection entries\n");
    o.push_str("pro expire state       source             virtual            destination\n");
    for (_, c) in v.live_conns() {
        let left = c.expires.since(now).as_nanos() / 1_000_000_000;
        let expire = format!("{:02}:{:02}", left / 60, left % 60);
        let src = format!("{}:{}", c.key.caddr, c.key.cport);
        let vip = format!("{}:{}", c.key.vaddr, c.key.vport);
        let _ = writeln!(
            o,
            "{:<3} {:<6} {:<11} {:<18} {:<18} {}:{}",
            if c.key.proto == super::IPPROTO_IP { "IP" } else { proto_name(c.proto) },
            expire,
            c.state.name(),
            src,
            vip,
            c.daddr,
            c.dport
        );
    }
    o
}

/// Runs an `ipvsadm` listing command line against `ipvs` at time `now` and returns what
/// ipvsadm would print; the words are parsed by [`parse_list`] (see there for what is
/// accepted).
///
/// Without `-n` lvsim still prints addresses and ports as numbers: there is no DNS or
/// services database to turn them into names.
pub fn list(ipvs: &Ipvs, now: SimTime, args: &[String]) -> Result<String, ListError> {
    run(ipvs, now, &parse_list(args)?)
}

/// What ipvsadm prints for the listing `c`.
pub fn run(ipvs: &Ipvs, now: SimTime, c: &ListCmd) -> Result<String, ListError> {
    let has = |o: Opt| c.has(o);
    let f = Format {
        stats: has(Opt::Stats),
        rate: has(Opt::Rate),
        thresholds: has(Opt::Thresholds),
        persistent_conn: has(Opt::PersistentConn),
        tun_info: has(Opt::TunInfo),
        nosort: has(Opt::NoSort),
        exact: has(Opt::Exact),
        rule: c.save,
    };
    if c.save {
        return Ok(list_all(ipvs, f));
    }
    Ok(if has(Opt::Connection) {
        list_conns(ipvs, now)
    } else if let Some(s) = c.svc {
        list_service(ipvs, s, f)?
    } else if has(Opt::Timeout) {
        list_timeout(ipvs)
    } else if has(Opt::Daemon) {
        // No sync daemon runs: ipvsadm prints nothing.
        String::new()
    } else {
        list_all(ipvs, f)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::{Conn, Sched, ServiceOpts, Stats, ipvsadm::SchedFlags};

    #[test]
    fn comparator_quirk() {
        // Spec d.3: 10.0.0.100 and 192.168.10.1 differ by more than 2^31, so ipvsadm sorts
        // 10.0.0.100 after 192.168.10.1; close addresses compare normally.
        assert_eq!(cmp_addr(Ipv4Addr::new(10, 0, 0, 100), Ipv4Addr::new(192, 168, 10, 1)), Ordering::Greater);
        assert_eq!(cmp_addr(Ipv4Addr::new(10, 0, 0, 11), Ipv4Addr::new(10, 0, 0, 12)), Ordering::Less);
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn dest(id: u32, addr: &str, port: u16, fwd: Fwd, weight: u32, active: u32, inact: u32) -> Dest {
        Dest {
            id,
            addr: ip(addr),
            port,
            fwd,
            weight,
            u_threshold: 0,
            l_threshold: 0,
            activeconns: active,
            inactconns: inact,
            persistconns: 0,
            overloaded: false,
            available: true,
            stats: Stats::default(),
            est: crate::ipvs::RateEstimator::default(),
            idle_start: None,
        }
    }

    /// A service as listings see it; `dests` in kernel list order (newest first).
    fn service(proto: Proto, addr: &str, port: u16, sched: Sched, dests: Vec<Dest>) -> Service {
        let svc = ServiceAddr::new(proto, ip(addr), port);
        let opts = ServiceOpts {
            svc,
            scheduler: sched,
            persistent: None,
            netmask: Ipv4Addr::BROADCAST,
            flags: SchedFlags::default(),
            one_packet: false,
        };
        Service {
            addr: svc,
            sched_name: sched,
            // Listings read only `sched_name`; lvsim simulates rr and wlc.
            sched: crate::schedulers::new(Sched::Rr, SchedFlags::default()).unwrap(),
            dests: dests.into(),
            persistent: None,
            netmask: Ipv4Addr::BROADCAST,
            opts,
            stats: Stats::default(),
            est: crate::ipvs::RateEstimator::default(),
            trash: Vec::new(),
        }
    }

    /// The director of spec d.3: three services, added in the order the spec lists them.
    fn spec_d3() -> Ipvs {
        let mut v = Ipvs::default();
        v.services.push(service(
            Proto::Tcp,
            "10.0.0.100",
            80,
            Sched::Wlc,
            vec![dest(1, "10.0.0.12", 80, Fwd::Dr, 3, 0, 1), dest(0, "10.0.0.11", 80, Fwd::Dr, 1, 2, 5)],
        ));
        let mut https =
            service(Proto::Tcp, "10.0.0.101", 443, Sched::Rr, vec![dest(2, "192.168.10.1", 8443, Fwd::Nat, 1, 0, 0)]);
        https.persistent = Some(360);
        https.netmask = ip("255.255.255.0");
        v.services.push(https);
        let mut dns =
            service(Proto::Udp, "10.0.0.100", 53, Sched::Sh, vec![dest(3, "10.0.0.11", 53, Fwd::Tun, 1, 0, 3)]);
        dns.opts.flags.sh_fallback = true;
        dns.opts.flags.sh_port = true;
        v.services.push(dns);
        v
    }

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn run(v: &Ipvs, a: &str) -> Result<String, ListError> {
        list(v, SimTime::ZERO, &args(a))
    }

    #[test]
    fn ln_matches_spec_d3_with_trailing_spaces() {
        // The whole example of spec d.3, character for character: every `->` line ends in
        // the InActConn field padded to 10.
        let want = "IP Virtual Server version 1.2.1 (size=4096)\n\
                    Prot LocalAddress:Port Scheduler Flags\n  \
                    -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
                    TCP  10.0.0.100:80 wlc\n  \
                    -> 10.0.0.11:80                 Route   1      2          5         \n  \
                    -> 10.0.0.12:80                 Route   3      0          1         \n\
                    TCP  10.0.0.101:443 rr persistent 360 mask 255.255.255.0\n  \
                    -> 192.168.10.1:8443            Masq    1      0          0         \n\
                    UDP  10.0.0.100:53 sh (sh-fallback,sh-port)\n  \
                    -> 10.0.0.11:53                 Tunnel  1      0          3         \n";
        assert_eq!(run(&spec_d3(), "-Ln").unwrap(), want);
    }

    #[test]
    fn fwmark_services_list_last_as_fwm() {
        // ipvsadm's print_service_entry: `sprintf(svc_name, "FWM  %d", se->fwmark)` ("-f %d"
        // for -S), and ipvs_cmp_services compares fwmark first, so the fwmark service (added
        // first here) lists after the -t one; its -g server has port 0 (the service port).
        let mut v = Ipvs::default();
        for line in [
            "-A -f 1 -s lblc -p 300",
            "-a -f 1 -r 10.0.0.11 -g -w 1",
            "-A -t 10.0.0.100:80 -s rr",
            "-a -t 10.0.0.100:80 -r 10.0.0.12 -g -w 1",
        ] {
            match crate::cmdline::parse(&format!("ipvsadm {line}")) {
                Ok(crate::cmdline::Command::Ipvsadm(c)) => v.apply(&c).unwrap(),
                other => panic!("{line}: {other:?}"),
            }
        }
        let want = "IP Virtual Server version 1.2.1 (size=4096)\n\
                    Prot LocalAddress:Port Scheduler Flags\n  \
                    -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
                    TCP  10.0.0.100:80 rr\n  \
                    -> 10.0.0.12:80                 Route   1      0          0         \n\
                    FWM  1 lblc persistent 300\n  \
                    -> 10.0.0.11:0                  Route   1      0          0         \n";
        assert_eq!(run(&v, "-Ln").unwrap(), want);
        let save = "-A -t 10.0.0.100:80 -s rr\n\
                    -a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1\n\
                    -A -f 1 -s lblc -p 300\n\
                    -a -f 1 -r 10.0.0.11:0 -g -w 1\n";
        assert_eq!(run(&v, "-S -n").unwrap(), save);
        // `-Ln -f 1` lists that service alone, with the two title lines and no version line.
        let one = "Prot LocalAddress:Port Scheduler Flags\n  \
                   -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
                   FWM  1 lblc persistent 300\n  \
                   -> 10.0.0.11:0                  Route   1      0          0         \n";
        assert_eq!(run(&v, "-Ln -f 1").unwrap(), one);
        assert!(run(&v, "-Ln -f 2").is_err(), "No such service");
    }

    #[test]
    fn the_spec_arrow_line_exactly() {
        // Spec d.3 quotes this line with its trailing spaces; it must appear verbatim.
        let out = run(&spec_d3(), "-Ln").unwrap();
        assert!(out.lines().any(|l| l == "  -> 10.0.0.11:80                 Route   1      2          5         "));
    }

    #[test]
    fn save_matches_spec_d7_without_thresholds() {
        // Spec d.7's example (minus --pe, which lvsim does not model): -A then its -a
        // lines, sorted like the listing, tunnel servers with --tun-type ipip.
        let mut v = spec_d3();
        v.services[0].dests[0].u_threshold = 100; // thresholds are not saved
        let want = "-A -t 10.0.0.100:80 -s wlc\n\
                    -a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1\n\
                    -a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 3\n\
                    -A -t 10.0.0.101:443 -s rr -p 360 -M 255.255.255.0\n\
                    -a -t 10.0.0.101:443 -r 192.168.10.1:8443 -m -w 1\n\
                    -A -u 10.0.0.100:53 -s sh -b sh-fallback,sh-port\n\
                    -a -u 10.0.0.100:53 -r 10.0.0.11:53 -i -w 1 --tun-type ipip\n";
        assert_eq!(run(&v, "-S -n").unwrap(), want);
        assert_eq!(run(&v, "--save").unwrap(), want);
    }

    #[test]
    fn one_service_has_no_version_header() {
        // Spec d.3: `-Ln -t VIP:port` prints the two title lines and that service only.
        let out = run(&spec_d3(), "-Ln -t 10.0.0.101:443").unwrap();
        assert_eq!(
            out,
            "Prot LocalAddress:Port Scheduler Flags\n  \
             -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
             TCP  10.0.0.101:443 rr persistent 360 mask 255.255.255.0\n  \
             -> 192.168.10.1:8443            Masq    1      0          0         \n"
        );
        assert_eq!(run(&spec_d3(), "-L -n -u 10.0.0.100:80"), Err(ListError::NoSuchService));
    }

    #[test]
    fn stats_layout_matches_spec_d4() {
        // Spec d.4's --stats example: titles padded to 33 then 8-wide headers, numbers in
        // 9 columns.
        let mut v = Ipvs::default();
        let mut a = dest(0, "10.0.0.11", 80, Fwd::Dr, 1, 0, 0);
        a.stats = Stats { conns: 7, inpkts: 56, outpkts: 0, inbytes: 3696, outbytes: 0 };
        let mut b = dest(1, "10.0.0.12", 80, Fwd::Dr, 1, 0, 0);
        b.stats = Stats { conns: 5, inpkts: 40, outpkts: 0, inbytes: 2640, outbytes: 0 };
        let mut s = service(Proto::Tcp, "10.0.0.100", 80, Sched::Wlc, vec![b, a]);
        s.stats = Stats { conns: 12, inpkts: 96, outpkts: 0, inbytes: 6336, outbytes: 0 };
        v.services.push(s);
        let want = "IP Virtual Server version 1.2.1 (size=4096)\n\
                    Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  \
                    -> RemoteAddress:Port\n\
                    TCP  10.0.0.100:80                      12       96        0     6336        0\n  \
                    -> 10.0.0.11:80                        7       56        0     3696        0\n  \
                    -> 10.0.0.12:80                        5       40        0     2640        0\n";
        assert_eq!(run(&v, "-Ln --stats").unwrap(), want);
    }

    fn num(n: u64, exact: bool) -> String {
        let mut o = String::new();
        largenum(&mut o, n, exact);
        o
    }

    #[test]
    fn largenum_thresholds() {
        // Spec d.4: below 10^8 in full; 10^8.. /1000 K; 10^9.. /10^6 M; 10^11.. /10^9 G;
        // 10^14.. /10^12 T; each boundary checked on both sides.
        assert_eq!(num(99_999_999, false), " 99999999");
        assert_eq!(num(100_000_000, false), "  100000K");
        assert_eq!(num(999_999_999, false), "  999999K");
        assert_eq!(num(1_000_000_000, false), "    1000M");
        assert_eq!(num(99_999_999_999, false), "   99999M");
        assert_eq!(num(100_000_000_000, false), "     100G");
        assert_eq!(num(99_999_999_999_999, false), "   99999G");
        assert_eq!(num(100_000_000_000_000, false), "     100T");
        assert_eq!(num(u64::MAX, false), "18446744T");
    }

    #[test]
    fn largenum_exact_widths() {
        // Spec d.4: --exact right-aligns in max(9, digits + 1): 8 digits still take 9
        // columns, 9 digits take 10, 20 digits take 21.
        assert_eq!(num(12_345_678, true), " 12345678");
        assert_eq!(num(123_456_789, true), " 123456789");
        assert_eq!(num(u64::MAX, true), " 18446744073709551615");
        assert_eq!(num(0, true), "        0");
    }

    #[test]
    fn rate_server_lines_are_never_scaled() {
        // Spec d.4: on --rate server lines CPS/InPPS/OutPPS use " %8llu" (a 9-digit value
        // overflows the column instead of becoming K), while the service line scales all
        // five and InBPS/OutBPS scale on both.
        let mut v = Ipvs::default();
        let mut d = dest(0, "10.0.0.11", 80, Fwd::Dr, 1, 0, 0);
        // Build an estimator reading 200000000 cps / pps and 300000000 B/s.
        let big =
            Stats { conns: 1_600_000_000, inpkts: 1_600_000_000, outpkts: 0, inbytes: 2_400_000_000, outbytes: 0 };
        for _ in 0..200 {
            d.stats.conns += big.conns;
            d.stats.inpkts += big.inpkts;
            d.stats.inbytes += big.inbytes;
            d.est.sample(&d.stats);
        }
        let r = d.est.rates();
        assert_eq!((r.cps, r.inpps, r.inbps), (800_000_000, 800_000_000, 1_200_000_000));
        let mut s = service(Proto::Tcp, "10.0.0.100", 80, Sched::Rr, vec![d.clone()]);
        s.est = d.est;
        v.services.push(s);
        let out = run(&v, "-Ln --rate").unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[1], "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS");
        assert_eq!(lines[3], "TCP  10.0.0.100:80                 800000K  800000K        0    1200M        0");
        assert_eq!(lines[4], "  -> 10.0.0.11:80                 800000000 800000000        0    1200M        0");
        // --exact widens only the scaled columns.
        let exact = run(&v, "-Ln --rate --exact").unwrap();
        assert_eq!(
            exact.lines().nth(4).unwrap(),
            "  -> 10.0.0.11:80                 800000000 800000000        0 1200000000        0"
        );
    }

    #[test]
    fn thresholds_and_persistent_conn_layouts() {
        // Spec d.6: the service line stays the plain `-Ln` one; titles and server lines
        // are left-aligned fields of 10 (thresholds) and 9/11/10/10 (persistent-conn).
        let mut v = spec_d3();
        v.services.truncate(1);
        v.services[0].dests[1].u_threshold = 100;
        v.services[0].dests[1].l_threshold = 75;
        let t = run(&v, "-Ln --thresholds").unwrap();
        let t: Vec<&str> = t.lines().collect();
        assert_eq!(t[1], "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ");
        assert_eq!(t[2], "  -> RemoteAddress:Port");
        assert_eq!(t[3], "TCP  10.0.0.100:80 wlc");
        assert_eq!(t[4], "  -> 10.0.0.11:80                 100        75         2          5         ");
        let p = run(&v, "-Ln --persistent-conn").unwrap();
        let p: Vec<&str> = p.lines().collect();
        assert_eq!(p[1], "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ");
        assert_eq!(p[4], "  -> 10.0.0.11:80                 1         0           2          5         ");
    }

    #[test]
    fn tun_info_layout() {
        // Spec d.6 title; ipvsadm 1.31 prints "ipip" for tunnel servers, "n/a" otherwise.
        let t = run(&spec_d3(), "-Ln --tun-info").unwrap();
        let t: Vec<&str> = t.lines().collect();
        assert_eq!(t[2], "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn");
        assert_eq!(t[4], "  -> 10.0.0.11:80                 Route   n/a           1      2          5         ");
        assert_eq!(t[9], "  -> 10.0.0.11:53                 Tunnel  ipip          1      0          3         ");
    }

    #[test]
    fn timeout_line() {
        // Spec b.3: `ipvsadm -L --timeout` prints the three --set timeouts.
        assert_eq!(run(&Ipvs::default(), "-L --timeout").unwrap(), "Timeout (tcp tcpfin udp): 900 120 300\n");
    }

    #[test]
    fn nosort_keeps_kernel_list_order() {
        // Servers are stored newest first (kernel list order); --nosort shows them so,
        // the default sorts by address.
        let out = run(&spec_d3(), "-Ln --nosort").unwrap();
        let arrows: Vec<&str> = out.lines().filter(|l| l.starts_with("  ->")).skip(1).take(2).collect();
        assert!(arrows[0].starts_with("  -> 10.0.0.12:80"), "{out}");
        assert!(arrows[1].starts_with("  -> 10.0.0.11:80"), "{out}");
    }

    #[test]
    fn sort_reproduces_the_comparator_quirk() {
        // 10.0.0.100 and 192.168.10.1 are more than 2^31 apart: ipvsadm lists the
        // 192.168 service first although 10 < 192 (spec d.3).
        let mut v = Ipvs::default();
        v.services.push(service(Proto::Tcp, "10.0.0.100", 80, Sched::Rr, vec![]));
        v.services.push(service(Proto::Tcp, "192.168.10.1", 80, Sched::Rr, vec![]));
        let out = run(&v, "-Ln").unwrap();
        let svcs: Vec<&str> = out.lines().filter(|l| l.starts_with("TCP")).collect();
        assert_eq!(svcs, ["TCP  192.168.10.1:80 rr", "TCP  10.0.0.100:80 rr"]);
    }

    #[test]
    fn msort_is_glibc_merge_order() {
        // These three compare in a cycle under ipvsadm's comparator (a < b, b < c, c < a),
        // so the outcome depends on the algorithm; glibc's merge sort (halves 1 and 2)
        // keeps [a, b, c].
        let a = ip("192.168.10.1");
        let b = ip("10.0.0.100");
        let c = ip("100.0.0.1");
        let mut v = [a, b, c];
        msort(&mut v, &|x: &Ipv4Addr, y: &Ipv4Addr| cmp_addr(*x, *y));
        // Right half [b, c] stays (b < c); merging, a − b ≥ 2^31 wraps negative, so a < b
        // and a is taken first.
        assert_eq!(v, [a, b, c]);
    }

    #[test]
    fn connections_listing_unchanged() {
        // -Lnc (spec d.5): no version header, fixed columns, expire in mm:ss.
        let mut v = Ipvs::default();
        v.conns.insert(Conn {
            key: crate::ipvs::ConnKey {
                proto: 6,
                caddr: ip("192.0.2.7"),
                cport: 40001,
                vaddr: ip("10.0.0.100"),
                vport: 80,
            },
            proto: Proto::Tcp,
            daddr: ip("10.0.0.11"),
            dport: 80,
            fwd: Fwd::Dr,
            state: crate::ipvs::State::Established,
            svc: 0,
            dest: 0,
            expires: SimTime(898_500_000_000),
            nooutput: true,
            generation: 1,
            created: SimTime::ZERO,
            template: None,
            is_template: false,
            by_template: false,
            n_control: 0,
            timeout: crate::sim::SimDuration::from_secs(900),
            timer_at: SimTime(898_500_000_000),
            in_pkts: 0,
            synced_state: crate::ipvs::State::None,
        });
        assert_eq!(
            run(&v, "-Lnc").unwrap(),
            "IPVS connection entries\n\
             pro expire state       source             virtual            destination\n\
             TCP 14:58  ESTABLISHED 192.0.2.7:40001    10.0.0.100:80      10.0.0.11:80\n"
        );
    }

    #[test]
    fn argument_forms() {
        // Bundled and long forms select the same listings as their spelled-out twins.
        let v = spec_d3();
        let ln = run(&v, "-L -n").unwrap();
        for a in ["-Ln", "-ln", "--list --numeric", "-L", "ipvsadm -Ln", ""] {
            assert_eq!(run(&v, a).unwrap(), ln, "{a}");
        }
        let one = run(&v, "-L -n -t 10.0.0.100:80").unwrap();
        for a in
            ["-Lnt 10.0.0.100:80", "-Lnt10.0.0.100:80", "-Ln --tcp-service=10.0.0.100:80", "-L --sort -t 10.0.0.100:80"]
        {
            assert_eq!(run(&v, a).unwrap(), one, "{a}");
        }
        assert_eq!(run(&v, "-Lnc").unwrap(), run(&v, "--list --connection -n").unwrap());
    }

    #[test]
    fn argument_errors_say_what_was_expected() {
        // Each refusal names what was found and what ipvsadm wanted (or ipvsadm's own
        // message where it has one).
        let v = spec_d3();
        let err = |a: &str| run(&v, a).unwrap_err().to_string();
        assert_eq!(err("-n -L"), "expected the command first (-L, -l, --list, -S or --save), found \"-n\"");
        assert!(err("-L --bogus").starts_with("unknown option \"--bogus\": expected one of -L|-l|--list"));
        assert!(err("-Lq").starts_with("unknown option \"-q\""));
        assert!(err("-A -t 10.0.0.1:80").contains("configures IPVS"));
        assert_eq!(err("-L -L"), "multiple commands specified");
        assert_eq!(err("-L -n -n"), "multiple 'numeric' options specified");
        assert_eq!(
            err("-L -c -t 10.0.0.100:80"),
            "The option 'service-address' conflicts with the 'connection' option in the 'list' command"
        );
        assert_eq!(err("-L -c --stats"), "options conflicts in the list command");
        assert_eq!(err("-S --stats"), "Illegal 'stats' option with the 'save' command");
        assert_eq!(
            err("-L -t"),
            "-t needs a value: expected a virtual service VIP[:PORT], found the end of the arguments"
        );
        assert!(err("-L -t vip.example:80").contains("found \"vip.example:80\""));
        assert_eq!(err("-L foo"), "unexpected argument foo");
    }
}
