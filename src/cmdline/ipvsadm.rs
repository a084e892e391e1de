//! `ipvsadm` command lines (ipvsadm 1.31 syntax) parsed into [`IpvsadmCmd`].
//!
//! The rules follow `ipvsadm.c` (spec, sections d.1 and d.2):
//! * the command option comes first (`-A`, `-E`, `-D`, `-C`, `-a`, `-e`, `-d`, `--set`), then
//!   its options in any order; each option at most once; long forms (`--weight 3`,
//!   `--weight=3`) and bundled short ones (`-At VIP:80`, `-w3`) work as with popt;
//! * defaults: scheduler wlc, forwarding `-g`, weight 1, netmask 255.255.255.255, `-p` alone
//!   360 s (the next word is the timeout only if it is a number), thresholds 0;
//! * `-b` flags are checked after all options, against the final scheduler;
//! * for `-g`/`-i` the server port is the service port; without a port in `-r` the service port
//!   is used; `-m` keeps a given port;
//! * a port-0 service must be persistent; `-o` only for UDP and fwmark services;
//! * `-f MARK` names a firewall-mark service (`parse_fwmark`: 1 to 4294967295): address
//!   0.0.0.0, port 0, so `-g`/`-i` servers get port 0 (the packet's port is used).
//!
//! Listing commands (`-L`, `-l`, `-S`, `-Z`), SCTP services, IPv6, persistence engines,
//! GUE/GRE tunnels and the sync daemon are refused with a hint. Addresses and ports must be
//! numeric: lvsim resolves no names.

use std::fmt;
use std::net::Ipv4Addr;
use std::ops::{Range, RangeInclusive};
use std::str::FromStr;

use super::lex::{CmdError, closest, did_you_mean, parse_ipv4, sub_span};

/// ipvsadm's upper bound for timeouts (`MAX_TIMEOUT`: 31 days in seconds).
pub const MAX_TIMEOUT: u32 = 86_400 * 31;
/// The timeout of `-p` without a value (`IPVS_SVC_PERSISTENT_TIMEOUT` in `libipvs.h`; the man
/// page says 300, the code wins).
pub const DEFAULT_PERSISTENT_TIMEOUT: u32 = 360;
/// The largest weight upstream ipvsadm 1.31 accepts.
pub const MAX_WEIGHT: u32 = 65_535;
/// The largest `-x`/`-y` threshold (`INT_MAX`).
pub const MAX_THRESHOLD: u32 = 2_147_483_647;

/// Transport protocol of a virtual service.
pub use crate::packet::Proto;

impl Proto {
    /// The ipvsadm option: `-t`, `-u`.
    #[must_use]
    pub fn flag(self) -> &'static str {
        match self {
            Self::Tcp => "-t",
            Self::Udp => "-u",
        }
    }
}

/// A virtual service: `-t|-u host[:port]` (port 0 when omitted: all ports, needs `-p`), or
/// `-f MARK`, a firewall-mark service. As in `struct ip_vs_service`, a fwmark service has
/// `fwmark` ≠ 0, address 0.0.0.0 and port 0, and the protocol ipvsadm sets for it (TCP,
/// "a sane value, even though it is not used").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceAddr {
    pub proto: Proto,
    pub addr: Ipv4Addr,
    pub port: u16,
    /// The firewall mark of a `-f` service; 0 for `-t`/`-u`.
    pub fwmark: u32,
}

impl ServiceAddr {
    /// A `-t`/`-u` service.
    #[must_use]
    pub const fn new(proto: Proto, addr: Ipv4Addr, port: u16) -> Self {
        Self { proto, addr, port, fwmark: 0 }
    }

    /// A `-f MARK` service (`mark` ≥ 1).
    #[must_use]
    pub const fn fwmark(mark: u32) -> Self {
        Self { proto: Proto::Tcp, addr: Ipv4Addr::UNSPECIFIED, port: 0, fwmark: mark }
    }

    /// How ipvsadm names the service on a command line: `-t 10.0.0.100:80`, `-f 1`.
    #[must_use]
    pub fn option(self) -> ServiceOption {
        ServiceOption(self)
    }
}

/// [`ServiceAddr::option`]: `-t 10.0.0.100:80`, `-u 10.0.0.100:53` or `-f 1`.
#[derive(Debug, Clone, Copy)]
pub struct ServiceOption(ServiceAddr);

impl fmt::Display for ServiceOption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.fwmark {
            0 => write!(f, "{} {}", self.0.proto.flag(), self.0),
            m => write!(f, "-f {m}"),
        }
    }
}

impl fmt::Display for ServiceAddr {
    /// `10.0.0.100:80` (the protocol is not printed; see [`Proto::flag`] and [`Proto::name`]);
    /// a fwmark service prints its mark (`1`), as the `FWM  1` listing line does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.fwmark {
            0 => write!(f, "{}:{}", self.addr, self.port),
            m => write!(f, "{m}"),
        }
    }
}

/// Forwarding method of a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Fwd {
    /// `-g`, gatewaying (direct routing), the default.
    #[default]
    Dr,
    /// `-i`, IPIP tunnelling.
    Tun,
    /// `-m`, masquerading (NAT).
    Nat,
}

impl Fwd {
    /// As in listings: `Route`, `Tunnel`, `Masq`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Dr => "Route",
            Self::Tun => "Tunnel",
            Self::Nat => "Masq",
        }
    }

    /// The ipvsadm option: `-g`, `-i`, `-m`.
    #[must_use]
    pub fn flag(self) -> &'static str {
        match self {
            Self::Dr => "-g",
            Self::Tun => "-i",
            Self::Nat => "-m",
        }
    }
}

/// Scheduler flags (`-b`); sh-* only with sh, mh-* only with mh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[allow(clippy::struct_excessive_bools)] // four independent kernel flag bits
pub struct SchedFlags {
    pub sh_fallback: bool,
    pub sh_port: bool,
    pub mh_fallback: bool,
    pub mh_port: bool,
}

impl SchedFlags {
    #[must_use]
    pub fn is_empty(self) -> bool {
        self == Self::default()
    }

    /// Sets the flag `-b` names `name` (`sh-fallback`, `sh-port`, `mh-fallback`, `mh-port`),
    /// without checking it against a scheduler; `false` for any other name.
    pub fn set(&mut self, name: &str) -> bool {
        let bit = match name {
            "sh-fallback" => &mut self.sh_fallback,
            "sh-port" => &mut self.sh_port,
            "mh-fallback" => &mut self.mh_fallback,
            "mh-port" => &mut self.mh_port,
            _ => return false,
        };
        *bit = true;
        true
    }
}

impl fmt::Display for SchedFlags {
    /// `sh-fallback,sh-port`, as `-b` takes them and `ipvsadm -Ln` prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (self.sh_fallback, "sh-fallback"),
            (self.sh_port, "sh-port"),
            (self.mh_fallback, "mh-fallback"),
            (self.mh_port, "mh-port"),
        ];
        let set: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
        f.write_str(&set.join(","))
    }
}

/// `-A`/`-E`: a complete service definition (left-out options are the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceOpts {
    pub svc: ServiceAddr,
    pub scheduler: Sched,
    /// Persistence timeout in seconds (`-p [timeout]`).
    pub persistent: Option<u32>,
    /// Persistence granularity (`-M`); 255.255.255.255 by default.
    pub netmask: Ipv4Addr,
    pub flags: SchedFlags,
    /// One-packet scheduling (`-o`, UDP only).
    pub one_packet: bool,
}

/// `-a`/`-e`: a complete real-server definition (left-out options are the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServerOpts {
    pub svc: ServiceAddr,
    pub addr: Ipv4Addr,
    /// Already the service port for `-g`/`-i`.
    pub port: u16,
    pub fwd: Fwd,
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
}

/// One ipvsadm configuration command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpvsadmCmd {
    /// `-A`
    AddService(ServiceOpts),
    /// `-E`
    EditService(ServiceOpts),
    /// `-D`
    DelService(ServiceAddr),
    /// `-C`
    Clear,
    /// `-a`
    AddServer(ServerOpts),
    /// `-e`
    EditServer(ServerOpts),
    /// `-d`; `port` is the one given in `-r`, else the service port.
    DelServer { svc: ServiceAddr, addr: Ipv4Addr, port: u16 },
    /// `--set TCP TCPFIN UDP` in seconds; 0 leaves that timeout unchanged (kernel rule).
    SetTimeouts { tcp: u32, tcpfin: u32, udp: u32 },
    /// `--start-daemon master|backup [--mcast-interface IF] [--syncid N]`: the connection
    /// synchronisation daemon (`ip_vs_sync.c`).
    StartDaemon(Daemon),
    /// `--stop-daemon master|backup`.
    StopDaemon { backup: bool },
}

/// A sync daemon: its role, multicast interface and sync ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Daemon {
    pub backup: bool,
    pub iface: IfName,
    /// `--syncid`, 0 (the default) matches any.
    pub syncid: u8,
}

/// An interface name (at most 15 bytes, as the kernel's `IFNAMSIZ` allows), kept `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IfName {
    len: u8,
    bytes: [u8; 15],
}

impl IfName {
    /// `None` for an empty or over-15-byte name.
    #[must_use]
    pub fn new(name: &str) -> Option<Self> {
        let b = name.as_bytes();
        if b.is_empty() || b.len() > 15 {
            return None;
        }
        let mut bytes = [0u8; 15];
        bytes[..b.len()].copy_from_slice(b);
        Some(Self { len: b.len() as u8, bytes })
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// IPVS schedulers (spec, section c). ipvsadm passes `-s` to the kernel unchecked, so `twos`
/// works although ipvsadm 1.31 does not list it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Sched {
    Rr,
    Wrr,
    Lc,
    /// ipvsadm's default.
    #[default]
    Wlc,
    Lblc,
    Lblcr,
    Dh,
    Sh,
    Sed,
    Nq,
    Fo,
    Ovf,
    Mh,
    Twos,
}

impl Sched {
    pub const ALL: [Self; 14] = [
        Self::Rr,
        Self::Wrr,
        Self::Lc,
        Self::Wlc,
        Self::Lblc,
        Self::Lblcr,
        Self::Dh,
        Self::Sh,
        Self::Sed,
        Self::Nq,
        Self::Fo,
        Self::Ovf,
        Self::Mh,
        Self::Twos,
    ];

    /// The kernel's name: `rr`, `wrr`, ...
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Rr => "rr",
            Self::Wrr => "wrr",
            Self::Lc => "lc",
            Self::Wlc => "wlc",
            Self::Lblc => "lblc",
            Self::Lblcr => "lblcr",
            Self::Dh => "dh",
            Self::Sh => "sh",
            Self::Sed => "sed",
            Self::Nq => "nq",
            Self::Fo => "fo",
            Self::Ovf => "ovf",
            Self::Mh => "mh",
            Self::Twos => "twos",
        }
    }
}

impl fmt::Display for Sched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scheduler name the kernel does not have.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownScheduler(pub String);

impl fmt::Display for UnknownScheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown scheduler {:?}", self.0)
    }
}

impl std::error::Error for UnknownScheduler {}

impl FromStr for Sched {
    type Err = UnknownScheduler;

    /// Exact, case-sensitive kernel names, as `ip_vs_sched_getbyname` compares them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|x| x.name() == s).ok_or_else(|| UnknownScheduler(s.to_owned()))
    }
}

// ───────────────────────────── Display ─────────────────────────────

fn write_service_opts(f: &mut fmt::Formatter<'_>, o: &ServiceOpts) -> fmt::Result {
    write!(f, "{} -s {}", o.svc.option(), o.scheduler)?;
    if let Some(t) = o.persistent {
        write!(f, " -p {t}")?;
    }
    if o.netmask != Ipv4Addr::BROADCAST {
        write!(f, " -M {}", o.netmask)?;
    }
    if o.one_packet {
        f.write_str(" -o")?;
    }
    if !o.flags.is_empty() {
        write!(f, " -b {}", o.flags)?;
    }
    Ok(())
}

fn write_server_opts(f: &mut fmt::Formatter<'_>, o: &ServerOpts) -> fmt::Result {
    write!(f, "{} -r {}:{} {} -w {}", o.svc.option(), o.addr, o.port, o.fwd.flag(), o.weight)?;
    if o.u_threshold != 0 {
        write!(f, " -x {}", o.u_threshold)?;
    }
    if o.l_threshold != 0 {
        write!(f, " -y {}", o.l_threshold)?;
    }
    Ok(())
}

impl fmt::Display for IpvsadmCmd {
    /// The canonical `ipvsadm ...` line, like `ipvsadm -S -n` writes rules (plus thresholds,
    /// which the save format drops). It parses back to the same value, except that a
    /// `-g`/`-i` server whose port differs from the service port cannot be written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddService(o) => {
                f.write_str("ipvsadm -A ")?;
                write_service_opts(f, o)
            }
            Self::EditService(o) => {
                f.write_str("ipvsadm -E ")?;
                write_service_opts(f, o)
            }
            Self::DelService(svc) => write!(f, "ipvsadm -D {}", svc.option()),
            Self::Clear => f.write_str("ipvsadm -C"),
            Self::AddServer(o) => {
                f.write_str("ipvsadm -a ")?;
                write_server_opts(f, o)
            }
            Self::EditServer(o) => {
                f.write_str("ipvsadm -e ")?;
                write_server_opts(f, o)
            }
            Self::DelServer { svc, addr, port } => write!(f, "ipvsadm -d {} -r {addr}:{port}", svc.option()),
            Self::SetTimeouts { tcp, tcpfin, udp } => write!(f, "ipvsadm --set {tcp} {tcpfin} {udp}"),
            Self::StartDaemon(d) => write!(
                f,
                "ipvsadm --start-daemon {} --mcast-interface {} --syncid {}",
                if d.backup { "backup" } else { "master" },
                d.iface,
                d.syncid
            ),
            Self::StopDaemon { backup } => {
                write!(f, "ipvsadm --stop-daemon {}", if *backup { "backup" } else { "master" })
            }
        }
    }
}

// ───────────────────────────── option table ─────────────────────────────

/// What an option is, as far as lvsim cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Cmd(Cmd),
    Tcp,
    Udp,
    /// `-f MARK`
    Fwmark,
    Scheduler,
    Persistent,
    Netmask,
    RealServer,
    Fwd(Fwd),
    Weight,
    UThreshold,
    LThreshold,
    SchedFlags,
    Ops,
    TunType,
    /// Refused at once, with this reason.
    Refused(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    Listing,
    Restore,
    HelpVersion,
    Daemon,
    ListingOption,
    OtherService,
    Ipv6,
    Pe,
    TunOther,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    AddService,
    EditService,
    DelService,
    Clear,
    AddServer,
    EditServer,
    DelServer,
    Set,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Takes {
    Nothing,
    /// A required value, described for errors.
    Value(&'static str),
    /// `-p`: a value only if attached or if the next word is a number.
    MaybeNumber,
}

struct Spec {
    short: Option<char>,
    long: Option<&'static str>,
    takes: Takes,
    opt: Opt,
}

const fn spec(short: Option<char>, long: Option<&'static str>, takes: Takes, opt: Opt) -> Spec {
    Spec { short, long, takes, opt }
}

const N: Takes = Takes::Nothing;
const SERVICE_VALUE: Takes = Takes::Value("a service address like 10.0.0.100:80");

/// ipvsadm 1.31's popt table.
const SPECS: &[Spec] = &[
    spec(Some('A'), Some("add-service"), N, Opt::Cmd(Cmd::AddService)),
    spec(Some('E'), Some("edit-service"), N, Opt::Cmd(Cmd::EditService)),
    spec(Some('D'), Some("delete-service"), N, Opt::Cmd(Cmd::DelService)),
    spec(Some('C'), Some("clear"), N, Opt::Cmd(Cmd::Clear)),
    spec(Some('L'), Some("list"), N, Opt::Refused(Refusal::Listing)),
    spec(Some('l'), None, N, Opt::Refused(Refusal::Listing)),
    spec(Some('Z'), Some("zero"), N, Opt::Refused(Refusal::Listing)),
    spec(Some('a'), Some("add-server"), N, Opt::Cmd(Cmd::AddServer)),
    spec(Some('e'), Some("edit-server"), N, Opt::Cmd(Cmd::EditServer)),
    spec(Some('d'), Some("delete-server"), N, Opt::Cmd(Cmd::DelServer)),
    spec(None, Some("set"), N, Opt::Cmd(Cmd::Set)),
    spec(Some('h'), Some("help"), N, Opt::Refused(Refusal::HelpVersion)),
    spec(Some('v'), Some("version"), N, Opt::Refused(Refusal::HelpVersion)),
    spec(Some('R'), Some("restore"), N, Opt::Refused(Refusal::Restore)),
    spec(Some('S'), Some("save"), N, Opt::Refused(Refusal::Listing)),
    spec(None, Some("start-daemon"), N, Opt::Refused(Refusal::Daemon)),
    spec(None, Some("stop-daemon"), N, Opt::Refused(Refusal::Daemon)),
    spec(Some('t'), Some("tcp-service"), SERVICE_VALUE, Opt::Tcp),
    spec(Some('u'), Some("udp-service"), SERVICE_VALUE, Opt::Udp),
    spec(None, Some("sctp-service"), N, Opt::Refused(Refusal::OtherService)),
    spec(Some('f'), Some("fwmark-service"), Takes::Value("a firewall mark like 1"), Opt::Fwmark),
    spec(Some('s'), Some("scheduler"), Takes::Value("a scheduler like rr"), Opt::Scheduler),
    spec(Some('p'), Some("persistent"), Takes::MaybeNumber, Opt::Persistent),
    spec(Some('M'), Some("netmask"), Takes::Value("a netmask like 255.255.255.0"), Opt::Netmask),
    spec(Some('r'), Some("real-server"), Takes::Value("a real server like 10.0.0.11 or 10.0.0.11:80"), Opt::RealServer),
    spec(Some('m'), Some("masquerading"), N, Opt::Fwd(Fwd::Nat)),
    spec(Some('i'), Some("ipip"), N, Opt::Fwd(Fwd::Tun)),
    spec(Some('g'), Some("gatewaying"), N, Opt::Fwd(Fwd::Dr)),
    spec(Some('w'), Some("weight"), Takes::Value("a weight from 0 to 65535"), Opt::Weight),
    spec(Some('x'), Some("u-threshold"), Takes::Value("an upper connection threshold"), Opt::UThreshold),
    spec(Some('y'), Some("l-threshold"), Takes::Value("a lower connection threshold"), Opt::LThreshold),
    spec(Some('n'), Some("numeric"), N, Opt::Refused(Refusal::ListingOption)),
    spec(Some('c'), Some("connection"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("mcast-interface"), N, Opt::Refused(Refusal::Daemon)),
    spec(None, Some("syncid"), N, Opt::Refused(Refusal::Daemon)),
    spec(None, Some("timeout"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("daemon"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("stats"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("rate"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("thresholds"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("persistent-conn"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("nosort"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("sort"), N, Opt::Refused(Refusal::ListingOption)),
    spec(Some('X'), Some("exact"), N, Opt::Refused(Refusal::ListingOption)),
    spec(Some('6'), Some("ipv6"), N, Opt::Refused(Refusal::Ipv6)),
    spec(Some('o'), Some("ops"), N, Opt::Ops),
    spec(None, Some("pe"), N, Opt::Refused(Refusal::Pe)),
    spec(Some('b'), Some("sched-flags"), Takes::Value("scheduler flags like sh-fallback,sh-port"), Opt::SchedFlags),
    spec(None, Some("mcast-group"), N, Opt::Refused(Refusal::Daemon)),
    spec(None, Some("mcast-port"), N, Opt::Refused(Refusal::Daemon)),
    spec(None, Some("mcast-ttl"), N, Opt::Refused(Refusal::Daemon)),
    spec(None, Some("sync-maxlen"), N, Opt::Refused(Refusal::Daemon)),
    spec(None, Some("tun-info"), N, Opt::Refused(Refusal::ListingOption)),
    spec(None, Some("tun-type"), Takes::Value("a tunnel type: ipip"), Opt::TunType),
    spec(None, Some("tun-port"), N, Opt::Refused(Refusal::TunOther)),
    spec(None, Some("tun-nocsum"), N, Opt::Refused(Refusal::TunOther)),
    spec(None, Some("tun-csum"), N, Opt::Refused(Refusal::TunOther)),
    spec(None, Some("tun-remcsum"), N, Opt::Refused(Refusal::TunOther)),
];

const CONFIG_COMMANDS: &str = "a command: -A, -E, -D, -C, -a, -e, -d or --set";
const LISTING_HINT: &str =
    "listing commands are not configuration; use `lvsim ipvsadm SCENARIO -Ln` to see the listing";

impl Cmd {
    fn flag(self) -> &'static str {
        match self {
            Self::AddService => "-A",
            Self::EditService => "-E",
            Self::DelService => "-D",
            Self::Clear => "-C",
            Self::AddServer => "-a",
            Self::EditServer => "-e",
            Self::DelServer => "-d",
            Self::Set => "--set",
        }
    }

    /// What the command accepts, for "illegal option" errors.
    fn accepts(self) -> &'static str {
        match self {
            Self::AddService | Self::EditService => "-t|-u|-f, -s, -p, -M, -b, -o",
            Self::DelService => "-t|-u|-f",
            Self::AddServer | Self::EditServer => "-t|-u|-f, -r, -g|-i|-m, -w, -x, -y",
            Self::DelServer => "-t|-u|-f, -r",
            Self::Clear | Self::Set => "no options",
        }
    }

    fn is_service(self) -> bool {
        matches!(self, Self::AddService | Self::EditService | Self::DelService)
    }
}

/// The option groups ipvsadm counts once each (`set_option`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Service,
    Scheduler,
    Persistent,
    Netmask,
    Server,
    Forward,
    Weight,
    UThreshold,
    LThreshold,
    Flags,
    Ops,
    TunType,
}

impl Slot {
    fn of(opt: Opt) -> Option<Self> {
        Some(match opt {
            Opt::Tcp | Opt::Udp | Opt::Fwmark => Self::Service,
            Opt::Scheduler => Self::Scheduler,
            Opt::Persistent => Self::Persistent,
            Opt::Netmask => Self::Netmask,
            Opt::RealServer => Self::Server,
            Opt::Fwd(_) => Self::Forward,
            Opt::Weight => Self::Weight,
            Opt::UThreshold => Self::UThreshold,
            Opt::LThreshold => Self::LThreshold,
            Opt::SchedFlags => Self::Flags,
            Opt::Ops => Self::Ops,
            Opt::TunType => Self::TunType,
            Opt::Cmd(_) | Opt::Refused(_) => return None,
        })
    }

    /// ipvsadm's `commands_v_options` table, for the configuration commands.
    fn allowed(self, cmd: Cmd) -> bool {
        match cmd {
            Cmd::AddService | Cmd::EditService => {
                matches!(
                    self,
                    Self::Service | Self::Scheduler | Self::Persistent | Self::Netmask | Self::Flags | Self::Ops
                )
            }
            Cmd::DelService => self == Self::Service,
            Cmd::AddServer | Cmd::EditServer => matches!(
                self,
                Self::Service
                    | Self::Server
                    | Self::Forward
                    | Self::Weight
                    | Self::UThreshold
                    | Self::LThreshold
                    | Self::TunType
            ),
            Cmd::DelServer => matches!(self, Self::Service | Self::Server),
            Cmd::Clear | Cmd::Set => false,
        }
    }

    /// Whether the option describes a real server (rather than the virtual service).
    fn is_server_option(self) -> bool {
        matches!(
            self,
            Self::Server | Self::Forward | Self::Weight | Self::UThreshold | Self::LThreshold | Self::TunType
        )
    }
}

// ───────────────────────────── scanning ─────────────────────────────

/// An option occurrence: what it is, how it was written, where, and its value. A bad or
/// missing value is reported only after the option is known to fit the command.
struct Item<'a> {
    opt: Opt,
    label: String,
    span: Range<usize>,
    value: Result<Option<Word<'a>>, CmdError>,
}

type Word<'a> = (&'a str, Range<usize>);

fn refusal_error(r: Refusal, label: &str, span: Range<usize>) -> CmdError {
    let (expected, hint) = match r {
        Refusal::Listing => (CONFIG_COMMANDS, LISTING_HINT.to_owned()),
        Refusal::Restore => {
            (CONFIG_COMMANDS, "-R reads rules from stdin: write each rule as its own `ipvsadm` line".to_owned())
        }
        Refusal::HelpVersion => {
            (CONFIG_COMMANDS, format!("{label} prints help or the version; it is not configuration"))
        }
        Refusal::Daemon => (CONFIG_COMMANDS, "the connection sync daemon is not modeled".to_owned()),
        Refusal::ListingOption => {
            ("an option of a configuration command", format!("{label} belongs to listings; {LISTING_HINT}"))
        }
        Refusal::OtherService => (
            "-t, -u or -f and a service",
            "lvsim simulates TCP, UDP and firewall-mark services (-t, -u, -f); SCTP is not modeled".to_owned(),
        ),
        Refusal::Ipv6 => ("an IPv4 service", "lvsim models IPv4 only".to_owned()),
        Refusal::Pe => ("an option lvsim models", "persistence engines (--pe sip) are not modeled".to_owned()),
        Refusal::TunOther => ("an option lvsim models", "GUE and GRE tunnels are not modeled; -i uses IPIP".to_owned()),
    };
    CmdError::new(span, expected, label).with_hint(hint)
}

fn looks_like_option(w: &str) -> bool {
    w.strip_prefix('-').is_some_and(|r| r.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-') && r != "-")
}

fn is_number(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())
}

/// Reads the value of `spec`: attached (`-w3`, `--weight=3`) or the next word.
fn take_value<'a>(
    spec: &Spec,
    label: &str,
    attached: Option<Word<'a>>,
    args: &[Word<'a>],
    i: &mut usize,
    end: usize,
) -> Result<Option<Word<'a>>, CmdError> {
    match spec.takes {
        Takes::Nothing => match attached {
            Some((v, span)) => Err(CmdError::new(span, format!("no value after {label}"), v)),
            None => Ok(None),
        },
        Takes::MaybeNumber => {
            if attached.is_some() {
                return Ok(attached);
            }
            match args.get(*i) {
                Some((w, span)) if is_number(w) => {
                    *i += 1;
                    Ok(Some((w, span.clone())))
                }
                _ => Ok(None),
            }
        }
        Takes::Value(what) => {
            if attached.is_some() {
                return Ok(attached);
            }
            let expected = format!("{what} after {label}");
            match args.get(*i) {
                None => Err(CmdError::missing(end, expected)),
                Some((w, span)) if looks_like_option(w) => Err(CmdError::new(span.clone(), expected, w)),
                Some((w, span)) => {
                    *i += 1;
                    Ok(Some((w, span.clone())))
                }
            }
        }
    }
}

/// Splits the words into options (in order) and positional words, the way popt does.
fn scan<'a>(args: &[Word<'a>], end: usize) -> Result<(Vec<Item<'a>>, Vec<Word<'a>>), CmdError> {
    let mut items = Vec::new();
    let mut positionals = Vec::new();
    let mut i = 0;
    while let Some((text, span)) = args.get(i).cloned() {
        i += 1;
        if text == "--" {
            positionals.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((n, v)) => (n, Some((v, sub_span(text, &span, 3 + n.len()..text.len())))),
                None => (long, None),
            };
            let name_span = sub_span(text, &span, 0..2 + name.len());
            let label = format!("--{name}");
            let Some(spec) = SPECS.iter().find(|s| s.long == Some(name)) else {
                let hint = closest(name, SPECS.iter().filter_map(|s| s.long)).map(|c| format!("did you mean --{c}?"));
                return Err(CmdError::new(name_span, "an ipvsadm option", &label).with_hint_opt(hint));
            };
            if let Opt::Refused(r) = spec.opt {
                return Err(refusal_error(r, &label, name_span));
            }
            let value = take_value(spec, &label, attached, args, &mut i, end);
            items.push(Item { opt: spec.opt, label, span: name_span, value });
        } else if text.len() > 1 && text.starts_with('-') {
            for (off, c) in text.char_indices().skip(1) {
                let after = off + c.len_utf8();
                // The first option of a word includes its dash: `-t`, but `t` inside `-At`.
                let c_span = sub_span(text, &span, if off == 1 { 0 } else { off }..after);
                let label = format!("-{c}");
                let Some(spec) = SPECS.iter().find(|s| s.short == Some(c)) else {
                    return Err(CmdError::new(c_span, "an ipvsadm option", &label));
                };
                if let Opt::Refused(r) = spec.opt {
                    return Err(refusal_error(r, &label, c_span));
                }
                if spec.takes == Takes::Nothing {
                    items.push(Item { opt: spec.opt, label, span: c_span, value: Ok(None) });
                    continue;
                }
                let rest = &text[after..];
                let attached = (!rest.is_empty()).then(|| (rest, sub_span(text, &span, after..text.len())));
                let value = take_value(spec, &label, attached, args, &mut i, end);
                items.push(Item { opt: spec.opt, label, span: c_span, value });
                break;
            }
        } else {
            positionals.push((text, span));
        }
    }
    Ok((items, positionals))
}

// ───────────────────────────── values ─────────────────────────────

fn number(w: &Word, range: RangeInclusive<u32>, expected: &str) -> Result<u32, CmdError> {
    match w.0.parse::<u32>() {
        Ok(n) if is_number(w.0) && range.contains(&n) => Ok(n),
        _ => Err(CmdError::new(w.1.clone(), expected, w.0)),
    }
}

/// Well-known service names, to suggest the number.
const PORT_NAMES: &[(&str, u16)] = &[
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("dns", 53),
    ("http", 80),
    ("www", 80),
    ("ntp", 123),
    ("https", 443),
    ("mysql", 3306),
];

/// `host[:port]` with a numeric IPv4 host; the port is `None` when not given.
fn parse_host_port(w: &Word) -> Result<(Ipv4Addr, Option<u16>), CmdError> {
    let (text, span) = (w.0, &w.1);
    let expected = "host[:port] like 10.0.0.100:80";
    if text.starts_with('[') || text.matches(':').count() > 1 {
        return Err(CmdError::new(span.clone(), expected, text).with_hint("lvsim models IPv4 only"));
    }
    if is_number(text) {
        return Err(CmdError::new(span.clone(), expected, text)
            .with_hint(format!("a bare number is not an address: write the IP and the port, like 10.0.0.100:{text}")));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (text, None),
    };
    let addr = parse_ipv4(host, sub_span(text, span, 0..host.len()))?;
    let Some(port) = port else {
        return Ok((addr, None));
    };
    let port_span = sub_span(text, span, host.len() + 1..text.len());
    match port.parse::<u16>() {
        Ok(p) if is_number(port) => Ok((addr, Some(p))),
        _ => {
            let hint = if let Some((_, n)) = PORT_NAMES.iter().find(|(name, _)| *name == port) {
                Some(format!("lvsim needs numeric ports: {port} is {n}"))
            } else if port.chars().any(|c| c.is_ascii_alphabetic()) {
                Some("lvsim needs numeric ports; service names are not looked up".to_owned())
            } else {
                None
            };
            Err(CmdError::new(port_span, "a port number from 0 to 65535", port).with_hint_opt(hint))
        }
    }
}

fn parse_sched(w: &Word) -> Result<Sched, CmdError> {
    w.0.parse().map_err(|_| {
        let names: Vec<&str> = Sched::ALL.iter().map(|s| s.name()).collect();
        CmdError::new(w.1.clone(), format!("a scheduler: {}", names.join(", ")), w.0)
            .with_hint_opt(did_you_mean(w.0, names))
    })
}

fn parse_netmask(w: &Word) -> Result<Ipv4Addr, CmdError> {
    parse_ipv4(w.0, w.1.clone()).map_err(|e| {
        let e = CmdError { expected: "a netmask like 255.255.255.0".to_owned(), ..e };
        if is_number(w.0) {
            e.with_hint(format!("ipvsadm would read {} as the address 0.0.0.{}: write the mask dotted", w.0, w.0))
        } else {
            e
        }
    })
}

const FLAG_NAMES: [&str; 7] = ["sh-fallback", "sh-port", "mh-fallback", "mh-port", "flag-1", "flag-2", "flag-3"];

/// Splits `-b` into flag names with their spans (empty items skipped, as `strtok` does).
fn split_flags<'a>(w: &Word<'a>) -> Result<Vec<Word<'a>>, CmdError> {
    let mut flags = Vec::new();
    let mut start = 0;
    for part in w.0.split(',') {
        let span = sub_span(w.0, &w.1, start..start + part.len());
        start += part.len() + 1;
        if part.is_empty() {
            continue;
        }
        if !FLAG_NAMES.contains(&part) {
            return Err(CmdError::new(span, "a scheduler flag: sh-fallback, sh-port, mh-fallback or mh-port", part)
                .with_hint_opt(did_you_mean(part, FLAG_NAMES)));
        }
        flags.push((part, span));
    }
    if flags.is_empty() {
        return Err(CmdError::new(w.1.clone(), "scheduler flags like sh-fallback,sh-port", w.0));
    }
    Ok(flags)
}

/// Checks `-b` against the final scheduler, as `parse_sched_flags` does after all options.
fn sched_flags(sched: Sched, explicit: bool, raw: &[Word]) -> Result<SchedFlags, CmdError> {
    let mut f = SchedFlags::default();
    for (name, span) in raw {
        match (*name, sched) {
            ("sh-fallback" | "flag-1", Sched::Sh) => f.sh_fallback = true,
            ("sh-port" | "flag-2", Sched::Sh) => f.sh_port = true,
            ("mh-fallback" | "flag-1", Sched::Mh) => f.mh_fallback = true,
            ("mh-port" | "flag-2", Sched::Mh) => f.mh_port = true,
            _ => {
                let hint = if name.starts_with("flag-") {
                    format!(
                        "{name} has no meaning for {sched}: flag-1 is sh-fallback/mh-fallback and flag-2 is \
                         sh-port/mh-port with sh/mh; no scheduler uses the others, so lvsim does not store them"
                    )
                } else {
                    let needs = &name[..2];
                    let why = if explicit {
                        format!("the scheduler here is {sched}")
                    } else {
                        "without -s ipvsadm uses wlc, and it checks -b against the final scheduler".to_owned()
                    };
                    format!("incompatible scheduler flag: {name} works only with -s {needs}; {why}")
                };
                return Err(
                    CmdError::new(span.clone(), format!("a flag the {sched} scheduler accepts"), name).with_hint(hint)
                );
            }
        }
    }
    Ok(f)
}

// ───────────────────────────── parse ─────────────────────────────

/// Everything read from the options, before defaults.
#[derive(Clone, Default)]
struct State<'a> {
    svc: Option<(ServiceAddr, Range<usize>)>,
    sched: Option<Sched>,
    persistent: Option<u32>,
    netmask: Option<Ipv4Addr>,
    server: Option<(Ipv4Addr, Option<u16>)>,
    fwd: Option<Fwd>,
    weight: Option<u32>,
    u_threshold: Option<u32>,
    l_threshold: Option<(u32, Range<usize>)>,
    flags: Vec<Word<'a>>,
    ops: Option<Range<usize>>,
    tun_type: Option<Range<usize>>,
}

impl<'a> State<'a> {
    /// Records one option's value.
    fn set(&mut self, item: &Item<'a>, given: Option<Word<'a>>) -> Result<(), CmdError> {
        let present = given.is_some();
        let value = given.unwrap_or_default();
        match item.opt {
            Opt::Tcp | Opt::Udp => {
                let proto = if item.opt == Opt::Tcp { Proto::Tcp } else { Proto::Udp };
                let (addr, port) = parse_host_port(&value)?;
                self.svc = Some((ServiceAddr::new(proto, addr, port.unwrap_or(0)), value.1));
            }
            Opt::Fwmark => {
                // parse_fwmark: a number from 1 to UINT_MAX (ipvsadm 1.31: "invalid fwmark
                // value `x' specified", exit 2).
                let mark = number(&value, 1..=u32::MAX, "a firewall mark from 1 to 4294967295")?;
                self.svc = Some((ServiceAddr::fwmark(mark), value.1));
            }
            Opt::Scheduler => self.sched = Some(parse_sched(&value)?),
            Opt::Persistent => {
                self.persistent = Some(if present {
                    number(&value, 1..=MAX_TIMEOUT, "a persistence timeout in seconds from 1 to 2678400")?
                } else {
                    DEFAULT_PERSISTENT_TIMEOUT
                });
            }
            Opt::Netmask => self.netmask = Some(parse_netmask(&value)?),
            Opt::RealServer => self.server = Some(parse_host_port(&value)?),
            Opt::Fwd(fwd) => self.fwd = Some(fwd),
            Opt::Weight => self.weight = Some(number(&value, 0..=MAX_WEIGHT, "a weight from 0 to 65535")?),
            Opt::UThreshold => {
                self.u_threshold = Some(number(&value, 0..=MAX_THRESHOLD, "an upper threshold from 0 to 2147483647")?);
            }
            Opt::LThreshold => {
                let n = number(&value, 0..=MAX_THRESHOLD, "a lower threshold from 0 to 2147483647")?;
                self.l_threshold = Some((n, value.1));
            }
            Opt::SchedFlags => self.flags = split_flags(&value)?,
            Opt::Ops => self.ops = Some(item.span.clone()),
            Opt::TunType => match value.0 {
                "ipip" => self.tun_type = Some(item.span.clone()),
                "gue" | "gre" => {
                    return Err(CmdError::new(value.1, "a tunnel type: ipip", value.0)
                        .with_hint("GUE and GRE tunnels are not modeled; -i uses IPIP"));
                }
                _ => return Err(CmdError::new(value.1, "a tunnel type: ipip", value.0)),
            },
            Opt::Cmd(_) | Opt::Refused(_) => {}
        }
        Ok(())
    }
}

fn illegal(cmd: Cmd, slot: Slot, item: &Item) -> CmdError {
    let expected = match cmd {
        Cmd::Clear => "no option after -C".to_owned(),
        Cmd::Set => "three timeouts after --set".to_owned(),
        _ => format!("an option {} accepts: {}", cmd.flag(), cmd.accepts()),
    };
    let hint = match cmd {
        Cmd::Clear => "-C clears the whole table and takes no options".to_owned(),
        Cmd::Set => "--set takes three timeouts in seconds: --set TCP TCPFIN UDP".to_owned(),
        Cmd::DelService => "-D needs only the service".to_owned(),
        Cmd::DelServer => "-d needs only the service and -r".to_owned(),
        _ if slot.is_server_option() => {
            format!("{} belongs to a real server: set it with -a or -e", item.label)
        }
        _ => format!("{} belongs to the virtual service: set it with -A or -E", item.label),
    };
    CmdError::new(item.span.clone(), expected, &item.label).with_hint(hint)
}

fn duplicate(slot: Slot, item: &Item) -> CmdError {
    let (expected, hint) = match slot {
        Slot::Forward => (
            "one forwarding method".to_owned(),
            "choose one of -g (direct routing, the default), -i (tunnelling) and -m (NAT)".to_owned(),
        ),
        Slot::Service => ("one virtual service".to_owned(), "each ipvsadm command acts on one service".to_owned()),
        _ => (format!("{} only once", item.label), "ipvsadm rejects a repeated option".to_owned()),
    };
    CmdError::new(item.span.clone(), expected, &item.label).with_hint(hint)
}

/// Parses the words after `ipvsadm`, each with its byte range in the full command; `end` is
/// the position of the end of the command (for "missing" errors).
///
/// # Errors
/// A [`CmdError`] pointing at the offending word (or part of it), or at `end` when something
/// is missing. Never panics.
pub fn parse(args: &[(&str, Range<usize>)], end: usize) -> Result<IpvsadmCmd, CmdError> {
    if let Some((w, _)) = args.first()
        && matches!(*w, "--start-daemon" | "--stop-daemon")
    {
        return parse_daemon(args, end);
    }
    let (items, positionals) = scan(args, end)?;
    let mut cmd: Option<Cmd> = None;
    let mut seen: Vec<Slot> = Vec::new();
    let mut st = State::default();
    for item in &items {
        if let Opt::Cmd(c) = item.opt {
            if cmd.is_some() {
                return Err(CmdError::new(item.span.clone(), "one command per line", &item.label)
                    .with_hint("ipvsadm takes one command (multiple commands specified)"));
            }
            item.value.clone()?;
            cmd = Some(c);
            continue;
        }
        let Some(c) = cmd else {
            return Err(CmdError::new(item.span.clone(), CONFIG_COMMANDS, &item.label)
                .with_hint("ipvsadm reads the command first, like `ipvsadm -A -t 10.0.0.100:80 -s rr`"));
        };
        let Some(slot) = Slot::of(item.opt) else { continue };
        if !slot.allowed(c) {
            return Err(illegal(c, slot, item));
        }
        if seen.contains(&slot) {
            return Err(duplicate(slot, item));
        }
        seen.push(slot);
        st.set(item, item.value.clone()?)?;
    }
    let Some(cmd) = cmd else {
        return Err(match positionals.first() {
            Some((w, span)) => CmdError::new(span.clone(), CONFIG_COMMANDS, w)
                .with_hint_opt(w.contains('.').then(|| format!("give the service with -t or -u, like -t {w}"))),
            None => CmdError::missing(end, CONFIG_COMMANDS)
                .with_hint(format!("plain `ipvsadm` lists the table; {LISTING_HINT}")),
        });
    };
    if cmd == Cmd::Set {
        return set_timeouts(&positionals, end);
    }
    if let Some((w, span)) = positionals.first() {
        let hint = w.contains('.').then(|| "give addresses with -t, -u or -r".to_owned());
        return Err(CmdError::new(span.clone(), "an option", w).with_hint_opt(hint));
    }
    finish(cmd, &st, end)
}

/// `--start-daemon master|backup [--mcast-interface IF] [--syncid N]`, `--stop-daemon
/// master|backup` (`--opt=value` too). Without `--mcast-interface` ipvsadm 1.31 fails
/// ("no multicast interface"), and so does lvsim.
fn parse_daemon(args: &[(&str, Range<usize>)], end: usize) -> Result<IpvsadmCmd, CmdError> {
    let mut words: Vec<(String, Range<usize>)> = Vec::new();
    for (w, span) in args {
        match w.split_once('=') {
            Some((k, v)) if k.starts_with("--") => {
                let at = span.start + k.len() + 1;
                words.push((k.to_owned(), span.start..span.start + k.len()));
                words.push((v.to_owned(), at..span.end));
            }
            _ => words.push(((*w).to_owned(), span.clone())),
        }
    }
    let start = words[0].0 == "--start-daemon";
    let role = "master or backup";
    let Some((r, rspan)) = words.get(1) else {
        return Err(CmdError::missing(end, role));
    };
    let backup = match r.as_str() {
        "master" => false,
        "backup" => true,
        _ => return Err(CmdError::new(rspan.clone(), role, r)),
    };
    if !start {
        if let Some((w, span)) = words.get(2) {
            return Err(CmdError::new(span.clone(), "end of command", w));
        }
        return Ok(IpvsadmCmd::StopDaemon { backup });
    }
    let (mut iface, mut syncid) = (None, 0u8);
    let mut k = 2;
    while k < words.len() {
        let (opt, ospan) = &words[k];
        let value = words.get(k + 1);
        match opt.as_str() {
            "--mcast-interface" => {
                let Some((v, vspan)) = value else { return Err(CmdError::missing(end, "an interface name like eth0")) };
                iface = Some(
                    IfName::new(v)
                        .ok_or_else(|| CmdError::new(vspan.clone(), "an interface name of 1 to 15 characters", v))?,
                );
            }
            "--syncid" => {
                let Some((v, vspan)) = value else { return Err(CmdError::missing(end, "a sync ID from 0 to 255")) };
                syncid = v.parse().map_err(|_| CmdError::new(vspan.clone(), "a sync ID from 0 to 255", v))?;
            }
            _ => {
                return Err(CmdError::new(ospan.clone(), "--mcast-interface or --syncid", opt)
                    .with_hint("lvsim models the daemon's interface and sync ID; --mcast-group, --mcast-port, --mcast-ttl and --sync-maxlen keep their defaults"));
            }
        }
        k += 2;
    }
    let Some(iface) = iface else {
        return Err(CmdError::missing(end, "--mcast-interface IF")
            .with_hint("the daemon needs the interface it sends or listens on, like --mcast-interface eth0"));
    };
    Ok(IpvsadmCmd::StartDaemon(Daemon { backup, iface, syncid }))
}

fn set_timeouts(positionals: &[Word], end: usize) -> Result<IpvsadmCmd, CmdError> {
    let expected = "a timeout in seconds from 0 to 2678400";
    let mut t = [0u32; 3];
    for (k, slot) in t.iter_mut().enumerate() {
        let Some(w) = positionals.get(k) else {
            return Err(CmdError::missing(end, "three timeouts: --set TCP TCPFIN UDP")
                .with_hint("--set option requires 3 timeout values (0 leaves one unchanged)"));
        };
        *slot = number(w, 0..=MAX_TIMEOUT, expected)?;
    }
    if let Some((w, span)) = positionals.get(3) {
        return Err(CmdError::new(span.clone(), "end of command", w).with_hint("--set takes exactly three timeouts"));
    }
    Ok(IpvsadmCmd::SetTimeouts { tcp: t[0], tcpfin: t[1], udp: t[2] })
}

/// Applies the defaults and ipvsadm's checks after all options are read.
fn finish(cmd: Cmd, st: &State, end: usize) -> Result<IpvsadmCmd, CmdError> {
    if cmd == Cmd::Clear {
        return Ok(IpvsadmCmd::Clear);
    }
    let Some((svc, svc_span)) = st.svc.clone() else {
        return Err(CmdError::missing(end, "a virtual service: -t or -u and host:port, or -f and a mark")
            .with_hint(format!("{} needs the service it acts on, like `-t 10.0.0.100:80`", cmd.flag())));
    };
    if cmd.is_service() {
        if cmd == Cmd::DelService {
            return Ok(IpvsadmCmd::DelService(svc));
        }
        let sched = st.sched.unwrap_or_default();
        let flags = sched_flags(sched, st.sched.is_some(), &st.flags)?;
        if svc.fwmark == 0 && svc.port == 0 && st.persistent.is_none() {
            return Err(CmdError::new(svc_span.clone(), "a service port, or -p", &svc.to_string()).with_hint(
                "port 0 means all ports, and ipvsadm requires such a service to be persistent \
                 (Zero port specified for non-persistent service)",
            ));
        }
        if let Some(span) = st.ops.clone()
            && svc.proto != Proto::Udp
            && svc.fwmark == 0
        {
            return Err(CmdError::new(span, "a UDP (-u) or fwmark (-f) service for -o", "-o")
                .with_hint("One-Packet Scheduling is only for UDP virtual services"));
        }
        let opts = ServiceOpts {
            svc,
            scheduler: sched,
            persistent: st.persistent,
            netmask: st.netmask.unwrap_or(Ipv4Addr::BROADCAST),
            flags,
            one_packet: st.ops.is_some(),
        };
        return Ok(if cmd == Cmd::AddService { IpvsadmCmd::AddService(opts) } else { IpvsadmCmd::EditService(opts) });
    }
    let Some((addr, port)) = st.server else {
        return Err(CmdError::missing(end, "-r and a real server address")
            .with_hint(format!("{} needs the real server, like `-r 10.0.0.11`", cmd.flag())));
    };
    if cmd == Cmd::DelServer {
        return Ok(IpvsadmCmd::DelServer { svc, addr, port: port.unwrap_or(svc.port) });
    }
    let fwd = st.fwd.unwrap_or_default();
    if let Some(span) = st.tun_type.clone()
        && fwd != Fwd::Tun
    {
        return Err(CmdError::new(span, "-i with --tun-type", "--tun-type")
            .with_hint("Tunnel options conflict with forward method: --tun-type needs -i"));
    }
    let u_threshold = st.u_threshold.unwrap_or(0);
    if let Some((l, span)) = st.l_threshold.clone()
        && l > u_threshold
    {
        return Err(CmdError::new(
            span,
            format!("a lower threshold of at most {u_threshold} (the -x value)"),
            &l.to_string(),
        )
        .with_hint(
            "the kernel refuses -y above -x (lower threshold is higher than upper threshold, ERANGE); \
                 without -x the upper threshold is 0, so give -x too",
        ));
    }
    let port = match fwd {
        Fwd::Dr | Fwd::Tun => svc.port,
        Fwd::Nat => port.unwrap_or(svc.port),
    };
    let opts = ServerOpts {
        svc,
        addr,
        port,
        fwd,
        weight: st.weight.unwrap_or(1),
        u_threshold,
        l_threshold: st.l_threshold.as_ref().map_or(0, |(l, _)| *l),
    };
    Ok(if cmd == Cmd::AddServer { IpvsadmCmd::AddServer(opts) } else { IpvsadmCmd::EditServer(opts) })
}

// ───────────────────────────── tests ─────────────────────────────

/// proptest strategies producing commands that have a command line.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use proptest::prelude::*;

    fn service() -> impl Strategy<Value = ServiceAddr> {
        (any::<bool>(), any::<u32>(), any::<u16>(), prop::option::weighted(0.2, 1..=u32::MAX)).prop_map(
            |(tcp, a, port, mark)| match mark {
                Some(m) => ServiceAddr::fwmark(m),
                None => ServiceAddr::new(if tcp { Proto::Tcp } else { Proto::Udp }, Ipv4Addr::from(a), port),
            },
        )
    }

    fn service_opts() -> impl Strategy<Value = ServiceOpts> {
        let sched = prop::sample::select(Sched::ALL.to_vec());
        let persistent = prop::option::of(1..=MAX_TIMEOUT);
        (service(), sched, persistent, any::<u32>(), any::<[bool; 4]>(), any::<bool>(), any::<bool>()).prop_map(
            |(svc, scheduler, persistent, mask, [a, b, c, d], ops, full_mask)| ServiceOpts {
                svc,
                scheduler,
                // ipvsadm's rule: a port-0 service must be persistent.
                persistent: if svc.port == 0 && svc.fwmark == 0 {
                    persistent.or(Some(DEFAULT_PERSISTENT_TIMEOUT))
                } else {
                    persistent
                },
                netmask: if full_mask { Ipv4Addr::BROADCAST } else { Ipv4Addr::from(mask) },
                flags: SchedFlags {
                    sh_fallback: a && scheduler == Sched::Sh,
                    sh_port: b && scheduler == Sched::Sh,
                    mh_fallback: c && scheduler == Sched::Mh,
                    mh_port: d && scheduler == Sched::Mh,
                },
                one_packet: ops && (svc.proto == Proto::Udp || svc.fwmark != 0),
            },
        )
    }

    fn server_opts() -> impl Strategy<Value = ServerOpts> {
        let fwd = prop::sample::select(vec![Fwd::Dr, Fwd::Tun, Fwd::Nat]);
        (service(), any::<u32>(), any::<u16>(), fwd, 0..=MAX_WEIGHT, 0..=MAX_THRESHOLD, 0..=MAX_THRESHOLD).prop_map(
            |(svc, a, port, fwd, weight, u_threshold, l_threshold)| ServerOpts {
                svc,
                addr: Ipv4Addr::from(a),
                port: if fwd == Fwd::Nat { port } else { svc.port },
                fwd,
                weight,
                u_threshold,
                // The kernel's rule: the lower threshold may not exceed the upper one.
                l_threshold: l_threshold.min(u_threshold),
            },
        )
    }

    pub(crate) fn cmd() -> impl Strategy<Value = IpvsadmCmd> {
        prop_oneof![
            service_opts().prop_map(IpvsadmCmd::AddService),
            service_opts().prop_map(IpvsadmCmd::EditService),
            service().prop_map(IpvsadmCmd::DelService),
            Just(IpvsadmCmd::Clear),
            server_opts().prop_map(IpvsadmCmd::AddServer),
            server_opts().prop_map(IpvsadmCmd::EditServer),
            (service(), any::<u32>(), any::<u16>()).prop_map(|(svc, a, port)| IpvsadmCmd::DelServer {
                svc,
                addr: Ipv4Addr::from(a),
                port
            }),
            (0..=MAX_TIMEOUT, 0..=MAX_TIMEOUT, 0..=MAX_TIMEOUT)
                .prop_map(|(tcp, tcpfin, udp)| IpvsadmCmd::SetTimeouts { tcp, tcpfin, udp }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmdline::{self as command, Command, END_OF_COMMAND};
    use proptest::prelude::*;

    /// Parses a full `ipvsadm ...` line through the command parser, so spans index `line`.
    fn run(line: &str) -> Result<IpvsadmCmd, CmdError> {
        match command::parse(line)? {
            Command::Ipvsadm(c) => Ok(c),
            other => panic!("not an ipvsadm command: {other:?}"),
        }
    }

    fn err(line: &str) -> CmdError {
        run(line).expect_err(line)
    }

    fn at(line: &str) -> &str {
        &line[err(line).span]
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn service(line: &str) -> ServiceOpts {
        match run(line) {
            Ok(IpvsadmCmd::AddService(o) | IpvsadmCmd::EditService(o)) => o,
            other => panic!("{line}: {other:?}"),
        }
    }

    fn server(line: &str) -> ServerOpts {
        match run(line) {
            Ok(IpvsadmCmd::AddServer(o) | IpvsadmCmd::EditServer(o)) => o,
            other => panic!("{line}: {other:?}"),
        }
    }

    const VIP80: ServiceAddr = ServiceAddr::new(Proto::Tcp, Ipv4Addr::new(10, 0, 0, 100), 80);

    #[test]
    fn service_defaults() {
        // Left-out options take ipvsadm's defaults: wlc, not persistent, /32, no flags.
        let o = service("ipvsadm -A -t 10.0.0.100:80");
        assert_eq!(
            o,
            ServiceOpts {
                svc: VIP80,
                scheduler: Sched::Wlc,
                persistent: None,
                netmask: Ipv4Addr::BROADCAST,
                flags: SchedFlags::default(),
                one_packet: false
            }
        );
        // -E sends a complete definition too: without -s it is wlc again.
        assert_eq!(service("ipvsadm -E -t 10.0.0.100:80").scheduler, Sched::Wlc);
    }

    #[test]
    fn persistence_timeout_rules() {
        // `-p` alone is 360 s; the next word is its timeout only when it is a number.
        assert_eq!(service("ipvsadm -A -t 10.0.0.100:443 -s rr -p").persistent, Some(360));
        assert_eq!(service("ipvsadm -A -t 10.0.0.100:443 -p 600 -s rr").persistent, Some(600));
        assert_eq!(service("ipvsadm -A -t 10.0.0.100:443 -p -M 255.255.255.0").persistent, Some(360));
        assert_eq!(service("ipvsadm -A -t 10.0.0.100:443 -p600").persistent, Some(600));
        assert_eq!(service("ipvsadm -A -t 10.0.0.100:443 --persistent=90").persistent, Some(90));
        let o = service("ipvsadm -A -t 10.0.0.100:443 -s rr -p -M 255.255.255.0");
        assert_eq!(o.netmask, ip("255.255.255.0"));
        assert_eq!(at("ipvsadm -A -t 10.0.0.100:443 -p 0"), "0");
        assert_eq!(at("ipvsadm -A -t 10.0.0.100:443 -p 2678401"), "2678401");
    }

    #[test]
    fn server_defaults_and_port_forcing() {
        // -g is the default, weight 1, thresholds 0; -g/-i force the service port, -m keeps a
        // given port and falls back to the service port.
        let s = server("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11");
        assert_eq!(
            s,
            ServerOpts {
                svc: VIP80,
                addr: ip("10.0.0.11"),
                port: 80,
                fwd: Fwd::Dr,
                weight: 1,
                u_threshold: 0,
                l_threshold: 0
            }
        );
        assert_eq!(server("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11:8080 -g").port, 80);
        assert_eq!(server("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11:8080 -i").port, 80);
        assert_eq!(server("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11:8080 -m").port, 8080);
        assert_eq!(server("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -m").port, 80);
        let s = server("ipvsadm -e -t 10.0.0.100:80 -r 10.0.0.11 -m -w 0 -x 100 -y 50");
        assert_eq!((s.fwd, s.weight, s.u_threshold, s.l_threshold), (Fwd::Nat, 0, 100, 50));
        assert_eq!(
            run("ipvsadm -d -t 10.0.0.100:80 -r 10.0.0.11"),
            Ok(IpvsadmCmd::DelServer { svc: VIP80, addr: ip("10.0.0.11"), port: 80 })
        );
    }

    #[test]
    fn long_and_bundled_options() {
        // Long options, `--opt=value`, bundled short options and attached values mean the same as
        // the plain short form.
        let plain = run("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -m -w 3");
        assert_eq!(
            run("ipvsadm --add-server --tcp-service 10.0.0.100:80 --real-server 10.0.0.11 --masquerading --weight 3"),
            plain
        );
        assert_eq!(run("ipvsadm -at 10.0.0.100:80 -r10.0.0.11 -mw3"), plain);
        assert_eq!(run("ipvsadm --add-server -t 10.0.0.100:80 -r 10.0.0.11 --weight=3 -m"), plain);
        let o = service("ipvsadm --add-service --udp-service 10.0.0.100:53 --scheduler sh --sched-flags sh-port --ops");
        assert_eq!((o.svc.proto, o.scheduler, o.flags.sh_port, o.one_packet), (Proto::Udp, Sched::Sh, true, true));
        assert_eq!(run("ipvsadm --clear"), Ok(IpvsadmCmd::Clear));
        assert_eq!(
            run("ipvsadm --delete-service -u 10.0.0.100:53").map(|c| c.to_string()).as_deref(),
            Ok("ipvsadm -D -u 10.0.0.100:53")
        );
        assert_eq!(run("ipvsadm --set 900 120 300"), Ok(IpvsadmCmd::SetTimeouts { tcp: 900, tcpfin: 120, udp: 300 }));
        assert_eq!(server("ipvsadm -a -u 10.0.0.100:53 -r 10.0.0.11 --ipip --tun-type ipip").fwd, Fwd::Tun);
        assert_eq!(server("ipvsadm --edit-server -t 10.0.0.100:80 -r 10.0.0.11 --gatewaying").fwd, Fwd::Dr);
        assert_eq!(
            service("ipvsadm --edit-service -t 10.0.0.100:0 --persistent --netmask 255.255.0.0").netmask,
            ip("255.255.0.0")
        );
        assert_eq!(server("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 --u-threshold 5 --l-threshold 2").u_threshold, 5);
    }

    #[test]
    fn sched_flags_against_final_scheduler() {
        // -b is checked after all options, so its position relative to -s does not matter.
        let both = SchedFlags { sh_fallback: true, sh_port: true, ..SchedFlags::default() };
        assert_eq!(service("ipvsadm -A -u 10.0.0.100:53 -b sh-fallback,sh-port -s sh").flags, both);
        assert_eq!(service("ipvsadm -A -u 10.0.0.100:53 -s sh -b sh-port,,sh-fallback").flags, both);
        assert!(service("ipvsadm -A -t 10.0.0.100:80 -s mh -b flag-1").flags.mh_fallback);
        let line = "ipvsadm -E -t 10.0.0.100:80 -b sh-port";
        let e = err(line);
        assert_eq!(&line[e.span.clone()], "sh-port");
        assert_eq!(e.expected, "a flag the wlc scheduler accepts");
        assert_eq!(
            e.hint.as_deref(),
            Some(
                "incompatible scheduler flag: sh-port works only with -s sh; without -s ipvsadm uses wlc, and \
                 it checks -b against the final scheduler"
            )
        );
        assert!(err("ipvsadm -A -t 10.0.0.100:80 -s rr -b sh-port").hint.unwrap().contains("the scheduler here is rr"));
        assert_eq!(at("ipvsadm -A -t 10.0.0.100:80 -s sh -b sh-port,sh-fallbak"), "sh-fallbak");
    }

    #[test]
    fn scheduler_errors() {
        // An unknown name lists the valid ones and suggests the closest.
        let line = "ipvsadm -A -t 10.0.0.100:80 -s wrrr";
        let e = err(line);
        assert_eq!(&line[e.span.clone()], "wrrr");
        assert_eq!(e.expected, "a scheduler: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos");
        assert_eq!(e.hint.as_deref(), Some("did you mean wrr?"));
        assert_eq!(err("ipvsadm -A -t 10.0.0.100:80 -s RR").hint.as_deref(), Some("did you mean rr?"));
        assert_eq!(service("ipvsadm -A -t 10.0.0.100:80 -s twos").scheduler, Sched::Twos);
        for s in Sched::ALL {
            assert_eq!(s.name().parse::<Sched>(), Ok(s));
        }
    }

    #[test]
    fn value_errors_point_at_the_value() {
        // Range errors name the range; address errors point at the bad part of host:port.
        let e = err("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -w 65536");
        assert_eq!((e.expected.as_str(), e.found.as_str()), ("a weight from 0 to 65535", "\"65536\""));
        assert_eq!(at("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -w -1"), "-1");
        assert_eq!(at("ipvsadm -A -t 10.0.0.300:80"), "10.0.0.300");
        assert_eq!(at("ipvsadm -A -t 10.0.0.100:http"), "http");
        assert_eq!(err("ipvsadm -A -t 10.0.0.100:http").hint.as_deref(), Some("lvsim needs numeric ports: http is 80"));
        assert_eq!(at("ipvsadm -A -t 10.0.0.100:99999"), "99999");
        assert!(err("ipvsadm -A -t www.example.com:80").hint.unwrap().contains("host names are not resolved"));
        assert!(err("ipvsadm -A -t 80").hint.unwrap().contains("10.0.0.100:80"));
        assert!(err("ipvsadm -A -t 10.0.0.100:0 -p -M 24").hint.unwrap().contains("0.0.0.24"));
        let e = err("ipvsadm -A -t");
        assert_eq!((e.span, e.found.as_str()), (13..13, END_OF_COMMAND));
        assert_eq!(at("ipvsadm -A -t -s rr"), "-s");
    }

    #[test]
    fn required_and_semantic_errors() {
        // ipvsadm's own checks: -r required for servers, port 0 needs -p, -o only for UDP,
        // --tun-type only with -i, --set needs exactly three values.
        let e = err("ipvsadm -a -t 10.0.0.100:80 -w 2");
        assert_eq!((e.span, e.expected.as_str()), (32..32, "-r and a real server address"));
        assert_eq!(err("ipvsadm -A -s rr").expected, "a virtual service: -t or -u and host:port, or -f and a mark");
        assert_eq!(at("ipvsadm -A -t 10.0.0.100 -s rr"), "10.0.0.100");
        assert!(service("ipvsadm -A -t 10.0.0.100 -s rr -p").persistent.is_some());
        assert_eq!(at("ipvsadm -A -t 10.0.0.100:80 -o"), "-o");
        assert!(service("ipvsadm -A -u 10.0.0.100:53 -o").one_packet);
        assert_eq!(at("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 --tun-type ipip"), "--tun-type");
        assert_eq!(at("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -y 5"), "5");
        assert_eq!(at("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -x 4 -y 5"), "5");
        assert_eq!(err("ipvsadm --set 900 120").span, 21..21);
        assert_eq!(at("ipvsadm --set 900 120 300 5"), "5");
        assert_eq!(at("ipvsadm --set 900 120 x"), "x");
    }

    #[test]
    fn fwmark_services() {
        // ipvsadm.c case 'f': fwmark = parse_fwmark(optarg), protocol TCP, address and port 0;
        // so a -g server gets port 0 (the service port), a -m server keeps its own, and
        // "Zero port specified for non-persistent service" does not apply (`!ce.svc.fwmark`).
        let o = service("ipvsadm -A -f 1 -s lblc");
        assert_eq!((o.svc, o.persistent), (ServiceAddr::fwmark(1), None));
        assert_eq!((o.svc.addr, o.svc.port, o.svc.fwmark), (Ipv4Addr::UNSPECIFIED, 0, 1));
        assert_eq!(service("ipvsadm -A --fwmark-service=7 -s rr -p 600").persistent, Some(600));
        assert_eq!(server("ipvsadm -a -f 1 -r 10.0.0.11:8080 -g").port, 0);
        assert_eq!(server("ipvsadm -a -f 1 -r 10.0.0.11:8080 -m").port, 8080);
        assert_eq!(run("ipvsadm -D -f 4294967295").unwrap(), IpvsadmCmd::DelService(ServiceAddr::fwmark(u32::MAX)));
        // parse_fwmark refuses 0 and anything that is not a number.
        assert_eq!(at("ipvsadm -A -f 0 -s rr"), "0");
        assert_eq!(at("ipvsadm -A -f x -s rr"), "x");
        assert_eq!(at("ipvsadm -A -f 1 -t 10.0.0.100:80"), "-t");
        // -o is allowed for fwmark services as for UDP ones.
        assert!(service("ipvsadm -A -f 1 -o").one_packet);
    }

    #[test]
    fn option_structure_errors() {
        // The command must come first and once; options must fit the command and appear once.
        assert_eq!(at("ipvsadm -t 10.0.0.100:80 -A"), "-t");
        assert_eq!(at("ipvsadm -A -t 10.0.0.100:80 -a"), "-a");
        let line = "ipvsadm -A -t 10.0.0.100:80 -w 3";
        let e = err(line);
        assert_eq!(&line[e.span.clone()], "-w");
        assert_eq!(e.expected, "an option -A accepts: -t|-u|-f, -s, -p, -M, -b, -o");
        assert_eq!(e.hint.as_deref(), Some("-w belongs to a real server: set it with -a or -e"));
        assert!(err("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -s rr").hint.unwrap().contains("virtual service"));
        assert_eq!(at("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -g -m"), "-m");
        assert_eq!(err("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -g -m").expected, "one forwarding method");
        assert_eq!(at("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -w 1 --weight 2"), "--weight");
        assert_eq!(at("ipvsadm -C -t 10.0.0.100:80"), "-t");
        assert_eq!(at("ipvsadm -A 10.0.0.100:80"), "10.0.0.100:80");
        assert_eq!(at("ipvsadm -A -t 10.0.0.100:80 -q"), "-q");
        assert_eq!(err("ipvsadm --wieght 3").hint.as_deref(), Some("did you mean --weight?"));
        assert_eq!(err("ipvsadm").found, END_OF_COMMAND);
    }

    #[test]
    fn unsupported_options_are_explained() {
        // Listing commands, SCTP services and other unmodeled features are refused at the
        // option itself, with a hint saying why and what to do instead.
        let sctp = "lvsim simulates TCP, UDP and firewall-mark services (-t, -u, -f); SCTP is not modeled";
        let e = err("ipvsadm -A --sctp-service 10.0.0.100:80");
        assert_eq!((e.found.as_str(), e.hint.as_deref()), ("\"--sctp-service\"", Some(sctp)));
        assert_eq!(at("ipvsadm -A --sctp-service 10.0.0.100:80"), "--sctp-service");
        for line in ["ipvsadm -L -n", "ipvsadm -Ln", "ipvsadm -l", "ipvsadm -S -n", "ipvsadm -Z"] {
            assert_eq!(err(line).hint.as_deref(), Some(LISTING_HINT), "{line}");
        }
        assert_eq!(at("ipvsadm -Lnc"), "-L");
        assert_eq!(at("ipvsadm -ALn"), "L");
        assert!(err("ipvsadm -A -t 10.0.0.100:80 -n").hint.unwrap().contains("belongs to listings"));
        assert!(err("ipvsadm -A -t 10.0.0.100:80 --pe sip").hint.unwrap().contains("persistence engines"));
        assert!(err("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -i --tun-type gue").hint.unwrap().contains("GUE"));
        assert!(err("ipvsadm -A -f 1 -6").hint.is_some());
        assert!(err("ipvsadm -R").hint.unwrap().contains("own `ipvsadm` line"));
    }

    #[test]
    fn display_is_the_save_format() {
        // Display prints the rule as `ipvsadm -S -n` would (spec d.7), prefixed with `ipvsadm`.
        for (input, canonical) in [
            ("ipvsadm -A -t 10.0.0.100:80", "ipvsadm -A -t 10.0.0.100:80 -s wlc"),
            ("ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11", "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 1"),
            (
                "ipvsadm -A -t 10.0.0.101:443 -s rr -p -M 255.255.255.0",
                "ipvsadm -A -t 10.0.0.101:443 -s rr -p 360 -M 255.255.255.0",
            ),
            (
                "ipvsadm -a -t 10.0.0.101:443 -r 192.168.10.1:8443 -m",
                "ipvsadm -a -t 10.0.0.101:443 -r 192.168.10.1:8443 -m -w 1",
            ),
            (
                "ipvsadm -A -u 10.0.0.100:53 -s sh -b sh-port,sh-fallback",
                "ipvsadm -A -u 10.0.0.100:53 -s sh -b sh-fallback,sh-port",
            ),
            (
                "ipvsadm -a -u 10.0.0.100:53 -r 10.0.0.11 -i -x 9",
                "ipvsadm -a -u 10.0.0.100:53 -r 10.0.0.11:53 -i -w 1 -x 9",
            ),
            ("ipvsadm -d -t 10.0.0.100:80 -r 10.0.0.11", "ipvsadm -d -t 10.0.0.100:80 -r 10.0.0.11:80"),
            ("ipvsadm -C", "ipvsadm -C"),
        ] {
            assert_eq!(run(input).map(|c| c.to_string()).as_deref(), Ok(canonical), "{input}");
        }
        assert_eq!(Fwd::Nat.name(), "Masq");
        assert_eq!(Proto::Udp.name(), "UDP");
    }

    proptest! {
        #[test]
        fn ipvsadm_round_trips(c in strategies::cmd()) {
            // Display then parse gives back the same command for every representable value.
            let line = c.to_string();
            prop_assert_eq!(run(&line), Ok(c), "{}", line);
        }

        #[test]
        fn option_soup_never_panics(words in prop::collection::vec(prop::sample::select(vec![
            "-A", "-E", "-D", "-C", "-a", "-e", "-d", "--set", "-t", "-u", "-s", "-p", "-M", "-r", "-g", "-i", "-m",
            "-w", "-x", "-y", "-b", "-o", "--tun-type", "ipip", "10.0.0.100:80", "10.0.0.100", "10.0.0.11:8080",
            "rr", "sh", "mh", "sh-port", "flag-1", ",", "255.255.255.0", "0", "360", "-At", "-p60", "--weight=",
            "--", "-", "", "é", "-é", "--=", "-L",
        ]), 0..10)) {
            // Any mix of real options and values is either parsed or refused with a valid span.
            let line = format!("ipvsadm {}", words.join(" "));
            if let Err(e) = command::parse(&line) {
                prop_assert!(line.get(e.span.clone()).is_some(), "{} {:?}", line, e);
            }
        }
    }
}
