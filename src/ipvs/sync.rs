//! The connection synchronisation daemon (`ip_vs_sync.c`, sync version 1, the kernel's
//! defaults): a master director sends its connection entries by UDP multicast to
//! 224.0.0.81:8848; a backup creates or updates the same entries, so after a failover
//! the new master forwards an established connection to the server it already had.
//!
//! * Which entries are sent (`sync_conn_needed`, `sync_threshold` 3, `sync_period` 50,
//!   `sync_refresh_period` 0): a TCP entry only in ESTABLISHED, FIN_WAIT, CLOSE, CLOSE_WAIT
//!   or TIME_WAIT; when its state changed since it was last sent and is not ESTABLISHED,
//!   at once; otherwise on the 3rd, 53rd, 103rd... packet from the client. A UDP entry on
//!   those packets too. A persistence template with every packet of an entry it controls.
//! * When (`sync_thread_master`): a message holds at most 40 entries (1,500-byte MTU: 1,472
//!   bytes of UDP payload, an 8-byte header, 36 bytes per entry); a full one goes at once,
//!   a partly filled one when it is 2 s old (`IPVS_SYNC_FLUSH_TIME`). So an entry created
//!   less than 2 s before the master dies may never reach the backup.
//! * A backup (`ip_vs_proc_conn`) finds the service and server in its own table by
//!   address and port; an entry for a service or server it does not have is skipped. New
//!   entries take the state and timeout of the message; existing ones are updated.

use super::conn::ConnKey;
use super::{Ipvs, Proto, State};
use crate::cmdline::ipvsadm::Daemon;
use crate::sim::{SimDuration, SimTime};
use std::net::Ipv4Addr;

/// `IP_VS_SYNC_GROUP`.
pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 81);
/// `IP_VS_SYNC_PORT`.
pub const PORT: u16 = 8848;
/// `IPVS_SYNC_FLUSH_TIME`: a partly filled message waits this long.
pub const FLUSH_TIME: SimDuration = SimDuration::from_secs(2);
/// `sysctl_sync_threshold`, `sysctl_sync_period`.
pub const THRESHOLD: u32 = 3;
pub const PERIOD: u32 = 50;
/// Message header and one IPv4 entry (`struct ip_vs_sync_mesg`, `struct ip_vs_sync_v4`).
pub const HEADER_LEN: u16 = 8;
pub const CONN_LEN: u16 = 36;
/// Entries per message on a 1,500-byte MTU: (1500 − 20 − 8 − 8) / 36.
pub const MAX_CONNS: usize = 40;

/// One entry as a sync message carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncConn {
    pub key: ConnKey,
    pub fwmark: u32,
    pub daddr: Ipv4Addr,
    pub dport: u16,
    pub state: State,
    pub timeout: SimDuration,
    pub template: bool,
}

/// The daemons of one director and the master's message being filled.
#[derive(Clone, Debug, Default)]
pub struct Sync {
    pub master: Option<Daemon>,
    pub backup: Option<Daemon>,
    buffer: Vec<SyncConn>,
    first_use: Option<SimTime>,
    /// Full messages to send now.
    ready: Vec<Vec<SyncConn>>,
    /// The flush the engine has armed an event for.
    flush_armed: Option<SimTime>,
}

/// What a backup did with a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub created: u32,
    pub updated: u32,
    /// For a service or server this director does not have.
    pub skipped: u32,
}

impl Sync {
    /// When the message being filled must go (2 s after its first entry), if any.
    #[must_use]
    pub fn flush_at(&self) -> Option<SimTime> {
        self.first_use.map(|t| t + FLUSH_TIME)
    }

    /// Messages to send now: the full ones, and the one being filled if it is due.
    pub fn take(&mut self, now: SimTime) -> Vec<Vec<SyncConn>> {
        let mut out = std::mem::take(&mut self.ready);
        if self.flush_at().is_some_and(|t| t <= now) && !self.buffer.is_empty() {
            out.push(std::mem::take(&mut self.buffer));
            self.first_use = None;
        }
        out
    }

    /// Whether a message waits to be sent now.
    #[must_use]
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Whether the engine has something to do: send now, or arm a flush.
    #[must_use]
    pub fn pending(&self) -> bool {
        self.has_ready() || (self.flush_at().is_some() && self.flush_at() != self.flush_armed)
    }

    /// The flush time the engine must arm an event for, once.
    pub fn take_flush_arm(&mut self) -> Option<SimTime> {
        let at = self.flush_at()?;
        if self.flush_armed == Some(at) {
            return None;
        }
        self.flush_armed = Some(at);
        Some(at)
    }

    fn push(&mut self, c: SyncConn, now: SimTime) {
        if self.buffer.is_empty() {
            self.first_use = Some(now);
        }
        self.buffer.push(c);
        if self.buffer.len() == MAX_CONNS {
            self.ready.push(std::mem::take(&mut self.buffer));
            self.first_use = None;
        }
    }
}

impl Ipvs {
    /// `--start-daemon`/`--stop-daemon`.
    pub(super) fn daemon(&mut self, start: Option<Daemon>, backup: bool) -> Result<(), super::IpvsError> {
        let slot = if backup { &mut self.sync.backup } else { &mut self.sync.master };
        match (start, slot.is_some()) {
            (Some(_), true) => Err(super::IpvsError("Sync daemon is already running".into())),
            (Some(d), false) => {
                *slot = Some(d);
                Ok(())
            }
            (None, false) => Err(super::IpvsError("No daemon is running".into())),
            (None, true) => {
                *slot = None;
                if !backup {
                    self.sync.buffer.clear();
                    self.sync.ready.clear();
                    self.sync.first_use = None;
                }
                Ok(())
            }
        }
    }

    /// `ip_vs_sync_conn` after a client packet on entry `id`: queues the entry (and its
    /// template) when `sync_conn_needed` says so.
    pub(super) fn sync_conn(&mut self, id: u32, now: SimTime) {
        if self.sync.master.is_none() {
            return;
        }
        let c = self.conn_mut(id);
        c.in_pkts = ((u32::from(c.in_pkts) + 1) % PERIOD) as u8;
        let (pkts, state, proto, template) = (u32::from(c.in_pkts), c.state, c.proto, c.template);
        let needed = match proto {
            Proto::Tcp => {
                let syncable = matches!(
                    state,
                    State::Established | State::FinWait | State::Close | State::CloseWait | State::TimeWait
                );
                let force = state != c.synced_state;
                syncable && ((force && state != State::Established) || pkts % PERIOD == THRESHOLD)
            }
            Proto::Udp => pkts % PERIOD == THRESHOLD,
        };
        if needed {
            c.synced_state = state;
            let m = self.sync_message(id);
            self.sync.push(m, now);
        }
        // The controlling template goes with every packet of its entries.
        if let Some(t) = template
            && self.conns.at(t).is_some()
        {
            let m = self.sync_message(t);
            self.sync.push(m, now);
        }
    }

    fn sync_message(&self, id: u32) -> SyncConn {
        let c = self.conn(id);
        SyncConn {
            key: c.key,
            fwmark: self.services.get(c.svc).map_or(0, |s| s.addr.fwmark),
            daddr: c.daddr,
            dport: c.dport,
            state: c.state,
            timeout: c.timeout,
            template: c.is_template,
        }
    }

    /// `ip_vs_process_message` on a backup: each entry is created or updated.
    pub fn sync_apply(&mut self, msg: &[SyncConn], now: SimTime) -> Applied {
        let mut a = Applied::default();
        for m in msg {
            let proto = if m.key.proto == Proto::Udp.value() { Proto::Udp } else { Proto::Tcp };
            let svc = if m.fwmark != 0 {
                self.find_service(crate::cmdline::ipvsadm::ServiceAddr::fwmark(m.fwmark))
            } else {
                self.lookup_service(0, proto, m.key.vaddr, m.key.vport)
            };
            let Some(svc) = svc else {
                a.skipped += 1;
                continue;
            };
            let Some(pos) = self.services[svc].dests.position(m.daddr, m.dport) else {
                a.skipped += 1;
                continue;
            };
            let dest = self.services[svc].dests.get(pos).map(|d| d.id).expect("position is in the list");
            let existing = if m.template { self.tmpl_index.get(&m.key) } else { self.index.get(&m.key) }.copied();
            let id = if let Some(id) = existing {
                a.updated += 1;
                id
            } else {
                {
                    a.created += 1;
                    let id = self.bind_new(svc, dest, m.key, m.dport, m.template, now);
                    // A synced entry is not a new connection of this director's service.
                    if !m.template {
                        self.services[svc].stats.conns -= 1;
                        if let Some(d) = self.services[svc].dest_mut(dest) {
                            d.stats.conns -= 1;
                        }
                    }
                    id
                }
            };
            let old = self.conn(id).state;
            let c = self.conn_mut(id);
            c.state = m.state;
            c.synced_state = m.state;
            c.timeout = m.timeout;
            let (svc, dest) = (c.svc, c.dest);
            if !m.template
                && old.is_active() != m.state.is_active()
                && let Some(d) = self.dest_mut(svc, dest)
            {
                if m.state.is_active() {
                    d.inactconns -= 1;
                    d.activeconns += 1;
                } else {
                    d.activeconns -= 1;
                    d.inactconns += 1;
                }
            }
            self.set_expires(id, now + m.timeout);
        }
        a
    }
}
