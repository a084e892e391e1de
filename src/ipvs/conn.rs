//! The connection table: entries and persistence templates by slot, their hash indexes,
//! and their timers (see the module documentation of [`crate::ipvs`]).

use super::{DestId, Fwd, Ipvs, Proto, State};
use crate::sim::slots::Key;
use crate::sim::{SimDuration, SimTime};
use rustc_hash::FxHashMap;
use std::net::Ipv4Addr;

/// A template whose timer runs out while it still controls entries lives 60 s more, and
/// its timeout stays 60 s from then on (`ip_vs_conn_expire`, "expire_later").
pub const TEMPLATE_REARM: SimDuration = SimDuration::from_secs(60);

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
pub(super) struct OutKey {
    pub(super) proto: u8,
    pub(super) caddr: Ipv4Addr,
    pub(super) cport: u16,
    pub(super) daddr: Ipv4Addr,
    pub(super) dport: u16,
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
    /// `cp->timeout`: a normal entry's is its state's ([`super::Timeouts::of`]); a template's is
    /// the service's persistence timeout, [`TEMPLATE_REARM`] once re-armed.
    pub timeout: SimDuration,
    /// When the entry's armed timer event fires; events at other times are stale.
    pub(super) timer_at: SimTime,
    /// `cp->in_pkts` modulo `sync_period` (50): all the sync daemon's threshold reads
    /// (`pkts % sync_period == sync_threshold`), in one byte.
    pub in_pkts: u8,
    /// `cp->old_state`: the state the sync daemon last sent.
    pub synced_state: State,
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

impl Ipvs {
    pub fn conn(&self, id: u32) -> &Conn {
        self.conns.at(id).expect("live connection")
    }

    /// The entry in slot `id` if it is still the one of that `generation` (not expired,
    /// and the slot not reused since): how a holder of an old handle checks it.
    pub fn conn_if_current(&self, id: u32, generation: u32) -> Option<&Conn> {
        self.conns.get(Key { index: id, generation })
    }

    pub(super) fn conn_mut(&mut self, id: u32) -> &mut Conn {
        self.conns.at_mut(id).expect("live connection")
    }

    /// The timers to arm since the last call, oldest request first. The engine calls this
    /// after every event when [`Ipvs::has_pending_timers`] (only the hooks queue) and arms
    /// a connection timer `(conn, generation)` at `at` for each. Empty most of the time (a new
    /// entry, a new template, or an expiry moved earlier queue one).
    pub fn take_timers(&mut self) -> Vec<TimerReq> {
        std::mem::take(&mut self.timers)
    }

    /// Timers to arm are waiting ([`Ipvs::take_timers`], [`Ipvs::take_trash_timer`]).
    pub fn has_pending_timers(&self) -> bool {
        !self.timers.is_empty() || self.trash_arm || self.sync.pending()
    }

    /// `ip_vs_conn_new` + `ip_vs_bind_dest`: a new entry (inactive, NONE; UDP) or template
    /// (NONE, counted in PersistConn) on server `dest` of `svc`, hashed. Its timer is armed
    /// by the caller's first [`Ipvs::set_expires`].
    pub(super) fn bind_new(
        &mut self,
        svc: usize,
        dest: DestId,
        key: ConnKey,
        dport: u16,
        is_template: bool,
        now: SimTime,
    ) -> u32 {
        let proto = if key.proto == Proto::Udp.value() { Proto::Udp } else { Proto::Tcp };
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
        let timeout = self.timeouts.of(state);
        let id = self
            .conns
            .insert_with(|slot| Conn {
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
                generation: slot.generation,
                created: now,
                template: None,
                is_template,
                by_template: false,
                n_control: 0,
                timeout,
                timer_at: SimTime::MAX,
                in_pkts: 0,
                synced_state: State::None,
            })
            .index;
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
    pub(super) fn set_expires(&mut self, id: u32, at: SimTime) {
        let c = self.conn_mut(id);
        c.expires = at;
        if at < c.timer_at {
            c.timer_at = at;
            let req = TimerReq { conn: id, generation: c.generation, at };
            self.timers.push(req);
        }
    }

    /// The entry's timer fired (`ip_vs_conn_expire`), lazily: see [`TimerFired`].
    pub fn fire_timer(&mut self, id: u32, generation: u32, now: SimTime) -> TimerFired {
        let Some(c) = self.conns.get_mut(Key { index: id, generation }) else {
            return TimerFired::Stale;
        };
        if now < c.timer_at {
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

    /// Expires entry `id` at once (`ip_vs_conn_expire_now`), as `lvsim sched --script`'s
    /// `expire` does. Returns the entry as it was.
    pub fn expire(&mut self, id: u32) -> Option<Conn> {
        self.remove_conn(id)
    }

    /// Unlinks and unbinds an entry or template (`ip_vs_conn_expire` after its checks):
    /// unhashed, its template told, its server's counters and OVERLOAD updated, and a
    /// trashed server freed once nothing references it. Returns the entry as it was.
    pub(super) fn remove_conn(&mut self, id: u32) -> Option<Conn> {
        let c = self.conns.remove_at(id)?;
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
                && let Some(t) = self.conns.at_mut(t)
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

    /// Live entries and templates in slot order.
    pub fn live_conns(&self) -> impl Iterator<Item = (u32, &Conn)> {
        self.conns.iter().map(|(k, c)| (k.index, c))
    }
}

#[cfg(test)]
mod size {
    // Memory per connection slot, pinned: before the slot table, an entry cost its
    // `Option<Conn>` (88 bytes) plus a `u32` generation in a second vector, 92 bytes
    // (1 M live director connections ≈ 211 MiB with the indexes and timers). The slot table
    // keeps the same two vectors, so a slot must not cost more.
    #[test]
    fn a_connection_slot_costs_no_more_than_before() {
        let slot = std::mem::size_of::<Option<super::Conn>>() + std::mem::size_of::<u32>();
        assert!(slot <= 88 + 4, "{slot} bytes per slot");
    }
}
