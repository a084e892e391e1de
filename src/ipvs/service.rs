//! Virtual services and their real servers: `ipvsadm` configuration, the deleted servers'
//! trash and its timer, and the rate estimator's sampling.

use super::{
    Conn, Dest, DestId, Ipvs, IpvsError, IpvsadmCmd, RateEstimator, Sched, ServiceAddr, ServiceOpts, Stats,
    ipvsadm::Proto,
};
use crate::dest::Dests;
use crate::schedulers::{self, Scheduler};
use crate::sim::{SimDuration, SimTime};
use std::net::Ipv4Addr;

/// `IP_VS_DEST_TRASH_PERIOD` (120 s): how long a deleted server must have been found
/// unreferenced before the trash timer frees it.
pub const DEST_TRASH_PERIOD: SimDuration = SimDuration::from_secs(120);
/// The trash timer's period, `IP_VS_DEST_TRASH_PERIOD >> 1` (60 s).
pub const DEST_TRASH_TIMER: SimDuration = SimDuration::from_secs(60);

/// A virtual service (`struct ip_vs_service`).
#[derive(Clone, Debug)]
pub struct Service {
    pub addr: ServiceAddr,
    pub sched_name: Sched,
    pub sched: Box<dyn Scheduler>,
    /// Real servers in kernel list order: newest first.
    pub dests: Dests,
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

    pub(super) fn dest_mut(&mut self, id: DestId) -> Option<&mut Dest> {
        self.dests.iter_mut().chain(self.trash.iter_mut()).find(|d| d.id == id)
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

impl Ipvs {
    /// The service `a` exactly (what `ipvsadm` commands name): a fwmark service by its mark,
    /// another by (protocol, address, port).
    pub fn find_service(&self, a: ServiceAddr) -> Option<usize> {
        self.services.iter().position(|s| match a.fwmark {
            0 => s.addr.fwmark == 0 && (s.addr.proto, s.addr.addr, s.addr.port) == (a.proto, a.addr, a.port),
            m => s.addr.fwmark == m,
        })
    }

    /// The service a packet to `addr:port` carrying firewall mark `mark` belongs to
    /// (`ip_vs_service_find` in `ip_vs_ctl.c`): with a non-zero mark the fwmark table first
    /// (`__ip_vs_svc_fwm_find`, any protocol), then the exact (protocol, address, port), else
    /// the address's port-0 (all ports) service. The FTP data fallback to a port-21 service
    /// is not simulated.
    pub fn lookup_service(&self, mark: u32, proto: Proto, addr: Ipv4Addr, port: u16) -> Option<usize> {
        (mark != 0)
            .then(|| self.find_service(ServiceAddr::fwmark(mark)))
            .flatten()
            .or_else(|| self.find_service(ServiceAddr::new(proto, addr, port)))
            .or_else(|| self.find_service(ServiceAddr::new(proto, addr, 0)))
    }

    pub(super) fn service_of(&self, a: ServiceAddr) -> Result<usize, IpvsError> {
        self.find_service(a).ok_or_else(|| IpvsError("No such service".into()))
    }

    /// Applies one configuration command, with the kernel's callbacks to the scheduler.
    /// Never queues timers.
    pub fn apply(&mut self, cmd: &IpvsadmCmd) -> Result<(), IpvsError> {
        match cmd {
            IpvsadmCmd::AddService(o) => {
                if self.find_service(o.svc).is_some() {
                    return Err(IpvsError("Service already exists".into()));
                }
                let mut sched = schedulers::new(o.scheduler, o.flags).map_err(IpvsError)?;
                sched.init_service(&Dests::default());
                self.services.push(Service {
                    addr: o.svc,
                    sched_name: o.scheduler,
                    sched,
                    dests: Dests::default(),
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
                for slot in 0..self.conns.capacity() as u32 {
                    if self.conns.at(slot).is_some_and(|c| c.svc == i) {
                        self.remove_conn(slot);
                    }
                }
                self.services.remove(i);
                for c in self.conns.values_mut() {
                    if c.svc > i {
                        c.svc -= 1;
                    }
                }
            }
            IpvsadmCmd::Clear => {
                // Slot generations survive, so timers armed before the clear stay stale; the
                // trash timer's too (an armed one finds the trash empty and stops).
                let mut conns = std::mem::take(&mut self.conns);
                conns.clear();
                *self = Ipvs {
                    timeouts: self.timeouts,
                    conf: self.conf,
                    seed: self.seed,
                    next_dest_id: self.next_dest_id,
                    conns,
                    trash_generation: self.trash_generation,
                    trash_arm: self.trash_arm,
                    ..Ipvs::default()
                };
            }
            IpvsadmCmd::AddServer(o) => {
                let i = self.service_of(o.svc)?;
                let s = &mut self.services[i];
                if s.dests.contains(o.addr, o.port) {
                    return Err(IpvsError("Destination already exists".into()));
                }
                // ip_vs_new_dest: the address must be unicast or local (inet_addr_type);
                // 0.0.0.0/8, 255.255.255.255 and multicast are -EINVAL.
                let bad = o.addr.octets()[0] == 0 || o.addr.is_broadcast() || o.addr.is_multicast();
                if bad && !s.trash.iter().any(|d| d.addr == o.addr && d.port == o.port) {
                    return Err(IpvsError("Invalid argument".into()));
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
                s.dests.push_head(d);
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
                let pos = s.dests.position(*addr, *port).ok_or_else(|| IpvsError("No such destination".into()))?;
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
            IpvsadmCmd::StartDaemon(d) => self.daemon(Some(*d), d.backup)?,
            IpvsadmCmd::StopDaemon { backup } => self.daemon(None, *backup)?,
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
    pub(super) fn flush_nodest(&mut self) {
        for slot in 0..self.conns.capacity() as u32 {
            let Some(&c) = self.conns.at(slot) else { continue };
            if c.n_control > 0 || self.dest_of(&c).available {
                continue;
            }
            self.remove_conn(slot);
            if let Some(t) = c.template
                && self.conns.at(t).is_some_and(|t| t.n_control == 0)
            {
                self.remove_conn(t);
            }
        }
    }

    /// Is `addr` the address of a virtual service (fwmark services have none)?
    pub fn is_vip(&self, addr: Ipv4Addr) -> bool {
        self.services.iter().any(|s| s.addr.fwmark == 0 && s.addr.addr == addr)
    }

    /// The entry's real server, in its service's list or in the trash.
    pub fn dest(&self, c: &Conn) -> Option<&Dest> {
        self.services.get(c.svc)?.dest(c.dest)
    }

    pub(super) fn dest_of(&self, c: &Conn) -> &Dest {
        self.dest(c).expect("an entry's server is in the list or in the trash")
    }

    pub(super) fn dest_mut(&mut self, svc: usize, id: DestId) -> Option<&mut Dest> {
        self.services.get_mut(svc)?.dest_mut(id)
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
}

/// Makes a `twos` service consume these values instead of its random stream (for
/// `lvsim sched --script`'s `random`).
pub fn feed_random(svc: &mut Service, values: Vec<u32>) -> Result<(), String> {
    if svc.sched_name != Sched::Twos {
        return Err(format!("the service uses {}, not twos", svc.sched_name.name()));
    }
    svc.sched = Box::new(schedulers::twos::Twos::with_values(values));
    svc.sched.init_service(&svc.dests);
    Ok(())
}
