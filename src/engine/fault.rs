//! Faults on a running machine, from a scenario's `at:` list: a server application stops
//! or starts (`systemctl stop nginx`), the machine crashes (`echo c > /proc/sysrq-trigger`),
//! powers off or reboots, and a link loses frames (`tc qdisc add dev eth0 root netem loss
//! 10%`, applied in [`Engine::link_tx`](super::Engine)).
//!
//! Nothing is lost silently. When a machine goes down, everything it held is dropped then,
//! each with its counted reason (`host_down`): the frames waiting in its CPU backlog, the
//! packets waiting for ARP, the packets on its way over `lo`. Its sockets and timers end
//! with it. A frame that reaches it while it is down is dropped on arrival (`host_down`).
//! A reboot brings it back after its boot time as it was built: the `run:` configuration
//! only, an empty ARP cache, no connections, its servers listening again.

use super::{ConnTimers, Engine, Event, Queued, drop_step, note, trace};
use crate::cmdline::{Power, UnitAction};
use crate::metrics::Fate;
use crate::sim::SimTime;
use crate::topology::HostId;
use crate::trace::{Stage, Subject};
use crate::why::{DropReason, Why};
use crate::workload::App;

/// A machine that is down: how, and since when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Down {
    pub power: Power,
    pub since: SimTime,
}

impl Down {
    /// `crashed`, `off` or `booting`: the `state` of a `drop.host_down` step.
    #[must_use]
    pub const fn state(self) -> &'static str {
        match self.power {
            Power::SysrqCrash => "crashed",
            Power::Poweroff | Power::SysrqPoweroff => "off",
            Power::Reboot | Power::SysrqReboot => "booting",
        }
    }
}

impl Engine {
    /// Whether host `h` is down (crashed, off or booting).
    #[must_use]
    pub fn host_down(&self, h: HostId) -> Option<Down> {
        self.down[h as usize]
    }

    /// `systemctl stop|start|restart UNIT` on host `h`: the `Server` application named
    /// UNIT stops or starts listening. A stop is graceful, as `systemctl stop nginx` is (the
    /// unit's stop signal lets the workers finish): connections already accepted are
    /// served to their end; a new SYN finds no listener and is answered with RST (UDP:
    /// ICMP port unreachable). Starting a running unit or stopping a stopped one changes
    /// nothing, as with systemd.
    pub(super) fn systemctl(&mut self, h: HostId, action: UnitAction, unit: &str, cmd: std::sync::Arc<str>) {
        if unit == "keepalived" && self.unit_app(h, unit).is_none() {
            note!(self, h, Why::Command { cmd });
            if matches!(action, UnitAction::Stop | UnitAction::Restart) {
                self.vrrp_host_stop(h);
                self.ka_host_stop(h);
            }
            if matches!(action, UnitAction::Start | UnitAction::Restart) {
                self.vrrp_host_start(h);
                self.ka_host_start(h);
            }
            return;
        }
        let Some(app) = self.unit_app(h, unit) else {
            note!(
                self,
                h,
                Why::CommandFailed {
                    cmd,
                    expected: "a unit: the name of a server on this host".into(),
                    found: format!("\"{unit}\" (Unit {unit}.service not found.)").into()
                }
            );
            return;
        };
        let App::Server(s) = &self.apps[app as usize] else { return };
        let (proto, port) = (s.proto, s.port);
        let listeners = &mut self.sockets[h as usize].listeners;
        let was_running = listeners.iter().any(|l| l.2 == app);
        if matches!(action, UnitAction::Stop | UnitAction::Restart) {
            listeners.retain(|l| l.2 != app);
        }
        if matches!(action, UnitAction::Start | UnitAction::Restart) && !listeners.iter().any(|l| l.2 == app) {
            listeners.push((proto, port, app));
        }
        let running = self.sockets[h as usize].listeners.iter().any(|l| l.2 == app);
        if was_running && !running {
            self.milestone(h, crate::metrics::MilestoneKind::ServiceStopped { port });
        }
        let open = self.tcbs.iter().filter(|(_, t)| t.host == h && t.app == app).count() as u32;
        note!(self, h, Why::ServiceState { cmd, port, was_running, running, open });
    }

    /// A command for a machine that is down fails (only a reboot, the reset button, runs).
    pub(super) fn refuse_down(&mut self, h: HostId, cmd: std::sync::Arc<str>, d: Down) {
        note!(
            self,
            h,
            Why::CommandFailed {
                cmd,
                expected: "a running machine".into(),
                found: format!("a machine that is {}", d.state()).into()
            }
        );
    }

    /// Notes a moment for the failover timeline.
    pub(super) fn milestone(&mut self, host: HostId, kind: crate::metrics::MilestoneKind) {
        let t_ns = self.now().0;
        self.metrics.milestones.push(crate::metrics::Milestone { t_ns, host, kind });
    }

    /// The server application of host `h` named `unit`.
    fn unit_app(&self, h: HostId, unit: &str) -> Option<u32> {
        self.apps.iter().enumerate().find_map(|(i, a)| match a {
            App::Server(s) if s.host == h && s.name == unit => Some(i as u32),
            _ => None,
        })
    }

    /// `reboot`, `poweroff`, `echo c|b|o > /proc/sysrq-trigger` on host `h`. On a machine
    /// that is already down only a reboot does anything: it stands for the reset button.
    pub(super) fn power(&mut self, h: HostId, power: Power, cmd: std::sync::Arc<str>) {
        let now = self.now();
        if let Some(d) = self.down[h as usize] {
            if !power.reboots() || d.power.reboots() {
                return self.refuse_down(h, cmd, d);
            }
        } else {
            self.take_down(h, power, &cmd);
            self.milestone(h, crate::metrics::MilestoneKind::HostDown);
        }
        self.down[h as usize] = Some(Down { power, since: now });
        if power.reboots() {
            let boot = self.boot_time[h as usize];
            self.schedule(now + boot, Event::Boot { host: h });
        }
    }

    /// The host an event belongs to, if it is one machine's own (a timer, a frame in its
    /// backlog); `None` for frames on the wire, commands and global timers.
    fn event_host(&self, ev: &Queued) -> Option<HostId> {
        let app_host = |a: u32| match &self.apps[a as usize] {
            App::Client(c) => c.host,
            App::Server(s) => s.host,
        };
        match ev {
            Queued::NeighTimer { host, .. }
            | Queued::ConnTimers { host }
            | Queued::IpvsTrash { host, .. }
            | Queued::Softirq { host, .. }
            | Queued::Loopback { host, .. }
            | Queued::Boot { host }
            | Queued::SyncFlush { host } => Some(*host),
            Queued::ClientNext { app } | Queued::ServiceDone { app, .. } => Some(app_host(*app)),
            Queued::TcpRetrans { tcb, .. } | Queued::TcpDelack { tcb } => self.tcbs.at(*tcb).map(|t| t.host),
            Queued::Vrrp { inst, .. } | Queued::VrrpGarp { inst, .. } => Some(self.vrrps[*inst as usize].host),
            Queued::Keepalived(t) => Some(self.ka_timer_host(t)),
            Queued::SwitchIn { .. }
            | Queued::NicRx { .. }
            | Queued::Command { .. }
            | Queued::Estimate
            | Queued::Sample
            | Queued::Cancelled => None,
        }
    }

    /// The machine stops: everything it holds is dropped, counted, now.
    fn take_down(&mut self, h: HostId, power: Power, cmd: &std::sync::Arc<str>) {
        // Its own events: the timers end; what they held (frames in the CPU backlog,
        // packets on their way over lo) is dropped below.
        let mut held = Vec::new();
        // Two passes over the same order: which events are the machine's (reading the
        // engine), then taking those back.
        let mine: Vec<bool> = self.agenda.iter().map(|ev| self.event_host(ev) == Some(h)).collect();
        for (ev, mine) in self.agenda.iter_mut().zip(mine) {
            if mine {
                held.push(std::mem::replace(ev, Queued::Cancelled));
            }
        }
        let mut lost_packets = 0u32;
        for ev in held {
            match ev {
                Queued::Softirq { iface, slot, .. } => {
                    let (frame, _) = self.inflight.frames.take(slot);
                    lost_packets += 1;
                    self.metrics.hosts[h as usize].rx += 1;
                    drop_step!(
                        self,
                        h,
                        Some(iface),
                        Stage::Rx,
                        DropReason::HostDown,
                        Fate::Frame,
                        Subject::frame(&frame),
                        Why::HostDown { state: Down { power, since: self.now() }.state() }
                    );
                }
                Queued::Loopback { slot, .. } => {
                    let pkt = self.inflight.packets.take(slot);
                    lost_packets += 1;
                    drop_step!(
                        self,
                        h,
                        Some(0),
                        Stage::Rx,
                        DropReason::HostDown,
                        Fate::Late,
                        Subject::packet(&pkt),
                        Why::HostDown { state: Down { power, since: self.now() }.state() }
                    );
                }
                _ => {}
            }
        }
        // Packets waiting for ARP.
        for e in 0..self.hosts[h as usize].neigh.entries.len() {
            let queue = std::mem::take(&mut self.hosts[h as usize].neigh.entries[e].queue);
            let oif = self.hosts[h as usize].neigh.entries[e].iface;
            for p in queue {
                lost_packets += 1;
                self.metrics.neigh_queue.dropped += 1;
                drop_step!(
                    self,
                    h,
                    Some(oif),
                    Stage::Neigh,
                    DropReason::HostDown,
                    Fate::Late,
                    Subject::packet(&p),
                    Why::HostDown { state: Down { power, since: self.now() }.state() }
                );
            }
        }
        // Its sockets and IPVS timers.
        let ids: Vec<u32> = self.tcbs.iter().filter(|(_, t)| t.host == h).map(|(k, _)| k.index).collect();
        let lost_sockets = ids.len() as u32;
        for id in ids {
            self.tcb_free_slot(id);
        }
        self.conn_timers[h as usize] = ConnTimers::default();
        self.vrrp_host_down(h);
        for a in &mut self.apps {
            if let App::Server(s) = a
                && s.host == h
                && let Some(svc) = s.service.as_mut()
            {
                svc.busy = 0;
                svc.waiting.clear();
            }
        }
        note!(self, h, Why::HostStopped { cmd: cmd.clone(), sockets: lost_sockets, packets: lost_packets });
    }

    /// `Event::Boot`: the machine is up again, as it was built: its `run:` configuration,
    /// an empty ARP cache, no connections; its servers listen and its clients start again.
    pub(super) fn boot(&mut self, h: HostId) {
        let Some(down) = self.down[h as usize].take() else { return };
        if let Some(b) = &self.boot_state[h as usize] {
            let (host, sockets) = (**b).clone();
            self.hosts[h as usize] = host;
            self.sockets[h as usize] = sockets;
        }
        self.draw_reachable_time(h);
        self.seed_ipvs(h);
        self.vrrp_host_boot(h);
        self.ka_host_boot(h);
        self.milestone(h, crate::metrics::MilestoneKind::HostUp);
        let now = self.now();
        for i in 0..self.apps.len() {
            if let App::Client(c) = &self.apps[i]
                && c.host == h
                && c.count.is_none_or(|n| c.started < n)
            {
                let (at, users) = (now.max(c.start), c.users.unwrap_or(1));
                for _ in 0..users {
                    self.schedule(at, Event::ClientNext { app: i as u32 });
                }
            }
        }
        note!(self, h, Why::HostBooted { after: now - down.since });
    }
}
