//! keepalived's VRRP (version 2, RFC 3768, keepalived 2.2.7's defaults): two or more
//! directors elect a master, which holds the virtual addresses and advertises every
//! `advert_int` to 224.0.0.18; a backup that hears nothing for the master-down interval
//! (3 × `advert_int` + skew, skew = (256 − priority)/256 s) takes the addresses and
//! announces them with gratuitous ARP.
//!
//! * At start an instance with `state MASTER` and priority 255 (the address owner) becomes
//!   master at once; every other instance starts as backup ("Entering BACKUP STATE
//!   (init)") and becomes master when its master-down timer runs out.
//! * A backup resets its timer on an advertisement of higher or equal priority; with
//!   `preempt` (the default) it ignores a lower one, so its timer runs out and it takes
//!   over; with `nopreempt` it accepts any. Priority 0 (a master leaving) cuts the wait
//!   to the skew time.
//! * A master that hears a higher priority (or an equal one from a higher address)
//!   becomes backup and removes the addresses.
//! * On becoming master: the addresses are added (`ip addr add VIP dev IF`), an
//!   advertisement goes out, and `vrrp_garp_master_repeat` (5) gratuitous ARP requests per
//!   address, again `vrrp_garp_master_delay` (5 s) later.

use super::{Engine, Event, note, trace};
use crate::cmdline::keepalived::{VrrpInstance, VrrpState};
use crate::cmdline::{Command, Scope};
use crate::packet::arp;
use crate::packet::ethernet::EtherType;
use crate::packet::vrrp::{self, VrrpRepr};
use crate::packet::{ArpRepr, EthRepr, Frame, IpProtocol, Ipv4Repr, L4, MacAddr, Packet, Payload};
use crate::sim::SimDuration;
use crate::topology::{HostId, IfIndex};
use crate::trace::{Action, Stage, Subject};
use crate::why::Why;
use std::net::Ipv4Addr;

/// `vrrp_garp_master_repeat`: gratuitous ARPs per address on becoming master.
pub const GARP_REPEAT: u32 = 5;
/// `vrrp_garp_master_delay`: the second burst follows this long after the first.
pub const GARP_DELAY: SimDuration = SimDuration::from_secs(5);

/// One running VRRP instance.
#[derive(Clone, Debug)]
pub struct VrrpRun {
    pub host: HostId,
    pub conf: VrrpInstance,
    pub iface: IfIndex,
    pub state: VrrpState,
    /// Bumped whenever the instance's timer is re-armed; older timer events do nothing.
    generation: u32,
    garp_generation: u32,
    /// keepalived has started it (`vrrp_init_state` ran).
    started: bool,
}

impl VrrpRun {
    fn advert_int(&self) -> SimDuration {
        SimDuration::from_micros(self.conf.advert_int.0)
    }

    /// `(256 − priority) / 256` s (VRRPv2).
    fn skew(&self) -> SimDuration {
        SimDuration::from_micros((256 - u64::from(self.conf.priority)) * 1_000_000 / 256)
    }

    fn master_down(&self) -> SimDuration {
        SimDuration::from_nanos(3 * self.advert_int().as_nanos() + self.skew().as_nanos())
    }
}

/// How `state` reads in a step: `MASTER`, `BACKUP`.
const fn state_name(s: VrrpState) -> &'static str {
    match s {
        VrrpState::Master => "MASTER",
        VrrpState::Backup => "BACKUP",
    }
}

impl Engine {
    /// Starts keepalived's VRRP instances on host `h` (at the current time, normally 0).
    ///
    /// # Errors
    /// An instance whose `interface` the host does not have.
    pub fn start_vrrp(&mut self, h: HostId, instances: &[VrrpInstance]) -> Result<(), String> {
        for conf in instances {
            let Some(iface) = self.hosts[h as usize].iface_by_name(&conf.interface) else {
                return Err(format!(
                    "vrrp_instance {}: {} has no interface {}",
                    conf.name, self.hosts[h as usize].name, conf.interface
                ));
            };
            self.vrrps.push(VrrpRun {
                host: h,
                conf: conf.clone(),
                iface,
                state: VrrpState::Backup,
                generation: 0,
                garp_generation: 0,
                started: false,
            });
            // Through the agenda, so a recorder attached after the build sees it.
            let inst = (self.vrrps.len() - 1) as u32;
            self.schedule_in(SimDuration::ZERO, Event::Vrrp { inst, generation: 0 });
        }
        Ok(())
    }

    /// `vrrp_init_state`: the address owner becomes master at once, the others backup.
    pub(super) fn vrrp_init(&mut self, i: usize) {
        let r = &self.vrrps[i];
        if r.conf.state == VrrpState::Master && r.conf.priority == crate::cmdline::keepalived::OWNER_PRIORITY {
            self.vrrp_become_master(i, "owner");
        } else {
            let h = r.host;
            let (vrid, priority, wait) = (r.conf.virtual_router_id, r.conf.priority, r.master_down());
            self.vrrps[i].state = VrrpState::Backup;
            note!(self, h, Why::VrrpState { vrid, priority, from: "INIT", to: "BACKUP", reason: "init", wait });
            self.vrrp_arm(i, wait);
        }
    }

    fn vrrp_arm(&mut self, i: usize, after: SimDuration) {
        let r = &mut self.vrrps[i];
        r.generation += 1;
        let generation = r.generation;
        self.schedule_in(after, Event::Vrrp { inst: i as u32, generation });
    }

    /// `Event::Vrrp`: a master's advertisement timer, or a backup's master-down timer.
    pub(super) fn vrrp_timer(&mut self, i: usize, generation: u32) {
        if self.vrrps[i].generation != generation {
            return;
        }
        if !self.vrrps[i].started {
            self.vrrps[i].started = true;
            return self.vrrp_init(i);
        }
        match self.vrrps[i].state {
            VrrpState::Master => {
                self.vrrp_advertise(i, self.vrrps[i].conf.priority);
                let int = self.vrrps[i].advert_int();
                self.vrrp_arm(i, int);
            }
            VrrpState::Backup => self.vrrp_become_master(i, "master_down"),
        }
    }

    fn vrrp_become_master(&mut self, i: usize, reason: &'static str) {
        let r = &self.vrrps[i];
        let (h, from, vrid, priority) = (r.host, r.state, r.conf.virtual_router_id, r.conf.priority);
        let from = if reason == "owner" { "INIT" } else { state_name(from) };
        self.vrrps[i].state = VrrpState::Master;
        note!(self, h, Why::VrrpState { vrid, priority, from, to: "MASTER", reason, wait: SimDuration::ZERO });
        self.milestone(h, crate::metrics::MilestoneKind::VrrpMaster);
        for v in self.vrrps[i].conf.virtual_ipaddress.clone() {
            let dev = v.dev.clone().unwrap_or_else(|| self.vrrps[i].conf.interface.clone());
            self.vrrp_command(h, &Command::AddrAdd { addr: v.addr, prefix: v.prefix, dev, scope: Scope::Global });
        }
        self.vrrp_advertise(i, priority);
        let int = self.vrrps[i].advert_int();
        self.vrrp_arm(i, int);
        self.vrrp_garp(i);
        let r = &mut self.vrrps[i];
        r.garp_generation += 1;
        let generation = r.garp_generation;
        self.schedule_in(GARP_DELAY, Event::VrrpGarp { inst: i as u32, generation });
    }

    fn vrrp_become_backup(&mut self, i: usize, reason: &'static str) {
        let r = &self.vrrps[i];
        let (h, vrid, priority, wait) = (r.host, r.conf.virtual_router_id, r.conf.priority, r.master_down());
        self.vrrps[i].state = VrrpState::Backup;
        self.vrrps[i].garp_generation += 1;
        note!(self, h, Why::VrrpState { vrid, priority, from: "MASTER", to: "BACKUP", reason, wait });
        for v in self.vrrps[i].conf.virtual_ipaddress.clone() {
            let dev = v.dev.clone().unwrap_or_else(|| self.vrrps[i].conf.interface.clone());
            self.vrrp_command(h, &Command::AddrDel { addr: v.addr, prefix: v.prefix, dev });
        }
        self.vrrp_arm(i, wait);
    }

    /// keepalived changes an address through netlink; the step shows the `ip` command that
    /// does the same.
    fn vrrp_command(&mut self, h: HostId, cmd: &Command) {
        let result = crate::stack::config::apply(&mut self.hosts[h as usize], cmd);
        self.hosts[h as usize].refresh();
        let why = match result {
            Ok(()) => Why::Command { cmd: cmd.to_string().into() },
            Err((expected, found, _)) => {
                Why::CommandFailed { cmd: cmd.to_string().into(), expected: expected.into(), found: found.into() }
            }
        };
        note!(self, h, why);
    }

    /// Sends one advertisement with `priority` (0: leaving).
    fn vrrp_advertise(&mut self, i: usize, priority: u8) {
        let r = &self.vrrps[i];
        let (h, oif) = (r.host, r.iface);
        let mut addrs = [Ipv4Addr::UNSPECIFIED; vrrp::MAX_ADDRS];
        for (k, v) in r.conf.virtual_ipaddress.iter().take(vrrp::MAX_ADDRS).enumerate() {
            addrs[k] = v.addr;
        }
        let v = VrrpRepr {
            vrid: r.conf.virtual_router_id,
            priority,
            advert_int: (r.conf.advert_int.0 / 1_000_000).clamp(1, 255) as u8,
            count: r.conf.virtual_ipaddress.len().min(vrrp::MAX_ADDRS) as u8,
            addrs,
        };
        let ip = Ipv4Repr {
            src: Ipv4Addr::UNSPECIFIED,
            dst: vrrp::GROUP,
            protocol: IpProtocol::Vrrp,
            ttl: 255,
            ident: 0,
            dont_frag: false,
            // IPTOS_PREC_INTERNETCONTROL, as keepalived marks its advertisements.
            tos: 0xc0,
        };
        self.mc_send(h, oif, ip, L4::Vrrp(v), Why::VrrpAdvert { vrid: v.vrid, priority });
    }

    /// `Event::VrrpGarp`: the second burst of gratuitous ARP, if still master.
    pub(super) fn vrrp_garp_timer(&mut self, i: usize, generation: u32) {
        if self.vrrps[i].garp_generation == generation && self.vrrps[i].state == VrrpState::Master {
            self.vrrp_garp(i);
        }
    }

    /// `GARP_REPEAT` gratuitous ARP requests for each address: sender and target the
    /// address, sent to the broadcast MAC.
    fn vrrp_garp(&mut self, i: usize) {
        let r = &self.vrrps[i];
        let (h, oif) = (r.host, r.iface);
        let mac = self.hosts[h as usize].ifaces[oif as usize].mac;
        for v in r.conf.virtual_ipaddress.clone() {
            let a = ArpRepr {
                operation: arp::Operation::Request,
                sender_mac: mac,
                sender_ip: v.addr,
                target_mac: MacAddr::BROADCAST,
                target_ip: v.addr,
            };
            let frame = Frame {
                eth: EthRepr { src: mac, dst: MacAddr::BROADCAST, ethertype: EtherType::Arp },
                payload: Payload::Arp(a),
            };
            for _ in 0..GARP_REPEAT {
                trace!(
                    self,
                    h,
                    Some(oif),
                    Stage::Neigh,
                    Action::Send,
                    Subject::frame(&frame),
                    Why::VrrpGarp { vip: v.addr }
                );
                self.arp_out(h, oif, frame);
            }
        }
    }

    /// Whether host `h` listens to the VRRP group on interface `iif`.
    pub(super) fn vrrp_joined(&self, h: HostId, iif: IfIndex) -> bool {
        self.vrrps.iter().any(|r| r.host == h && r.iface == iif)
    }

    /// An advertisement reached host `h` on `iif` (it has joined 224.0.0.18 there).
    pub(super) fn vrrp_rcv(&mut self, h: HostId, iif: IfIndex, pkt: &Packet, v: &VrrpRepr) {
        let Some(i) =
            self.vrrps.iter().position(|r| r.host == h && r.iface == iif && r.conf.virtual_router_id == v.vrid)
        else {
            trace!(
                self,
                h,
                Some(iif),
                Stage::Input,
                Action::Recv,
                Subject::packet(pkt),
                Why::VrrpRecv { vrid: v.vrid, priority: v.priority, own: 0, action: "other_vrid" }
            );
            return;
        };
        let r = &self.vrrps[i];
        let own = r.conf.priority;
        let own_src =
            self.hosts[h as usize].ifaces[iif as usize].addrs.first().map_or(Ipv4Addr::UNSPECIFIED, |a| a.addr);
        let action = match r.state {
            VrrpState::Backup if v.priority == 0 => "master_leaving",
            VrrpState::Backup if !r.conf.preempt || v.priority >= own => "reset_timer",
            VrrpState::Backup => "preempt",
            VrrpState::Master if v.priority == 0 => "answer",
            VrrpState::Master if v.priority > own || (v.priority == own && pkt.ip.src > own_src) => "yield",
            VrrpState::Master => "ignore_lower",
        };
        trace!(
            self,
            h,
            Some(iif),
            Stage::Input,
            Action::Recv,
            Subject::packet(pkt),
            Why::VrrpRecv { vrid: v.vrid, priority: v.priority, own, action }
        );
        match action {
            "master_leaving" => {
                let skew = self.vrrps[i].skew();
                self.vrrp_arm(i, skew);
            }
            "reset_timer" => {
                let wait = self.vrrps[i].master_down();
                self.vrrp_arm(i, wait);
            }
            "answer" => {
                self.vrrp_advertise(i, own);
                let int = self.vrrps[i].advert_int();
                self.vrrp_arm(i, int);
            }
            "yield" => self.vrrp_become_backup(i, "higher_priority"),
            _ => {}
        }
    }

    /// The VRRP instances of host `h` stop (the machine went down): their timers are
    /// already gone with the machine's events.
    pub(super) fn vrrp_host_down(&mut self, h: HostId) {
        for r in self.vrrps.iter_mut().filter(|r| r.host == h) {
            r.generation += 1;
            r.garp_generation += 1;
            r.state = VrrpState::Backup;
        }
    }

    /// `systemctl stop keepalived`: a master says goodbye with a priority-0 advertisement
    /// (so a backup takes over after its skew time, not the whole master-down interval)
    /// and removes its addresses; every instance of the host stops.
    pub(super) fn vrrp_host_stop(&mut self, h: HostId) {
        for i in 0..self.vrrps.len() {
            if self.vrrps[i].host != h || !self.vrrps[i].started {
                continue;
            }
            if self.vrrps[i].state == VrrpState::Master {
                self.vrrp_advertise(i, 0);
                for v in self.vrrps[i].conf.virtual_ipaddress.clone() {
                    let dev = v.dev.clone().unwrap_or_else(|| self.vrrps[i].conf.interface.clone());
                    self.vrrp_command(h, &Command::AddrDel { addr: v.addr, prefix: v.prefix, dev });
                }
            }
            let r = &mut self.vrrps[i];
            r.generation += 1;
            r.garp_generation += 1;
            r.state = VrrpState::Backup;
            r.started = false;
        }
    }

    /// `systemctl start keepalived`: the stopped instances start as at boot.
    pub(super) fn vrrp_host_start(&mut self, h: HostId) {
        for i in 0..self.vrrps.len() {
            if self.vrrps[i].host == h && !self.vrrps[i].started {
                self.vrrps[i].started = true;
                self.vrrp_init(i);
            }
        }
    }

    /// keepalived starts again on a rebooted host.
    pub(super) fn vrrp_host_boot(&mut self, h: HostId) {
        for i in 0..self.vrrps.len() {
            if self.vrrps[i].host == h {
                self.vrrps[i].started = true;
                self.vrrp_init(i);
            }
        }
    }
}
