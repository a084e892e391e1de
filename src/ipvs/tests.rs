//! Unit tests of the director: the connection table, timers, templates and trash.

use super::*;
use crate::cmdline::ipvsadm::ServerOpts;
use crate::packet::{IpProtocol, Ipv4Repr, TcpFlags as F, TcpRepr, UdpRepr};
use std::collections::BTreeMap;

const VIP: &str = "10.0.0.100";
const A: &str = "10.0.0.11";
const B: &str = "10.0.0.12";

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

fn secs(s: u64) -> SimTime {
    SimTime(s * 1_000_000_000)
}

/// An `ipvsadm ...` line (without the program name), through the one command parser.
fn cmd(line: &str) -> IpvsadmCmd {
    match crate::cmdline::parse(&format!("ipvsadm {line}")) {
        Ok(crate::cmdline::Command::Ipvsadm(c)) => c,
        other => panic!("not an ipvsadm command: {line}: {other:?}"),
    }
}

fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol) -> Ipv4Repr {
    Ipv4Repr { src, dst, protocol, ttl: 64, ident: 0, dont_frag: true, tos: 0 }
}

fn tcp(src: (&str, u16), dst: (&str, u16), flags: F) -> Packet {
    Packet {
        tunnel: None,
        ip: ipv4(ip(src.0), ip(dst.0), IpProtocol::Tcp),
        l4: L4::Tcp(TcpRepr { src_port: src.1, dst_port: dst.1, seq: 0, ack: 0, flags, window: 65535, payload_len: 0 }),
    }
}

fn udp(src: (&str, u16), dst: (&str, u16)) -> Packet {
    Packet {
        tunnel: None,
        ip: ipv4(ip(src.0), ip(dst.0), IpProtocol::Udp),
        l4: L4::Udp(UdpRepr { src_port: src.1, dst_port: dst.1, payload_len: 10 }),
    }
}

/// Recomputes every server's ActiveConn/InActConn/PersistConn, every template's
/// n_control and the hash indexes from the live entries, and checks the OVERLOAD flag
/// against the thresholds.
fn check_table(v: &Ipvs) {
    for (i, s) in v.services.iter().enumerate() {
        assert!(s.dests.iter().all(|d| d.available), "listed servers are available");
        assert!(s.trash.iter().all(|d| !d.available), "the trash holds deleted servers only");
        assert!(
            s.trash.iter().all(|d| d.idle_start.is_none() || d.refs() == 0),
            "a server found idle in the trash stays unreferenced"
        );
        for d in &s.trash {
            let same = |x: &&Dest| x.addr == d.addr && x.port == d.port;
            assert_eq!(s.dests.iter().chain(&s.trash).filter(same).count(), 1, "{}:{} once", d.addr, d.port);
        }
        for d in s.dests.iter().chain(&s.trash) {
            let (mut a, mut ina, mut p) = (0, 0, 0);
            for (_, c) in v.live_conns().filter(|(_, c)| c.svc == i && c.dest == d.id) {
                if c.is_template {
                    p += 1;
                } else if c.state.is_active() {
                    a += 1;
                } else {
                    ina += 1;
                }
            }
            assert_eq!((d.activeconns, d.inactconns, d.persistconns), (a, ina, p), "counters of {}:{}", d.addr, d.port);
            let total = d.totalconns();
            if d.u_threshold > 0 && total >= d.u_threshold {
                assert!(d.overloaded, "{}: {total} entries ≥ -x {} but not OVERLOAD", d.addr, d.u_threshold);
            }
            if d.u_threshold == 0 || total < d.lower_threshold() {
                assert!(!d.overloaded, "{}: {total} entries below the lower threshold but OVERLOAD", d.addr);
            }
        }
    }
    for (id, c) in v.live_conns() {
        assert!(v.dest(c).is_some(), "entry {id}'s server is listed or trashed");
        assert!(c.timer_at <= c.expires, "entry {id}'s armed timer is not after its expiry");
        if c.is_template {
            let n = v.live_conns().filter(|(_, x)| x.template == Some(id)).count() as u32;
            assert_eq!(c.n_control, n, "template {id} counts its entries");
            assert!(matches!(c.state, State::None | State::Assured));
            if c.key.vport != INVALID_PORT {
                assert_eq!(v.tmpl_index.get(&c.key), Some(&id), "a valid template is hashed");
            }
        } else {
            assert_eq!(c.n_control, 0);
            assert_eq!(v.index.get(&c.key), Some(&id), "entry {id} is hashed under its key");
            if let Some(t) = c.template {
                let t = v.conns.at(t).expect("the controlling template lives");
                assert!(t.is_template && t.dest == c.dest && t.svc == c.svc);
            }
        }
    }
    for (k, &id) in v.index.iter().chain(&v.tmpl_index) {
        let c = v.conns.at(id).expect("index points at a live entry");
        assert_eq!(c.key, *k);
    }
    let nat = v.live_conns().filter(|(_, c)| !c.is_template && c.fwd == Fwd::Nat).count();
    assert_eq!(v.out_index.len(), nat, "one reply key per NAT entry");
}

/// An `Ipvs` with a clock and a minimal agenda that arms what `take_timers` and
/// `take_trash_timer` ask for, exactly as the engine is meant to.
struct Lab {
    v: Ipvs,
    now: SimTime,
    agenda: BTreeMap<(SimTime, u64), (u32, u32)>,
    seq: u64,
    expired: Vec<Conn>,
    /// The trash timer's next run and generation.
    trash: Option<(SimTime, u32)>,
}

impl Lab {
    fn new(lines: &[&str]) -> Lab {
        let mut lab = Lab {
            v: Ipvs::default(),
            now: SimTime::ZERO,
            agenda: BTreeMap::new(),
            seq: 0,
            expired: vec![],
            trash: None,
        };
        for l in lines {
            lab.run(l);
        }
        lab
    }

    fn run(&mut self, line: &str) {
        self.v.apply(&cmd(line)).unwrap();
        assert!(self.v.timers.is_empty(), "configuration never queues timers");
        self.arm_trash();
        self.check();
    }

    /// Arms (or re-arms: `mod_timer`) the trash timer if a deletion asked for it.
    fn arm_trash(&mut self) {
        if let Some(g) = self.v.take_trash_timer() {
            self.trash = Some((self.now + DEST_TRASH_TIMER, g));
        }
    }

    fn arm(&mut self, at: SimTime, conn: u32, generation: u32) {
        self.seq += 1;
        self.agenda.insert((at, self.seq), (conn, generation));
    }

    fn drain(&mut self) {
        for t in self.v.take_timers() {
            assert!(t.at > self.now);
            self.arm(t.at, t.conn, t.generation);
        }
    }

    fn send(&mut self, p: Packet) -> InVerdict {
        let r = self.v.in_hook(&p, self.now);
        self.drain();
        self.check();
        r
    }

    /// Sends and returns the server the entry goes to.
    fn to(&mut self, p: Packet) -> Ipv4Addr {
        match self.send(p) {
            InVerdict::Xmit { conn, .. } => self.v.conn(conn).daddr,
            other => panic!("not transmitted: {other:?}"),
        }
    }

    /// A reply from the entry's (NAT) server to the client.
    fn reply(&mut self, client: (&str, u16), vport: u16, flags: Option<F>) -> Option<u32> {
        let key = ConnKey { proto: 6, caddr: ip(client.0), cport: client.1, vaddr: ip(VIP), vport };
        let key = if flags.is_none() { ConnKey { proto: 17, ..key } } else { key };
        let c = *self.v.conn(*self.v.index.get(&key)?);
        let (s, d) = ((c.daddr.to_string(), c.dport), (client.0, client.1));
        let mut p = match flags {
            Some(f) => tcp((&s.0, s.1), d, f),
            None => udp((&s.0, s.1), d),
        };
        let r = self.v.out_hook(&mut p, self.now);
        self.drain();
        self.check();
        r
    }

    /// Moves the clock to `t`, firing every due timer in order (the trash timer after
    /// the entries' timers of the same instant).
    fn at(&mut self, t: SimTime) {
        loop {
            let next = self.agenda.iter().next().map(|(&k, &v)| (k, v));
            if let Some((when, g)) = self.trash
                && when <= t
                && next.is_none_or(|((w, _), _)| when < w)
            {
                self.now = when;
                self.trash = self.v.trash_timer(g, when).again.then_some((when + DEST_TRASH_TIMER, g));
                self.check();
                continue;
            }
            let Some(((when, seq), (conn, generation))) = next else { break };
            if when > t {
                break;
            }
            self.agenda.remove(&(when, seq));
            self.now = when;
            match self.v.fire_timer(conn, generation, when) {
                TimerFired::Later(at) | TimerFired::Rearmed(at) => self.arm(at, conn, generation),
                TimerFired::Expired(c) => self.expired.push(c),
                TimerFired::Stale => {}
            }
            assert!(self.v.timers.is_empty(), "timers never queue from a timer");
            self.check();
        }
        self.now = t;
        for (id, c) in self.v.live_conns() {
            assert!(c.expires > t, "entry {id} outlived its expiry");
        }
    }

    fn check(&self) {
        check_table(&self.v);
        for (id, c) in self.v.live_conns() {
            let armed =
                self.agenda.iter().any(|(&(when, _), &(i, g))| i == id && g == c.generation && when == c.timer_at);
            assert!(armed, "entry {id} has its timer armed at {}", c.timer_at);
        }
    }

    fn dest(&self, addr: &str) -> &Dest {
        let a = ip(addr);
        let s = &self.v.services[0];
        s.dests.iter().chain(&s.trash).find(|d| d.addr == a).expect("server")
    }

    fn counts(&self, addr: &str) -> (u32, u32, u32) {
        let d = self.dest(addr);
        (d.activeconns, d.inactconns, d.persistconns)
    }

    fn templates(&self) -> Vec<Conn> {
        self.v.live_conns().filter(|(_, c)| c.is_template).map(|(_, c)| *c).collect()
    }

    fn entry(&self, client: (&str, u16), vport: u16) -> Option<&Conn> {
        let key = ConnKey { proto: 6, caddr: ip(client.0), cport: client.1, vaddr: ip(VIP), vport };
        self.v.index.get(&key).map(|&id| self.v.conn(id))
    }
}

fn persistent_rr(extra: &str) -> Lab {
    Lab::new(&[
        &format!("-A -t {VIP}:80 -s rr -p 360 {extra}"),
        &format!("-a -t {VIP}:80 -r {A} -g"),
        &format!("-a -t {VIP}:80 -r {B} -g"),
    ])
}

fn other(s: Ipv4Addr) -> Ipv4Addr {
    if s == ip(A) { ip(B) } else { ip(A) }
}

#[test]
fn persistence_keeps_a_client_on_one_server_even_at_weight_0() {
    let mut l = persistent_rr("");
    let first = l.to(tcp(("192.0.2.7", 1000), (VIP, 80), F::SYN));
    // rr alone would alternate; the template sends the second connection to the same server.
    assert_eq!(l.to(tcp(("192.0.2.7", 1001), (VIP, 80), F::SYN)), first);
    // The scheduler was consulted once for 192.0.2.7, so the next client gets the other one.
    assert_eq!(l.to(tcp(("198.51.100.1", 1000), (VIP, 80), F::SYN)), other(first));
    l.run(&format!("-e -t {VIP}:80 -r {first} -g -w 0"));
    // Weight 0 stops the scheduler, not a valid template.
    assert_eq!(l.to(tcp(("192.0.2.7", 1002), (VIP, 80), F::SYN)), first);
    let by: Vec<bool> = [1000, 1001, 1002].map(|p| l.entry(("192.0.2.7", p), 80).unwrap().by_template).into();
    // Only the first connection consulted the scheduler.
    assert_eq!(by, [false, true, true]);
    let t = l.templates().into_iter().find(|t| t.daddr == first).unwrap();
    // One template, three controlled entries, counted as PersistConn and not as connections.
    assert_eq!((t.n_control, t.key.cport, t.key.caddr), (3, 0, ip("192.0.2.7")));
    assert_eq!(l.counts(&first.to_string()), (3, 0, 1));
}

#[test]
fn netmask_groups_a_slash_24() {
    let mut l = persistent_rr("-M 255.255.255.0");
    let s = l.to(tcp(("192.0.2.7", 1000), (VIP, 80), F::SYN));
    // Another host of 192.0.2.0/24 shares the template: same server without the scheduler.
    assert_eq!(l.to(tcp(("192.0.2.200", 4000), (VIP, 80), F::SYN)), s);
    // A client outside the /24 is scheduled (rr moves on).
    assert_eq!(l.to(tcp(("198.51.100.1", 1000), (VIP, 80), F::SYN)), other(s));
    let keys: Vec<Ipv4Addr> = l.templates().iter().map(|t| t.key.caddr).collect();
    // Templates are keyed by the masked address.
    assert_eq!(keys, [ip("192.0.2.0"), ip("198.51.100.0")]);
}

#[test]
fn template_timer_restarts_and_rearms_for_60s() {
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr -p 30"), &format!("-a -t {VIP}:80 -r {A} -g")]);
    let c = ("192.0.2.7", 1000);
    l.send(tcp(c, (VIP, 80), F::SYN)); // SYN_RECV: entry expires at 60
    l.at(secs(10));
    l.send(tcp(("192.0.2.7", 1001), (VIP, 80), F::SYN)); // expires at 70
    // A new connection from the template restarts its timer: 10 + 30.
    assert_eq!(l.templates()[0].expires, secs(40));
    l.at(secs(40));
    let t = l.templates()[0];
    // At 40 it still controls two entries: re-armed for 60 s, and 60 s is now its timeout.
    assert_eq!((t.expires, t.timeout, t.n_control), (secs(100), TEMPLATE_REARM, 2));
    l.at(secs(75));
    // The entries ran out at 60 and 70; the template waits for its own timer.
    assert_eq!((l.templates().len(), l.templates()[0].n_control), (1, 0));
    l.at(secs(80));
    l.send(tcp(("192.0.2.7", 1002), (VIP, 80), F::SYN));
    // Restarted with the 60 s timeout for good (30 s would give 110).
    assert_eq!(l.templates()[0].expires, secs(140));
    l.send(tcp(("192.0.2.7", 1002), (VIP, 80), F::ACK)); // ESTABLISHED: 900 s
    l.at(secs(81));
    l.send(tcp(("192.0.2.7", 1002), (VIP, 80), F::RST)); // CLOSE: 10 s
    l.at(secs(139));
    // The entry went at 91 (an earlier timer was queued for it); the template lives to 140.
    assert_eq!((l.v.live_conns().count(), l.counts(A)), (1, (0, 0, 1)));
    l.at(secs(140));
    // Unused at 140: gone, PersistConn back to 0.
    assert_eq!((l.v.live_conns().count(), l.counts(A)), (0, (0, 0, 0)));
}

#[test]
fn template_is_assured_and_listed_with_client_port_0() {
    let mut l = persistent_rr("");
    let s = l.to(tcp(("192.0.2.7", 1000), (VIP, 80), F::SYN));
    let row = format!("TCP 06:00  NONE        192.0.2.7:0        10.0.0.100:80      {s}:80");
    // ipvsadm -Lnc shows the template with client port 0 and state NONE.
    assert!(listing::list_conns(&l.v, l.now).contains(&row), "{}", listing::list_conns(&l.v, l.now));
    l.send(tcp(("192.0.2.7", 1000), (VIP, 80), F::ACK));
    // A controlled entry reaching ESTABLISHED makes the template ASSURED.
    assert!(listing::list_conns(&l.v, l.now).contains(&row.replace("NONE   ", "ASSURED")));
}

#[test]
fn udp_entries_are_inactive_and_a_nat_reply_assures_the_template() {
    let mut l = Lab::new(&[&format!("-A -u {VIP}:53 -s rr -p 60"), &format!("-a -u {VIP}:53 -r {A} -m")]);
    for _ in 0..3 {
        l.send(udp(("192.0.2.7", 5353), (VIP, 53)));
    }
    // Created INACTIVE and nothing moves UDP entries: InActConn only.
    assert_eq!(l.counts(A), (0, 1, 1));
    assert_eq!(l.templates()[0].state, State::None);
    assert!(l.reply(("192.0.2.7", 5353), 53, None).is_some());
    // A reply through out_hook assures a UDP template.
    assert_eq!((l.templates()[0].state, l.counts(A)), (State::Assured, (0, 1, 1)));
    l.run("--set 0 0 100");
    // --set: 0 keeps a value, the UDP one changes.
    assert_eq!((l.v.timeouts.tcp.as_nanos(), l.v.timeouts.udp), (900_000_000_000, SimDuration::from_secs(100)));
}

#[test]
fn expire_quiescent_template_sends_the_client_elsewhere() {
    let mut l = persistent_rr("");
    let c = "192.0.2.7";
    let s = l.to(tcp((c, 1000), (VIP, 80), F::SYN));
    l.run(&format!("-e -t {VIP}:80 -r {s} -g -w 0"));
    // Default: the template still wins over weight 0.
    assert_eq!(l.to(tcp((c, 1001), (VIP, 80), F::SYN)), s);
    l.v.conf.expire_quiescent_template = true;
    // Now the template is invalid: the scheduler picks the other server, a new template.
    assert_eq!(l.to(tcp((c, 1002), (VIP, 80), F::SYN)), other(s));
    let mut t = l.templates();
    t.sort_by_key(|t| t.key.vport);
    // The old template is unhashed with ports 65535 and lives on for its two entries.
    assert_eq!(
        (t[0].key.vport, t[0].daddr, t[1].key.vport, t[1].dport, t[1].n_control),
        (80, other(s), 65535, 65535, 2)
    );
    assert!(listing::list_conns(&l.v, l.now).contains(&format!("192.0.2.7:0        10.0.0.100:65535   {s}:65535")));
}

#[test]
fn deleting_a_server_drops_its_packets_and_re_adding_revives_it() {
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -m")]);
    let c = ("192.0.2.7", 1000);
    l.send(tcp(c, (VIP, 80), F::SYN));
    l.send(tcp(c, (VIP, 80), F::ACK));
    let id = l.dest(A).id;
    l.run(&format!("-d -t {VIP}:80 -r {A}"));
    // Unlinked but kept in the trash with its counters while the entry references it.
    assert!(l.v.services[0].dests.is_empty());
    assert_eq!((l.v.services[0].trash[0].id, l.counts(A)), (id, (1, 0, 0)));
    // expire_nodest_conn=0: the entry's packets are dropped, a SYN on it too.
    assert_eq!(l.send(tcp(c, (VIP, 80), F::ACK)), InVerdict::DestGone);
    assert_eq!(l.send(tcp(c, (VIP, 80), F::SYN)), InVerdict::DestGone);
    l.run(&format!("-a -t {VIP}:80 -r {B} -m"));
    l.run(&format!("-a -t {VIP}:80 -r {A} -m -w 3"));
    let head = &l.v.services[0].dests[0];
    // Revived: same identity and counters, new weight, at the head of the list.
    assert_eq!((head.id, head.weight, head.activeconns, l.v.services[0].trash.len()), (id, 3, 1, 0));
    assert!(matches!(l.send(tcp(c, (VIP, 80), F::ACK)), InVerdict::Xmit { new: false, .. }));
}

/// A DR connection the way the kernel lab's clients make them: `closed` (busybox wget:
/// SYN, ACK, FIN, ACK; the director ends in FIN_WAIT, InActConn) or held open (nc:
/// SYN, ACK; ESTABLISHED, ActiveConn).
fn dr_conn(l: &mut Lab, cport: u16, closed: bool) -> Ipv4Addr {
    let c = ("172.16.0.10", cport);
    let rs = l.to(tcp(c, (VIP, 80), F::SYN));
    l.send(tcp(c, (VIP, 80), F::ACK));
    if closed {
        l.send(tcp(c, (VIP, 80), F(F::FIN.0 | F::ACK.0)));
        l.send(tcp(c, (VIP, 80), F::ACK));
    }
    rs
}

#[test]
fn re_added_server_comes_back_with_its_counters_while_entries_exist() {
    // kernel/facts/trash-readd.out (Linux 6.1.192), case A: rr, rs1 = A then rs2 = B,
    // four connections closed/held/held/closed went rs2 rs1 rs2 rs1; then `-d` rs1 and
    // `-a` rs1 again. Before the delete and after the re-add, the same lines:
    //   -> 10.0.0.11:80                 Route   1      1          1
    //   -> 10.0.0.11:80                        2        9        0      557        0
    // (ActiveConn 1, InActConn 1; --stats Conns 2 and the packet and byte counts
    // unchanged). lvsim's packets differ from busybox's, so the statistics are compared
    // with their own values before the delete, and Conns with the kernel's 2.
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g -w 1")]);
    l.run(&format!("-a -t {VIP}:80 -r {B} -g -w 1"));
    let picks: Vec<Ipv4Addr> =
        [(51896, true), (51900, false), (51910, false), (51916, true)].map(|(p, c)| dr_conn(&mut l, p, c)).into();
    assert_eq!(picks, [ip(B), ip(A), ip(B), ip(A)], "the lab's \"closed conn to 10.0.0.100 -> rs2\" order");
    let before = (l.counts(A), l.dest(A).stats);
    assert_eq!((before.0, before.1.conns), ((1, 1, 0), 2));
    l.run(&format!("-d -t {VIP}:80 -r {A}"));
    assert!(l.v.services[0].dests.iter().all(|d| d.addr != ip(A)), "-Ln after -d lists 10.0.0.12 only");
    l.run(&format!("-a -t {VIP}:80 -r {A} -g -w 1"));
    let d = &l.v.services[0].dests[0];
    assert_eq!(
        (d.addr, d.available, (d.activeconns, d.inactconns, d.persistconns), d.stats),
        (ip(A), true, before.0, before.1)
    );
    assert!(l.v.services[0].trash.is_empty());
}

#[test]
fn re_added_server_comes_back_with_its_statistics_after_its_entries_expired() {
    // kernel/facts/trash-readd.out, case B: `ipvsadm --set 0 3 0` (FIN_WAIT 3 s), rs1
    // alone, two closed connections; 3 s later no entry is left ("(none)", and
    // "-> 10.0.0.11:80  Route 1  0  0"); `-d` then `-a` rs1:
    //   -> 10.0.0.11:80                 Route   1      0          0
    //   -> 10.0.0.11:80                        2       13        0      838        0
    // The deleted server was unreferenced, but still in the trash (freed only by the
    // trash timer, 60-180 s later), so its statistics (Conns 2) came back with it.
    let mut l = Lab::new(&["--set 0 3 0", &format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g -w 1")]);
    dr_conn(&mut l, 40001, true);
    dr_conn(&mut l, 40002, true);
    let stats = l.dest(A).stats;
    assert_eq!((l.counts(A), stats.conns), ((0, 2, 0), 2));
    l.at(l.now + SimDuration::from_secs(4));
    assert_eq!((l.v.live_conns().count(), l.counts(A)), (0, (0, 0, 0)));
    l.run(&format!("-d -t {VIP}:80 -r {A}"));
    assert!(l.v.services[0].dests.is_empty());
    l.run(&format!("-a -t {VIP}:80 -r {A} -g -w 1"));
    let d = &l.v.services[0].dests[0];
    assert_eq!((d.activeconns, d.inactconns, d.stats), (0, 0, stats));
    assert_eq!(d.stats.conns, 2);
}

#[test]
fn trash_timer_frees_an_idle_server_two_periods_after_it_is_first_found_idle() {
    // ip_vs_ctl.c (6.1), not measured on the VM (it takes minutes): the deletion into an
    // empty trash arms the timer for +60 s; each run notes an unreferenced server's
    // idle_start, or frees it once now ≥ idle_start + 120 s, and re-arms for +60 s while
    // the trash is not empty. A server deleted at 0 s without entries: runs at 60 s
    // (idle_start), 120 s (60 s idle: kept), 180 s (freed). Re-adding it at 179 s
    // revives its statistics; at 181 s it starts from zero under a new identity.
    let fresh = |readd_at: u64| {
        let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g")]);
        dr_conn(&mut l, 40001, true);
        let slot = l.v.live_conns().next().unwrap().0;
        l.v.expire(slot);
        let id = l.dest(A).id;
        l.run(&format!("-d -t {VIP}:80 -r {A}"));
        assert_eq!(l.trash, Some((secs(60), l.v.trash_generation)));
        l.at(secs(readd_at));
        l.run(&format!("-a -t {VIP}:80 -r {A} -g"));
        let d = &l.v.services[0].dests[0];
        (d.id == id, d.stats.conns, l.trash.map(|t| t.0))
    };
    assert_eq!(fresh(179), (true, 1, Some(secs(180))));
    assert_eq!(fresh(181), (false, 0, None));
    // A server still referenced is never idle, so it stays as long as its entry does.
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g")]);
    dr_conn(&mut l, 40001, false);
    l.run(&format!("-d -t {VIP}:80 -r {A}"));
    l.at(secs(600));
    assert_eq!((l.v.services[0].trash.len(), l.v.services[0].trash[0].idle_start), (1, None));
}

#[test]
fn expire_nodest_conn_flushes_a_deleted_servers_entries_and_templates() {
    let mut l = persistent_rr("");
    l.v.conf.expire_nodest_conn = true;
    let s = l.to(tcp(("192.0.2.7", 1000), (VIP, 80), F::SYN));
    l.send(tcp(("192.0.2.7", 1000), (VIP, 80), F::ACK));
    l.send(tcp(("192.0.2.7", 1001), (VIP, 80), F::SYN));
    let o = l.to(tcp(("198.51.100.1", 1000), (VIP, 80), F::SYN));
    l.run(&format!("-d -t {VIP}:80 -r {s}"));
    let left: Vec<Ipv4Addr> = l.v.live_conns().map(|(_, c)| c.daddr).collect();
    // Both entries and the (assured) template of the deleted server went at once; the
    // other server's entry and template stay, and nothing references the trashed server.
    assert_eq!((left, l.v.services[0].trash[0].refs()), (vec![o, o], 0));
}

#[test]
fn expire_nodest_conn_after_deletion_expires_on_the_next_packet() {
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g")]);
    for port in [1000, 1001] {
        l.send(tcp(("192.0.2.7", port), (VIP, 80), F::SYN));
    }
    l.run(&format!("-d -t {VIP}:80 -r {A}"));
    l.run(&format!("-a -t {VIP}:80 -r {B} -g"));
    l.v.conf.expire_nodest_conn = true;
    // An ACK of a deleted server's entry: the entry expires, the ACK goes to the local stack.
    assert!(matches!(l.send(tcp(("192.0.2.7", 1000), (VIP, 80), F::ACK)), InVerdict::Accept { .. }));
    assert_eq!(l.counts(A), (1, 0, 0));
    // A SYN: the entry expires and the SYN is scheduled afresh; nothing references A.
    assert_eq!(l.to(tcp(("192.0.2.7", 1001), (VIP, 80), F::SYN)), ip(B));
    assert_eq!(l.counts(A), (0, 0, 0));
}

#[test]
fn expire_nodest_conn_reschedules_a_syn_on_a_weight_0_servers_entry() {
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g")]);
    let c = ("192.0.2.7", 1000);
    l.send(tcp(c, (VIP, 80), F::SYN));
    l.send(tcp(c, (VIP, 80), F::ACK));
    l.run(&format!("-a -t {VIP}:80 -r {B} -g"));
    l.run(&format!("-e -t {VIP}:80 -r {A} -g -w 0"));
    // Default: a SYN on an ESTABLISHED entry uses it, weight 0 or not.
    assert!(matches!(l.send(tcp(c, (VIP, 80), F::SYN)), InVerdict::Xmit { new: false, .. }));
    l.v.conf.expire_nodest_conn = true;
    // With expire_nodest_conn the old entry is dropped and the SYN scheduled to B.
    assert_eq!(l.to(tcp(c, (VIP, 80), F::SYN)), ip(B));
    assert_eq!((l.counts(A), l.counts(B)), ((0, 0, 0), (1, 0, 0)));
}

#[test]
fn expire_nodest_conn_reschedules_even_a_controlled_entry() {
    let mut l = persistent_rr("");
    let c = ("192.0.2.7", 1000);
    let s = l.to(tcp(c, (VIP, 80), F::SYN));
    l.send(tcp(c, (VIP, 80), F::ACK));
    let old = *l.entry(c, 80).unwrap();
    l.run(&format!("-e -t {VIP}:80 -r {s} -g -w 0"));
    l.v.conf.expire_nodest_conn = true;
    l.at(secs(1));
    // A new entry is made (new: true), and the still valid template sends it to the same server.
    assert!(matches!(l.send(tcp(c, (VIP, 80), F::SYN)), InVerdict::Xmit { new: true, .. }));
    let new = *l.entry(c, 80).unwrap();
    assert_eq!((new.daddr, new.state, new.created == old.created), (s, State::SynRecv, false));
    assert_eq!(l.templates()[0].n_control, 1);
}

#[test]
fn conn_reuse_mode_reschedules_time_wait_but_not_a_controlled_entry() {
    let mut l = Lab::new(&[
        &format!("-A -t {VIP}:80 -s rr"),
        &format!("-a -t {VIP}:80 -r {A} -g"),
        &format!("-a -t {VIP}:80 -r {B} -g"),
    ]);
    let c = ("192.0.2.7", 1000);
    let s = l.to(tcp(c, (VIP, 80), F::SYN));
    l.send(tcp(c, (VIP, 80), F::FIN)); // SYN_RECV + FIN → TIME_WAIT
    assert_eq!(l.entry(c, 80).unwrap().state, State::TimeWait);
    // conn_reuse_mode=1: a SYN on TIME_WAIT is scheduled again (rr moves on).
    assert_eq!(l.to(tcp(c, (VIP, 80), F::SYN)), other(s));
    // The old entry was expired by that call, and only the new one is left.
    assert_eq!(
        (l.v.expired_now().map(|c| (c.state, c.daddr)), l.v.live_conns().count()),
        (Some((State::TimeWait, s)), 1)
    );

    let mut p = persistent_rr("");
    p.send(tcp(c, (VIP, 80), F::SYN));
    p.send(tcp(c, (VIP, 80), F::FIN));
    // A template-controlled entry is not rescheduled: the SYN moves the same entry.
    assert!(matches!(p.send(tcp(c, (VIP, 80), F::SYN)), InVerdict::Xmit { new: false, .. }));
    assert!(p.v.expired_now().is_none());
    assert_eq!(p.entry(c, 80).unwrap().state, State::SynRecv);
}

#[test]
fn conn_reuse_mode_bit_2_reschedules_dr_fin_wait() {
    for (mode, new) in [(1, false), (3, true)] {
        let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g")]);
        l.v.conf.conn_reuse_mode = mode;
        let c = ("192.0.2.7", 1000);
        for f in [F::SYN, F::ACK, F::FIN | F::ACK] {
            l.send(tcp(c, (VIP, 80), f));
        }
        assert_eq!(l.entry(c, 80).unwrap().state, State::FinWait);
        // FIN_WAIT with NOOUTPUT (DR) is reused only with bit 2 of the mode.
        assert!(matches!(l.send(tcp(c, (VIP, 80), F::SYN)), InVerdict::Xmit { new: n, .. } if n == new), "mode {mode}");
    }
}

#[test]
fn rescheduling_still_counts_the_old_entry() {
    // wlc; A is added last, so it heads the list and wins ties.
    let mut l = Lab::new(&[
        &format!("-A -t {VIP}:80 -s wlc"),
        &format!("-a -t {VIP}:80 -r {B} -g"),
        &format!("-a -t {VIP}:80 -r {A} -g"),
    ]);
    let c = ("192.0.2.7", 1000);
    assert_eq!(l.to(tcp(c, (VIP, 80), F::SYN)), ip(A));
    l.send(tcp(c, (VIP, 80), F::FIN));
    // The old TIME_WAIT entry still counts on A while wlc chooses (A 1 vs B 0 → B); had
    // it been unbound first, A and B would tie and A would win.
    assert_eq!(l.to(tcp(c, (VIP, 80), F::SYN)), ip(B));
    // ...and it is unbound right after.
    assert_eq!((l.counts(A), l.counts(B)), ((0, 0, 0), (1, 0, 0)));
}

#[test]
fn thresholds_set_and_clear_overload() {
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g -x 4")]);
    for port in 1000..1004 {
        l.to(tcp(("192.0.2.7", port), (VIP, 80), F::SYN));
    }
    // The 4th entry reaches -x 4: OVERLOAD, and the only server is skipped.
    assert!(l.dest(A).overloaded);
    assert_eq!(l.send(tcp(("192.0.2.7", 1004), (VIP, 80), F::SYN)), InVerdict::NoDest);
    for port in [1000, 1001] {
        l.send(tcp(("192.0.2.7", port), (VIP, 80), F::ACK)); // ESTABLISHED (RST leaves SYN_RECV as is)
    }
    l.send(tcp(("192.0.2.7", 1000), (VIP, 80), F::RST)); // CLOSE: 10 s
    l.at(secs(1));
    l.send(tcp(("192.0.2.7", 1001), (VIP, 80), F::RST)); // at 11
    l.at(secs(10));
    // 3 entries: not below the default lower threshold 4 − 4/4 = 3, still OVERLOAD.
    assert_eq!((l.dest(A).totalconns(), l.dest(A).overloaded), (3, true));
    l.at(secs(11));
    // 2 < 3: cleared.
    assert_eq!((l.dest(A).totalconns(), l.dest(A).overloaded), (2, false));
    l.run(&format!("-e -t {VIP}:80 -r {A} -g -x 2"));
    // An edit re-evaluates at once (2026): 2 ≥ 2.
    assert!(l.dest(A).overloaded);
    l.run(&format!("-e -t {VIP}:80 -r {A} -g -x 0"));
    // -x 0 = no limit.
    assert!(!l.dest(A).overloaded);
}

#[test]
fn templates_ignore_overload() {
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr -p"), &format!("-a -t {VIP}:80 -r {A} -g -x 1")]);
    l.to(tcp(("192.0.2.7", 1000), (VIP, 80), F::SYN));
    assert!(l.dest(A).overloaded);
    // The scheduler skips A for a new client, the client's template does not.
    assert_eq!(l.send(tcp(("198.51.100.1", 1000), (VIP, 80), F::SYN)), InVerdict::NoDest);
    assert_eq!(l.to(tcp(("192.0.2.7", 1001), (VIP, 80), F::SYN)), ip(A));
}

#[test]
fn port_0_service_templates_have_vport_0() {
    let mut l = Lab::new(&[&format!("-A -t {VIP} -s rr -p"), &format!("-a -t {VIP} -r {A} -g")]);
    l.to(tcp(("192.0.2.7", 1000), (VIP, 443), F::SYN));
    l.to(tcp(("192.0.2.7", 1001), (VIP, 22), F::SYN));
    let t = l.templates();
    // One all-ports template (vport 0, dport 0) controls both entries, which keep their ports.
    assert_eq!((t.len(), t[0].key.vport, t[0].dport, t[0].n_control), (1, 0, 0, 2));
    assert_eq!(l.entry(("192.0.2.7", 1001), 22).unwrap().dport, 22);
}

#[test]
fn an_earlier_expiry_queues_a_new_timer() {
    let mut l = Lab::new(&[&format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g")]);
    let c = ("192.0.2.7", 1000);
    let Some(InVerdict::Xmit { conn, .. }) = Some(l.v.in_hook(&tcp(c, (VIP, 80), F::SYN), l.now)) else {
        unreachable!()
    };
    let g = l.v.conn(conn).generation;
    // A new entry asks for one timer, at its SYN_RECV expiry.
    assert_eq!(l.v.take_timers(), [TimerReq { conn, generation: g, at: secs(60) }]);
    l.arm(secs(60), conn, g);
    l.send(tcp(c, (VIP, 80), F::ACK));
    // Later expiry (ESTABLISHED, 900 s): nothing new, the armed timer will look again.
    assert!(l.agenda.len() == 1);
    l.at(secs(5));
    l.send(tcp(c, (VIP, 80), F::RST));
    // CLOSE expires at 15, before the armed 60: a second timer was queued and armed.
    assert_eq!(l.agenda.keys().map(|k| k.0).collect::<Vec<_>>(), [secs(15), secs(60)]);
    l.at(secs(15));
    assert_eq!((l.v.live_conns().count(), l.expired.len()), (0, 1));
    // The timer at 60 is stale: it finds nothing to do.
    assert!(matches!(l.v.fire_timer(conn, g, secs(60)), TimerFired::Stale));
}

mod random {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Tcp { client: usize, port: u16, svc: usize, flags: u8 },
        Reply { client: usize, port: u16, svc: usize, flags: u8 },
        Udp { client: usize, port: u16 },
        UdpReply { client: usize, port: u16 },
        Wait(u64),
        Weight { svc: usize, rs: usize, w: u32 },
        Threshold { svc: usize, rs: usize, u: u32, l: u32 },
        Del { svc: usize, rs: usize },
        Add { svc: usize, rs: usize },
        Sysctl { nodest: bool, quiescent: bool, reuse: u8 },
    }

    const CLIENTS: [&str; 3] = ["192.0.2.7", "192.0.2.8", "198.51.100.1"];
    const SERVERS: [&str; 3] = ["10.0.0.11", "10.0.0.12", "10.0.0.13"];
    const FLAGS: [F; 6] = [F::SYN, F::ACK, F(F::FIN.0 | F::ACK.0), F::RST, F(F::SYN.0 | F::ACK.0), F::FIN];
    // TCP :80 persistent /24 (wlc), TCP :81 plain (rr), UDP :53 persistent.
    const SVCS: [(&str, u16); 3] = [("-t", 80), ("-t", 81), ("-u", 53)];

    fn server_line(cmd: &str, svc: usize, rs: usize, extra: &str) -> String {
        let (p, port) = SVCS[svc];
        // .11 is NAT (port 8080 + service: one RIP:port per service, else two services'
        // entries from one client port would be the same connection at the server), the
        // others DR.
        let fwd = if rs == 0 { "-m".to_string() } else { "-g".to_string() };
        let rport = if rs == 0 { format!(":{}", 8080 + svc) } else { String::new() };
        format!("{cmd} {p} {VIP}:{port} -r {}{rport} {fwd} {extra}", SERVERS[rs])
    }

    /// An index into FLAGS, SYN the most often so that old entries meet new SYNs.
    fn flags() -> impl Strategy<Value = u8> {
        prop_oneof![4 => Just(0u8), 2 => Just(1u8), 2 => Just(2u8), 1 => Just(3u8), 1 => Just(4u8), 2 => Just(5u8)]
    }

    fn op() -> impl Strategy<Value = Op> {
        let c = 0..CLIENTS.len();
        let port = 1000u16..1002;
        prop_oneof![
            8 => (c.clone(), port.clone(), 0..2usize, flags()).prop_map(|(client, port, svc, flags)| Op::Tcp { client, port, svc, flags }),
            3 => (c.clone(), port.clone(), 0..2usize, flags()).prop_map(|(client, port, svc, flags)| Op::Reply { client, port, svc, flags }),
            2 => (c.clone(), port.clone()).prop_map(|(client, port)| Op::Udp { client, port }),
            1 => (c, port).prop_map(|(client, port)| Op::UdpReply { client, port }),
            3 => prop_oneof![0u64..20, 0u64..400].prop_map(Op::Wait),
            1 => (0..3usize, 0..3usize, 0..3u32).prop_map(|(svc, rs, w)| Op::Weight { svc, rs, w }),
            1 => (0..3usize, 0..3usize, 0..4u32, 0..4u32).prop_map(|(svc, rs, u, l)| Op::Threshold { svc, rs, u, l: l.min(u) }),
            1 => (0..3usize, 0..3usize).prop_map(|(svc, rs)| Op::Del { svc, rs }),
            1 => (0..3usize, 0..3usize).prop_map(|(svc, rs)| Op::Add { svc, rs }),
            2 => (any::<bool>(), any::<bool>(), 0..4u8).prop_map(|(nodest, quiescent, reuse)| Op::Sysctl { nodest, quiescent, reuse }),
        ]
    }

    fn try_run(l: &mut Lab, line: &str) {
        // Edits of missing servers and duplicate adds are refused; that is fine.
        if l.v.apply(&cmd(line)).is_ok() {
            assert!(l.v.timers.is_empty());
        }
        l.arm_trash();
        l.check();
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]
        #[test]
        fn counters_templates_and_timers_stay_consistent(ops in proptest::collection::vec(op(), 1..80)) {
            let mut l = Lab::new(&[
                &format!("-A -t {VIP}:80 -s wlc -p 30 -M 255.255.255.0"),
                &format!("-A -t {VIP}:81 -s rr"),
                &format!("-A -u {VIP}:53 -s rr -p 20"),
            ]);
            for svc in 0..3 {
                for rs in 0..3 {
                    l.run(&server_line("-a", svc, rs, ""));
                }
            }
            for op in ops {
                match op {
                    Op::Tcp { client, port, svc, flags } => {
                        l.send(tcp((CLIENTS[client], port), (VIP, SVCS[svc].1), FLAGS[flags as usize]));
                    }
                    Op::Reply { client, port, svc, flags } => {
                        l.reply((CLIENTS[client], port), SVCS[svc].1, Some(FLAGS[flags as usize]));
                    }
                    Op::Udp { client, port } => {
                        l.send(udp((CLIENTS[client], port), (VIP, 53)));
                    }
                    Op::UdpReply { client, port } => {
                        l.reply((CLIENTS[client], port), 53, None);
                    }
                    Op::Wait(s) => {
                        let t = l.now + SimDuration::from_secs(s);
                        l.at(t);
                    }
                    Op::Weight { svc, rs, w } => try_run(&mut l, &server_line("-e", svc, rs, &format!("-w {w}"))),
                    Op::Threshold { svc, rs, u, l: lo } => {
                        try_run(&mut l, &server_line("-e", svc, rs, &format!("-x {u} -y {lo}")));
                    }
                    Op::Del { svc, rs } => {
                        let (p, port) = SVCS[svc];
                        let rport = if rs == 0 { format!(":{}", 8080 + svc) } else { String::new() };
                        let had = l.v.services[svc].dests.len();
                        try_run(&mut l, &format!("-d {p} {VIP}:{port} -r {}{rport}", SERVERS[rs]));
                        if l.v.conf.expire_nodest_conn && l.v.services[svc].dests.len() < had {
                            // The flush left no entry or template of any deleted server.
                            prop_assert!(l.v.services.iter().flat_map(|s| &s.trash).all(|d| d.refs() == 0));
                        }
                    }
                    Op::Add { svc, rs } => try_run(&mut l, &server_line("-a", svc, rs, "")),
                    Op::Sysctl { nodest, quiescent, reuse } => {
                        l.v.conf.expire_nodest_conn = nodest;
                        l.v.conf.expire_quiescent_template = quiescent;
                        l.v.conf.conn_reuse_mode = reuse;
                    }
                }
            }
            // Everything runs out in the end: templates outlive their entries, then go.
            let end = l.now + SimDuration::from_secs(3600);
            l.at(end);
            prop_assert_eq!(l.v.live_conns().count(), 0);
            for s in &l.v.services {
                prop_assert!(s.trash.is_empty());
                for d in &s.dests {
                    prop_assert_eq!((d.activeconns, d.inactconns, d.persistconns), (0, 0, 0));
                }
            }
        }
    }
}

#[test]
fn a_real_server_must_be_a_unicast_address() {
    // ip_vs_new_dest: inet_addr_type() must be RTN_UNICAST or RTN_LOCAL. 0.0.0.0/8 and
    // 255.255.255.255 are RTN_BROADCAST, 224.0.0.0/4 RTN_MULTICAST: -EINVAL, nothing added.
    let mut v = Ipvs::default();
    v.apply(&cmd("-A -t 10.0.0.100:80 -s rr")).unwrap();
    for bad in ["0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "239.1.1.1"] {
        assert!(v.apply(&cmd(&format!("-a -t 10.0.0.100:80 -r {bad} -g"))).is_err(), "{bad}");
    }
    assert!(v.services[0].dests.is_empty());
    v.apply(&cmd("-a -t 10.0.0.100:80 -r 10.0.0.11 -g")).unwrap();
    assert_eq!(v.services[0].dests.len(), 1);
}

// The list order `ip_vs_new_dest` gives (`list_add_rcu`: newest at the head) holds over
// adds and deletes in any position, and "Destination already exists" / "No such
// destination" follow the list: a shadow Vec kept the naive way (insert at 0, remove by
// position) must agree with the service after every command. Then 100,000 servers are
// added to one service, which finishes only because adding is a push and the duplicate
// check a set lookup (it was a shift of every server and a walk: quadratic, ~85 s in a
// release build, far longer here).
#[test]
fn the_server_list_keeps_kernel_order_and_adding_is_not_quadratic() {
    let mut v = Ipvs::default();
    v.apply(&cmd("-A -t 10.0.0.100:80 -s rr")).unwrap();
    let mut shadow: Vec<Ipv4Addr> = Vec::new();
    for i in 1..=20u8 {
        v.apply(&cmd(&format!("-a -t 10.0.0.100:80 -r 10.0.1.{i} -g"))).unwrap();
        shadow.insert(0, Ipv4Addr::new(10, 0, 1, i));
        if i % 3 == 0 {
            let gone = shadow.remove(usize::from(i) % shadow.len());
            v.apply(&cmd(&format!("-d -t 10.0.0.100:80 -r {gone}"))).unwrap();
            assert!(v.apply(&cmd(&format!("-d -t 10.0.0.100:80 -r {gone}"))).is_err(), "deleted twice");
        }
        let listed: Vec<Ipv4Addr> = v.services[0].dests.iter().map(|d| d.addr).collect();
        assert_eq!(listed, shadow);
        let by_index: Vec<Ipv4Addr> = (0..shadow.len()).map(|k| v.services[0].dests[k].addr).collect();
        assert_eq!(by_index, shadow);
    }
    assert!(v.apply(&cmd(&format!("-a -t 10.0.0.100:80 -r {} -g", shadow[2]))).is_err(), "added twice");

    let mut big = Ipvs::default();
    big.apply(&cmd("-A -t 10.0.0.100:80 -s wlc")).unwrap();
    let IpvsadmCmd::AddServer(one) = cmd("-a -t 10.0.0.100:80 -r 10.0.0.1 -g") else { unreachable!() };
    for i in 0..100_000u32 {
        big.apply(&IpvsadmCmd::AddServer(ServerOpts { addr: Ipv4Addr::from(0x0a01_0000 + i), ..one })).unwrap();
    }
    let d = &big.services[0].dests;
    assert_eq!(d.len(), 100_000);
    assert_eq!((d[0].addr, d[99_999].addr), (Ipv4Addr::from(0x0a01_0000 + 99_999), Ipv4Addr::from(0x0a01_0000)));
}
