//! The director: virtual services, real servers, the connection table and the decisions
//! of `ip_vs_in_hook` (LOCAL_IN 99) and `ip_vs_out_hook` (FORWARD 100). The transmit
//! (`xmit.rs`: TTL, MTU, the NAT/DR/TUN rewrite) is a decision too: this module says
//! what to send where, the engine carries it out (OUTPUT, POSTROUTING, neighbour).
//!
//! # The connection table (spec b)
//!
//! [`Ipvs::conns`] holds normal entries and persistence templates (`-p`), one slot each
//! of a generational slot table ([`crate::sim::slots`]).
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
//! queued. The engine drains the queue with [`Ipvs::take_timers`] after every event (so
//! after every [`Ipvs::in_hook`] and [`Ipvs::out_hook`]) and arms a timer per request; when one
//! fires it calls [`Ipvs::fire_timer`], which expires the entry,
//! says when to look again (the timer is lazy), re-arms a template that still controls
//! entries for 60 s, or says the event is stale (an earlier request replaced it).

//!
//! # Files
//!
//! `types.rs` (what schedulers see: [`Dest`], [`Overhead`]; a leaf), `service.rs`
//! (services, servers, the trash, `ipvsadm` commands), `conn.rs` (the connection table
//! and its timers), this file (the hooks: lookup, scheduling, per-packet accounting),
//! `xmit.rs` (the NAT/DR/TUN transmit as a decision), `state.rs` (TCP state table and
//! timeouts), `estimator.rs` (counters and rates).

pub mod compare;
mod conn;
pub mod ipvsadm;
pub mod listing;
pub mod script;
mod service;
pub mod sync;
pub mod xmit;

pub use crate::dest as types;
/// The leaf the schedulers see (servers, counters, the TCP state table), at its old paths.
pub use crate::dest::{estimator, state};

pub use conn::{Conn, ConnKey, TEMPLATE_REARM, TimerFired, TimerReq};
pub use estimator::{RateEstimator, Rates, Stats};
pub use ipvsadm::{Fwd, IpvsadmCmd, Proto, Sched, ServerOpts, ServiceAddr, ServiceOpts};
pub use service::{DEST_TRASH_PERIOD, DEST_TRASH_TIMER, Service, TrashRun, feed_random};
pub use state::{Dir, State, Timeouts};
pub use types::{Dest, DestId, Overhead};

use crate::packet::{L4, Packet, TcpFlags};
use crate::schedulers::SchedCtx;
use crate::sim::slots::Slots;
use crate::sim::{SimDuration, SimTime};
use conn::OutKey;
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;

/// The FTP control port: a persistent FTP service's templates have vport 0 (`FTPPORT`).
const FTPPORT: u16 = 21;
/// The FTP data port: a packet from client port 20 is never scheduled (`FTPDATA`).
const FTPDATA: u16 = 20;
/// `IPPROTO_IP`: the protocol of a fwmark service's persistence templates.
pub const IPPROTO_IP: u8 = 0;
/// The ports an invalidated template is rehashed with (`ip_vs_check_template`).
const INVALID_PORT: u16 = 0xffff;

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
    /// Entries and templates by slot (the slot is the `u32` id every index and event uses).
    pub conns: Slots<Conn>,
    index: FxHashMap<ConnKey, u32>,
    out_index: FxHashMap<OutKey, u32>,
    /// Valid persistence templates by their key (`ip_vs_ct_in_get`).
    tmpl_index: FxHashMap<ConnKey, u32>,
    /// Timers to arm, in the order they were asked for ([`Ipvs::take_timers`]).
    timers: Vec<TimerReq>,
    /// The entry the last `in_hook` expired at once ([`Ipvs::expired_now`]).
    expired_now: Option<Conn>,
    pub timeouts: Timeouts,
    pub conf: VsConf,
    /// The run's seed: schedulers that draw random numbers (twos) draw from its streams.
    /// The engine sets it; 0 outside a run (`lvsim sched`).
    pub seed: u64,
    next_dest_id: DestId,
    /// Generation of the trash timer: bumped each time a deletion (re)arms it, so an
    /// event of an earlier arming is recognised as stale.
    trash_generation: u32,
    /// A deletion (re)armed the trash timer: the engine fires [`Ipvs::trash_timer`]
    /// [`DEST_TRASH_TIMER`] from now ([`Ipvs::take_trash_timer`]).
    trash_arm: bool,
    /// The connection sync daemons ([`sync`]).
    pub sync: sync::Sync,
}

/// `ipvsadm` refused a command; the text is ipvsadm's own message where it has one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct IpvsError(pub String);

impl Ipvs {
    /// `ip_vs_in_hook` for a packet addressed to this host (after routing said local), whose
    /// `skb->mark` is `mark` (set by `iptables -t mangle ... -j MARK`; 0 when unmarked).
    /// Updates the entry's state and timer; the caller transmits on `Xmit`. May queue
    /// timers ([`Ipvs::take_timers`]).
    pub fn in_hook(&mut self, pkt: &Packet, mark: u32, now: SimTime) -> InVerdict {
        let Some((proto, sport, dport, flags)) = classify(pkt) else {
            return InVerdict::Accept { why: "not TCP or UDP" };
        };
        let key = ConnKey { proto: proto.value(), caddr: pkt.ip.src, cport: sport, vaddr: pkt.ip.dst, vport: dport };
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
            self.try_to_schedule(pkt, mark, key, proto, flags, now)
        };
        if let Some(old) = expire_now {
            self.expired_now = self.remove_conn(old);
        }
        if let InVerdict::Xmit { conn, .. } = verdict {
            self.sync_conn(conn, now);
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
        mark: u32,
        key: ConnKey,
        proto: Proto,
        flags: Option<TcpFlags>,
        now: SimTime,
    ) -> InVerdict {
        let Some(svc) = self.lookup_service(mark, proto, key.vaddr, key.vport) else {
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
        } else if s.addr.fwmark == 0 && s.addr.port != key.vport {
            // A non-persistent service only takes its own port (a fwmark service any).
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
            seed: self.seed,
        }
    }

    /// `ip_vs_sched_persist`: the client's template decides the server; without a valid
    /// one the scheduler does and a template is made. Returns the new entry.
    fn sched_persist(&mut self, svc: usize, key: ConnKey, now: SimTime) -> Option<u32> {
        let s = &self.services[svc];
        let snet = Ipv4Addr::from(u32::from(key.caddr) & u32::from(s.netmask));
        let own_port = key.vport == s.addr.port && s.addr.port != FTPPORT;
        let tkey = template_key(s.addr, key, snet);
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
            && let Some(t) = self.conns.at_mut(t)
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
        let key = OutKey { proto: proto.value(), caddr: pkt.ip.dst, cport: dport, daddr: pkt.ip.src, dport: sport };
        let id = *self.out_index.get(&key)?;
        let c = *self.conn(id);
        pkt.ip.src = c.key.vaddr;
        pkt.l4.set_src_port(c.key.vport);
        self.account(id, pkt, flags, Dir::Output, now);
        Some(id)
    }
}

/// The key of a persistence template (`ip_vs_sched_persist` in `ip_vs_core.c`): for a fwmark
/// service `(IPPROTO_IP, masked CIP, 0, fwmark, 0)`, the mark standing in the address, so
/// every protocol and port of the mark share one template (http and https stick together);
/// else `(protocol, masked CIP, 0, VIP, vport)`, with vport 0 for a port-0 or an FTP service.
fn template_key(svc: ServiceAddr, key: ConnKey, snet: Ipv4Addr) -> ConnKey {
    if svc.fwmark != 0 {
        return ConnKey { proto: IPPROTO_IP, caddr: snet, cport: 0, vaddr: Ipv4Addr::from(svc.fwmark), vport: 0 };
    }
    let own_port = key.vport == svc.port && svc.port != FTPPORT;
    ConnKey { proto: key.proto, caddr: snet, cport: 0, vaddr: key.vaddr, vport: if own_port { key.vport } else { 0 } }
}

/// (protocol, source port, destination port, TCP flags) of a TCP or UDP packet.
fn classify(pkt: &Packet) -> Option<(Proto, u16, u16, Option<TcpFlags>)> {
    match &pkt.l4 {
        L4::Tcp(t) => Some((Proto::Tcp, t.src_port, t.dst_port, Some(t.flags))),
        L4::Udp(u) => Some((Proto::Udp, u.src_port, u.dst_port, None)),
        L4::Icmp(_) | L4::Vrrp(_) => None,
    }
}

#[cfg(test)]
mod tests;
