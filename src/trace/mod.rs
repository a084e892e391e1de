//! Trace steps: what happened to a frame or packet, where (time, host, interface, hook
//! stage), and why. Steps are built only when a recorder is attached; the engine checks
//! one flag and formats nothing otherwise. Front ends (text, JSON Lines, TUI, exercises)
//! read steps; they never reach back into the engine.

pub mod filter;
pub mod json;
pub mod summary;
pub mod text;

use crate::lang::Lang;
use crate::packet::{Frame, MacAddr, Packet};
use crate::sim::SimTime;
use crate::topology::{HostId, IfIndex, SegId};
use crate::why::{DropReason, MacName, Why};

/// Where in a host's path a step happens: the netfilter hook, or the layer around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// A frame arrived at an interface.
    Rx,
    /// ARP processing (`arp_process`).
    Arp,
    Prerouting,
    /// The routing decision (local, forward, or nothing).
    Routing,
    Input,
    Forward,
    Output,
    Postrouting,
    /// Neighbour resolution (ARP cache, queue, solicitations).
    Neigh,
    /// A frame left an interface onto its segment.
    Tx,
    /// Delivery to a socket or the application above it.
    Socket,
    /// A timer (connection or neighbour entry).
    Timer,
}

impl Stage {
    pub const fn name(self) -> &'static str {
        match self {
            Stage::Rx => "RX",
            Stage::Arp => "ARP",
            Stage::Prerouting => "PREROUTING",
            Stage::Routing => "ROUTING",
            Stage::Input => "INPUT",
            Stage::Forward => "FORWARD",
            Stage::Output => "OUTPUT",
            Stage::Postrouting => "POSTROUTING",
            Stage::Neigh => "NEIGH",
            Stage::Tx => "TX",
            Stage::Socket => "SOCKET",
            Stage::Timer => "TIMER",
        }
    }
}

/// What kind of thing happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Frame received at an interface.
    Recv,
    /// Frame sent on a link.
    Send,
    /// Passed this stage unchanged.
    Pass,
    /// Headers rewritten (NAT, TTL, encapsulation...).
    Rewrite,
    /// Handed to a local socket, ARP table or application.
    Deliver,
    /// Queued (waiting for ARP).
    Queue,
    /// IPVS scheduled a new connection.
    Schedule,
    /// Dropped, with the reason.
    Drop(DropReason),
    /// A table changed (ARP cache, connection expiry) or other information.
    Info,
}

impl Action {
    pub const fn name(self) -> &'static str {
        match self {
            Action::Recv => "recv",
            Action::Send => "send",
            Action::Pass => "pass",
            Action::Rewrite => "rewrite",
            Action::Deliver => "deliver",
            Action::Queue => "queue",
            Action::Schedule => "schedule",
            Action::Drop(_) => "drop",
            Action::Info => "info",
        }
    }
}

/// The frame or packet a step is about. A packet that has no Ethernet header yet (before
/// the neighbour layer) is kept as a frame with `l2: false`, so its fields read the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub frame: Frame,
    pub l2: bool,
}

impl Subject {
    pub fn frame(f: &Frame) -> Option<Subject> {
        Some(Subject { frame: *f, l2: true })
    }

    pub fn packet(p: &Packet) -> Option<Subject> {
        let eth = crate::packet::EthRepr {
            src: crate::packet::MacAddr::ZERO,
            dst: crate::packet::MacAddr::ZERO,
            ethertype: crate::packet::ethernet::EtherType::Ipv4,
        };
        Some(Subject { frame: Frame { eth, payload: crate::packet::Payload::Ipv4(*p) }, l2: false })
    }
}

/// One step of the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Position in the trace (0, 1, 2...).
    pub index: u64,
    pub time: SimTime,
    pub host: HostId,
    pub iface: Option<IfIndex>,
    pub stage: Stage,
    pub action: Action,
    pub subject: Option<Subject>,
    /// Why it happened, as typed data ([`Step::reason`] renders it).
    pub why: Why,
}

impl Step {
    /// The sentence saying why, in `lang`.
    pub fn reason(&self, names: &Names, lang: Lang) -> String {
        self.why.render(names, self.host, lang)
    }
}

/// Host and interface names, for printing steps.
#[derive(Clone, Debug, Default)]
pub struct Names {
    pub hosts: Vec<String>,
    pub ifaces: Vec<Vec<String>>,
    pub segments: Vec<String>,
    /// Every interface's MAC and its host, sorted by MAC (for [`Names::mac_owner`]).
    pub macs: Vec<(MacAddr, HostId)>,
}

impl Names {
    pub fn host(&self, h: HostId) -> &str {
        &self.hosts[h as usize]
    }
    pub fn iface(&self, h: HostId, i: Option<IfIndex>) -> &str {
        i.map_or("-", |i| self.ifaces[h as usize][i as usize].as_str())
    }

    /// The host whose interface has MAC `m`, if any.
    pub fn mac_host(&self, m: MacAddr) -> Option<HostId> {
        self.macs.binary_search_by_key(&m, |(mac, _)| *mac).ok().map(|i| self.macs[i].1)
    }

    /// Whose `m` is, as a name: the owning host, `broadcast`, or `None` when unknown.
    pub fn mac_owner(&self, m: MacAddr) -> Option<&str> {
        if m == MacAddr::BROADCAST { Some("broadcast") } else { self.mac_host(m).map(|h| self.host(h)) }
    }

    /// `m` with its owner, in `lang`: `02:00:00:00:03:02 (rs1)`.
    pub fn mac(&self, m: MacAddr, lang: Lang) -> MacName<'_> {
        MacName::new(self, m, lang)
    }

    /// A frame's one-line summary, the MAC of an ARP reply with its owner:
    /// `ARP 10.0.0.100 is-at 02:00:00:00:04:02 (rs2)`.
    pub fn summary(&self, frame: &Frame) -> String {
        match frame.arp() {
            Some(a) if a.operation == crate::packet::arp::Operation::Reply => {
                format!("ARP {} is-at {}", a.sender_ip, self.mac(a.sender_mac, Lang::En))
            }
            _ => frame.to_string(),
        }
    }
}

impl crate::why::Namer for Names {
    fn host(&self, h: HostId) -> &str {
        Names::host(self, h)
    }
    fn iface(&self, h: HostId, i: Option<IfIndex>) -> &str {
        Names::iface(self, h, i)
    }
    fn segment(&self, s: SegId) -> &str {
        self.segments.get(s as usize).map_or("?", String::as_str)
    }
    fn mac_owner(&self, m: MacAddr) -> Option<&str> {
        self.mac_host(m).map(|h| self.host(h))
    }
}

/// Where steps go.
pub trait Recorder {
    fn record(&mut self, step: Step);
}

/// Keeps every step in memory (tests, the TUI).
#[derive(Debug, Default)]
pub struct VecRecorder {
    pub steps: Vec<Step>,
}

impl Recorder for VecRecorder {
    fn record(&mut self, step: Step) {
        self.steps.push(step);
    }
}

/// A recorder shared with the caller, so steps can be read after the run.
impl<R: Recorder> Recorder for std::rc::Rc<std::cell::RefCell<R>> {
    fn record(&mut self, step: Step) {
        self.borrow_mut().record(step);
    }
}
