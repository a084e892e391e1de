//! Why a trace step happened, as typed data: one [`Why`] variant per kind of decision,
//! holding the numbers and addresses that decided it. The sentence a person reads is
//! rendered from it, in English or Chinese ([`Why::render`]); filters, scenario
//! expectations, exercise answers and tests match the variant and its fields
//! ([`Why::key`], [`Why::fields`]), never the wording.
//!
//! A leaf module: it knows packet, time and topology id types, and nothing of the engine.
//! Steps (and so `Why` values) are built only when tracing is on.

pub mod drop;
mod zh;

pub use drop::DropReason;

use crate::lang::Lang;
use crate::packet::{MacAddr, TcpFlags};
use crate::sim::SimDuration;
use crate::topology::{HostId, IfIndex, SegId};
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::Arc;

/// Names of hosts, interfaces and segments, for rendering (implemented by
/// `trace::Names`).
pub trait Namer {
    fn host(&self, h: HostId) -> &str;
    fn iface(&self, h: HostId, i: Option<IfIndex>) -> &str;
    fn segment(&self, s: SegId) -> &str;
    /// Whose MAC `m` is: the host owning the interface, or `None` when no host has it.
    fn mac_owner(&self, _m: MacAddr) -> Option<&str> {
        None
    }
}

/// A MAC with its owner, as sentences show it: `02:00:00:00:03:02 (rs1)`,
/// `ff:ff:ff:ff:ff:ff (broadcast)`, or the bare MAC when no host has it. Chinese text
/// uses full-width parentheses: `02:00:00:00:03:02（rs1）`, `（广播）`.
#[derive(Clone, Copy, Debug)]
pub struct MacName<'a> {
    pub mac: MacAddr,
    pub owner: Option<&'a str>,
    pub lang: Lang,
}

impl<'a> MacName<'a> {
    pub fn new(names: &'a dyn Namer, mac: MacAddr, lang: Lang) -> Self {
        let owner = if mac == MacAddr::BROADCAST { None } else { names.mac_owner(mac) };
        MacName { mac, owner, lang }
    }
}

impl std::fmt::Display for MacName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (open, close, broadcast) = match self.lang {
            Lang::En => (" (", ")", "broadcast"),
            Lang::Zh => ("（", "）", "广播"),
        };
        match self.owner {
            _ if self.mac == MacAddr::BROADCAST => write!(f, "{}{open}{broadcast}{close}", self.mac),
            Some(o) => write!(f, "{}{open}{o}{close}", self.mac),
            None => write!(f, "{}", self.mac),
        }
    }
}

/// The value of one field of a [`Why`], as filters see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    Str(&'a str),
    Num(u64),
    Addr(Ipv4Addr),
    Mac(MacAddr),
    Iface(IfIndex),
    Segment(SegId),
    Dur(SimDuration),
    Bool(bool),
    /// An optional field that is absent.
    None,
}

impl Value<'_> {
    /// The field as text: what `why.FIELD == TEXT` compares against.
    pub fn text(&self, names: &dyn Namer, host: HostId) -> String {
        match *self {
            Value::Str(s) => s.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Addr(a) => a.to_string(),
            Value::Mac(m) => m.to_string(),
            Value::Iface(i) => names.iface(host, Some(i)).to_string(),
            Value::Segment(s) => names.segment(s).to_string(),
            Value::Dur(d) => d.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::None => "-".to_string(),
        }
    }

    /// The field as a number, for `<`, `>` comparisons.
    pub fn number(&self) -> Option<f64> {
        match *self {
            Value::Num(n) => Some(n as f64),
            Value::Dur(d) => Some(d.0 as f64 / 1e9),
            Value::Bool(b) => Some(f64::from(u8::from(b))),
            _ => None,
        }
    }
}

/// How a field type shows itself to filters.
pub trait Field {
    fn value(&self) -> Value<'_>;
}

macro_rules! num_field {
    ($($t:ty),*) => { $(impl Field for $t { fn value(&self) -> Value<'_> { Value::Num(u64::from(*self)) } })* };
}
num_field!(u8, u16, u32, u64);

impl Field for usize {
    fn value(&self) -> Value<'_> {
        Value::Num(*self as u64)
    }
}
impl Field for bool {
    fn value(&self) -> Value<'_> {
        Value::Bool(*self)
    }
}
impl Field for Ipv4Addr {
    fn value(&self) -> Value<'_> {
        Value::Addr(*self)
    }
}
impl Field for MacAddr {
    fn value(&self) -> Value<'_> {
        Value::Mac(*self)
    }
}
impl Field for SimDuration {
    fn value(&self) -> Value<'_> {
        Value::Dur(*self)
    }
}
impl Field for &'static str {
    fn value(&self) -> Value<'_> {
        Value::Str(self)
    }
}
impl Field for Arc<str> {
    fn value(&self) -> Value<'_> {
        Value::Str(self)
    }
}
impl Field for TcpFlags {
    fn value(&self) -> Value<'_> {
        Value::Num(u64::from(self.0))
    }
}
impl<T: Field> Field for Option<T> {
    fn value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::None, Field::value)
    }
}

/// An interface of the step's host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct If(pub IfIndex);
impl Field for If {
    fn value(&self) -> Value<'_> {
        Value::Iface(self.0)
    }
}

/// A segment of the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seg(pub SegId);
impl Field for Seg {
    fn value(&self) -> Value<'_> {
        Value::Segment(self.0)
    }
}

/// Why a request failed the input-route check (`fib_validate_source`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceCheck {
    /// The source is one of this host's own addresses (`accept_local=0`).
    Martian,
    /// The reverse-path filter in this mode rejects it.
    RpFilter(u8),
}
impl Field for SourceCheck {
    fn value(&self) -> Value<'_> {
        Value::Str(match self {
            SourceCheck::Martian => "martian",
            SourceCheck::RpFilter(_) => "rp_filter",
        })
    }
}

/// Why the application's read sends the ACK (`tcp_cleanup_rbuf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAck {
    /// More than one MSS unacknowledged.
    MoreThanOneMss,
    /// The end of a write, socket not interactive.
    Pushed,
}
impl Field for ReadAck {
    fn value(&self) -> Value<'_> {
        Value::Str(match self {
            ReadAck::MoreThanOneMss => "more_than_one_mss",
            ReadAck::Pushed => "pushed",
        })
    }
}

/// When the ACK for received data leaves (`__tcp_ack_snd_check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ack {
    /// At once, in quick ACK mode, with `more` quick ACKs left.
    Quick { more: u32 },
    /// At once: the delayed-ACK timer was due.
    TimerDue,
    /// As the application reads the data.
    Read(ReadAck),
    /// Delayed: carried by the next segment (`carrier`) or sent when the timer fires.
    Delayed { pingpong: bool, carrier: Option<&'static str>, timer: SimDuration },
}
impl Field for Ack {
    fn value(&self) -> Value<'_> {
        Value::Str(match self {
            Ack::Quick { .. } => "quick",
            Ack::TimerDue => "timer_due",
            Ack::Read(_) => "read",
            Ack::Delayed { carrier: Some(_), .. } => "carried",
            Ack::Delayed { carrier: None, .. } => "delayed",
        })
    }
}

/// How ARP answered a request for an address of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpScope {
    /// The address is on the interface the request came in on.
    OnIface,
    /// `arp_ignore=3` answers addresses of scope global.
    ScopeGlobal,
    /// The address is on another interface: the weak host model.
    OtherIface,
}
impl Field for ArpScope {
    fn value(&self) -> Value<'_> {
        Value::Str(match self {
            ArpScope::OnIface => "on_iface",
            ArpScope::ScopeGlobal => "scope_global",
            ArpScope::OtherIface => "other_iface",
        })
    }
}

/// What an ARP packet that updated (or tried to update) the sender's entry was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpHeard {
    /// A reply.
    Reply,
    /// A request for another address, heard.
    Request,
    /// A request for our address that failed the input-route check: not answered.
    Refused(SourceCheck),
    /// A request for our address: answered, and the sender cached (`neigh_event_ns`).
    ForUs,
}
impl Field for ArpHeard {
    fn value(&self) -> Value<'_> {
        Value::Str(match self {
            ArpHeard::Reply => "reply",
            ArpHeard::Request => "request",
            ArpHeard::Refused(_) => "refused",
            ArpHeard::ForUs => "for_us",
        })
    }
}

impl ArpHeard {
    fn write_en(self, ip: Ipv4Addr, s: &mut String) {
        let _ = match self {
            ArpHeard::Reply => write!(s, "reply"),
            ArpHeard::Request => write!(s, "request heard"),
            ArpHeard::Refused(e) => {
                let _ = write!(s, "request not answered (");
                e.write_en(ip, s);
                write!(s, ")")
            }
            ArpHeard::ForUs => write!(s, "request for our address cached the sender (neigh_event_ns, no locktime)"),
        };
    }
}

impl SourceCheck {
    fn write_en(self, ip: Ipv4Addr, s: &mut String) {
        let _ = match self {
            SourceCheck::Martian => write!(s, "martian source: {ip} is this host's own address"),
            SourceCheck::RpFilter(mode) => write!(s, "rp_filter={mode} rejects {ip}"),
        };
    }
}

fn server_data_en(dup: bool, pushed: bool, len: u32, s: &mut String) {
    let _ = if dup {
        write!(s, "tcp: a request already received (the client resent it)")
    } else if pushed {
        write!(s, "tcp: {len}-byte request")
    } else {
        write!(s, "tcp: {len} bytes of a request")
    };
}

macro_rules! whys {
    ($( $(#[$m:meta])* $v:ident $key:literal { $($f:ident : $t:ty),* $(,)? } ),* $(,)?) => {
        /// Why a trace step happened. Each variant has a stable [`Why::key`] and named
        /// fields ([`Why::fields`]); [`Why::render`] turns it into a sentence.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Why {
            $( $(#[$m])* $v { $($f: $t),* } ),*
        }

        impl Why {
            /// Every key with its field names, in declaration order.
            pub const KEYS: &[(&str, &[&str])] = &[ $( ($key, &[$(stringify!($f)),*]) ),* ];

            /// The stable key of this kind of decision (`ipvs.schedule`, `drop.no_route`...).
            pub fn key(&self) -> &'static str {
                match self { $( Why::$v { .. } => $key ),* }
            }

            /// Calls `out` with each field's name and value.
            pub fn fields<'a>(&'a self, out: &mut dyn FnMut(&'static str, Value<'a>)) {
                match self {
                    $( #[allow(unused_variables)] Why::$v { $($f),* } => { $( out(stringify!($f), Field::value($f)); )* } ),*
                }
            }
        }
    };
}

whys! {
    // ----- link and interface -----
    /// The receiving interface is down.
    IfaceDown "drop.iface_down" { iface: If },
    /// The frame is for another host's MAC (`PACKET_OTHERHOST`).
    OtherHost "drop.otherhost" { dst: MacAddr, mac: MacAddr },
    /// A frame was received.
    L2Recv "l2.recv" { broadcast: bool, iface: If },
    /// The interface is not plugged into a segment.
    NotPlugged "drop.not_plugged" {},
    /// The frame went onto a segment.
    LinkSend "link.send" { segment: Seg },
    /// The link's queue was full.
    TxQueueFull "drop.txqueue_full" {},
    /// The CPU backlog was full (`netdev_max_backlog`).
    BacklogFull "drop.backlog_full" { queued: u64, backlog: u32 },

    // ----- netfilter -----
    /// A netfilter rule dropped the packet.
    HookDrop "hook.drop" { hook: &'static str, rule: Arc<str> },
    /// A mangle `-j MARK` rule matched: `skb->mark` went from `old` to `new` (`mark_tg`).
    MarkSet "hook.mark" { old: u32, new: u32, rule: Arc<str> },

    // ----- routing -----
    /// Not local and forwarding is off.
    IpForwardOff "drop.ip_forward_off" { dst: Ipv4Addr },
    /// The source is one of this host's own addresses.
    Martian "drop.martian_source" { src: Ipv4Addr },
    /// The reverse-path filter rejected the source.
    RpFilter "drop.rp_filter" { mode: u8, src: Ipv4Addr, iface: If },
    /// The destination is a local address.
    RouteLocal "route.local" { dst: Ipv4Addr, iface: If },
    /// No route for a packet to forward.
    NoRoute "drop.no_route" { dst: Ipv4Addr, src: Ipv4Addr },
    /// A packet to forward found its route.
    RouteForward "route.forward" { dst: Ipv4Addr, via: Option<Ipv4Addr>, dev: If },
    /// TTL would reach 0.
    TtlExceeded "drop.ttl_exceeded" { src: Ipv4Addr },
    /// Larger than the MTU with DF set.
    FragNeeded "drop.frag_needed" { size: usize, mtu: u32, src: Ipv4Addr },
    /// Forwarded: TTL decremented, out an interface.
    Forward "forward" { ttl: u8, oif: If, nexthop: Ipv4Addr },
    /// A local packet to a local address: over `lo`.
    RouteLo "route.lo" { dst: Ipv4Addr },
    /// A local packet with no route (`ENETUNREACH`).
    RouteUnreachable "route.unreachable" { dst: Ipv4Addr },
    /// A local packet's route.
    RouteOutput "route.output" { dst: Ipv4Addr, nexthop: Ipv4Addr, dev: If },

    // ----- IPIP -----
    /// IPIP but no `tunl0`.
    NoTunl0 "ipip.no_tunl0" { src: Ipv4Addr },
    /// IPIP but `tunl0` is down.
    Tunl0Down "ipip.tunl0_down" { src: Ipv4Addr },
    /// IPIP decapsulated.
    IpipDecap "ipip.decap" { outer_src: Ipv4Addr, outer_dst: Ipv4Addr },

    // ----- IPVS -----
    /// An old connection entry expired at once so that a SYN is scheduled again.
    IpvsExpiredAtOnce "ipvs.expired_at_once" { client: Ipv4Addr, cport: u16, server: Ipv4Addr, port: u16, state: &'static str },
    /// IPVS let the packet through to the local stack.
    IpvsAccept "ipvs.accept" { detail: &'static str },
    /// No real server available.
    IpvsNoDest "ipvs.no_dest" { vip: Ipv4Addr, vport: u16, client: Ipv4Addr },
    /// The connection's real server was deleted.
    IpvsDestGone "ipvs.dest_gone" {},
    /// A NAT reply's source rewritten to the VIP.
    IpvsNatReply "ipvs.nat_reply" { client: Ipv4Addr, cport: u16, server: Ipv4Addr, port: u16, vip: Ipv4Addr, vport: u16, state: &'static str },
    /// A new connection: the scheduler (or a persistence template) chose a real server.
    IpvsSchedule "ipvs.schedule" {
        client: Ipv4Addr, cport: u16, vip: Ipv4Addr, vport: u16,
        sched: &'static str, template: bool, server: Ipv4Addr, port: u16, weight: u32, fwd: &'static str,
    },
    /// A packet of an existing connection.
    IpvsExisting "ipvs.existing" { server: Ipv4Addr, port: u16, fwd: &'static str, state: &'static str },
    /// The real server is this host.
    IpvsLocalServer "ipvs.local_server" { server: Ipv4Addr },
    /// No route to the real server.
    IpvsNoRoute "ipvs.no_route" { server: Ipv4Addr },
    /// TTL exceeded on the way to the real server.
    IpvsTtlExceeded "ipvs.ttl_exceeded" { server: Ipv4Addr, src: Ipv4Addr },
    /// Too big for the route to the real server.
    IpvsFragNeeded "ipvs.frag_needed" { size: usize, mtu: u32, tun: bool, src: Ipv4Addr },
    /// NAT: destination rewritten to the real server.
    IpvsNat "ipvs.nat" { vip: Ipv4Addr, server: Ipv4Addr, vport: u16, port: u16, nexthop: Ipv4Addr, oif: If },
    /// DR to a real server that is not on a connected segment.
    IpvsDrOffLink "ipvs.dr_offlink" { server: Ipv4Addr, nexthop: Ipv4Addr, dst: Ipv4Addr },
    /// DR: the frame goes to the real server's MAC.
    IpvsDr "ipvs.dr" { dst: Ipv4Addr, server: Ipv4Addr, oif: If },
    /// TUN: an outer header added.
    IpvsTun "ipvs.tun" { src: Ipv4Addr, server: Ipv4Addr, inner_src: Ipv4Addr, inner_dst: Ipv4Addr },
    /// A deleted real server left the trash.
    IpvsTrashFreed "ipvs.trash_freed" { server: Ipv4Addr, port: u16, vip: Ipv4Addr, vport: u16 },
    /// A persistence template re-armed.
    IpvsTemplateRearmed "ipvs.template_rearmed" {},
    /// A connection entry or template expired.
    IpvsExpired "ipvs.expired" {
        template: bool, client: Ipv4Addr, cport: u16, vip: Ipv4Addr, vport: u16,
        server: Ipv4Addr, port: u16, state: &'static str,
    },

    // ----- neighbour and ARP -----
    /// Next hop not resolved: packet queued.
    NeighQueued "neigh.queue" { nexthop: Ipv4Addr, solicit: bool },
    /// The neighbour queue is full.
    NeighQueueFull "neigh.queue_full" { nexthop: Ipv4Addr },
    /// Next hop resolved: Ethernet header filled.
    NeighResolved "neigh.resolved" { nexthop: Ipv4Addr, src: MacAddr, dst: MacAddr },
    /// A who-has sent.
    NeighSolicit "neigh.solicit" { broadcast: bool, target: Ipv4Addr, sip: Ipv4Addr, arp_announce: u8, from_queued: bool },
    /// Resolution failed.
    NeighFailed "neigh.failed" { ip: Ipv4Addr, probes: u8, src: Ipv4Addr },
    /// An arptables OUTPUT rule changed the sender IP.
    ArptablesMangle "arptables.mangle" { rule: usize, before: Ipv4Addr, after: Ipv4Addr },
    /// An arptables rule dropped the frame (`input`: INPUT chain, else OUTPUT).
    ArptablesDrop "arptables.drop" { input: bool, rule: usize },
    /// ARP ignored the packet.
    ArpIgnored "arp.ignored" { detail: &'static str },
    /// A who-has for our address not answered.
    ArpRefused "arp.refused" { target: Ipv4Addr, sysctl: &'static str, value: u8, detail: &'static str },
    /// A who-has answered.
    ArpReply "arp.reply" {
        target: Ipv4Addr, mac: MacAddr, arp_ignore: u8, scope: ArpScope,
        iface: If, other_iface: Option<If>, other_arp_ignore: u8,
    },
    /// No entry for the sender and `arp_accept` does not make one.
    ArpNotCached "arp.not_cached" { sip: Ipv4Addr, refused: Option<SourceCheck>, arp_accept: u8 },
    /// A neighbour update changed nothing.
    ArpKept "arp.kept" { what: ArpHeard, ip: Ipv4Addr, detail: &'static str, mac: MacAddr, state: &'static str },
    /// A neighbour entry changed (`released` queued packets sent).
    ArpCache "arp.cache" { ip: Ipv4Addr, mac: MacAddr, state: &'static str, what: ArpHeard, released: usize },

    // ----- TCP -----
    /// A SYN for a listener: a new socket.
    TcpSynListener "tcp.syn_listener" { port: u16, local: Ipv4Addr, remote: Ipv4Addr, rport: u16 },
    /// No socket for the port.
    TcpNoSocket "tcp.no_socket" { addr: Ipv4Addr, port: u16, rst: bool },
    /// Connection reset by the peer.
    TcpReset "tcp.reset" { addr: Ipv4Addr, port: u16 },
    /// SYN-ACK: the connection is established.
    TcpEstablished "tcp.established" { after: SimDuration, request: u32 },
    /// A response received, another request follows.
    TcpResponseNext "tcp.response_next" { ack: Ack, left: u16 },
    /// The last response received: closing.
    TcpResponseClose "tcp.response_close" { latency: SimDuration, ack: Ack },
    /// Part of a response.
    TcpResponsePart "tcp.response_part" { len: u32, ack: Ack },
    /// The server's FIN.
    TcpServerFin "tcp.server_fin" {},
    /// Data for the server (not a whole request yet, or no response).
    TcpServerData "tcp.server_data" { dup: bool, pushed: bool, len: u32, port: u16, ack: Ack },
    /// A whole request for the server: a response follows.
    TcpServerRequest "tcp.server_request" { dup: bool, pushed: bool, len: u32, port: u16, ack: Ack, response: u32 },
    /// The handshake's ACK.
    TcpHandshakeAck "tcp.handshake_ack" {},
    /// The client's FIN.
    TcpClientFin "tcp.client_fin" {},
    /// The last ACK: socket closed.
    TcpLastAck "tcp.last_ack" {},
    /// A plain ACK.
    TcpAck "tcp.ack" {},
    /// A segment that does not fit the socket state.
    TcpBadState "tcp.bad_state" { flags: TcpFlags, state: &'static str },
    /// The delayed-ACK timer fired.
    TcpDelayedAck "tcp.delayed_ack" { local: Ipv4Addr, lport: u16, remote: Ipv4Addr, rport: u16, ato: SimDuration, pingpong: bool },
    /// connect() timed out.
    TcpConnectTimeout "tcp.connect_timeout" { addr: Ipv4Addr, port: u16, retries: u32 },
    /// SYN retransmitted.
    TcpSynRetry "tcp.syn_retry" { addr: Ipv4Addr, port: u16, attempt: u32 },
    /// The request timed out.
    TcpRequestTimeout "tcp.request_timeout" { addr: Ipv4Addr, port: u16, retries: u32 },
    /// The request retransmitted.
    TcpRequestRetry "tcp.request_retry" { addr: Ipv4Addr, port: u16, attempt: u32, mss: u32 },
    /// A request already queued for a worker.
    TcpRequestQueued "tcp.request_queued" { ack: Ack },
    /// A request for the server: taken by a worker or queued.
    TcpRequestAdmit "tcp.request_admit" { port: u16, started: bool, ack: Ack },
    /// The server's queue was full: RST.
    TcpListenOverflow "tcp.listen_overflow" {},

    // ----- UDP -----
    /// A request for a UDP server.
    UdpRequest "udp.request" { port: u16, response: u32, addr: Ipv4Addr },
    /// A UDP reply.
    UdpReply "udp.reply" { latency: SimDuration },
    /// No UDP socket.
    UdpNoSocket "udp.no_socket" { port: u16, src: Ipv4Addr },
    /// The server's queue was full.
    UdpListenOverflow "udp.listen_overflow" {},
    /// A UDP request queued.
    UdpQueued "udp.queued" {},

    // ----- ICMP -----
    /// An echo request answered.
    IcmpEcho "icmp.echo" {},
    /// Fragmentation needed: path MTU lowered.
    IcmpFragNeeded "icmp.frag_needed" { dst: Ipv4Addr, port: u16, mtu: u32, old_mss: u32, mss: u32, resend: bool },
    /// An ICMP error fails a connect.
    IcmpConnectFails "icmp.connect_fails" { dst: Ipv4Addr, port: u16, failure: &'static str },
    /// An ICMP error noted as a soft error.
    IcmpSoftError "icmp.soft_error" { dst: Ipv4Addr, port: u16 },
    /// An ICMP error fails a UDP request.
    IcmpUdpFailed "icmp.udp_failed" { dst: Ipv4Addr, port: u16 },
    /// An ICMP error with no socket.
    IcmpNoSocket "icmp.no_socket" {},
    /// An echo reply with no ping running.
    IcmpEchoReply "icmp.echo_reply" {},

    // ----- applications -----
    /// A worker reads a queued request.
    AppRead "app.read" { addr: Ipv4Addr, port: u16, read: ReadAck },
    /// A client connects.
    AppConnect "app.connect" { dst: Ipv4Addr, dport: u16, local: Ipv4Addr, port: u16 },
    /// A client sends a UDP request.
    AppUdp "app.udp" { dst: Ipv4Addr, dport: u16, port: u16 },
    /// A request served.
    AppServed "app.served" { response: u32 },

    // ----- faults (engine/fault.rs) -----
    /// The machine is down: a frame that reaches it, or one it held, is lost. `state`:
    /// `crashed`, `off` or `booting`.
    HostDown "drop.host_down" { state: &'static str },
    /// netem on the sending device lost the frame (`loss_ppm` in a million).
    NetemLoss "drop.netem_loss" { iface: If, loss_ppm: u32 },
    /// The machine went down (`cmd`): `sockets` connections and `packets` held packets lost.
    HostStopped "host.down" { cmd: Arc<str>, sockets: u32, packets: u32 },
    /// The machine is up again, `after` going down, with only its `run:` configuration.
    HostBooted "host.up" { after: SimDuration },
    /// `systemctl stop|start|restart UNIT`: the server on `port` was and is listening or not;
    /// `open` connections it had accepted go on.
    ServiceState "app.service" { cmd: Arc<str>, port: u16, was_running: bool, running: bool, open: u32 },

    // ----- VRRP (engine/vrrp.rs) -----
    /// A multicast packet for a group not joined on that interface (`ip_check_mc_rcu`).
    McastNotJoined "drop.mcast_not_joined" { group: Ipv4Addr, iface: If },
    /// An IP protocol no socket takes here.
    UnknownProtocol "drop.unknown_protocol" { protocol: u8 },
    /// A VRRP instance changed state (`from`, `to`: INIT, BACKUP, MASTER) because of
    /// `reason` (`init`, `owner`, `master_down`, `higher_priority`); a backup waits `wait`
    /// for the master's advertisements.
    VrrpState "vrrp.state" { vrid: u8, priority: u8, from: &'static str, to: &'static str, reason: &'static str, wait: SimDuration },
    /// A VRRP advertisement sent (priority 0: leaving).
    VrrpAdvert "vrrp.advert" { vrid: u8, priority: u8 },
    /// A VRRP advertisement heard, and what the instance (priority `own`) does about it:
    /// `reset_timer`, `preempt`, `master_leaving`, `answer`, `yield`, `ignore_lower`,
    /// `other_vrid`.
    VrrpRecv "vrrp.recv" { vrid: u8, priority: u8, own: u8, action: &'static str },
    /// A new master's gratuitous ARP for `vip`.
    VrrpGarp "vrrp.garp" { vip: Ipv4Addr },
    /// The IPVS master sync daemon sent a message with `conns` entries.
    SyncSent "ipvs.sync_sent" { conns: u32 },
    /// A backup sync daemon applied a message: entries created, updated, and skipped (no
    /// such service or server here).
    SyncRecv "ipvs.sync_recv" { created: u32, updated: u32, skipped: u32 },

    // ----- commands -----
    /// A timed command ran.
    Command "command" { cmd: Arc<str> },
    /// A timed command failed.
    CommandFailed "command.failed" { cmd: Arc<str>, expected: Arc<str>, found: Arc<str> },

    // ----- keepalived -----
    /// keepalived's checker starts a check of a real server: a connect (`TCP_CHECK`,
    /// `HTTP_GET`) or its script (`MISC_CHECK`); `retry` of `retries` (0: the first try).
    KaCheck "keepalived.check" { check: &'static str, addr: Ipv4Addr, port: u16, retry: u32, retries: u32 },
    /// A check succeeded (SYN-ACK, the HTTP status expected, the script's exit status 0).
    KaCheckOk "keepalived.check_ok" { check: &'static str, addr: Ipv4Addr, port: u16 },
    /// A check failed; `cause`: `timeout` (no answer within `timeout`, the checker's
    /// connect_timeout), `rst`, `status` (HTTP status other than `status`) or `script`.
    KaCheckFailed "keepalived.check_failed" {
        check: &'static str,
        addr: Ipv4Addr,
        port: u16,
        cause: &'static str,
        timeout: SimDuration,
        status: u32,
        retry: u32,
        retries: u32,
    },
    /// keepalived changes IPVS as this ipvsadm command would; `change`: `start` (its
    /// configuration installed), `down`, `up` (a real server), `sorry_on`, `sorry_off`.
    KaIpvsadm "keepalived.ipvsadm" { cmd: Arc<str>, change: &'static str, addr: Ipv4Addr, port: u16 },
}

/// Where a [`Why`] is rendered: the names, and the host of the step.
pub struct Ctx<'a> {
    pub names: &'a dyn Namer,
    pub host: HostId,
}

impl Ctx<'_> {
    fn iface(&self, i: If) -> &str {
        self.names.iface(self.host, Some(i.0))
    }
    fn host(&self) -> &str {
        self.names.host(self.host)
    }
    /// A MAC with its owner, in `lang`.
    fn mac(&self, m: MacAddr, lang: Lang) -> MacName<'_> {
        MacName::new(self.names, m, lang)
    }
}

impl Why {
    /// The sentence, in `lang`, for a step on `host`.
    pub fn render(&self, names: &dyn Namer, host: HostId, lang: Lang) -> String {
        let c = Ctx { names, host };
        let mut s = String::with_capacity(96);
        match lang {
            Lang::En => self.write_en(&c, &mut s),
            Lang::Zh => zh::write(self, &c, &mut s),
        }
        s
    }

    /// The field `name`, if this variant has it.
    pub fn field(&self, name: &str) -> Option<Value<'_>> {
        let mut found = None;
        self.fields(&mut |n, v| {
            if n == name {
                found = Some(v);
            }
        });
        found
    }

    /// The field names of the variant with `key` (`None`: no such key).
    pub fn field_names(key: &str) -> Option<&'static [&'static str]> {
        Why::KEYS.iter().find(|(k, _)| *k == key).map(|(_, f)| *f)
    }
}

impl Ack {
    fn write_en(&self, s: &mut String) {
        let _ = match *self {
            Ack::Quick { more } => write!(s, "ACK at once (quick ACK mode, {more} more quick ACKs)"),
            Ack::TimerDue => write!(s, "ACK at once (the delayed-ACK timer was due)"),
            Ack::Read(r) => write!(s, "{}", r.en()),
            Ack::Delayed { pingpong, carrier, timer } => {
                let why = if pingpong { "interactive socket (pingpong): ACK delayed" } else { "ACK delayed" };
                match carrier {
                    Some(c) => write!(s, "{why}, {c} carries it"),
                    None => write!(s, "{why} (timer {timer})"),
                }
            }
        };
    }
}

impl ReadAck {
    const fn en(self) -> &'static str {
        match self {
            ReadAck::MoreThanOneMss => "ACK as the application reads it (more than one MSS unacknowledged)",
            ReadAck::Pushed => "ACK as the application reads it (end of a write, socket not interactive)",
        }
    }
}

impl Why {
    fn write_en(&self, c: &Ctx<'_>, s: &mut String) {
        let _ = match self {
            Why::IfaceDown { iface } => write!(s, "drop: {} is down", c.iface(*iface)),
            Why::OtherHost { dst, mac } => {
                let (dst, mac) = (c.mac(*dst, Lang::En), c.mac(*mac, Lang::En));
                write!(s, "drop: eth.dst {dst} is not this interface's MAC {mac} (PACKET_OTHERHOST)")
            }
            Why::L2Recv { broadcast, iface } => {
                write!(s, "l2: {} frame for {}", if *broadcast { "broadcast" } else { "unicast" }, c.iface(*iface))
            }
            Why::NotPlugged {} => write!(s, "drop: interface is not plugged into a segment"),
            Why::LinkSend { segment } => write!(s, "link: onto segment {}", c.names.segment(segment.0)),
            Why::TxQueueFull {} => write!(s, "drop: link queue full (tail drop)"),
            Why::BacklogFull { queued, backlog } => {
                write!(s, "drop: CPU backlog full ({queued} frames waiting, netdev_max_backlog={backlog})")
            }
            Why::HookDrop { hook, rule } => write!(s, "drop: {hook} rule {rule}"),
            Why::MarkSet { old, new, rule } => write!(s, "mangle: skb->mark {old:#x} → {new:#x} by rule {rule}"),
            Why::IpForwardOff { dst } => write!(
                s,
                "drop: {dst} is not a local address and ip_forward=0 on {} (the host does not route)",
                c.host()
            ),
            Why::Martian { src } => {
                write!(s, "drop: martian source: {src} is this host's own address (accept_local=0)")
            }
            Why::RpFilter { mode, src, iface } => {
                write!(s, "drop: rp_filter={mode}: the route back to {src} does not use {}", c.iface(*iface))
            }
            Why::RouteLocal { dst, iface } => write!(s, "route: {dst} is local (on {}) → INPUT", c.iface(*iface)),
            Why::NoRoute { dst, src } => write!(s, "drop: no route to {dst}; ICMP network unreachable to {src}"),
            Why::RouteForward { dst, via, dev } => {
                let _ = write!(s, "route: forward {dst} ");
                let _ = match via {
                    Some(v) => write!(s, "via {v}"),
                    None => write!(s, "directly"),
                };
                write!(s, " dev {} → FORWARD", c.iface(*dev))
            }
            Why::TtlExceeded { src } => write!(s, "drop: TTL exceeded; ICMP time exceeded to {src}"),
            Why::FragNeeded { size, mtu, src } => {
                write!(s, "drop: {size} bytes with DF > MTU {mtu}; ICMP fragmentation needed (mtu {mtu}) to {src}")
            }
            Why::Forward { ttl, oif, nexthop } => {
                write!(s, "forward: ttl {} → {ttl}, out {} to next hop {nexthop}", u16::from(*ttl) + 1, c.iface(*oif))
            }
            Why::RouteLo { dst } => write!(s, "route: {dst} is local: delivered over lo"),
            Why::RouteUnreachable { dst } => write!(s, "route: no route to {dst} (ENETUNREACH)"),
            Why::RouteOutput { dst, nexthop, dev } => write!(s, "route: {dst} via {nexthop} dev {}", c.iface(*dev)),
            Why::NoTunl0 { src } => write!(
                s,
                "drop: IPIP (ip.proto 4) but no tunl0 (ipip module not loaded); ICMP protocol unreachable to {src}"
            ),
            Why::Tunl0Down { src } => {
                write!(s, "drop: IPIP packet but tunl0 is down; ICMP port unreachable to {src}")
            }
            Why::IpipDecap { outer_src, outer_dst } => write!(
                s,
                "ipip: decapsulated on tunl0 (outer {outer_src} > {outer_dst} removed); inner packet re-enters PREROUTING"
            ),
            Why::IpvsExpiredAtOnce { client, cport, server, port, state } => write!(
                s,
                "ipvs: old entry {client}:{cport} -> {server}:{port} ({state}) expired at once to let this SYN be scheduled again"
            ),
            Why::IpvsAccept { detail } => write!(s, "ipvs: {detail} → local stack"),
            Why::IpvsNoDest { vip, vport, client } => {
                write!(s, "ipvs: no real server available for {vip}:{vport}; ICMP port unreachable to {client}")
            }
            Why::IpvsDestGone {} => {
                write!(s, "ipvs: the connection's real server was deleted (expire_nodest_conn=0): drop")
            }
            Why::IpvsNatReply { client, cport, server, port, vip, vport, state } => write!(
                s,
                "ipvs: NAT reply of conn {client}:{cport} → source {server}:{port} rewritten to VIP {vip}:{vport} (state {state})"
            ),
            Why::IpvsSchedule { client, cport, vip, vport, sched, template, server, port, weight, fwd } => {
                let _ = write!(s, "ipvs: new conn {client}:{cport} -> {vip}:{vport}, ");
                let _ = if *template {
                    write!(s, "persistence template (scheduler not asked) →")
                } else {
                    write!(s, "{sched} picked")
                };
                write!(s, " {server}:{port} (weight {weight}, {fwd})")
            }
            Why::IpvsExisting { server, port, fwd, state } => {
                write!(s, "ipvs: existing conn → {server}:{port} ({fwd}), state {state}")
            }
            Why::IpvsLocalServer { server } => {
                write!(s, "ipvs: real server {server} is this host itself (local real servers are not simulated)")
            }
            Why::IpvsNoRoute { server } => write!(s, "ipvs: no route to real server {server}"),
            Why::IpvsTtlExceeded { server, src } => {
                write!(s, "ipvs: TTL exceeded on the way to real server {server}; ICMP time exceeded to {src}")
            }
            Why::IpvsFragNeeded { size, mtu, tun, src } => write!(
                s,
                "ipvs: {size} bytes with DF > usable MTU {mtu}{}; ICMP fragmentation needed (mtu {mtu}) to {src}",
                if *tun { " (route MTU − 20 for the IPIP header)" } else { "" }
            ),
            Why::IpvsNat { vip, server, vport, port, nexthop, oif } => write!(
                s,
                "ipvs: NAT (masquerading): ip.dst {vip} → {server}, port {vport} → {port}; ttl−1; re-routed via {nexthop} dev {}",
                c.iface(*oif)
            ),
            Why::IpvsDrOffLink { server, nexthop, dst } => write!(
                s,
                "ipvs: DR, but real server {server} is not on a segment of this director: the frame goes to gateway {nexthop} with ip.dst still {dst} — DR needs the real server on a directly connected segment"
            ),
            Why::IpvsDr { dst, server, oif } => write!(
                s,
                "ipvs: DR (gatewaying): IP header unchanged (ip.dst stays {dst}), ttl−1; route to RIP {server} as next hop, dev {}",
                c.iface(*oif)
            ),
            Why::IpvsTun { src, server, inner_src, inner_dst } => write!(
                s,
                "ipvs: TUN (ipip): outer header {src} > {server} added (ip.proto 4, ttl and DF copied), inner {inner_src} > {inner_dst} untouched"
            ),
            Why::IpvsTrashFreed { server, port, vip, vport } => {
                write!(s, "ipvs: deleted real server {server}:{port} of {vip}:{vport} freed from the trash")
            }
            Why::IpvsTemplateRearmed {} => {
                write!(s, "ipvs: persistence template still controls connections: re-armed for 60 s")
            }
            Why::IpvsExpired { template, client, cport, vip, vport, server, port, state } => write!(
                s,
                "ipvs: {} {client}:{cport} -> {vip}:{vport} -> {server}:{port} expired in {state}",
                if *template { "persistence template" } else { "conn" }
            ),
            Why::NeighQueued { nexthop, solicit } => write!(
                s,
                "neigh: {nexthop} not resolved: packet queued{}",
                if *solicit { ", sending who-has" } else { "" }
            ),
            Why::NeighQueueFull { nexthop } => write!(s, "neigh: queue for {nexthop} full: oldest packet dropped"),
            Why::NeighResolved { nexthop, src, dst } => {
                let (src, dst) = (c.mac(*src, Lang::En), c.mac(*dst, Lang::En));
                write!(s, "neigh: next hop {nexthop} is-at {dst}: eth.src {src} eth.dst {dst}")
            }
            Why::NeighSolicit { broadcast, target, sip, arp_announce, from_queued } => write!(
                s,
                "neigh: {} who-has {target} tell {sip} (arp_announce={arp_announce}{})",
                if *broadcast { "broadcast" } else { "unicast probe" },
                if *from_queued { ": sender = queued packet's source" } else { "" }
            ),
            Why::NeighFailed { ip, probes, src } => write!(
                s,
                "neigh: no ARP reply from {ip} after {probes} requests: FAILED; ICMP host unreachable to {src}"
            ),
            Why::ArptablesMangle { rule, before, after } => {
                write!(s, "arptables: OUTPUT rule {rule} mangles the sender IP {before} → {after}")
            }
            Why::ArptablesDrop { input, rule } => {
                write!(s, "arptables: {} rule {rule} drops it", if *input { "INPUT" } else { "OUTPUT" })
            }
            Why::ArpIgnored { detail } => write!(s, "arp: ignored ({detail})"),
            Why::ArpRefused { target, detail, .. } => write!(s, "arp: who-has {target} not answered: {detail}"),
            Why::ArpReply { target, mac, arp_ignore, scope, iface, other_iface, other_arp_ignore } => {
                let mac = c.mac(*mac, Lang::En);
                let _ = write!(
                    s,
                    "arp: {} answers who-has {target}: is-at {mac} (arp_ignore={arp_ignore}{}",
                    c.host(),
                    match scope {
                        ArpScope::ScopeGlobal => {
                            ", the address has scope global (not host), which arp_ignore=3 answers"
                        }
                        ArpScope::OnIface => "",
                        ArpScope::OtherIface => ", address is on another interface: weak host model",
                    }
                );
                if let Some(o) = other_iface {
                    let i = c.iface(*iface);
                    let _ = write!(
                        s,
                        "; {} has arp_ignore={other_arp_ignore}, but only max(all, {i}) counts for a request arriving on {i}",
                        c.iface(*o)
                    );
                }
                write!(s, ")")
            }
            Why::ArpNotCached { sip, refused, arp_accept } => {
                let _ = write!(s, "arp: ");
                if let Some(e) = refused {
                    s.push_str("not answered (");
                    e.write_en(*sip, s);
                    s.push_str("); ");
                }
                write!(s, "no entry for {sip}: nothing cached (arp_accept={arp_accept})")
            }
            Why::ArpKept { what, ip, detail, mac, state } => {
                let mac = c.mac(*mac, Lang::En);
                let _ = write!(s, "arp: ");
                what.write_en(*ip, s);
                write!(s, " from {ip}: {detail} (entry stays {mac} {state})")
            }
            Why::ArpCache { ip, mac, state, what, released } => {
                let mac = c.mac(*mac, Lang::En);
                let _ = write!(s, "arp: cache {ip} → {mac} {state} (");
                what.write_en(*ip, s);
                s.push(')');
                if *released > 0 {
                    let _ = write!(s, "; {released} queued packet(s) released");
                }
                Ok(())
            }
            Why::TcpSynListener { port, local, remote, rport } => write!(
                s,
                "tcp: SYN for listener on port {port}: new socket {local}:{port} ⇄ {remote}:{rport} SYN_RECV, answering SYN-ACK"
            ),
            Why::TcpNoSocket { addr, port, rst } => {
                write!(s, "tcp: no socket for {addr}:{port}{}", if *rst { "" } else { ": answering RST" })
            }
            Why::TcpReset { addr, port } => write!(s, "tcp: connection reset by {addr}:{port}"),
            Why::TcpEstablished { after, request } => write!(
                s,
                "tcp: SYN-ACK: connection ESTABLISHED after {after}; sending ACK and a {request}-byte request"
            ),
            Why::TcpResponseNext { ack, left } => {
                let _ = write!(s, "tcp: response received: ");
                ack.write_en(s);
                write!(s, "; sending the next request ({left} more after it)")
            }
            Why::TcpResponseClose { latency, ack } => {
                let _ = write!(s, "tcp: response received {latency} after the SYN: ");
                ack.write_en(s);
                write!(s, "; closing (FIN)")
            }
            Why::TcpResponsePart { len, ack } => {
                let _ = write!(s, "tcp: {len} bytes of the response: ");
                ack.write_en(s);
                Ok(())
            }
            Why::TcpServerFin {} => write!(s, "tcp: server's FIN: last ACK, socket to TIME_WAIT (not modeled further)"),
            Why::TcpServerData { dup, pushed, len, port, ack } => {
                server_data_en(*dup, *pushed, *len, s);
                let _ = write!(s, " for the server on port {port}: ");
                ack.write_en(s);
                Ok(())
            }
            Why::TcpServerRequest { dup, pushed, len, port, ack, response } => {
                server_data_en(*dup, *pushed, *len, s);
                let _ = write!(s, " for the server on port {port}: ");
                ack.write_en(s);
                write!(s, "; sending a {response}-byte response")
            }
            Why::TcpHandshakeAck {} => write!(s, "tcp: handshake ACK: ESTABLISHED"),
            Why::TcpClientFin {} => write!(
                s,
                "tcp: client's FIN: CLOSE_WAIT delays the ACK, the server closes at once and its FIN carries it (LAST_ACK)"
            ),
            Why::TcpLastAck {} => write!(s, "tcp: last ACK: socket closed"),
            Why::TcpAck {} => write!(s, "tcp: ACK"),
            Why::TcpBadState { flags, state } => {
                write!(s, "tcp: segment [{flags}] does not fit socket state {state}: ignored")
            }
            Why::TcpDelayedAck { local, lport, remote, rport, ato, pingpong } => write!(
                s,
                "tcp: delayed-ACK timer of {local}:{lport} ⇄ {remote}:{rport} ({ato} after the data): sending the ACK{}",
                if *pingpong { " and leaving pingpong mode" } else { "" }
            ),
            Why::TcpConnectTimeout { addr, port, retries } => {
                write!(s, "tcp: connect to {addr}:{port} timed out after {retries} SYN retransmissions")
            }
            Why::TcpSynRetry { addr, port, attempt } => {
                write!(s, "tcp: no SYN-ACK from {addr}:{port}: retransmitting SYN (try {attempt})")
            }
            Why::TcpRequestTimeout { addr, port, retries } => write!(
                s,
                "tcp: no answer from {addr}:{port} after {retries} retransmissions of the request: connection timed out"
            ),
            Why::TcpRequestRetry { addr, port, attempt, mss } => write!(
                s,
                "tcp: no answer to the request from {addr}:{port}: retransmitting it (try {attempt}, mss {mss})"
            ),
            Why::TcpRequestQueued { ack } => {
                let _ = write!(s, "tcp: request already queued: ");
                ack.write_en(s);
                Ok(())
            }
            Why::TcpRequestAdmit { port, started, ack } => {
                let _ = write!(
                    s,
                    "tcp: request for the server on port {port}: {}; ",
                    if *started { "a worker takes it" } else { "queued for a worker" }
                );
                ack.write_en(s);
                Ok(())
            }
            Why::TcpListenOverflow {} => {
                write!(s, "tcp: server queue full (workers busy, queue at its limit): answering RST")
            }
            Why::UdpRequest { port, response, addr } => {
                write!(s, "udp: request for the server on port {port}: reply of {response} bytes from {addr}")
            }
            Why::UdpReply { latency } => write!(s, "udp: reply {latency} after the request"),
            Why::UdpNoSocket { port, src } => {
                write!(s, "udp: no socket on port {port}: ICMP port unreachable to {src}")
            }
            Why::UdpListenOverflow {} => write!(s, "udp: server queue full: request dropped"),
            Why::UdpQueued {} => write!(s, "udp: request queued for a worker"),
            Why::IcmpEcho {} => write!(s, "icmp: echo request: answering"),
            Why::IcmpFragNeeded { dst, port, mtu, old_mss, mss, resend } => write!(
                s,
                "icmp: fragmentation needed for {dst}:{port}: path MTU {mtu}, MSS {old_mss} → {mss}{}",
                if *resend { "; resending the request" } else { "" }
            ),
            Why::IcmpConnectFails { dst, port, failure } => {
                write!(s, "icmp: error for connection to {dst}:{port}: connect fails ({failure})")
            }
            Why::IcmpSoftError { dst, port } => {
                write!(s, "icmp: error for connection to {dst}:{port} noted (soft error)")
            }
            Why::IcmpUdpFailed { dst, port } => {
                write!(s, "icmp: error for UDP request to {dst}:{port}: request failed")
            }
            Why::IcmpNoSocket {} => write!(s, "icmp: error about a packet with no matching socket: ignored"),
            Why::IcmpEchoReply {} => write!(s, "icmp: echo reply (no ping running)"),
            Why::AppRead { addr, port, read } => {
                write!(s, "app: a worker reads the request from {addr}:{port}: {}", read.en())
            }
            Why::AppConnect { dst, dport, local, port } => {
                write!(s, "app: connect({dst}:{dport}) from {local}:{port}: sending SYN")
            }
            Why::AppUdp { dst, dport, port } => write!(s, "app: UDP request to {dst}:{dport} from port {port}"),
            Why::AppServed { response } => write!(s, "app: request served: sending a {response}-byte response"),
            Why::HostDown { state } => write!(s, "drop: the machine is down ({state}): everything sent to it is lost"),
            Why::NetemLoss { iface, loss_ppm } => write!(
                s,
                "drop: netem on {} loses {} of the frames it sends: this one",
                c.iface(*iface),
                crate::cmdline::fault::percent(*loss_ppm)
            ),
            Why::HostStopped { cmd, sockets, packets } => write!(
                s,
                "{cmd}: the machine is down: {sockets} sockets closed without a word, {packets} waiting packets lost; it answers nothing now"
            ),
            Why::HostBooted { after } => write!(
                s,
                "the machine is up again after {after}: only its run: configuration, an empty ARP cache, no connections; its servers listen again"
            ),
            Why::ServiceState { cmd, port, was_running, running, open } => match (was_running, running) {
                (true, false) => write!(
                    s,
                    "{cmd}: port {port} closed: a new connection gets RST; the {open} already accepted are served to their end"
                ),
                (false, true) => write!(s, "{cmd}: listening on port {port} again"),
                (true, true) => write!(s, "{cmd}: listening on port {port} ({open} open connections go on)"),
                (false, false) => write!(s, "{cmd}: not running: nothing to stop"),
            },
            Why::McastNotJoined { group, iface } => {
                write!(s, "drop: multicast to {group}: no member of the group on {}", c.iface(*iface))
            }
            Why::UnknownProtocol { protocol } => write!(s, "drop: no socket for IP protocol {protocol}"),
            Why::VrrpState { vrid, priority, from, to, reason, wait } => {
                let _ = write!(s, "vrrp: VRID {vrid} (priority {priority}) {from} → {to}");
                match *reason {
                    "init" => {
                        write!(s, ": Entering BACKUP STATE (init); master down after {wait} without an advertisement")
                    }
                    "owner" => write!(s, ": priority 255 owns the addresses: MASTER at once"),
                    "master_down" => write!(s, ": no advertisement for the master-down interval: taking the addresses"),
                    _ => write!(s, ": a higher priority is master; waiting {wait}"),
                }
            }
            Why::VrrpAdvert { vrid, priority: 0 } => {
                write!(s, "vrrp: VRID {vrid} advertisement with priority 0: the master is leaving")
            }
            Why::VrrpAdvert { vrid, priority } => {
                write!(s, "vrrp: VRID {vrid} advertisement, priority {priority}, to 224.0.0.18")
            }
            Why::VrrpRecv { vrid, priority, own, action } => {
                let _ = write!(s, "vrrp: VRID {vrid} advertisement with priority {priority} (ours {own}): ");
                let what = match *action {
                    "reset_timer" => "a master is alive: master-down timer restarted",
                    "preempt" => "lower than ours, and preempt: ignored, we will take over",
                    "master_leaving" => "the master is leaving: taking over after the skew time",
                    "answer" => "a master leaving: we answer with our own",
                    "yield" => "higher than ours: becoming backup",
                    "ignore_lower" => "lower than ours: ignored",
                    _ => "another virtual router: ignored",
                };
                write!(s, "{what}")
            }
            Why::VrrpGarp { vip } => write!(s, "vrrp: gratuitous ARP: {vip} is at this interface's MAC"),
            Why::SyncSent { conns } => {
                write!(s, "ipvs: sync daemon (master) sends {conns} connection entries to 224.0.0.81:8848")
            }
            Why::SyncRecv { created, updated, skipped } => write!(
                s,
                "ipvs: sync daemon (backup): {created} entries created, {updated} updated, {skipped} skipped (no such service or server here)"
            ),
            Why::Command { cmd } => write!(s, "command: {cmd}"),
            Why::KaCheck { check, addr, port, retry, retries } => {
                let what = if *check == "MISC_CHECK" { "running its script" } else { "connecting" };
                write!(s, "keepalived: {check} {addr}:{port}: {what} (retry {retry}/{retries})")
            }
            Why::KaCheckOk { check, addr, port } => write!(s, "keepalived: {check} {addr}:{port} succeeded"),
            Why::KaCheckFailed { check, addr, port, cause, timeout, status, retry, retries } => {
                let cause = match *cause {
                    "timeout" => format!("connect timeout {timeout}"),
                    "rst" => "connection refused (RST)".to_string(),
                    "unreachable" => "network unreachable".to_string(),
                    "status" => format!("HTTP status 200, expected {status}"),
                    _ => "script exited with status 1".to_string(),
                };
                write!(s, "keepalived: {check} {addr}:{port}: {cause}, retry {retry}/{retries}")
            }
            Why::KaIpvsadm { cmd, change, addr, port } => match *change {
                "start" => write!(s, "keepalived: installing its configuration: {cmd}"),
                "down" => write!(s, "keepalived: real server {addr}:{port} is down: {cmd}"),
                "up" => write!(s, "keepalived: real server {addr}:{port} is up again: {cmd}"),
                "sorry_on" => write!(s, "keepalived: no real server left up, sorry server {addr}:{port} in: {cmd}"),
                "stop" => write!(s, "keepalived: stopping, releasing its virtual server {addr}:{port}: {cmd}"),
                _ => write!(s, "keepalived: real servers back, sorry server {addr}:{port} out: {cmd}"),
            },
            Why::CommandFailed { cmd, expected, found } => {
                write!(s, "command failed: {cmd}: expected {expected}, found {found}")
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::VecRecorder;
    use std::cell::RefCell;
    use std::rc::Rc;

    // Keys are what filters, scenarios and exercises name: each must be unique and
    // lowercase dotted/snake_case, or two kinds of decision could not be told apart.
    #[test]
    fn keys_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for (k, fields) in Why::KEYS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_'), "{k}");
            let mut names = std::collections::HashSet::new();
            assert!(fields.iter().all(|f| names.insert(*f)), "{k}: a field twice");
        }
    }

    // Over every step of every embedded scenario: the key and the field names a step
    // reports are those the table of keys lists (so `why.FIELD` validation and
    // did-you-mean see exactly what steps carry), and the Chinese sentence is not the
    // English one (every kind of reason that occurs has its own Chinese rendering).
    #[test]
    fn steps_agree_with_the_key_table_and_render_in_both_languages() {
        for (name, _) in crate::scenario::EMBEDDED {
            let l = crate::scenario::load(name).unwrap();
            let mut e = l.build().unwrap();
            let rec = Rc::new(RefCell::new(VecRecorder::default()));
            e.set_recorder(Box::new(rec.clone()));
            e.run();
            let names = e.names();
            for s in &rec.borrow().steps {
                let listed = Why::field_names(s.why.key()).expect("key listed");
                let mut got = Vec::new();
                s.why.fields(&mut |n, _| got.push(n));
                assert_eq!(got, listed, "{name}: {}", s.why.key());
                let (en, zh) = (s.reason(&names, Lang::En), s.reason(&names, Lang::Zh));
                assert_ne!(en, zh, "{name}: {} has no Chinese sentence", s.why.key());
            }
        }
    }
}
