//! The director: virtual services, real servers, the connection table and the decisions
//! of `ip_vs_in_hook` (LOCAL_IN 99) and `ip_vs_out_hook` (FORWARD 100). The transmit
//! itself (re-route, TTL, MTU, OUTPUT, POSTROUTING, neighbour) is the engine's: this
//! module says what to send where, the stack sends it.
//!
//! # The connection table (spec b)
//!
//! [`Ipvs::conns`] holds normal entries and persistence templates (`-p`), one slot each.
//! A normal entry is found by (protocol, CIP, cport, VIP, vport); a template by
//! (protocol, masked CIP, 0, VIP, vport) in an index of its own (`ip_vs_ct_in_get`). Each
//! entry points to its controlling template ([`Conn::template`]) and a template counts
//! the entries it controls ([`Conn::n_control`]).
//!
//! # Timers
//!
//! Each entry has one armed timer event at [`Conn::timer_at`] (≤ [`Conn::expires`]).
//! Packets only move `expires`; when they move it *earlier* than the armed event (a RST
//! turning ESTABLISHED into CLOSE) and when an entry is created, a timer request is
//! queued. The engine drains the queue with [`Ipvs::take_timers`] after every
//! [`Ipvs::in_hook`] and [`Ipvs::out_hook`] and arms an event per request; when an event
//! fires it calls [`Ipvs::fire_timer`] (or [`Ipvs::conn_timer`]), which expires the entry,
//! says when to look again (the timer is lazy), re-arms a template that still controls
//! entries for 60 s, or says the event is stale (an earlier request replaced it).

pub mod ipvsadm;
pub mod listing;
pub mod state;

pub use ipvsadm::{Fwd, IpvsadmCmd, Proto, Sched, ServerOpts, ServiceAddr, ServiceOpts};
pub use state::{Dir, State, Timeouts};

use crate::packet::{L4, Packet, TcpFlags};
use crate::schedulers::{self, Overhead, SchedCtx, Scheduler};
use crate::sim::{SimDuration, SimTime};
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;

/// The FTP control port: a persistent FTP service's templates have vport 0 (`FTPPORT`).
const FTPPORT: u16 = 21;
/// The FTP data port: a packet from client port 20 is never scheduled (`FTPDATA`).
const FTPDATA: u16 = 20;
/// A template whose timer runs out while it still controls entries lives 60 s more, and
/// its timeout stays 60 s from then on (`ip_vs_conn_expire`, "expire_later").
pub const TEMPLATE_REARM: SimDuration = SimDuration::from_secs(60);
/// The ports an invalidated template is rehashed with (`ip_vs_check_template`).
const INVALID_PORT: u16 = 0xffff;

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
    /// Templates bound to this server (PersistConn).
    pub persistconns: u32,
    /// `IP_VS_DEST_F_OVERLOAD`.
    pub overloaded: bool,
    /// `IP_VS_DEST_F_AVAILABLE`: in its service's list; false once deleted (in the trash).
    pub available: bool,
    pub stats: Stats,
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

    /// `ip_vs_dest_totalconns`: normal entries, templates excluded (what `-x`/`-y` count).
    pub fn totalconns(&self) -> u32 {
        self.activeconns + self.inactconns
    }

    /// The count below which OVERLOAD is cleared: `-y`, or `u − ⌊u/4⌋` when `-y` is 0 (the
    /// kernel's `totalconns·4 < u·3` says the same for integers).
    pub fn lower_threshold(&self) -> u32 {
        if self.l_threshold > 0 { self.l_threshold } else { self.u_threshold - self.u_threshold / 4 }
    }

    /// Entries and templates still bound to this server (what keeps it in the trash).
    fn refs(&self) -> u32 {
        self.activeconns + self.inactconns + self.persistconns
    }

    /// `ip_vs_bind_dest`: an entry was bound; the flag can only be set here.
    fn overload_on_bind(&mut self) {
        if self.u_threshold != 0 && self.totalconns() >= self.u_threshold {
            self.overloaded = true;
        }
    }

    /// `ip_vs_unbind_dest`: an entry went; the flag can only be cleared here.
    fn overload_on_unbind(&mut self) {
        if self.u_threshold == 0 || self.totalconns() < self.lower_threshold() {
            self.overloaded = false;
        }
    }

    /// `__ip_vs_dest_update_overload`: an add or edit re-evaluates the flag at once
    /// *(2026 change, 6.1.183 and later; older kernels only cleared it when `-x` was 0 or
    /// raised)*.
    fn update_overload(&mut self) {
        let conns = self.totalconns();
        if self.u_threshold == 0 {
            self.overloaded = false;
        } else if conns >= self.u_threshold {
            self.overloaded = true;
        } else if conns < self.lower_threshold() {
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
    /// Deleted real servers that entries or templates still reference (`dest_trash`),
    /// with their counters; `-a` of the same address:port revives one. The kernel frees a
    /// trashed server from a 60 s periodic timer at least 120 s after it was first found
    /// unreferenced; lvsim simplifies this to "freed as soon as nothing references it", so
    /// a re-add after that starts from zero counters and a new [`DestId`].
    pub trash: Vec<Dest>,
    pub persistent: Option<u32>,
    pub netmask: Ipv4Addr,
    pub opts: ServiceOpts,
    pub stats: Stats,
}

impl Service {
    /// The server `id`, in the list or in the trash.
    pub fn dest(&self, id: DestId) -> Option<&Dest> {
        self.dests.iter().chain(&self.trash).find(|d| d.id == id)
    }

    fn dest_mut(&mut self, id: DestId) -> Option<&mut Dest> {
        self.dests.iter_mut().chain(self.trash.iter_mut()).find(|d| d.id == id)
    }
}

/// Key of the connection hash for client→server packets: (protocol, CIP, cport, VIP, vport).
/// Templates use the same shape: (protocol, masked CIP, 0, VIP, vport or 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnKey {
    pub proto: u8,
    pub caddr: Ipv4Addr,
    pub cport: u16,
    pub vaddr: Ipv4Addr,
    pub vport: u16,
}

/// Key for NAT replies: (protocol, CIP, cport, RIP, rport). One entry per key: two
/// services sharing a NAT RIP:port would give one client port's two connections the same
/// socket at the server, so the kernel's bucket order between them is not modeled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct OutKey {
    proto: u8,
    caddr: Ipv4Addr,
    cport: u16,
    daddr: Ipv4Addr,
    dport: u16,
}

/// A connection entry or a persistence template (`struct ip_vs_conn`).
#[derive(Clone, Copy, Debug)]
pub struct Conn {
    /// For a template: (protocol, masked CIP, 0, VIP, vport or 0); vport 65535 once the
    /// template was invalidated (`ip_vs_check_template`).
    pub key: ConnKey,
    pub proto: Proto,
    pub daddr: Ipv4Addr,
    /// 65535 for an invalidated template.
    pub dport: u16,
    pub fwd: Fwd,
    /// A template's state is [`State::None`] or [`State::Assured`].
    pub state: State,
    pub svc: usize,
    pub dest: DestId,
    /// When the entry's timer runs out (restarted by every packet; a template's by every
    /// entry created from it).
    pub expires: SimTime,
    /// `IP_VS_CONN_F_NOOUTPUT`: no server→client packet seen (DR, TUN).
    pub nooutput: bool,
    /// Identity of the slot's occupant, bumped on reuse, so a stale timer is recognised.
    pub generation: u32,
    pub created: SimTime,
    /// `cp->control`: the slot of the template this entry was created from.
    pub template: Option<u32>,
    /// `IP_VS_CONN_F_TEMPLATE`.
    pub is_template: bool,
    /// The server came from an existing template: the scheduler was not consulted.
    pub by_template: bool,
    /// `cp->n_control`: entries this template controls.
    pub n_control: u32,
    /// `cp->timeout`: a normal entry's is its state's ([`Timeouts::of`]); a template's is
    /// the service's persistence timeout, [`TEMPLATE_REARM`] once re-armed.
    pub timeout: SimDuration,
    /// When the entry's armed timer event fires; events at other times are stale.
    timer_at: SimTime,
}

impl Conn {
    /// When the entry's armed timer event fires (≤ [`Conn::expires`]).
    pub fn timer_at(&self) -> SimTime {
        self.timer_at
    }
}

/// A timer the engine must arm: `Event::ConnTimer { conn, generation }` at `at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerReq {
    pub conn: u32,
    pub generation: u32,
    pub at: SimTime,
}

/// What a fired connection timer did ([`Ipvs::fire_timer`]).
#[derive(Clone, Copy, Debug)]
pub enum TimerFired {
    /// Not the entry's armed timer (the entry is gone, its slot reused, or an earlier
    /// timer replaced this one): nothing to do.
    Stale,
    /// Packets moved the expiry on: arm the same timer again at this time.
    Later(SimTime),
    /// A template ran out while still controlling entries: re-armed for 60 s
    /// ([`TEMPLATE_REARM`]); arm the same timer again at this time.
    Rearmed(SimTime),
    /// The entry expired and is gone; here it is as it was.
    Expired(Conn),
}

/// The decision of `ip_vs_in_hook` for one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InVerdict {
    /// Not for a virtual service, or not a packet that may be scheduled (a TCP packet
    /// without SYN and no entry): `NF_ACCEPT` to the local stack.
    Accept { why: &'static str },
    /// Transmit to the entry's real server (`NF_STOLEN`). `new`: the entry was created by
    /// this packet (by the scheduler, or from a persistence template: see
    /// [`Conn::template`]).
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
    /// Entries and templates by slot; `None` = free slot.
    pub conns: Vec<Option<Conn>>,
    free: Vec<u32>,
    index: FxHashMap<ConnKey, u32>,
    out_index: FxHashMap<OutKey, u32>,
    /// Valid persistence templates by their key (`ip_vs_ct_in_get`).
    tmpl_index: FxHashMap<ConnKey, u32>,
    /// Generation of each slot, bumped on reuse, so a stale timer is recognised.
    generations: Vec<u32>,
    /// Timers to arm, in the order they were asked for ([`Ipvs::take_timers`]).
    timers: Vec<TimerReq>,
    /// The entry the last `in_hook` expired at once ([`Ipvs::expired_now`]).
    expired_now: Option<Conn>,
    pub timeouts: Timeouts,
    pub conf: VsConf,
    next_dest_id: DestId,
}

/// `ipvsadm` refused a command; the text is ipvsadm's own message where it has one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IpvsError(pub String);

impl Ipvs {
    /// The service `(proto, addr, port)` exactly (what `ipvsadm` commands name).
    pub fn find_service(&self, proto: Proto, addr: Ipv4Addr, port: u16) -> Option<usize> {
        self.services.iter().position(|s| s.addr.proto == proto && s.addr.addr == addr && s.addr.port == port)
    }

    /// The service a packet to `addr:port` belongs to (`ip_vs_service_find`): the exact
    /// one, else the address's port-0 (all ports) service. The FTP data fallback to a
    /// port-21 service is not simulated.
    pub fn lookup_service(&self, proto: Proto, addr: Ipv4Addr, port: u16) -> Option<usize> {
        self.find_service(proto, addr, port).or_else(|| self.find_service(proto, addr, 0))
    }

    fn service_of(&self, a: ServiceAddr) -> Result<usize, IpvsError> {
        self.find_service(a.proto, a.addr, a.port).ok_or_else(|| IpvsError("No such service".into()))
    }

    /// Applies one configuration command, with the kernel's callbacks to the scheduler.
    /// Never queues timers.
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
                    trash: Vec::new(),
                    persistent: o.persistent,
                    netmask: o.netmask,
                    opts: *o,
                    stats: Stats::default(),
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
                // Existing templates keep their timeout and key; new ones follow the edit.
                s.persistent = o.persistent;
                s.netmask = o.netmask;
                s.opts = *o;
            }
            IpvsadmCmd::DelService(a) => {
                let i = self.service_of(*a)?;
                // lvsim flushes the service's entries and templates with it (the kernel
                // moves its servers to the trash and lets the entries run out).
                for slot in 0..self.conns.len() as u32 {
                    if self.conns[slot as usize].is_some_and(|c| c.svc == i) {
                        self.remove_conn(slot);
                    }
                }
                self.services.remove(i);
                for c in self.conns.iter_mut().flatten() {
                    if c.svc > i {
                        c.svc -= 1;
                    }
                }
            }
            IpvsadmCmd::Clear => {
                // Slot generations survive, so timers armed before the clear stay stale.
                let generations = std::mem::take(&mut self.generations);
                let n = self.conns.len();
                *self = Ipvs {
                    timeouts: self.timeouts,
                    conf: self.conf,
                    next_dest_id: self.next_dest_id,
                    conns: vec![None; n],
                    generations,
                    free: (0..n as u32).rev().collect(),
                    ..Ipvs::default()
                };
            }
            IpvsadmCmd::AddServer(o) => {
                let i = self.service_of(o.svc)?;
                let s = &mut self.services[i];
                if s.dests.iter().any(|d| d.addr == o.addr && d.port == o.port) {
                    return Err(IpvsError("Destination already exists".into()));
                }
                // ip_vs_trash_get_dest: a deleted server still referenced comes back with its
                // counters and entries.
                let mut d = if let Some(p) = s.trash.iter().position(|d| d.addr == o.addr && d.port == o.port) {
                    s.trash.remove(p)
                } else {
                    let id = self.next_dest_id;
                    self.next_dest_id += 1;
                    Dest {
                        id,
                        addr: o.addr,
                        port: o.port,
                        fwd: o.fwd,
                        weight: 0,
                        u_threshold: 0,
                        l_threshold: 0,
                        activeconns: 0,
                        inactconns: 0,
                        persistconns: 0,
                        overloaded: false,
                        available: false,
                        stats: Stats::default(),
                    }
                };
                // __ip_vs_update_dest
                d.fwd = o.fwd;
                d.weight = o.weight;
                d.u_threshold = o.u_threshold;
                d.l_threshold = o.l_threshold;
                d.available = true;
                d.update_overload();
                let id = d.id;
                // list_add_rcu: the server goes to the head of the list.
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
                // Existing entries keep the forwarding method they were created with.
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
                // __ip_vs_unlink_dest: AVAILABLE cleared, unlinked, then the scheduler told.
                let mut d = s.dests.remove(pos);
                d.available = false;
                let id = d.id;
                if d.refs() > 0 {
                    s.trash.push(d);
                }
                s.sched.del_dest(&s.dests, id, pos);
                if self.conf.expire_nodest_conn {
                    self.flush_nodest();
                }
            }
            IpvsadmCmd::SetTimeouts { tcp, tcpfin, udp } => {
                let secs = SimDuration::from_secs;
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

    /// `ip_vs_expire_nodest_conn_flush` (queued by a deletion with `expire_nodest_conn=1`):
    /// every entry whose server is unavailable and that controls nothing is deleted, and
    /// its template as soon as that controls nothing either.
    fn flush_nodest(&mut self) {
        for slot in 0..self.conns.len() as u32 {
            let Some(c) = self.conns[slot as usize] else { continue };
            if c.n_control > 0 || self.dest_of(&c).available {
                continue;
            }
            self.remove_conn(slot);
            if let Some(t) = c.template
                && self.conns[t as usize].is_some_and(|t| t.n_control == 0)
            {
                self.remove_conn(t);
            }
        }
    }

    /// Is `addr` the address of a virtual service?
    pub fn is_vip(&self, addr: Ipv4Addr) -> bool {
        self.services.iter().any(|s| s.addr.addr == addr)
    }

    pub fn conn(&self, id: u32) -> &Conn {
        self.conns[id as usize].as_ref().expect("live connection")
    }

    fn conn_mut(&mut self, id: u32) -> &mut Conn {
        self.conns[id as usize].as_mut().expect("live connection")
    }

    /// The entry's real server, in its service's list or in the trash.
    pub fn dest(&self, c: &Conn) -> Option<&Dest> {
        self.services.get(c.svc)?.dest(c.dest)
    }

    /// The controlling template of an entry, if any.
    pub fn template_of(&self, c: &Conn) -> Option<&Conn> {
        c.template.and_then(|t| self.conns[t as usize].as_ref())
    }

    fn dest_of(&self, c: &Conn) -> &Dest {
        self.dest(c).expect("an entry's server is in the list or in the trash")
    }

    fn dest_mut(&mut self, svc: usize, id: DestId) -> Option<&mut Dest> {
        self.services.get_mut(svc)?.dest_mut(id)
    }

    /// The timers to arm since the last call, oldest request first. The engine calls this
    /// after every [`Ipvs::in_hook`] and [`Ipvs::out_hook`] (nothing else queues) and arms
    /// `ConnTimer { conn, generation }` at `at` for each. Empty most of the time (a new
    /// entry, a new template, or an expiry moved earlier queue one).
    pub fn take_timers(&mut self) -> Vec<TimerReq> {
        std::mem::take(&mut self.timers)
    }

    /// `ip_vs_in_hook` for a packet addressed to this host (after routing said local).
    /// Updates the entry's state and timer; the caller transmits on `Xmit`. May queue
    /// timers ([`Ipvs::take_timers`]).
    pub fn in_hook(&mut self, pkt: &Packet, now: SimTime) -> InVerdict {
        let Some((proto, sport, dport, flags)) = classify(pkt) else {
            return InVerdict::Accept { why: "not TCP or UDP" };
        };
        let key = ConnKey { proto: proto_num(proto), caddr: pkt.ip.src, cport: sport, vaddr: pkt.ip.dst, vport: dport };
        let mut cp = self.index.get(&key).copied();
        self.expired_now = None;
        // The entry to expire "now" (ip_vs_conn_expire_now): its timer runs after this
        // packet, so it is unbound only after the new entry is bound, and the scheduler
        // below still counts it.
        let mut expire_now = None;
        // Step 3: a new-connection packet (is_new_conn: SYN, SYN+ACK too; never UDP) on an
        // old entry.
        if let Some(id) = cp
            && flags.is_some_and(TcpFlags::syn)
            && self.resched(self.conn(id))
        {
            expire_now = Some(id);
            cp = None;
        }
        // Step 4: the entry's server was deleted.
        if let Some(id) = cp
            && !self.dest_of(self.conn(id)).available
        {
            if !self.conf.expire_nodest_conn {
                return InVerdict::DestGone;
            }
            expire_now = Some(id);
            cp = None;
        }
        let verdict = if let Some(id) = cp {
            self.account(id, pkt, flags, Dir::Input, now);
            InVerdict::Xmit { conn: id, new: false }
        } else {
            self.try_to_schedule(pkt, key, proto, flags, now)
        };
        if let Some(old) = expire_now {
            self.expired_now = self.remove_conn(old);
        }
        verdict
    }

    /// The entry the last [`Ipvs::in_hook`] call expired at once, for the trace: an old
    /// entry whose client port a new SYN reused (a.2 step 3: `conn_reuse_mode`, or
    /// `expire_nodest_conn` and weight 0) or whose server was deleted (step 4,
    /// `expire_nodest_conn`). It was unbound after the packet was scheduled.
    pub fn expired_now(&self) -> Option<&Conn> {
        self.expired_now.as_ref()
    }

    /// a.2 step 3: drop the old entry and schedule the new-connection packet afresh?
    fn resched(&self, c: &Conn) -> bool {
        if self.conf.expire_nodest_conn && self.dest_of(c).weight == 0 {
            // Any entry, also one controlled by a template.
            return true;
        }
        let mode = self.conf.conn_reuse_mode;
        // is_new_conn_expected: controlled entries (persistence, FTP data) never.
        mode != 0
            && c.template.is_none()
            && c.proto == Proto::Tcp
            && (matches!(c.state, State::TimeWait | State::Close)
                || (mode & 2 != 0 && c.state == State::FinWait && c.nooutput))
    }

    /// a.2 step 5 (`tcp_conn_schedule`/`udp_conn_schedule`, `ip_vs_schedule`).
    fn try_to_schedule(
        &mut self,
        pkt: &Packet,
        key: ConnKey,
        proto: Proto,
        flags: Option<TcpFlags>,
        now: SimTime,
    ) -> InVerdict {
        let Some(svc) = self.lookup_service(proto, key.vaddr, key.vport) else {
            return InVerdict::Accept { why: "no virtual service for this address and port" };
        };
        if let Some(f) = flags
            && (f.rst() || !(f.syn() || self.conf.sloppy_tcp))
        {
            return InVerdict::Accept { why: "TCP packet without SYN and no connection entry: not scheduled" };
        }
        if key.cport == FTPDATA {
            return InVerdict::Accept { why: "packet from client port 20 (FTP data): never scheduled" };
        }
        let s = &self.services[svc];
        let id = if s.persistent.is_some() {
            self.sched_persist(svc, key, now)
        } else if s.addr.port != key.vport {
            // A non-persistent service only takes its own port.
            None
        } else {
            let ctx = self.sched_ctx(key);
            let s = &mut self.services[svc];
            let picked = s.sched.schedule(&s.dests, &ctx).map(|pos| {
                let d = &s.dests[pos];
                (d.id, if d.port != 0 { d.port } else { key.vport })
            });
            picked.map(|(dest, dport)| self.bind_new(svc, dest, key, dport, false, now))
        };
        let Some(id) = id else {
            return InVerdict::NoDest;
        };
        self.account(id, pkt, flags, Dir::Input, now);
        InVerdict::Xmit { conn: id, new: true }
    }

    fn sched_ctx(&self, key: ConnKey) -> SchedCtx {
        SchedCtx {
            saddr: key.caddr,
            sport: key.cport,
            daddr: key.vaddr,
            dport: key.vport,
            overhead: self.conf.overhead,
        }
    }

    /// `ip_vs_sched_persist`: the client's template decides the server; without a valid
    /// one the scheduler does and a template is made. Returns the new entry.
    fn sched_persist(&mut self, svc: usize, key: ConnKey, now: SimTime) -> Option<u32> {
        let s = &self.services[svc];
        let snet = Ipv4Addr::from(u32::from(key.caddr) & u32::from(s.netmask));
        let own_port = key.vport == s.addr.port && s.addr.port != FTPPORT;
        // Port-0 and FTP services key their templates with vport 0.
        let tkey = ConnKey {
            proto: key.proto,
            caddr: snet,
            cport: 0,
            vaddr: key.vaddr,
            vport: if own_port { key.vport } else { 0 },
        };
        // In the kernel a port-0 and an FTP service of one VIP would share templates; lvsim
        // keeps each service to its own (the other's template is then no longer hashed).
        let found = self.tmpl_index.get(&tkey).copied().filter(|&t| self.conn(t).svc == svc);
        let (ct, reused) = match found {
            Some(t) if self.check_template(t) => (t, true),
            _ => {
                let ctx = self.sched_ctx(key);
                let s = &mut self.services[svc];
                let pos = s.sched.schedule(&s.dests, &ctx)?;
                let d = &s.dests[pos];
                let (dest, tdport) = (d.id, if own_port { d.port } else { 0 });
                let t = self.bind_new(svc, dest, tkey, tdport, true, now);
                let timeout = SimDuration::from_secs(u64::from(self.services[svc].persistent.unwrap_or(0)));
                self.conn_mut(t).timeout = timeout;
                (t, false)
            }
        };
        let dest = self.conn(ct).dest;
        let d = self.services[svc].dest(dest).expect("a valid template's server is in the list");
        let dport = if key.vport == self.services[svc].addr.port && d.port != 0 { d.port } else { key.vport };
        let cp = self.bind_new(svc, dest, key, dport, false, now);
        // ip_vs_control_add, then ip_vs_conn_put(ct): the template's timer restarts.
        let c = self.conn_mut(cp);
        c.template = Some(ct);
        c.by_template = reused;
        let t = self.conn_mut(ct);
        t.n_control += 1;
        let at = now + t.timeout;
        self.set_expires(ct, at);
        Some(cp)
    }

    /// `ip_vs_check_template`: the template's server still exists and is not quiescent
    /// under `expire_quiescent_template`. An invalid template is unhashed (its ports set to
    /// 65535, its timer untouched) and lives on until it controls nothing.
    fn check_template(&mut self, t: u32) -> bool {
        let c = *self.conn(t);
        let d = self.dest_of(&c);
        if d.available && !(self.conf.expire_quiescent_template && d.weight == 0) {
            return true;
        }
        if self.tmpl_index.get(&c.key) == Some(&t) {
            self.tmpl_index.remove(&c.key);
        }
        let c = self.conn_mut(t);
        c.key.cport = 0;
        c.key.vport = INVALID_PORT;
        c.dport = INVALID_PORT;
        false
    }

    /// `ip_vs_conn_new` + `ip_vs_bind_dest`: a new entry (inactive, NONE; UDP) or template
    /// (NONE, counted in PersistConn) on server `dest` of `svc`, hashed. Its timer is armed
    /// by the caller's first [`Ipvs::set_expires`].
    fn bind_new(&mut self, svc: usize, dest: DestId, key: ConnKey, dport: u16, is_template: bool, now: SimTime) -> u32 {
        let proto = if key.proto == proto_num(Proto::Udp) { Proto::Udp } else { Proto::Tcp };
        let s = &mut self.services[svc];
        let d = s.dest_mut(dest).expect("scheduled servers are in the list");
        if is_template {
            d.persistconns += 1;
        } else {
            // The kernel creates every entry INACTIVE (`__ip_vs_update_dest`).
            d.inactconns += 1;
            d.stats.conns += 1;
        }
        d.overload_on_bind();
        let (daddr, fwd) = (d.addr, d.fwd);
        if !is_template {
            s.stats.conns += 1;
        }
        let state = if proto == Proto::Udp && !is_template { State::Udp } else { State::None };
        let id = if let Some(slot) = self.free.pop() {
            slot
        } else {
            self.conns.push(None);
            self.generations.push(0);
            (self.conns.len() - 1) as u32
        };
        self.generations[id as usize] += 1;
        let timeout = self.timeouts.of(state);
        self.conns[id as usize] = Some(Conn {
            key,
            proto,
            daddr,
            dport,
            fwd,
            state,
            svc,
            dest,
            expires: now + timeout,
            nooutput: fwd != Fwd::Nat,
            generation: self.generations[id as usize],
            created: now,
            template: None,
            is_template,
            by_template: false,
            n_control: 0,
            timeout,
            timer_at: SimTime::MAX,
        });
        if is_template {
            self.tmpl_index.insert(key, id);
        } else {
            self.index.insert(key, id);
            if fwd == Fwd::Nat {
                self.out_index
                    .insert(OutKey { proto: key.proto, caddr: key.caddr, cport: key.cport, daddr, dport }, id);
            }
        }
        id
    }

    /// Sets the entry's expiry; a time earlier than its armed timer queues a new timer
    /// (the armed one becomes stale).
    fn set_expires(&mut self, id: u32, at: SimTime) {
        let c = self.conn_mut(id);
        c.expires = at;
        if at < c.timer_at {
            c.timer_at = at;
            let req = TimerReq { conn: id, generation: c.generation, at };
            self.timers.push(req);
        }
    }

    /// Per-packet bookkeeping: counters, state transition, timer restart, template
    /// assurance.
    fn account(&mut self, id: u32, pkt: &Packet, flags: Option<TcpFlags>, dir: Dir, now: SimTime) {
        let timeouts = self.timeouts;
        let c = self.conn_mut(id);
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
        let (svc, dest, new_state, template) = (c.svc, c.dest, c.state, c.template);
        c.timeout = timeouts.of(new_state);
        let at = now + c.timeout;
        self.set_expires(id, at);
        // ip_vs_control_assure_ct: TCP on reaching ESTABLISHED, UDP on a reply.
        let assure = match flags {
            Some(_) => new_state == State::Established && old != State::Established,
            None => dir == Dir::Output,
        };
        if assure
            && let Some(t) = template
            && let Some(t) = self.conns[t as usize].as_mut()
        {
            t.state = State::Assured;
        }
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
    /// May queue timers ([`Ipvs::take_timers`]).
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

    /// The entry's timer fired (`ip_vs_conn_expire`), lazily: see [`TimerFired`].
    pub fn fire_timer(&mut self, id: u32, generation: u32, now: SimTime) -> TimerFired {
        let Some(Some(c)) = self.conns.get_mut(id as usize) else {
            return TimerFired::Stale;
        };
        if c.generation != generation || now < c.timer_at {
            return TimerFired::Stale;
        }
        if now < c.expires {
            c.timer_at = c.expires;
            return TimerFired::Later(c.expires);
        }
        if c.n_control > 0 {
            // "do I control anybody?": expire later, and for good with a 60 s timeout.
            c.timeout = TEMPLATE_REARM;
            c.expires = now + TEMPLATE_REARM;
            c.timer_at = c.expires;
            return TimerFired::Rearmed(c.expires);
        }
        TimerFired::Expired(self.remove_conn(id).expect("live connection"))
    }

    /// [`Ipvs::fire_timer`] in the older shape: when to arm the timer again, or `None`
    /// (expired, or a stale event).
    pub fn conn_timer(&mut self, id: u32, generation: u32, now: SimTime) -> Option<SimTime> {
        match self.fire_timer(id, generation, now) {
            TimerFired::Later(at) | TimerFired::Rearmed(at) => Some(at),
            TimerFired::Stale | TimerFired::Expired(_) => None,
        }
    }

    /// Unlinks and unbinds an entry or template (`ip_vs_conn_expire` after its checks):
    /// unhashed, its template told, its server's counters and OVERLOAD updated, and a
    /// trashed server freed once nothing references it. Returns the entry as it was.
    fn remove_conn(&mut self, id: u32) -> Option<Conn> {
        let c = self.conns[id as usize].take()?;
        self.free.push(id);
        // Guarded: a rescheduled SYN's new entry may already hold the same key.
        let unhash = |m: &mut FxHashMap<ConnKey, u32>, k: ConnKey| {
            if m.get(&k) == Some(&id) {
                m.remove(&k);
            }
        };
        if c.is_template {
            unhash(&mut self.tmpl_index, c.key);
        } else {
            unhash(&mut self.index, c.key);
            if c.fwd == Fwd::Nat {
                let k = OutKey {
                    proto: c.key.proto,
                    caddr: c.key.caddr,
                    cport: c.key.cport,
                    daddr: c.daddr,
                    dport: c.dport,
                };
                if self.out_index.get(&k) == Some(&id) {
                    self.out_index.remove(&k);
                }
            }
            // ip_vs_control_del
            if let Some(t) = c.template
                && let Some(t) = self.conns[t as usize].as_mut()
            {
                t.n_control -= 1;
            }
        }
        if let Some(s) = self.services.get_mut(c.svc)
            && let Some(d) = s.dest_mut(c.dest)
        {
            if c.is_template {
                d.persistconns -= 1;
            } else if c.state.is_active() {
                d.activeconns -= 1;
            } else {
                d.inactconns -= 1;
            }
            d.overload_on_unbind();
            if !d.available && d.refs() == 0 {
                s.trash.retain(|d| d.id != c.dest);
            }
        }
        Some(c)
    }

    /// Live entries and templates in slot order.
    pub fn live_conns(&self) -> impl Iterator<Item = (u32, &Conn)> {
        self.conns.iter().enumerate().filter_map(|(i, c)| c.as_ref().map(|c| (i as u32, c)))
    }
}

/// (protocol, source port, destination port, TCP flags) of a TCP or UDP packet.
fn classify(pkt: &Packet) -> Option<(Proto, u16, u16, Option<TcpFlags>)> {
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
