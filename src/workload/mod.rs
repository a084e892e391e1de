//! Client and server applications and the small TCP/UDP socket layer they sit on.
//!
//! Clients open TCP connections to a virtual service (SYN, SYN-ACK, ACK, request,
//! response, FIN both ways, so IPVS sees every state change) or send UDP requests; servers
//! answer. The TCP model keeps real sequence numbers and flags and retransmits SYNs
//! (1 s, doubling, `tcp_syn_retries`=6); it does not model loss recovery of data, windows
//! or congestion control. Applications never know the forwarding mode.

pub mod arrival;

pub use arrival::Arrival;

use crate::ipvs::Proto;
use crate::sim::SimTime;
use crate::topology::HostId;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::net::Ipv4Addr;

pub type AppId = u32;

/// `net.ipv4.tcp_syn_retries`.
pub const TCP_SYN_RETRIES: u8 = 6;
/// Initial retransmission timeout (`TCP_TIMEOUT_INIT`, 1 s).
pub const TCP_RTO_INIT_NS: u64 = 1_000_000_000;
/// `TCP_RTO_MIN` (200 ms): the retransmission timeout of data on a short path.
pub const TCP_RTO_MIN_NS: u64 = 200_000_000;
/// `net.ipv4.tcp_retries2`: retransmissions of data before giving up.
pub const TCP_RETRIES2: u8 = 15;
/// `TCP_RTO_MAX` (120 s).
pub const TCP_RTO_MAX_NS: u64 = 120_000_000_000;
/// MSS on a 1500-byte MTU (1500 − 20 − 20).
pub const DEFAULT_MSS: u16 = 1460;
/// First ephemeral port (`net.ipv4.ip_local_port_range` = 32768 60999).
pub const EPHEMERAL_LOW: u16 = 32768;
pub const EPHEMERAL_HIGH: u16 = 60999;

/// A client: opens connections (TCP) or sends requests (UDP) to `dst`.
#[derive(Clone, Debug)]
pub struct Client {
    pub host: HostId,
    pub proto: Proto,
    pub dst: (Ipv4Addr, u16),
    pub arrival: Arrival,
    /// How many connections/requests in all (`None`: until the run ends).
    pub count: Option<u64>,
    pub request: u16,
    pub rng: ChaCha8Rng,
    /// Connections/requests started so far.
    pub started: u64,
    /// Next ephemeral port.
    pub next_port: u16,
    /// UDP: the source ports used in turn (the "flows"); empty for TCP.
    pub flows: Vec<u16>,
    /// UDP: send times of requests awaiting a reply, per flow.
    pub outstanding: Vec<VecDeque<SimTime>>,
    /// Index into `Metrics::clients`.
    pub stats: usize,
    pub start: SimTime,
}

/// A server: answers requests on a port (any local address).
#[derive(Clone, Debug)]
pub struct Server {
    pub host: HostId,
    pub proto: Proto,
    pub port: u16,
    pub response: u16,
    /// Index into `Metrics::served`.
    pub stats: usize,
}

#[derive(Clone, Debug)]
pub enum App {
    Client(Client),
    Server(Server),
}

/// TCP socket states we model (`tcp_states.h` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    SynSent,
    SynRecv,
    Established,
    FinWait1,
    LastAck,
}

/// A TCP control block.
#[derive(Clone, Copy, Debug)]
pub struct Tcb {
    pub host: HostId,
    pub app: AppId,
    pub local: (Ipv4Addr, u16),
    pub remote: (Ipv4Addr, u16),
    pub state: TcpState,
    pub iss: u32,
    pub snd_nxt: u32,
    pub rcv_nxt: u32,
    pub started: SimTime,
    pub retries: u8,
    pub generation: u32,
    /// Maximum segment size: 1460 on a 1500-byte path, lowered by ICMP fragmentation needed.
    pub mss: u16,
    /// First sequence number of the request (client side), for retransmission.
    pub req_seq: u32,
    pub is_client: bool,
}

/// Key of a connected socket: (protocol, local address, local port, remote address, remote port).
pub type SockKey = (u8, Ipv4Addr, u16, Ipv4Addr, u16);

/// One host's sockets.
#[derive(Clone, Debug, Default)]
pub struct Sockets {
    /// (protocol, port, app): bound to 0.0.0.0.
    pub listeners: Vec<(Proto, u16, AppId)>,
    /// Connected TCP sockets → index in the engine's TCB slab.
    pub tcp: FxHashMap<SockKey, u32>,
    /// UDP ports bound by clients → app.
    pub udp: FxHashMap<u16, AppId>,
    /// Learned path MTUs (the route exceptions ICMP fragmentation needed creates; the
    /// kernel expires them after 10 minutes, lvsim keeps them for the run).
    pub pmtu: FxHashMap<std::net::Ipv4Addr, u16>,
}

impl Sockets {
    pub fn listener(&self, proto: Proto, port: u16) -> Option<AppId> {
        self.listeners.iter().find(|(p, l, _)| *p == proto && *l == port).map(|(_, _, a)| *a)
    }
}
