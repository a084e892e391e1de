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

pub mod estimator;
pub mod ipvsadm;
pub mod listing;
pub mod script;
pub mod state;

pub use estimator::{RateEstimator, Rates};
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
/// `IP_VS_DEST_TRASH_PERIOD` (120 s): how long a deleted server must have been found
/// unreferenced before the trash timer frees it.
pub const DEST_TRASH_PERIOD: SimDuration = SimDuration::from_secs(120);
/// The trash timer's period, `IP_VS_DEST_TRASH_PERIOD >> 1` (60 s).
pub const DEST_TRASH_TIMER: SimDuration = SimDuration::from_secs(60);
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
    /// Rates for `ipvsadm -Ln --rate`, sampled by [`Ipvs::estimate`].
    pub est: RateEstimator,
    /// In the trash: when a run of the trash timer first found it unreferenced
    /// (`dest->idle_start`); `None` until then, and for a listed server.
    pub idle_start: Option<SimTime>,
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
#[derive(Clone, Debug)]
pub struct Service {
    pub addr: ServiceAddr,
    pub sched_name: Sched,
    pub sched: Box<dyn Scheduler>,
    /// Real servers in kernel list order: newest first.
    pub dests: Vec<Dest>,
    /// Deleted real servers (`dest_trash`), with their counters and statistics; `-a` of
    /// the same address:port revives one, entries included. Every deleted server goes
    /// here, referenced or not; the trash timer ([`Ipvs::trash_timer`]) frees one at least
    /// [`DEST_TRASH_PERIOD`] after a run first found it unreferenced.
    pub trash: Vec<Dest>,
    pub persistent: Option<u32>,
    pub netmask: Ipv4Addr,
    pub opts: ServiceOpts,
    pub stats: Stats,
    /// Rates for `ipvsadm -Ln --rate`, sampled by [`Ipvs::estimate`].
    pub est: RateEstimator,
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

/// What a run of the trash timer did ([`Ipvs::trash_timer`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrashRun {
    /// The trash is not empty: run again [`DEST_TRASH_TIMER`] later.
    pub again: bool,
    /// Servers freed by this run (service, address, port): a later `-a` starts afresh.
    pub freed: Vec<(ServiceAddr, Ipv4Addr, u16)>,
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
#[derive(Clone, Debug, Default)]
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
    /// Generation of the trash timer: bumped each time a deletion (re)arms it, so an
    /// event of an earlier arming is recognised as stale.
    trash_generation: u32,
    /// A deletion (re)armed the trash timer: the engine fires [`Ipvs::trash_timer`]
    /// [`DEST_TRASH_TIMER`] from now ([`Ipvs::take_trash_timer`]).
    trash_arm: bool,
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
                // Slot generations survive, so timers armed before the clear stay stale; the
                // trash timer's too (an armed one finds the trash empty and stops).
                let generations = std::mem::take(&mut self.generations);
                let n = self.conns.len();
                *self = Ipvs {
                    timeouts: self.timeouts,
                    conf: self.conf,
                    next_dest_id: self.next_dest_id,
                    conns: vec![None; n],
                    generations,
                    free: (0..n as u32).rev().collect(),
                    trash_generation: self.trash_generation,
                    trash_arm: self.trash_arm,
                    ..Ipvs::default()
                };
            }
            IpvsadmCmd::AddServer(o) => {
                let i = self.service_of(o.svc)?;
                let s = &mut self.services[i];
                if s.dests.iter().any(|d| d.addr == o.addr && d.port == o.port) {
                    return Err(IpvsError("Destination already exists".into()));
                }
                // ip_vs_trash_get_dest: a deleted server still in the trash comes back with
                // its counters, statistics and entries.
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
                        est: RateEstimator::default(),
                        idle_start: None,
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
                d.idle_start = None;
                let id = d.id;
                s.sched.del_dest(&s.dests, id, pos);
                // __ip_vs_del_dest: into the trash; the first one (re)arms the trash timer.
                let trash_was_empty = self.services.iter().all(|s| s.trash.is_empty());
                self.services[i].trash.push(d);
                if trash_was_empty {
                    self.trash_generation = self.trash_generation.wrapping_add(1);
                    self.trash_arm = true;
                }
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

    /// The entry in slot `id` if it is still the one of that `generation` (not expired,
    /// and the slot not reused since): how a holder of an old handle checks it.
    pub fn conn_if_current(&self, id: u32, generation: u32) -> Option<&Conn> {
        self.conns.get(id as usize)?.as_ref().filter(|c| c.generation == generation)
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
            let ctx = self.sched_ctx(key, now);
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

    fn sched_ctx(&self, key: ConnKey, now: SimTime) -> SchedCtx {
        SchedCtx {
            saddr: key.caddr,
            sport: key.cport,
            daddr: key.vaddr,
            dport: key.vport,
            overhead: self.conf.overhead,
            now,
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
                let ctx = self.sched_ctx(key, now);
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

    /// Expires entry `id` at once (`ip_vs_conn_expire_now`), as `lvsim sched --script`'s
    /// `expire` does. Returns the entry as it was.
    pub fn expire(&mut self, id: u32) -> Option<Conn> {
        self.remove_conn(id)
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
        }
        Some(c)
    }

    /// The trash timer a deletion (re)armed, if one did since the last call: its
    /// generation, for an event [`DEST_TRASH_TIMER`] from now that calls
    /// [`Ipvs::trash_timer`]. Re-arming makes any earlier event stale (`mod_timer`).
    pub fn take_trash_timer(&mut self) -> Option<u32> {
        std::mem::take(&mut self.trash_arm).then_some(self.trash_generation)
    }

    /// `ip_vs_dest_trash_expire`: a run of the trash timer armed as `generation`. A
    /// trashed server still referenced by entries or templates stays; one unreferenced is
    /// noted at its first such run (`idle_start`) and freed at a run at least
    /// [`DEST_TRASH_PERIOD`] later. A stale `generation` does nothing.
    pub fn trash_timer(&mut self, generation: u32, now: SimTime) -> TrashRun {
        let mut run = TrashRun::default();
        if generation != self.trash_generation {
            return run;
        }
        for s in &mut self.services {
            s.trash.retain_mut(|d| {
                if d.refs() > 0 {
                    return true;
                }
                let keep = match d.idle_start {
                    None => {
                        d.idle_start = Some(now);
                        true
                    }
                    Some(t) => now < t + DEST_TRASH_PERIOD,
                };
                if !keep {
                    run.freed.push((s.addr, d.addr, d.port));
                }
                keep
            });
        }
        run.again = self.services.iter().any(|s| !s.trash.is_empty());
        run
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

#[cfg(test)]
mod tests {
    use super::*;
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

    /// An `ipvsadm ...` line (without the program name) as the parser sees it.
    fn cmd(line: &str) -> IpvsadmCmd {
        let mut words = Vec::new();
        let mut pos = 0;
        for w in line.split_whitespace() {
            let start = line[pos..].find(w).unwrap() + pos;
            words.push((w, start..start + w.len()));
            pos = start + w.len();
        }
        ipvsadm::parse(&words, line.len()).unwrap()
    }

    fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol) -> Ipv4Repr {
        Ipv4Repr { src, dst, protocol, ttl: 64, ident: 0, dont_frag: true, tos: 0 }
    }

    fn tcp(src: (&str, u16), dst: (&str, u16), flags: F) -> Packet {
        Packet {
            tunnel: None,
            ip: ipv4(ip(src.0), ip(dst.0), IpProtocol::Tcp),
            l4: L4::Tcp(TcpRepr {
                src_port: src.1,
                dst_port: dst.1,
                seq: 0,
                ack: 0,
                flags,
                window: 65535,
                payload_len: 0,
            }),
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
                assert_eq!(
                    (d.activeconns, d.inactconns, d.persistconns),
                    (a, ina, p),
                    "counters of {}:{}",
                    d.addr,
                    d.port
                );
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
                    let t = v.conns[t as usize].as_ref().expect("the controlling template lives");
                    assert!(t.is_template && t.dest == c.dest && t.svc == c.svc);
                }
            }
        }
        for (k, &id) in v.index.iter().chain(&v.tmpl_index) {
            let c = v.conns[id as usize].as_ref().expect("index points at a live entry");
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
        let mut l =
            Lab::new(&["--set 0 3 0", &format!("-A -t {VIP}:80 -s rr"), &format!("-a -t {VIP}:80 -r {A} -g -w 1")]);
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
            assert!(
                matches!(l.send(tcp(c, (VIP, 80), F::SYN)), InVerdict::Xmit { new: n, .. } if n == new),
                "mode {mode}"
            );
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
}
