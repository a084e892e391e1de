//! Client and server applications and the small TCP/UDP socket layer they sit on.
//!
//! Clients open TCP connections to a virtual service (SYN, SYN-ACK, ACK, request,
//! response, FIN both ways, so IPVS sees every state change) or send UDP requests; servers
//! answer. The TCP model keeps real sequence numbers and flags, moves through its states
//! as [`tcp::on_segment`] decides, acknowledges data as Linux does (quick ACKs on a new
//! connection, delayed ACKs on an interactive one: [`ack`]) and retransmits SYNs (1 s,
//! doubling, `tcp_syn_retries`=6); it does not model loss recovery of data, windows or
//! congestion control. Applications never know the forwarding mode.

pub mod ack;
pub mod arrival;
pub mod dist;
pub mod tcp;

pub use arrival::Arrival;
pub use dist::Dist;

use crate::packet::Proto;
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
    /// Closed loop: this many users, each starting its next connection a `think` time
    /// after the previous one ended (`None`: open loop, one start per `arrival` gap).
    pub users: Option<u32>,
    /// Closed loop: the pause between a user's connections (ns).
    pub think: Dist,
    /// Request size in bytes when drawn per connection (`None`: always `request`).
    pub request_size: Option<Dist>,
    /// Requests per TCP connection (`None`: one).
    pub requests: Option<Dist>,
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
    /// Response size in bytes when drawn per request (`None`: always `response`).
    pub response_size: Option<Dist>,
    /// Service time, concurrency and queue (`None`: answers at once, unlimited).
    pub service: Option<Service>,
    pub rng: ChaCha8Rng,
    /// The unit name `systemctl` knows it by.
    pub name: String,
}

/// A server's capacity: each request takes a service time; at most `workers` are served
/// at once and at most `queue` wait (`net.core.somaxconn`-like); more are refused.
#[derive(Debug, Clone)]
pub struct Service {
    /// Service time in ns.
    pub time: Dist,
    pub workers: u32,
    pub queue: u32,
    pub busy: u32,
    pub waiting: VecDeque<Job>,
}

/// `net.core.somaxconn` (4096 since Linux 5.4).
pub const SOMAXCONN: u32 = 4096;

/// A request a server has accepted and will answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// Answer on this TCP socket (if it still has this generation).
    Tcp { tcb: u32, generation: u32 },
    /// Answer this UDP request: (local address, port) → (remote address, port).
    Udp { local: (Ipv4Addr, u16), remote: (Ipv4Addr, u16) },
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
    /// First sequence number of the request: client, the one it sends (for
    /// retransmission); server, the one it is receiving.
    pub req_seq: u32,
    pub is_client: bool,
    /// Client: this connection's request size. Server: a request is being served.
    pub req_len: u16,
    /// Client: requests still to send after the current one.
    pub left: u16,
    /// When this socket acknowledges what it receives (quick, delayed, pingpong).
    pub ack: ack::Ack,
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
