//! The director: virtual services, real servers, the connection table and the decisions
//! of `ip_vs_in_hook` (LOCAL_IN 99) and `ip_vs_out_hook` (FORWARD 100). The transmit
//! itself (re-route, TTL, MTU, OUTPUT, POSTROUTING, neighbour) is the engine's: this
//! module says what to send where, the stack sends it.

pub mod estimator;
pub mod ipvsadm;
pub mod listing;
pub mod state;

pub use estimator::{RateEstimator, Rates};
pub use ipvsadm::{Fwd, IpvsadmCmd, Proto, Sched, ServerOpts, ServiceAddr, ServiceOpts};
pub use state::{Dir, State, Timeouts};

use crate::packet::{L4, Packet};
use crate::schedulers::{self, Overhead, SchedCtx, Scheduler};
use crate::sim::SimTime;
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;

/// A stable identity of a real server (survives list changes, unlike its position).
pub type DestId = u32;

/// A real server of a service (`struct ip_vs_dest`).
#[derive(Clone, Debug)]
pub struct Dest {
    pub id: DestId,
    pub addr: Ipv4Addr,
    pub port: u16,
    pub fwd: Fwd,
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub activeconns: u32,
    pub inactconns: u32,
    pub persistconns: u32,
    /// `IP_VS_DEST_F_OVERLOAD`.
    pub overloaded: bool,
    pub stats: Stats,
    /// Rates for `ipvsadm -Ln --rate`, sampled by [`Ipvs::estimate`].
    pub est: RateEstimator,
}

impl Dest {
    /// `ip_vs_dest_conn_overhead`.
    pub fn overhead(&self, mode: Overhead) -> u64 {
        let a = self.activeconns as u64;
        let i = self.inactconns as u64;
        match mode {
            Overhead::Inactconns => a * 256 + i,
            Overhead::Totalconns => a * 256 + a + i,
        }
    }

    fn update_overload(&mut self) {
        let conns = self.activeconns + self.inactconns;
        if self.u_threshold == 0 {
            self.overloaded = false;
            return;
        }
        let lower = if self.l_threshold > 0 { self.l_threshold } else { self.u_threshold - self.u_threshold / 4 };
        if conns >= self.u_threshold {
            self.overloaded = true;
        } else if conns < lower {
            self.overloaded = false;
        }
    }
}

/// Packet and byte counters (`ipvsadm -Ln --stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
}

impl Stats {
    /// One packet of `bytes` in direction `dir` (Output = server → client).
    fn count(&mut self, dir: Dir, bytes: u64) {
        if dir == Dir::Output {
            self.outpkts += 1;
            self.outbytes += bytes;
        } else {
            self.inpkts += 1;
            self.inbytes += bytes;
        }
    }
}

/// A virtual service (`struct ip_vs_service`).
#[derive(Debug)]
pub struct Service {
    pub addr: ServiceAddr,
    pub sched_name: Sched,
    pub sched: Box<dyn Scheduler>,
    /// Real servers in kernel list order: newest first.
    pub dests: Vec<Dest>,
    pub persistent: Option<u32>,
    pub netmask: Ipv4Addr,
    pub opts: ServiceOpts,
    pub stats: Stats,
    /// Rates for `ipvsadm -Ln --rate`, sampled by [`Ipvs::estimate`].
    pub est: RateEstimator,
}

/// Key of the connection hash for client→server packets: (protocol, CIP, cport, VIP, vport).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnKey {
    pub proto: u8,
    pub caddr: Ipv4Addr,
    pub cport: u16,
    pub vaddr: Ipv4Addr,
    pub vport: u16,
}

/// Key for NAT replies: (protocol, CIP, cport, RIP, rport).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct OutKey {
    proto: u8,
    caddr: Ipv4Addr,
    cport: u16,
    daddr: Ipv4Addr,
    dport: u16,
}

/// A connection entry (`struct ip_vs_conn`).
#[derive(Clone, Copy, Debug)]
pub struct Conn {
    pub key: ConnKey,
    pub proto: Proto,
    pub daddr: Ipv4Addr,
    pub dport: u16,
    pub fwd: Fwd,
    pub state: State,
    pub svc: usize,
    pub dest: DestId,
    /// When the entry's timer runs out (restarted by every packet).
    pub expires: SimTime,
    /// `IP_VS_CONN_F_NOOUTPUT`: no server→client packet seen (DR, TUN).
    pub nooutput: bool,
    pub generation: u32,
    pub created: SimTime,
}

/// The decision of `ip_vs_in_hook` for one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InVerdict {
    /// Not for a virtual service, or not a packet that may be scheduled (a TCP packet
    /// without SYN and no entry): `NF_ACCEPT` to the local stack.
    Accept { why: &'static str },
    /// Transmit to the entry's real server (`NF_STOLEN`).
    Xmit { conn: u32, new: bool },
    /// A service matched but no real server is available: ICMP port unreachable, drop.
    NoDest,
    /// The entry's real server was deleted (`expire_nodest_conn=0`): drop.
    DestGone,
}

/// Director-wide settings (`net.ipv4.vs.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VsConf {
    pub conn_reuse_mode: u8,
    pub expire_nodest_conn: bool,
    pub expire_quiescent_template: bool,
    pub pmtu_disc: bool,
    pub sloppy_tcp: bool,
    pub overhead: Overhead,
}

impl Default for VsConf {
    fn default() -> Self {
        VsConf {
            conn_reuse_mode: 1,
            expire_nodest_conn: false,
            expire_quiescent_template: false,
            pmtu_disc: true,
            sloppy_tcp: false,
            overhead: Overhead::Inactconns,
        }
    }
}

/// IPVS on one host.
#[derive(Debug, Default)]
pub struct Ipvs {
    pub services: Vec<Service>,
    pub conns: Vec<Option<Conn>>,
    free: Vec<u32>,
    index: FxHashMap<ConnKey, u32>,
    out_index: FxHashMap<OutKey, u32>,
    /// Generation of each slot, bumped on reuse, so a stale timer is recognised.
    generations: Vec<u32>,
    pub timeouts: Timeouts,
    pub conf: VsConf,
    next_dest_id: DestId,
}

/// `ipvsadm` refused a command; the text is ipvsadm's own message where it has one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IpvsError(pub String);

impl Ipvs {
    pub fn find_service(&self, proto: Proto, addr: Ipv4Addr, port: u16) -> Option<usize> {
        self.services.iter().position(|s| s.addr.proto == proto && s.addr.addr == addr && s.addr.port == port)
    }

    fn service_of(&self, a: ServiceAddr) -> Result<usize, IpvsError> {
        self.find_service(a.proto, a.addr, a.port).ok_or_else(|| IpvsError("No such service".into()))
    }

    /// Applies one configuration command, with the kernel's callbacks to the scheduler.
    pub fn apply(&mut self, cmd: &IpvsadmCmd) -> Result<(), IpvsError> {
        match cmd {
            IpvsadmCmd::AddService(o) => {
                if self.find_service(o.svc.proto, o.svc.addr, o.svc.port).is_some() {
                    return Err(IpvsError("Service already exists".into()));
                }
                let mut sched = schedulers::new(o.scheduler, o.flags).map_err(IpvsError)?;
                sched.init_service(&[]);
                self.services.push(Service {
                    addr: o.svc,
                    sched_name: o.scheduler,
                    sched,
                    dests: Vec::new(),
                    persistent: o.persistent,
                    netmask: o.netmask,
                    opts: *o,
                    stats: Stats::default(),
                    est: RateEstimator::default(),
                });
            }
            IpvsadmCmd::EditService(o) => {
                let i = self.service_of(o.svc)?;
                let s = &mut self.services[i];
                if s.sched_name != o.scheduler || s.opts.flags != o.flags {
                    s.sched = schedulers::new(o.scheduler, o.flags).map_err(IpvsError)?;
                    s.sched.init_service(&s.dests);
                    s.sched_name = o.scheduler;
                }
                s.persistent = o.persistent;
                s.netmask = o.netmask;
                s.opts = *o;
            }
            IpvsadmCmd::DelService(a) => {
                let i = self.service_of(*a)?;
                self.services.remove(i);
                // Entries of the removed service are flushed with it.
                for slot in 0..self.conns.len() {
                    match self.conns[slot] {
                        Some(c) if c.svc == i => self.remove_conn(slot as u32),
                        Some(ref mut c) if c.svc > i => c.svc -= 1,
                        _ => {}
                    }
                }
            }
            IpvsadmCmd::Clear => {
                *self = Ipvs { timeouts: self.timeouts, conf: self.conf, ..Ipvs::default() };
            }
            IpvsadmCmd::AddServer(o) => {
                let i = self.service_of(o.svc)?;
                let s = &mut self.services[i];
                if s.dests.iter().any(|d| d.addr == o.addr && d.port == o.port) {
                    return Err(IpvsError("Destination already exists".into()));
                }
                let id = self.next_dest_id;
                self.next_dest_id += 1;
                let d = Dest {
                    id,
                    addr: o.addr,
                    port: o.port,
                    fwd: o.fwd,
                    weight: o.weight,
                    u_threshold: o.u_threshold,
                    l_threshold: o.l_threshold,
                    activeconns: 0,
                    inactconns: 0,
                    persistconns: 0,
                    overloaded: false,
                    stats: Stats::default(),
                    est: RateEstimator::default(),
                };
                // list_add_rcu: the new server goes to the head of the list.
                s.dests.insert(0, d);
                s.sched.add_dest(&s.dests, id);
            }
            IpvsadmCmd::EditServer(o) => {
                let i = self.service_of(o.svc)?;
                let s = &mut self.services[i];
                let d = s
                    .dests
                    .iter_mut()
                    .find(|d| d.addr == o.addr && d.port == o.port)
                    .ok_or_else(|| IpvsError("No such destination".into()))?;
                d.fwd = o.fwd;
                d.weight = o.weight;
                d.u_threshold = o.u_threshold;
                d.l_threshold = o.l_threshold;
                d.update_overload();
                let id = d.id;
                s.sched.upd_dest(&s.dests, id);
            }
            IpvsadmCmd::DelServer { svc, addr, port } => {
                let i = self.service_of(*svc)?;
                let s = &mut self.services[i];
                let pos = s
                    .dests
                    .iter()
                    .position(|d| d.addr == *addr && d.port == *port)
                    .ok_or_else(|| IpvsError("No such destination".into()))?;
                let d = s.dests.remove(pos);
                s.sched.del_dest(&s.dests, d.id, pos);
            }
            IpvsadmCmd::SetTimeouts { tcp, tcpfin, udp } => {
                let secs = crate::sim::SimDuration::from_secs;
                if *tcp > 0 {
                    self.timeouts.tcp = secs(u64::from(*tcp));
                }
                if *tcpfin > 0 {
                    self.timeouts.tcpfin = secs(u64::from(*tcpfin));
                }
                if *udp > 0 {
                    self.timeouts.udp = secs(u64::from(*udp));
                }
            }
        }
        Ok(())
    }

    /// Is `(proto, addr, port)` a virtual service?
    pub fn is_vip(&self, addr: Ipv4Addr) -> bool {
        self.services.iter().any(|s| s.addr.addr == addr)
    }

    pub fn conn(&self, id: u32) -> &Conn {
        self.conns[id as usize].as_ref().expect("live connection")
    }

    pub fn dest(&self, c: &Conn) -> Option<&Dest> {
        self.services.get(c.svc)?.dests.iter().find(|d| d.id == c.dest)
    }

    fn dest_mut(&mut self, svc: usize, id: DestId) -> Option<&mut Dest> {
        self.services.get_mut(svc)?.dests.iter_mut().find(|d| d.id == id)
    }

    /// `ip_vs_in_hook` for a packet addressed to this host (after routing said local).
    /// Updates the entry's state and timer; the caller transmits on `Xmit`.
    pub fn in_hook(&mut self, pkt: &Packet, now: SimTime) -> InVerdict {
        let Some((proto, sport, dport, flags)) = classify(pkt) else {
            return InVerdict::Accept { why: "not TCP or UDP" };
        };
        let key = ConnKey { proto: proto_num(proto), caddr: pkt.ip.src, cport: sport, vaddr: pkt.ip.dst, vport: dport };
        let mut existing = self.index.get(&key).copied();
        if let Some(id) = existing {
            let c = *self.conn(id);
            let dest_alive = self.dest(&c).is_some();
            if !dest_alive {
                return InVerdict::DestGone;
            }
            // A new SYN on an old entry: conn_reuse_mode reschedules TIME_WAIT/CLOSE entries.
            let is_syn = flags.is_some_and(|f| f.syn() && !f.rst());
            if is_syn && self.conf.conn_reuse_mode != 0 && matches!(c.state, State::TimeWait | State::Close) {
                self.remove_conn(id);
                existing = None;
            }
        }
        let (id, new) = if let Some(id) = existing {
            (id, false)
        } else {
            let Some(svc) = self.find_service(proto, pkt.ip.dst, dport) else {
                return InVerdict::Accept { why: "no virtual service for this address and port" };
            };
            if let Some(f) = flags
                && (f.rst() || !(f.syn() || self.conf.sloppy_tcp))
            {
                return InVerdict::Accept { why: "TCP packet without SYN and no connection entry: not scheduled" };
            }
            let ctx = SchedCtx { saddr: pkt.ip.src, sport, daddr: pkt.ip.dst, dport, overhead: self.conf.overhead };
            let s = &mut self.services[svc];
            let Some(pos) = s.sched.schedule(&s.dests, &ctx) else {
                return InVerdict::NoDest;
            };
            (self.new_conn(svc, pos, key, proto, now), true)
        };
        self.account(id, pkt, flags, Dir::Input, now);
        InVerdict::Xmit { conn: id, new }
    }

    fn new_conn(&mut self, svc: usize, pos: usize, key: ConnKey, proto: Proto, now: SimTime) -> u32 {
        let s = &mut self.services[svc];
        let d = &mut s.dests[pos];
        // For DR and TUN the server port is the service port (ipvsadm forces it).
        let dport = if d.fwd == Fwd::Nat && d.port != 0 { d.port } else { key.vport };
        let state = if proto == Proto::Udp { State::Udp } else { State::None };
        d.inactconns += 1;
        d.stats.conns += 1;
        d.update_overload();
        s.stats.conns += 1;
        let c = Conn {
            key,
            proto,
            daddr: d.addr,
            dport,
            fwd: d.fwd,
            state,
            svc,
            dest: d.id,
            expires: now + self.timeouts.of(state),
            nooutput: d.fwd != Fwd::Nat,
            generation: 0,
            created: now,
        };
        let id = if let Some(slot) = self.free.pop() {
            slot
        } else {
            self.conns.push(None);
            self.generations.push(0);
            (self.conns.len() - 1) as u32
        };
        self.generations[id as usize] += 1;
        self.conns[id as usize] = Some(Conn { generation: self.generations[id as usize], ..c });
        self.index.insert(key, id);
        if c.fwd == Fwd::Nat {
            self.out_index
                .insert(OutKey { proto: key.proto, caddr: key.caddr, cport: key.cport, daddr: c.daddr, dport }, id);
        }
        id
    }

    /// Per-packet bookkeeping: counters, state transition, timer restart.
    fn account(&mut self, id: u32, pkt: &Packet, flags: Option<crate::packet::TcpFlags>, dir: Dir, now: SimTime) {
        let timeouts = self.timeouts;
        let c = self.conns[id as usize].as_mut().expect("live connection");
        let old = c.state;
        if let Some(f) = flags {
            let d = match dir {
                Dir::Output => {
                    c.nooutput = false;
                    Dir::Output
                }
                _ if c.nooutput => Dir::InputOnly,
                _ => Dir::Input,
            };
            c.state = state::next(old, d, f);
        }
        c.expires = now + timeouts.of(c.state);
        let (svc, dest, new_state) = (c.svc, c.dest, c.state);
        let bytes = pkt.inner_total_len() as u64;
        if let Some(s) = self.services.get_mut(svc) {
            s.stats.count(dir, bytes);
        }
        if let Some(d) = self.dest_mut(svc, dest) {
            d.stats.count(dir, bytes);
            if old.is_active() != new_state.is_active() && old != State::Udp {
                // Entries are created inactive: the first transition moves them.
                if new_state.is_active() {
                    d.inactconns -= 1;
                    d.activeconns += 1;
                } else {
                    d.activeconns -= 1;
                    d.inactconns += 1;
                }
            }
        }
    }

    /// `ip_vs_out_hook` at FORWARD: a reply from a NAT real server is given the virtual
    /// service's address and port as its source. Returns the entry, or `None` (unchanged).
    pub fn out_hook(&mut self, pkt: &mut Packet, now: SimTime) -> Option<u32> {
        let (proto, sport, dport, flags) = classify(pkt)?;
        let key = OutKey { proto: proto_num(proto), caddr: pkt.ip.dst, cport: dport, daddr: pkt.ip.src, dport: sport };
        let id = *self.out_index.get(&key)?;
        let c = *self.conn(id);
        pkt.ip.src = c.key.vaddr;
        pkt.l4.set_src_port(c.key.vport);
        self.account(id, pkt, flags, Dir::Output, now);
        Some(id)
    }

    /// The entry's timer fired: expire it if its time has come, else say when to look again.
    pub fn conn_timer(&mut self, id: u32, generation: u32, now: SimTime) -> Option<SimTime> {
        let c = self.conns.get(id as usize).copied().flatten()?;
        if c.generation != generation {
            return None;
        }
        if now < c.expires {
            return Some(c.expires);
        }
        self.remove_conn(id);
        None
    }

    fn remove_conn(&mut self, id: u32) {
        let Some(c) = self.conns[id as usize].take() else {
            return;
        };
        self.free.push(id);
        self.index.remove(&c.key);
        if c.fwd == Fwd::Nat {
            self.out_index.remove(&OutKey {
                proto: c.key.proto,
                caddr: c.key.caddr,
                cport: c.key.cport,
                daddr: c.daddr,
                dport: c.dport,
            });
        }
        if let Some(d) = self.dest_mut(c.svc, c.dest) {
            if c.state.is_active() {
                d.activeconns -= 1;
            } else {
                d.inactconns -= 1;
            }
            d.update_overload();
        }
    }

    /// `estimation_timer`: one 2-second sample of every service's and real server's rate
    /// estimator. The kernel runs it every 2 s from the moment IPVS starts (`jiffies +
    /// 2*HZ`), whatever the traffic; the engine calls it at 2 s, 4 s, 6 s... of simulated
    /// time.
    pub fn estimate(&mut self) {
        for s in &mut self.services {
            s.est.sample(&s.stats);
            for d in &mut s.dests {
                d.est.sample(&d.stats);
            }
        }
    }

    /// Live entries in slot order.
    pub fn live_conns(&self) -> impl Iterator<Item = (u32, &Conn)> {
        self.conns.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i as u32, c)))
    }
}

/// (protocol, source port, destination port, TCP flags) of a TCP or UDP packet.
fn classify(pkt: &Packet) -> Option<(Proto, u16, u16, Option<crate::packet::TcpFlags>)> {
    match &pkt.l4 {
        L4::Tcp(t) => Some((Proto::Tcp, t.src_port, t.dst_port, Some(t.flags))),
        L4::Udp(u) => Some((Proto::Udp, u.src_port, u.dst_port, None)),
        L4::Icmp(_) => None,
    }
}

const fn proto_num(p: Proto) -> u8 {
    match p {
        Proto::Tcp => 6,
        Proto::Udp => 17,
    }
}
