//! One line of host configuration, parsed into a typed [`Command`].
//!
//! A scenario configures each host with the commands an admin types on a real machine, so a
//! working scenario is also a recipe for real hosts. [`parse`] reads one such line:
//!
//! | command | becomes |
//! |---|---|
//! | `ip addr add 10.0.0.100/32 dev lo [scope host] [label lo:0] [brd +]` | [`Command::AddrAdd`] |
//! | `ip addr del 10.0.0.100/32 dev lo` | [`Command::AddrDel`] |
//! | `ip link set eth0 mtu 1400 up` | [`Command::LinkSet`] |
//! | `ip route add default via 10.0.0.1 [dev eth0] [src ..] [mtu N] [metric N]` | [`Command::RouteAdd`] |
//! | `ip route del 10.0.0.0/24` | [`Command::RouteDel`] |
//! | `ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:01 dev eth0 [nud ..]`, `arp -s ..` | [`Command::NeighAdd`] |
//! | `sysctl -w net.ipv4.conf.all.arp_ignore=1`, `echo 1 > /proc/sys/net/ipv4/ip_forward` | [`Command::Sysctl`] |
//! | `modprobe ipip` | [`Command::Modprobe`] |
//! | `ipvsadm -A -t 10.0.0.100:80 -s rr` (see [`crate::ipvs::ipvsadm`]) | [`Command::Ipvsadm`] |
//! | `arptables -A INPUT -d 10.0.0.100 -j DROP` | [`Command::Arptables`] |
//!
//! iproute2 abbreviations work as they do in `ip` (`ip a add`, `ip r del`, `ip n add`).
//!
//! Bad input is never a panic: [`parse`] returns a [`CmdError`] whose `span` points at the
//! offending token, with what was expected, what was found and often a hint.
//!
//! Lexing is deliberately small: words split on whitespace; `"..."` and `'...'` quote (no
//! escapes inside); a word starting with `#` begins a comment; a leading `sudo` is skipped.
//! Shell features (`$VAR`, `;`, `&&`, `|`, backslashes, `<`) are rejected with a hint.
//!
//! [`Command`]'s `Display` prints the canonical form, which parses back to the same value.

use std::fmt;
use std::net::Ipv4Addr;
use std::ops::{Range, RangeInclusive};

use crate::ipvs::ipvsadm::{self, IpvsadmCmd, Sched};

// ───────────────────────────── errors ─────────────────────────────

/// `found` when the command ended before something it needs.
pub const END_OF_COMMAND: &str = "end of command";

/// A command that could not be parsed. `span` is a byte range inside the command string
/// pointing at the offending token (or an empty range at the end when something is missing).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CmdError {
    /// Byte range in the command string.
    pub span: Range<usize>,
    /// A short phrase: "an IPv4 address like 10.0.0.1", "one of: add, del".
    pub expected: String,
    /// The offending token, quoted (`"10.0.0.300"`), or `end of command`.
    pub found: String,
    /// A helpful sentence, when there is one.
    pub hint: Option<String>,
}

impl CmdError {
    /// An error at `span`, where the text `found` (quoted in the message) was not what was expected.
    pub(crate) fn new(span: Range<usize>, expected: impl Into<String>, found: &str) -> Self {
        Self { span, expected: expected.into(), found: quote(found), hint: None }
    }

    /// Something required is missing: an empty span at `at` (the end of the command).
    pub(crate) fn missing(at: usize, expected: impl Into<String>) -> Self {
        Self { span: at..at, expected: expected.into(), found: END_OF_COMMAND.to_owned(), hint: None }
    }

    #[must_use]
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    #[must_use]
    pub(crate) fn with_hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// The command with carets under the span, then the message and the hint: for terminals
    /// and snapshots. Columns count characters, not bytes.
    #[must_use]
    pub fn render(&self, cmd: &str) -> String {
        let start = self.span.start.min(cmd.len());
        let end = self.span.end.clamp(start, cmd.len());
        let col = cmd.get(..start).map_or(start, |s| s.chars().count());
        let width = cmd.get(start..end).map_or(1, |s| s.chars().count()).max(1);
        let mut out =
            format!("{cmd}\n{}{} expected {}, found {}", " ".repeat(col), "^".repeat(width), self.expected, self.found);
        if let Some(hint) = &self.hint {
            out.push_str("\nhint: ");
            out.push_str(hint);
        }
        out
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, found {}", self.expected, self.found)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CmdError {}

/// A token as it appears in `found`: quoted, with control characters escaped.
pub(crate) fn quote(text: &str) -> String {
    format!("{text:?}")
}

/// The byte range of `text[r]` inside the command, given the token's `span`. When quotes were
/// removed from the token (its text is shorter than its span) the whole token is returned.
pub(crate) fn sub_span(text: &str, span: &Range<usize>, r: Range<usize>) -> Range<usize> {
    if text.len() == span.len() && r.start <= r.end && r.end <= text.len() {
        span.start + r.start..span.start + r.end
    } else {
        span.clone()
    }
}

/// Levenshtein distance in characters. Words longer than 256 bytes are never typos of ours:
/// their distance is reported as the longer length, without the quadratic work.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    if a.len() > 256 || b.len() > 256 {
        return a.chars().count().max(b.chars().count());
    }
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word` if it is a plausible typo of it (a case-only difference,
/// or at most a third of the candidate's characters changed, at least one).
pub(crate) fn closest<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let mut best: Option<(usize, &str)> = None;
    for cand in candidates {
        if word.eq_ignore_ascii_case(cand) {
            return Some(cand);
        }
        let d = edit_distance(word, cand);
        if d <= (cand.chars().count() / 3).max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, cand));
        }
    }
    best.map(|(_, c)| c)
}

/// "did you mean X?" for the closest candidate, if any.
pub(crate) fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<String> {
    closest(word, candidates).map(|c| format!("did you mean {c}?"))
}

// ───────────────────────────── addresses ─────────────────────────────

/// `expected` for an IPv4 address.
pub(crate) const IPV4_EXPECTED: &str = "an IPv4 address like 10.0.0.1";

/// Parses a dotted-quad IPv4 address (four decimal numbers, no leading zeros, no names).
pub(crate) fn parse_ipv4(text: &str, span: Range<usize>) -> Result<Ipv4Addr, CmdError> {
    text.parse::<Ipv4Addr>().map_err(|_| CmdError::new(span, IPV4_EXPECTED, text).with_hint_opt(ipv4_hint(text)))
}

/// Why `text` is not an IPv4 address, when we can tell.
pub(crate) fn ipv4_hint(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    if text.contains(':') {
        return Some("lvsim models IPv4 only, and a port does not belong here".to_owned());
    }
    if text.chars().any(|c| c.is_ascii_alphabetic()) {
        return Some("lvsim needs numeric addresses like 10.0.0.1; host names are not resolved".to_owned());
    }
    let parts: Vec<&str> = text.split('.').collect();
    if !parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    if parts.len() != 4 {
        return Some("write all four numbers of the address, like 10.0.0.1".to_owned());
    }
    if parts.iter().any(|p| p.len() > 3 || p.parse::<u16>().is_ok_and(|n| n > 255)) {
        return Some("each of the four numbers is between 0 and 255".to_owned());
    }
    if parts.iter().any(|p| p.len() > 1 && p.starts_with('0')) {
        return Some("leading zeros are not allowed (inet_aton would read 010 as octal 8)".to_owned());
    }
    None
}

/// The netmask of a prefix length (0..=32).
fn prefix_mask(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) }
}

/// `ADDR[/LEN]` or `ADDR/MASK` (iproute2 accepts a contiguous dotted mask too).
/// `default` (and iproute2's `all`, `any`, `0/0`) is 0.0.0.0/0 when `allow_default`.
fn parse_prefix(t: &Tok, allow_default: bool) -> Result<(Ipv4Addr, u8), CmdError> {
    if allow_default && matches!(t.text.as_str(), "default" | "all" | "any" | "0/0") {
        return Ok((Ipv4Addr::UNSPECIFIED, 0));
    }
    let (addr_text, len_text) = match t.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (t.text.as_str(), None),
    };
    let addr = parse_ipv4(addr_text, t.sub(0..addr_text.len()))?;
    let Some(len_text) = len_text else {
        return Ok((addr, 32));
    };
    let span = t.sub(addr_text.len() + 1..t.text.len());
    let expected = "a prefix length from 0 to 32";
    if len_text.contains('.') {
        let mask = u32::from(parse_ipv4(len_text, span.clone())?);
        if mask.leading_ones() + mask.trailing_zeros() != 32 {
            return Err(CmdError::new(span, expected, len_text)
                .with_hint("a netmask must be contiguous ones, like 255.255.255.0"));
        }
        return Ok((addr, u8::try_from(mask.leading_ones()).unwrap_or(32)));
    }
    match len_text.parse::<u8>() {
        Ok(len) if len <= 32 && len_text.bytes().all(|b| b.is_ascii_digit()) => Ok((addr, len)),
        _ => Err(CmdError::new(span, expected, len_text)),
    }
}

fn fmt_mac(mac: [u8; 6]) -> String {
    let parts: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

fn parse_mac(t: &Tok) -> Result<[u8; 6], CmdError> {
    let expected = "a MAC address like 02:00:00:00:00:11";
    let parts: Vec<&str> = t.text.split(':').collect();
    let mut mac = [0u8; 6];
    let ok = parts.len() == 6
        && parts.iter().zip(mac.iter_mut()).all(|(p, b)| {
            (1..=2).contains(&p.len())
                && p.bytes().all(|c| c.is_ascii_hexdigit())
                && u8::from_str_radix(p, 16).map(|v| *b = v).is_ok()
        });
    if ok {
        return Ok(mac);
    }
    let hint = (t.text.split('-').count() == 6).then(|| "separate the bytes with colons: 02:00:00:00:00:11".to_owned());
    Err(t.err(expected).with_hint_opt(hint))
}

const DEV_EXPECTED: &str = "an interface name like eth0";

/// Checks a Linux interface name the way the kernel does (`dev_valid_name`), a little stricter:
/// 1 to 15 characters among letters, digits, `_`, `-` and `.`. The error is a hint.
pub(crate) fn validate_dev(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an interface name cannot be empty".to_owned());
    }
    if let Some((base, _)) = name.split_once(':')
        && validate_dev(base).is_ok()
    {
        return Err(format!("{name} is an address label, not an interface: write `dev {base} label {name}`"));
    }
    if name == "." || name == ".." {
        return Err("`.` and `..` are not interface names".to_owned());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err("interface names use letters, digits, `_`, `-` and `.`".to_owned());
    }
    if name.len() > 15 {
        return Err("Linux interface names have at most 15 characters (IFNAMSIZ)".to_owned());
    }
    Ok(())
}

fn parse_dev(t: &Tok) -> Result<String, CmdError> {
    validate_dev(&t.text).map_err(|hint| t.err(DEV_EXPECTED).with_hint(hint))?;
    Ok(t.text.clone())
}

fn parse_number(t: &Tok, range: RangeInclusive<u32>, expected: &str) -> Result<u32, CmdError> {
    let ok = !t.text.is_empty() && t.text.bytes().all(|b| b.is_ascii_digit());
    match t.text.parse::<u32>() {
        Ok(n) if ok && range.contains(&n) => Ok(n),
        _ => Err(t.err(expected)),
    }
}

fn parse_mtu(t: &Tok) -> Result<u32, CmdError> {
    parse_number(t, 68..=65_536, "an MTU from 68 to 65536")
}

// ───────────────────────────── the command ─────────────────────────────

/// One parsed configuration command.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Command {
    /// `ip addr add ADDR[/PREFIX] dev DEV [scope host|link|global] [label ..] [brd ..]`
    /// (`ip a add`, `ip address add`, `ip addr replace` too). The prefix defaults to 32. Without
    /// `scope` the scope is `host` for 127.0.0.0/8 and `global` otherwise, as iproute2 does.
    AddrAdd { addr: Ipv4Addr, prefix: u8, dev: String, scope: Scope },
    /// `ip addr del ADDR[/PREFIX] dev DEV`
    AddrDel { addr: Ipv4Addr, prefix: u8, dev: String },
    /// `ip link set [dev] DEV up|down|mtu N` (any combination; the last of up/down wins).
    LinkSet { dev: String, up: Option<bool>, mtu: Option<u32> },
    /// `ip route add|replace PREFIX|default [via GW] [dev DEV] [src ADDR] [mtu N] [metric N]`;
    /// at least one of via/dev. Host bits of the destination must be zero, as the kernel demands.
    RouteAdd {
        dst: Ipv4Addr,
        prefix: u8,
        via: Option<Ipv4Addr>,
        dev: Option<String>,
        src: Option<Ipv4Addr>,
        mtu: Option<u32>,
        metric: u32,
    },
    /// `ip route del PREFIX|default`
    RouteDel { dst: Ipv4Addr, prefix: u8 },
    /// `ip neigh add|replace ADDR lladdr MAC dev DEV [nud permanent|noarp|reachable|stale]`
    /// (`ip neighbor`, `ip neighbour` too; `nud` defaults to permanent as in iproute2), or
    /// `arp [-i DEV] -s ADDR MAC [temp]` (permanent; `temp` makes it stale, as the kernel does).
    NeighAdd { addr: Ipv4Addr, mac: [u8; 6], dev: Option<String>, nud: Nud },
    /// `sysctl [-w] KEY=VALUE` (dotted or slashed key) or `echo VALUE > /proc/sys/KEY`.
    Sysctl { key: SysctlKey, value: i64 },
    /// `modprobe MODULE`: `ipip` creates `tunl0` on real Linux; `ip_vs`, `ip_vs_SCHED`,
    /// `arp_tables`, `arptable_filter` and `arpt_mangle` are accepted. `-` reads as `_`.
    Modprobe { module: String },
    /// `ipvsadm ...`
    Ipvsadm(IpvsadmCmd),
    /// `arptables -A|-I CHAIN [-s IP] [-d IP] -j DROP|ACCEPT|mangle [--mangle-ip-s IP]`
    Arptables(ArpRule),
    /// `iptables [-t filter] -A|-I CHAIN [-p tcp|udp|icmp] [-s NET] [-d NET] [--sport N]
    /// [--dport N] -j DROP|ACCEPT`: a filter-table rule (priority 0 on its hook).
    Iptables(IptRule),
}

/// An iptables filter chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IptChain {
    Input,
    Forward,
    Output,
}

impl IptChain {
    pub fn name(self) -> &'static str {
        match self {
            IptChain::Input => "INPUT",
            IptChain::Forward => "FORWARD",
            IptChain::Output => "OUTPUT",
        }
    }
}

/// An iptables filter rule: every given match must hold; the target is DROP or ACCEPT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IptRule {
    pub chain: IptChain,
    /// `None`: appended (`-A`); `Some(n)`: inserted as rule `n` (`-I`).
    pub insert: Option<u32>,
    /// IP protocol number (`-p tcp` = 6, `udp` = 17, `icmp` = 1).
    pub proto: Option<u8>,
    pub src: Option<(Ipv4Addr, u8)>,
    pub dst: Option<(Ipv4Addr, u8)>,
    pub sport: Option<u16>,
    pub dport: Option<u16>,
    pub drop: bool,
}

/// Address scope (`ip addr add ... scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Link,
    Host,
}

impl Scope {
    /// iproute2's scope when none is given: host for 127.0.0.0/8, global otherwise.
    #[must_use]
    pub fn default_for(addr: Ipv4Addr) -> Self {
        if addr.octets()[0] == 127 { Self::Host } else { Self::Global }
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Link => "link",
            Self::Host => "host",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Neighbour entry state (`nud`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nud {
    Permanent,
    Noarp,
    Reachable,
    Stale,
}

impl Nud {
    pub const ALL: [Self; 4] = [Self::Permanent, Self::Noarp, Self::Reachable, Self::Stale];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Permanent => "permanent",
            Self::Noarp => "noarp",
            Self::Reachable => "reachable",
            Self::Stale => "stale",
        }
    }
}

impl fmt::Display for Nud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// arptables chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArpChain {
    Input,
    Output,
}

impl ArpChain {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Input => "INPUT",
            Self::Output => "OUTPUT",
        }
    }
}

/// One arptables rule. `src`/`dst` `None` match any address (`-d 0/0` too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArpRule {
    pub chain: ArpChain,
    pub src: Option<Ipv4Addr>,
    pub dst: Option<Ipv4Addr>,
    pub target: ArpTarget,
    /// `None`: appended (`-A`); `Some(n)`: inserted as rule `n` of the chain, 1 = first (`-I`).
    pub insert: Option<u32>,
}

/// What an arptables rule does with a matching packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArpTarget {
    Drop,
    Accept,
    /// `-j mangle --mangle-ip-s IP`: rewrite the sender IP, then accept.
    MangleIpSrc(Ipv4Addr),
}

/// A sysctl lvsim models.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SysctlKey {
    /// `net.ipv4.ip_forward`
    IpForward,
    /// `net.ipv4.conf.{all,default,DEV}.NAME`
    Conf { dev: ConfDev, name: ConfName },
    /// `net.ipv4.vs.NAME`
    Vs(VsName),
    /// `net.ipv4.neigh.{default,DEV}.NAME` (there is no `all` here)
    Neigh { dev: ConfDev, name: NeighName },
}

/// The interface part of `net.ipv4.conf.*` / `net.ipv4.neigh.*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ConfDev {
    All,
    Default,
    /// An interface name other than `all` and `default`.
    Dev(String),
}

/// Leaves of `net.ipv4.conf.{all,default,DEV}` (ip-sysctl.rst; see the spec, section e).
pub use crate::stack::conf::ConfName;

/// Leaves of `net.ipv4.vs` (ipvs-sysctl.rst; see the spec, section a.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VsName {
    ConnReuseMode,
    ExpireNodestConn,
    ExpireQuiescentTemplate,
    PmtuDisc,
    SloppyTcp,
    Conntrack,
    /// Seconds.
    LblcExpiration,
    /// Seconds.
    LblcrExpiration,
    NatIcmpSend,
    SnatReroute,
}

/// Leaves of `net.ipv4.neigh.{default,DEV}`, in the units `/proc/sys` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeighName {
    /// `USER_HZ` ticks (1/100 s); kernel default 100 = 1 s.
    Locktime,
    /// Milliseconds; default 30000.
    BaseReachableTimeMs,
    /// Seconds; default 5.
    DelayFirstProbeTime,
    /// Milliseconds; default 1000.
    RetransTimeMs,
    /// Count; default 3.
    UcastSolicit,
    /// Count; default 3.
    McastSolicit,
    /// Seconds; default 60.
    GcStaleTime,
}

const BOOL: RangeInclusive<i64> = 0..=1;
/// What `proc_dointvec` accepts for a non-negative int.
const NON_NEGATIVE: RangeInclusive<i64> = 0..=2_147_483_647;

impl ConfName {
    pub const ALL: [Self; 10] = [
        Self::ArpIgnore,
        Self::ArpAnnounce,
        Self::ArpFilter,
        Self::ArpAccept,
        Self::RpFilter,
        Self::AcceptLocal,
        Self::Forwarding,
        Self::SendRedirects,
        Self::RouteLocalnet,
        Self::DropGratuitousArp,
    ];

    /// The kernel's leaf name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::ArpIgnore => "arp_ignore",
            Self::ArpAnnounce => "arp_announce",
            Self::ArpFilter => "arp_filter",
            Self::ArpAccept => "arp_accept",
            Self::RpFilter => "rp_filter",
            Self::AcceptLocal => "accept_local",
            Self::Forwarding => "forwarding",
            Self::SendRedirects => "send_redirects",
            Self::RouteLocalnet => "route_localnet",
            Self::DropGratuitousArp => "drop_gratuitous_arp",
        }
    }

    /// Values lvsim accepts.
    #[must_use]
    pub fn range(self) -> RangeInclusive<i64> {
        match self {
            Self::ArpIgnore => 0..=8,
            Self::ArpAnnounce | Self::ArpAccept | Self::RpFilter => 0..=2,
            Self::ArpFilter
            | Self::AcceptLocal
            | Self::Forwarding
            | Self::SendRedirects
            | Self::RouteLocalnet
            | Self::DropGratuitousArp => BOOL,
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.name() == name)
    }
}

impl VsName {
    pub const ALL: [Self; 10] = [
        Self::ConnReuseMode,
        Self::ExpireNodestConn,
        Self::ExpireQuiescentTemplate,
        Self::PmtuDisc,
        Self::SloppyTcp,
        Self::Conntrack,
        Self::LblcExpiration,
        Self::LblcrExpiration,
        Self::NatIcmpSend,
        Self::SnatReroute,
    ];

    /// The kernel's leaf name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::ConnReuseMode => "conn_reuse_mode",
            Self::ExpireNodestConn => "expire_nodest_conn",
            Self::ExpireQuiescentTemplate => "expire_quiescent_template",
            Self::PmtuDisc => "pmtu_disc",
            Self::SloppyTcp => "sloppy_tcp",
            Self::Conntrack => "conntrack",
            Self::LblcExpiration => "lblc_expiration",
            Self::LblcrExpiration => "lblcr_expiration",
            Self::NatIcmpSend => "nat_icmp_send",
            Self::SnatReroute => "snat_reroute",
        }
    }

    /// Values lvsim accepts.
    #[must_use]
    pub fn range(self) -> RangeInclusive<i64> {
        match self {
            Self::ConnReuseMode => 0..=3,
            Self::LblcExpiration | Self::LblcrExpiration => NON_NEGATIVE,
            Self::ExpireNodestConn
            | Self::ExpireQuiescentTemplate
            | Self::PmtuDisc
            | Self::SloppyTcp
            | Self::Conntrack
            | Self::NatIcmpSend
            | Self::SnatReroute => BOOL,
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.name() == name)
    }
}

impl NeighName {
    pub const ALL: [Self; 7] = [
        Self::Locktime,
        Self::BaseReachableTimeMs,
        Self::DelayFirstProbeTime,
        Self::RetransTimeMs,
        Self::UcastSolicit,
        Self::McastSolicit,
        Self::GcStaleTime,
    ];

    /// The kernel's leaf name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Locktime => "locktime",
            Self::BaseReachableTimeMs => "base_reachable_time_ms",
            Self::DelayFirstProbeTime => "delay_first_probe_time",
            Self::RetransTimeMs => "retrans_time_ms",
            Self::UcastSolicit => "ucast_solicit",
            Self::McastSolicit => "mcast_solicit",
            Self::GcStaleTime => "gc_stale_time",
        }
    }

    /// Values lvsim accepts (any int >= 0).
    #[must_use]
    pub fn range(self) -> RangeInclusive<i64> {
        NON_NEGATIVE
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.name() == name)
    }
}

impl SysctlKey {
    /// Values lvsim accepts for this key.
    #[must_use]
    pub fn range(&self) -> RangeInclusive<i64> {
        match self {
            Self::IpForward => BOOL,
            Self::Conf { name, .. } => name.range(),
            Self::Vs(name) => name.range(),
            Self::Neigh { name, .. } => name.range(),
        }
    }

    /// The last component: `ip_forward`, `arp_ignore`, ...
    #[must_use]
    pub fn leaf(&self) -> &'static str {
        match self {
            Self::IpForward => "ip_forward",
            Self::Conf { name, .. } => name.name(),
            Self::Vs(name) => name.name(),
            Self::Neigh { name, .. } => name.name(),
        }
    }
}

impl fmt::Display for ConfDev {
    /// `all`, `default` or the interface; a `.` in an interface name is written `/`, as
    /// dotted sysctl names require (`net.ipv4.conf.eth0/100.rp_filter`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("all"),
            Self::Default => f.write_str("default"),
            Self::Dev(dev) => f.write_str(&dev.replace('.', "/")),
        }
    }
}

impl fmt::Display for SysctlKey {
    /// The dotted name, e.g. `net.ipv4.conf.all.arp_ignore`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::IpForward => f.write_str("net.ipv4.ip_forward"),
            Self::Conf { dev, name } => write!(f, "net.ipv4.conf.{dev}.{}", name.name()),
            Self::Vs(name) => write!(f, "net.ipv4.vs.{}", name.name()),
            Self::Neigh { dev, name } => write!(f, "net.ipv4.neigh.{dev}.{}", name.name()),
        }
    }
}

impl fmt::Display for Command {
    /// The canonical command line; [`parse`] reads it back to the same value. One exception:
    /// a `NeighAdd` without a device in state noarp or reachable has no command line (only
    /// `arp -s` leaves the device out) and prints as `ip neigh` without `dev`, which is refused.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AddrAdd { addr, prefix, dev, scope } => {
                write!(f, "ip addr add {addr}/{prefix} dev {dev}")?;
                if *scope != Scope::default_for(*addr) {
                    write!(f, " scope {scope}")?;
                }
                Ok(())
            }
            Self::AddrDel { addr, prefix, dev } => write!(f, "ip addr del {addr}/{prefix} dev {dev}"),
            Self::LinkSet { dev, up, mtu } => {
                write!(f, "ip link set dev {dev}")?;
                if let Some(mtu) = mtu {
                    write!(f, " mtu {mtu}")?;
                }
                match up {
                    Some(true) => f.write_str(" up"),
                    Some(false) => f.write_str(" down"),
                    None => Ok(()),
                }
            }
            Self::RouteAdd { dst, prefix, via, dev, src, mtu, metric } => {
                f.write_str("ip route add ")?;
                write_route_dst(f, *dst, *prefix)?;
                if let Some(via) = via {
                    write!(f, " via {via}")?;
                }
                if let Some(dev) = dev {
                    write!(f, " dev {dev}")?;
                }
                if let Some(src) = src {
                    write!(f, " src {src}")?;
                }
                if let Some(mtu) = mtu {
                    write!(f, " mtu {mtu}")?;
                }
                if *metric != 0 {
                    write!(f, " metric {metric}")?;
                }
                Ok(())
            }
            Self::RouteDel { dst, prefix } => {
                f.write_str("ip route del ")?;
                write_route_dst(f, *dst, *prefix)
            }
            Self::NeighAdd { addr, mac, dev, nud } => {
                let mac = fmt_mac(*mac);
                match (dev, nud) {
                    (Some(dev), _) => write!(f, "ip neigh add {addr} lladdr {mac} dev {dev} nud {nud}"),
                    (None, Nud::Permanent) => write!(f, "arp -s {addr} {mac}"),
                    (None, Nud::Stale) => write!(f, "arp -s {addr} {mac} temp"),
                    (None, _) => write!(f, "ip neigh add {addr} lladdr {mac} nud {nud}"),
                }
            }
            Self::Sysctl { key, value } => write!(f, "sysctl -w {key}={value}"),
            Self::Modprobe { module } => write!(f, "modprobe {module}"),
            Self::Ipvsadm(cmd) => write!(f, "{cmd}"),
            Self::Arptables(rule) => {
                match rule.insert {
                    None => write!(f, "arptables -A {}", rule.chain.name())?,
                    Some(n) => write!(f, "arptables -I {} {n}", rule.chain.name())?,
                }
                if let Some(src) = rule.src {
                    write!(f, " -s {src}")?;
                }
                if let Some(dst) = rule.dst {
                    write!(f, " -d {dst}")?;
                }
                match rule.target {
                    ArpTarget::Drop => f.write_str(" -j DROP"),
                    ArpTarget::Accept => f.write_str(" -j ACCEPT"),
                    ArpTarget::MangleIpSrc(ip) => write!(f, " -j mangle --mangle-ip-s {ip}"),
                }
            }
            Self::Iptables(r) => {
                match r.insert {
                    None => write!(f, "iptables -A {}", r.chain.name())?,
                    Some(n) => write!(f, "iptables -I {} {n}", r.chain.name())?,
                }
                if let Some(p) = r.proto {
                    write!(
                        f,
                        " -p {}",
                        match p {
                            6 => "tcp",
                            17 => "udp",
                            _ => "icmp",
                        }
                    )?;
                }
                if let Some((a, l)) = r.src {
                    write!(f, " -s {a}/{l}")?;
                }
                if let Some((a, l)) = r.dst {
                    write!(f, " -d {a}/{l}")?;
                }
                if let Some(p) = r.sport {
                    write!(f, " --sport {p}")?;
                }
                if let Some(p) = r.dport {
                    write!(f, " --dport {p}")?;
                }
                f.write_str(if r.drop { " -j DROP" } else { " -j ACCEPT" })
            }
        }
    }
}

fn write_route_dst(f: &mut fmt::Formatter<'_>, dst: Ipv4Addr, prefix: u8) -> fmt::Result {
    if prefix == 0 && dst.is_unspecified() { f.write_str("default") } else { write!(f, "{dst}/{prefix}") }
}

// ───────────────────────────── lexing ─────────────────────────────

/// A word of the command with its byte range (quotes removed from `text`, kept in `span`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tok {
    text: String,
    span: Range<usize>,
}

impl Tok {
    fn sub(&self, r: Range<usize>) -> Range<usize> {
        sub_span(&self.text, &self.span, r)
    }

    fn err(&self, expected: impl Into<String>) -> CmdError {
        CmdError::new(self.span.clone(), expected, &self.text)
    }

    fn is(&self, word: &str) -> bool {
        self.text == word
    }
}

fn tokenize(cmd: &str) -> Result<Vec<Tok>, CmdError> {
    let mut toks = Vec::new();
    let mut chars = cmd.char_indices().peekable();
    while let Some(&(start, first)) = chars.peek() {
        if first.is_whitespace() {
            chars.next();
            continue;
        }
        if first == '#' {
            break;
        }
        let mut text = String::new();
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            end = i + c.len_utf8();
            match c {
                '"' | '\'' => {
                    let mut closed = false;
                    for (j, q) in chars.by_ref() {
                        end = j + q.len_utf8();
                        if q == c {
                            closed = true;
                            break;
                        }
                        text.push(q);
                    }
                    if !closed {
                        return Err(CmdError::new(i..i + 1, format!("a closing {c} for this quote"), &c.to_string())
                            .with_hint("close the quote on the same line"));
                    }
                }
                ';' | '|' | '&' | '`' | '$' | '\\' | '<' => return Err(shell_feature(c, i)),
                _ => text.push(c),
            }
        }
        toks.push(Tok { text, span: start..end });
    }
    Ok(toks)
}

fn shell_feature(c: char, at: usize) -> CmdError {
    let (expected, hint) = match c {
        '$' => ("a literal value", "shell variables like $VIP are not expanded: write the value itself"),
        '`' => ("a literal value", "command substitution is not supported: write the value itself"),
        '\\' => ("a plain word", "backslash escapes and line continuations are not supported: one command per line"),
        '<' => ("a plain word", "input redirection is not supported"),
        _ => ("one command per line", "`;`, `&&` and `|` are not supported: put each command on its own line"),
    };
    CmdError::new(at..at + c.len_utf8(), expected, &c.to_string()).with_hint(hint)
}

/// The words after the command name, with the position of the end of the command.
struct Args<'t> {
    toks: &'t [Tok],
    pos: usize,
    end: usize,
}

impl<'t> Args<'t> {
    fn next(&mut self) -> Option<&'t Tok> {
        let t = self.toks.get(self.pos)?;
        self.pos += 1;
        Some(t)
    }

    fn peek(&self) -> Option<&'t Tok> {
        self.toks.get(self.pos)
    }

    fn rest(&self) -> &'t [Tok] {
        self.toks.get(self.pos..).unwrap_or_default()
    }

    /// The next word, which must exist.
    fn value(&mut self, expected: &str) -> Result<&'t Tok, CmdError> {
        let end = self.end;
        self.next().ok_or_else(|| CmdError::missing(end, expected))
    }

    fn missing(&self, expected: impl Into<String>) -> CmdError {
        CmdError::missing(self.end, expected)
    }
}

/// Errors if a keyword was already given.
fn once(seen: bool, t: &Tok) -> Result<(), CmdError> {
    if seen {
        Err(t.err(format!("`{}` at most once", t.text)).with_hint(format!("`{}` was already given", t.text)))
    } else {
        Ok(())
    }
}

// ───────────────────────────── dispatch ─────────────────────────────

const COMMANDS: [&str; 8] = ["ip", "sysctl", "ipvsadm", "arptables", "iptables", "arp", "modprobe", "echo"];
const EXPECTED_COMMAND: &str = "a command: ip, sysctl, ipvsadm, arptables, iptables, arp, modprobe or echo";

/// Parses one configuration command line.
///
/// # Errors
/// A [`CmdError`] pointing at the first token that is wrong, or at the end when something is
/// missing. Never panics, whatever the input.
pub fn parse(cmd: &str) -> Result<Command, CmdError> {
    let toks = tokenize(cmd)?;
    let end = toks.last().map_or(cmd.len(), |t| t.span.end);
    let skip = usize::from(toks.first().is_some_and(|t| t.is("sudo")));
    let mut a = Args { toks: &toks[skip..], pos: 0, end };
    let Some(word) = a.next() else {
        return Err(CmdError::missing(end, EXPECTED_COMMAND));
    };
    match program_name(&word.text) {
        "ip" => parse_ip(&mut a),
        "sysctl" => parse_sysctl(&mut a),
        "echo" => parse_echo(&mut a),
        "modprobe" => parse_modprobe(&mut a),
        "ipvsadm" => {
            let rest: Vec<(&str, Range<usize>)> = a.rest().iter().map(|t| (t.text.as_str(), t.span.clone())).collect();
            ipvsadm::parse(&rest, end).map(Command::Ipvsadm)
        }
        "arptables" | "arptables-legacy" | "arptables-nft" => parse_arptables(&mut a),
        "iptables" | "iptables-legacy" | "iptables-nft" => parse_iptables(&mut a),
        "arp" => parse_arp(&mut a),
        _ => Err(unknown_command(word)),
    }
}

/// `/sbin/ipvsadm` → `ipvsadm` for the commands we know; anything else unchanged.
fn program_name(word: &str) -> &str {
    if word.starts_with('/')
        && let Some((_, base)) = word.rsplit_once('/')
        && COMMANDS.contains(&base)
    {
        return base;
    }
    word
}

fn unknown_command(word: &Tok) -> CmdError {
    let hint = match word.text.as_str() {
        "ifconfig" => {
            Some("ifconfig is not modeled: use `ip addr add 10.0.0.100/32 dev lo` and `ip link set eth0 up`".into())
        }
        "route" => Some("route is not modeled: use `ip route add default via 10.0.0.1`".into()),
        "ip6tables" | "nft" | "ebtables" => {
            Some("lvsim models IPv4 only: use iptables (filter table) or arptables".into())
        }
        "ipvsadm-restore" | "ipvsadm-save" => Some("write each rule as its own `ipvsadm ...` line".into()),
        "sudo" => Some("one `sudo` is enough".into()),
        other => did_you_mean(other, COMMANDS),
    };
    word.err(EXPECTED_COMMAND).with_hint_opt(hint)
}

// ───────────────────────────── ip ─────────────────────────────

#[derive(Clone, Copy)]
enum IpObj {
    Addr,
    Link,
    Route,
    Neigh,
}

/// `ip`'s objects in iproute2's order: an abbreviation means the first that starts with it.
const IP_OBJECTS: &[(&str, Option<IpObj>)] = &[
    ("address", Some(IpObj::Addr)),
    ("addrlabel", None),
    ("maddress", None),
    ("route", Some(IpObj::Route)),
    ("rule", None),
    ("neighbor", Some(IpObj::Neigh)),
    ("neighbour", Some(IpObj::Neigh)),
    ("ntable", None),
    ("ntbl", None),
    ("link", Some(IpObj::Link)),
    ("l2tp", None),
    ("fou", None),
    ("ila", None),
    ("macsec", None),
    ("tunnel", None),
    ("tunl", None),
    ("tuntap", None),
    ("tap", None),
    ("token", None),
    ("tcpmetrics", None),
    ("tcp_metrics", None),
    ("monitor", None),
    ("xfrm", None),
    ("mroute", None),
    ("mrule", None),
    ("netns", None),
    ("netconf", None),
    ("vrf", None),
    ("sr", None),
    ("nexthop", None),
    ("mptcp", None),
    ("ioam", None),
    ("help", None),
    ("stats", None),
];
const IP_OBJECT_EXPECTED: &str = "an ip object: addr, link, route or neigh";

/// iproute2's `matches()`: `word` is a non-empty prefix of `full`.
fn iproute_matches(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

fn parse_ip(a: &mut Args) -> Result<Command, CmdError> {
    while let Some(t) = a.peek().filter(|t| t.text.starts_with('-')) {
        a.next();
        match t.text.as_str() {
            "-4" => {}
            "-6" => return Err(t.err("an IPv4 command").with_hint("lvsim models IPv4 only")),
            _ => {
                let hint = format!("the ip option {} is not modeled; only -4 is accepted", t.text);
                return Err(t.err(IP_OBJECT_EXPECTED).with_hint(hint));
            }
        }
    }
    let t = a.value(IP_OBJECT_EXPECTED)?;
    let Some(&(full, obj)) = IP_OBJECTS.iter().find(|(full, _)| iproute_matches(&t.text, full)) else {
        return Err(t.err(IP_OBJECT_EXPECTED).with_hint_opt(did_you_mean(&t.text, ["addr", "link", "route", "neigh"])));
    };
    let Some(obj) = obj else {
        let hint = match full {
            "tunnel" | "tunl" => "tunl0 appears after `modprobe ipip`; other tunnels are not modeled".to_owned(),
            "rule" => "policy routing (ip rule) is not modeled".to_owned(),
            _ => format!("`ip {full}` is not modeled"),
        };
        return Err(t.err(IP_OBJECT_EXPECTED).with_hint(hint));
    };
    match obj {
        IpObj::Addr => {
            const VERBS: &[(&str, Option<bool>)] = &[
                ("add", Some(false)),
                ("change", None),
                ("chg", None),
                ("replace", Some(false)),
                ("delete", Some(true)),
                ("list", None),
                ("show", None),
                ("lst", None),
                ("flush", None),
                ("save", None),
                ("showdump", None),
                ("restore", None),
            ];
            let del = verb(a, "addr", VERBS, "one of: add, del")?;
            addr_modify(a, del)
        }
        IpObj::Link => {
            const VERBS: &[(&str, Option<()>)] = &[
                ("add", None),
                ("set", Some(())),
                ("change", Some(())),
                ("replace", None),
                ("delete", None),
                ("show", None),
                ("lst", None),
                ("list", None),
            ];
            verb(a, "link", VERBS, "set")?;
            link_set(a)
        }
        IpObj::Route => {
            const VERBS: &[(&str, Option<bool>)] = &[
                ("add", Some(false)),
                ("change", None),
                ("chg", None),
                ("replace", Some(false)),
                ("prepend", None),
                ("append", None),
                ("test", None),
                ("delete", Some(true)),
                ("list", None),
                ("show", None),
                ("lst", None),
                ("get", None),
                ("flush", None),
                ("save", None),
                ("restore", None),
                ("showdump", None),
            ];
            if verb(a, "route", VERBS, "one of: add, replace, del")? { route_del(a) } else { route_add(a) }
        }
        IpObj::Neigh => {
            const VERBS: &[(&str, Option<()>)] = &[
                ("add", Some(())),
                ("change", None),
                ("chg", None),
                ("replace", Some(())),
                ("delete", None),
                ("get", None),
                ("show", None),
                ("list", None),
                ("lst", None),
                ("flush", None),
            ];
            verb(a, "neigh", VERBS, "one of: add, replace")?;
            neigh_add(a)
        }
    }
}

/// Reads an `ip OBJECT` verb, iproute2-style (abbreviations allowed, first match wins).
fn verb<T: Copy>(a: &mut Args, obj: &str, table: &[(&str, Option<T>)], expected: &str) -> Result<T, CmdError> {
    let t = a.value(expected)?;
    let Some(&(full, v)) = table.iter().find(|(full, _)| iproute_matches(&t.text, full)) else {
        let names = table.iter().filter(|(_, v)| v.is_some()).map(|(n, _)| *n);
        return Err(t.err(expected).with_hint_opt(did_you_mean(&t.text, names)));
    };
    v.ok_or_else(|| {
        let hint = if matches!(full, "list" | "show" | "lst" | "get" | "showdump" | "save") {
            format!("`ip {obj} {full}` only shows state; lvsim shows it in its own views")
        } else {
            format!("`ip {obj} {full}` is not modeled")
        };
        t.err(expected).with_hint(hint)
    })
}

/// iproute2 address options lvsim does not model.
const ADDR_UNMODELED: &[&str] = &[
    "peer",
    "remote",
    "anycast",
    "metric",
    "priority",
    "preference",
    "valid_lft",
    "preferred_lft",
    "home",
    "nodad",
    "optimistic",
    "noprefixroute",
    "autojoin",
    "mngtmpaddr",
    "proto",
];

fn addr_modify(a: &mut Args, del: bool) -> Result<Command, CmdError> {
    let options = if del { "dev" } else { "one of: dev, scope, label, brd" };
    let mut local = None;
    let mut dev = None;
    let mut scope = None;
    let mut label: Option<&Tok> = None;
    let mut brd = false;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "dev" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after `dev`")?)?);
            }
            "scope" if !del => {
                once(scope.is_some(), t)?;
                let v = a.value("a scope after `scope`: host, link or global")?;
                scope = Some(match v.text.as_str() {
                    "host" => Scope::Host,
                    "link" => Scope::Link,
                    "global" => Scope::Global,
                    _ => return Err(v.err("a scope: host, link or global")),
                });
            }
            "label" if !del => {
                once(label.is_some(), t)?;
                label = Some(a.value("a label after `label`, like eth0:0")?);
            }
            w if !del && (w == "brd" || iproute_matches(w, "broadcast")) => {
                once(brd, t)?;
                brd = true;
                let v = a.value("a broadcast address, + or - after `brd`")?;
                if !v.is("+") && !v.is("-") {
                    parse_ipv4(&v.text, v.span.clone())?;
                }
            }
            w if ADDR_UNMODELED.contains(&w) => {
                return Err(t.err(options).with_hint(format!("`{w}` is an iproute2 option lvsim does not model")));
            }
            _ => {
                let t = if t.is("local") { a.value("an address after `local`")? } else { t };
                if local.is_some() {
                    return Err(t.err(options));
                }
                local = Some(parse_prefix(t, false)?);
            }
        }
    }
    let Some((addr, prefix)) = local else {
        return Err(a.missing("an address like 10.0.0.100/32"));
    };
    let Some(dev) = dev else {
        return Err(a
            .missing("dev and an interface name, like `dev eth0`")
            .with_hint("iproute2 needs the interface: `ip addr add 10.0.0.100/32 dev lo`"));
    };
    if let Some(l) = label
        && (l.text.len() > 15
            || (l.text != dev && !l.text.strip_prefix(dev.as_str()).is_some_and(|r| r.starts_with(':'))))
    {
        return Err(l.err(format!("a label that is {dev} or starts with {dev}:")).with_hint(format!(
            "iproute2 requires the label to match the device, like {dev}:0 (at most 15 characters)"
        )));
    }
    Ok(if del {
        Command::AddrDel { addr, prefix, dev }
    } else {
        Command::AddrAdd { addr, prefix, dev, scope: scope.unwrap_or_else(|| Scope::default_for(addr)) }
    })
}

fn link_set(a: &mut Args) -> Result<Command, CmdError> {
    let mut dev = None;
    let mut up = None;
    let mut mtu = None;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "up" => up = Some(true),
            "down" => up = Some(false),
            "mtu" => {
                once(mtu.is_some(), t)?;
                mtu = Some(parse_mtu(a.value("an MTU after `mtu`")?)?);
            }
            "dev" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after `dev`")?)?);
            }
            "arp" => {
                return Err(t.err("one of: up, down, mtu").with_hint(
                    "`ip link set DEV arp off` (the noarp fix) is not modeled: use the arp_ignore and \
                     arp_announce sysctls or arptables",
                ));
            }
            "multicast" | "allmulticast" | "promisc" | "address" | "name" | "txqueuelen" | "txqlen" | "netns"
            | "master" | "nomaster" | "type" | "alias" | "broadcast" | "brd" | "peer" | "group" | "vf" | "trailers"
            | "dynamic" | "carrier" | "link-netns" | "link-netnsid" | "xdp" => {
                return Err(t.err("one of: up, down, mtu").with_hint(format!("`{}` is not modeled", t.text)));
            }
            _ => {
                if dev.is_some() {
                    return Err(t.err("one of: up, down, mtu"));
                }
                dev = Some(parse_dev(t)?);
            }
        }
    }
    let Some(dev) = dev else {
        return Err(a.missing("an interface name, like `ip link set eth0 up`"));
    };
    if up.is_none() && mtu.is_none() {
        return Err(a.missing("one of: up, down, mtu"));
    }
    Ok(Command::LinkSet { dev, up, mtu })
}

/// Route types other than unicast (`ip route add local ...`).
const ROUTE_TYPES: &[&str] =
    &["local", "broadcast", "blackhole", "unreachable", "prohibit", "throw", "nat", "anycast", "multicast"];
/// iproute2 route options lvsim does not model.
const ROUTE_UNMODELED: &[&str] = &[
    "scope",
    "onlink",
    "realm",
    "realms",
    "advmss",
    "hoplimit",
    "initcwnd",
    "initrwnd",
    "rtt",
    "rttvar",
    "window",
    "cwnd",
    "ssthresh",
    "quickack",
    "congctl",
    "features",
    "reordering",
    "nexthop",
    "nhid",
    "tos",
    "dsfield",
    "from",
    "expires",
    "pref",
    "encap",
    "as",
    "fastopen_no_cookie",
    "vrf",
    "ttl-propagate",
];
const ROUTE_OPTIONS: &str = "one of: via, dev, src, mtu, metric";

/// A route destination; the kernel refuses host bits outside the prefix.
fn parse_route_dst(t: &Tok) -> Result<(Ipv4Addr, u8), CmdError> {
    let (addr, prefix) = parse_prefix(t, true)?;
    let mask = prefix_mask(prefix);
    if u32::from(addr) & !mask != 0 {
        let net = Ipv4Addr::from(u32::from(addr) & mask);
        return Err(t.err(format!("a network address with the host bits zero for /{prefix}")).with_hint(format!(
            "the kernel refuses \"Invalid prefix for given prefix length\": did you mean {net}/{prefix}?"
        )));
    }
    Ok((addr, prefix))
}

fn route_add(a: &mut Args) -> Result<Command, CmdError> {
    let mut dst = None;
    let (mut via, mut dev, mut src, mut mtu, mut metric) = (None, None, None, None, None);
    let (mut proto, mut table) = (false, false);
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "via" => {
                once(via.is_some(), t)?;
                let mut v = a.value("a gateway address after `via`")?;
                if v.is("inet") {
                    v = a.value("a gateway address after `via inet`")?;
                }
                via = Some(parse_ipv4(&v.text, v.span.clone())?);
            }
            "dev" | "oif" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after `dev`")?)?);
            }
            "src" => {
                once(src.is_some(), t)?;
                let v = a.value("a source address after `src`")?;
                src = Some(parse_ipv4(&v.text, v.span.clone())?);
            }
            "mtu" => {
                once(mtu.is_some(), t)?;
                let mut v = a.value("an MTU after `mtu`")?;
                if v.is("lock") {
                    v = a.value("an MTU after `mtu lock`")?;
                }
                mtu = Some(parse_mtu(v)?);
            }
            "proto" | "protocol" => {
                once(proto, t)?;
                proto = true;
                a.value("a protocol after `proto`, like static")?;
            }
            "table" => {
                once(table, t)?;
                table = true;
                let v = a.value("a table after `table`")?;
                if !v.is("main") && !v.is("254") {
                    return Err(v.err("the main table").with_hint("policy routing (other tables) is not modeled"));
                }
            }
            "unicast" => {}
            w if w == "preference" || iproute_matches(w, "metric") || iproute_matches(w, "priority") => {
                once(metric.is_some(), t)?;
                let v = a.value("a metric after `metric`")?;
                metric = Some(parse_number(v, 0..=u32::MAX, "a metric from 0 to 4294967295")?);
            }
            w if ROUTE_TYPES.contains(&w) => {
                return Err(t.err("a destination like 10.0.0.0/24 or default").with_hint(format!(
                    "`{w}` routes are not modeled; lvsim models unicast routes (local addresses come from `ip addr add`)"
                )));
            }
            w if ROUTE_UNMODELED.contains(&w) => {
                return Err(t
                    .err(ROUTE_OPTIONS)
                    .with_hint(format!("`{w}` is an iproute2 option lvsim does not model")));
            }
            _ => {
                let t = if t.is("to") { a.value("a destination after `to`")? } else { t };
                if dst.is_some() {
                    return Err(t.err(ROUTE_OPTIONS));
                }
                dst = Some(parse_route_dst(t)?);
            }
        }
    }
    let Some((dst, prefix)) = dst else {
        return Err(a.missing("a destination like 10.0.0.0/24 or default"));
    };
    if via.is_none() && dev.is_none() {
        return Err(a
            .missing("`via GATEWAY` or `dev IFNAME`")
            .with_hint("a route needs a next hop, like `ip route add default via 10.0.0.1`"));
    }
    Ok(Command::RouteAdd { dst, prefix, via, dev, src, mtu, metric: metric.unwrap_or(0) })
}

fn route_del(a: &mut Args) -> Result<Command, CmdError> {
    let mut dst = None;
    while let Some(t) = a.next() {
        let t = if t.is("to") { a.value("a destination after `to`")? } else { t };
        if dst.is_some() {
            return Err(t
                .err(END_OF_COMMAND)
                .with_hint("lvsim deletes a route by its destination alone, like `ip route del 10.0.0.0/24`"));
        }
        dst = Some(parse_route_dst(t)?);
    }
    let Some((dst, prefix)) = dst else {
        return Err(a.missing("a destination like 10.0.0.0/24 or default"));
    };
    Ok(Command::RouteDel { dst, prefix })
}

fn neigh_add(a: &mut Args) -> Result<Command, CmdError> {
    let options = "one of: lladdr, dev, nud";
    let (mut addr, mut mac, mut dev, mut nud) = (None, None, None, None);
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "dev" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after `dev`")?)?);
            }
            "nud" => {
                once(nud.is_some(), t)?;
                let expected = "a state: permanent, noarp, reachable or stale";
                let v = a.value(expected)?;
                let Some(state) = Nud::ALL.into_iter().find(|n| v.is(n.name())) else {
                    return Err(v.err(expected).with_hint_opt(did_you_mean(&v.text, Nud::ALL.map(Nud::name))));
                };
                nud = Some(state);
            }
            w if iproute_matches(w, "lladdr") => {
                once(mac.is_some(), t)?;
                mac = Some(parse_mac(a.value("a MAC address after `lladdr`")?)?);
            }
            "proxy" | "router" | "extern_learn" | "use" | "managed" | "protocol" => {
                return Err(t.err(options).with_hint(format!("`{}` is not modeled", t.text)));
            }
            _ => {
                let t = if t.is("to") { a.value("an address after `to`")? } else { t };
                if addr.is_some() {
                    return Err(t.err(options));
                }
                addr = Some(parse_ipv4(&t.text, t.span.clone())?);
            }
        }
    }
    let Some(addr) = addr else {
        return Err(a.missing("an address like 10.0.0.1"));
    };
    let Some(mac) = mac else {
        return Err(a.missing("lladdr and a MAC address, like `lladdr 02:00:00:00:00:11`"));
    };
    let Some(dev) = dev else {
        return Err(a
            .missing("dev and an interface name, like `dev eth0`")
            .with_hint("iproute2 needs the device and the destination"));
    };
    Ok(Command::NeighAdd { addr, mac, dev: Some(dev), nud: nud.unwrap_or(Nud::Permanent) })
}

// ───────────────────────────── arp / arptables ─────────────────────────────

fn parse_arp(a: &mut Args) -> Result<Command, CmdError> {
    let options = "`arp -s ADDRESS MAC`";
    let mut dev = None;
    let mut set = None;
    let mut temp = false;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "-i" | "--device" => {
                once(dev.is_some(), t)?;
                dev = Some(parse_dev(a.value("an interface name after -i")?)?);
            }
            "-s" | "--set" => {
                once(set.is_some(), t)?;
                let ip = a.value("an address after -s")?;
                let ip = parse_ipv4(&ip.text, ip.span.clone())?;
                set = Some((ip, parse_mac(a.value("a MAC address like 02:00:00:00:00:11")?)?));
            }
            "-n" | "--numeric" | "-v" | "--verbose" => {}
            "temp" if set.is_some() => temp = true,
            "pub" if set.is_some() => return Err(t.err(END_OF_COMMAND).with_hint("proxy ARP (pub) is not modeled")),
            _ => {
                return Err(t.err(options).with_hint(
                    "lvsim accepts `arp -s ADDRESS MAC [temp]` to add a static entry; `ip neigh add` is the modern form",
                ));
            }
        }
    }
    let Some((addr, mac)) = set else {
        return Err(a.missing(options));
    };
    Ok(Command::NeighAdd { addr, mac, dev, nud: if temp { Nud::Stale } else { Nud::Permanent } })
}

/// `-s`/`-d` value: one address (optionally /32), or any (`0/0`).
fn parse_arp_addr(t: &Tok) -> Result<Option<Ipv4Addr>, CmdError> {
    let expected = "an address like 10.0.0.100 (or 0/0 for any)";
    let (addr, mask) = match t.text.split_once('/') {
        Some((a, m)) => (a, Some(m)),
        None => (t.text.as_str(), None),
    };
    if mask.is_some_and(|m| m == "0" || m == "0.0.0.0") && (addr == "0" || addr == "0.0.0.0") {
        return Ok(None);
    }
    let ip = parse_ipv4(addr, t.sub(0..addr.len())).map_err(|e| CmdError { expected: expected.to_owned(), ..e })?;
    match mask {
        None | Some("32" | "255.255.255.255") => Ok(Some(ip)),
        Some(m) => Err(CmdError::new(t.sub(addr.len() + 1..t.text.len()), "/32 or no mask", m)
            .with_hint("lvsim's arptables matches a single address or any (0/0)")),
    }
}

/// The chain after `-A`/`-I`, and for `-I` the rule number (default 1).
fn arp_chain(a: &mut Args, cmd: &Tok) -> Result<(ArpChain, Option<u32>), CmdError> {
    let expected = "a chain: INPUT or OUTPUT";
    let c = a.value(expected)?;
    let chain = match c.text.as_str() {
        "INPUT" | "IN" => ArpChain::Input,
        "OUTPUT" | "OUT" => ArpChain::Output,
        "FORWARD" => return Err(c.err(expected).with_hint("ARP forwarding (bridges) is not modeled")),
        _ => {
            return Err(c.err(expected).with_hint_opt(did_you_mean(&c.text, ["INPUT", "OUTPUT"])));
        }
    };
    if !matches!(cmd.text.as_str(), "-I" | "--insert") {
        return Ok((chain, None));
    }
    match a.peek() {
        Some(n) if !n.text.is_empty() && n.text.bytes().all(|b| b.is_ascii_digit()) => {
            a.next();
            Ok((chain, Some(parse_number(n, 1..=u32::MAX, "a rule number from 1")?)))
        }
        _ => Ok((chain, Some(1))),
    }
}

fn parse_arptables(a: &mut Args) -> Result<Command, CmdError> {
    let options = "an arptables option: -A, -I, -s, -d, -j, --mangle-ip-s";
    let mut chain: Option<(ArpChain, Option<u32>)> = None;
    let (mut src, mut dst) = (None, None);
    let mut target: Option<&Tok> = None;
    let mut mangle = None;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "-t" | "--table" => {
                let v = a.value("a table after -t")?;
                if !v.is("filter") {
                    return Err(v.err("filter").with_hint("arptables has only the filter table"));
                }
            }
            "-A" | "--append" | "-I" | "--insert" => {
                if chain.is_some() {
                    return Err(t.err("one command per line").with_hint("give -A or -I once"));
                }
                chain = Some(arp_chain(a, t)?);
            }
            "-s" | "--source-ip" => {
                once(src.is_some(), t)?;
                src = Some(parse_arp_addr(a.value("an address after -s")?)?);
            }
            "-d" | "--destination-ip" => {
                once(dst.is_some(), t)?;
                dst = Some(parse_arp_addr(a.value("an address after -d")?)?);
            }
            "-j" | "--jump" => {
                once(target.is_some(), t)?;
                let expected = "a target: DROP, ACCEPT or mangle";
                let v = a.value(expected)?;
                if !matches!(v.text.as_str(), "DROP" | "ACCEPT" | "mangle") {
                    return Err(v.err(expected).with_hint_opt(did_you_mean(&v.text, ["DROP", "ACCEPT", "mangle"])));
                }
                target = Some(v);
            }
            "--mangle-ip-s" => {
                once(mangle.is_some(), t)?;
                if !target.is_some_and(|v| v.is("mangle")) {
                    return Err(t.err("-j mangle before --mangle-ip-s").with_hint(
                        "arptables knows --mangle-ip-s only after -j mangle: `-j mangle --mangle-ip-s 10.0.0.11`",
                    ));
                }
                let v = a.value("an address after --mangle-ip-s")?;
                mangle = Some(parse_ipv4(&v.text, v.span.clone())?);
            }
            "-D" | "--delete" | "-R" | "--replace" | "-L" | "--list" | "-F" | "--flush" | "-Z" | "--zero" | "-N"
            | "--new-chain" | "-X" | "--delete-chain" | "-P" | "--policy" | "-E" | "--rename-chain" | "-h"
            | "--help" | "-V" | "--version" => {
                return Err(t.err("-A or -I").with_hint("lvsim accepts arptables rules added with -A or -I"));
            }
            "!" => return Err(t.err(options).with_hint("negated matches are not modeled")),
            _ => {
                let hint = t
                    .text
                    .starts_with('-')
                    .then(|| format!("`{}` is not modeled: lvsim's arptables matches on -s and -d only", t.text));
                return Err(t.err(options).with_hint_opt(hint));
            }
        }
    }
    let Some((chain, insert)) = chain else {
        return Err(a.missing("-A CHAIN or -I CHAIN"));
    };
    let target = match target.map(|t| t.text.as_str()) {
        Some("DROP") => ArpTarget::Drop,
        Some("ACCEPT") => ArpTarget::Accept,
        Some(_) => match mangle {
            Some(ip) => ArpTarget::MangleIpSrc(ip),
            None => return Err(a.missing("--mangle-ip-s and an address after -j mangle")),
        },
        None => return Err(a.missing("-j DROP, -j ACCEPT or -j mangle --mangle-ip-s ADDRESS")),
    };
    Ok(Command::Arptables(ArpRule { chain, src: src.flatten(), dst: dst.flatten(), target, insert }))
}

// ───────────────────────────── iptables ─────────────────────────────

fn parse_iptables(a: &mut Args) -> Result<Command, CmdError> {
    let options = "an iptables option: -A, -I, -p, -s, -d, --sport, --dport, -j";
    let mut chain: Option<(IptChain, Option<u32>)> = None;
    let (mut proto, mut src, mut dst, mut sport, mut dport, mut target) = (None, None, None, None, None, None);
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "-t" | "--table" => {
                let v = a.value("a table after -t")?;
                if !v.is("filter") {
                    return Err(v.err("filter").with_hint("lvsim models the filter table only (no nat, mangle, raw)"));
                }
            }
            "-A" | "--append" | "-I" | "--insert" => {
                if chain.is_some() {
                    return Err(t.err("one command per line").with_hint("give -A or -I once"));
                }
                let expected = "a chain: INPUT, FORWARD or OUTPUT";
                let c = a.value(expected)?;
                let ch = match c.text.as_str() {
                    "INPUT" => IptChain::Input,
                    "FORWARD" => IptChain::Forward,
                    "OUTPUT" => IptChain::Output,
                    _ => {
                        return Err(c
                            .err(expected)
                            .with_hint_opt(did_you_mean(&c.text, ["INPUT", "FORWARD", "OUTPUT"])));
                    }
                };
                let insert = if t.is("-I") || t.is("--insert") {
                    match a.peek() {
                        Some(n) if !n.text.is_empty() && n.text.bytes().all(|b| b.is_ascii_digit()) => {
                            a.next();
                            Some(parse_number(n, 1..=u32::MAX, "a rule number from 1")?)
                        }
                        _ => Some(1),
                    }
                } else {
                    None
                };
                chain = Some((ch, insert));
            }
            "-p" | "--protocol" => {
                once(proto.is_some(), t)?;
                let expected = "a protocol: tcp, udp or icmp";
                let v = a.value(expected)?;
                proto = Some(match v.text.as_str() {
                    "tcp" | "6" => 6,
                    "udp" | "17" => 17,
                    "icmp" | "1" => 1,
                    _ => return Err(v.err(expected).with_hint_opt(did_you_mean(&v.text, ["tcp", "udp", "icmp"]))),
                });
            }
            "-s" | "--source" => {
                once(src.is_some(), t)?;
                src = Some(parse_prefix(a.value("an address or network after -s")?, true)?);
            }
            "-d" | "--destination" => {
                once(dst.is_some(), t)?;
                dst = Some(parse_prefix(a.value("an address or network after -d")?, true)?);
            }
            "--sport" | "--source-port" | "--dport" | "--destination-port" => {
                if !matches!(proto, Some(6 | 17)) {
                    return Err(t
                        .err("-p tcp or -p udp before a port match")
                        .with_hint("iptables needs `-p tcp` (or udp) to match ports"));
                }
                let n = parse_number(a.value("a port number")?, 0..=65535, "a port from 0 to 65535")?;
                let slot = if t.text.starts_with("--s") { &mut sport } else { &mut dport };
                once(slot.is_some(), t)?;
                *slot = Some(n as u16);
            }
            "-m" | "--match" => {
                let v = a.value("a match module")?;
                if !(v.is("tcp") || v.is("udp") || v.is("icmp")) {
                    return Err(v
                        .err("tcp, udp or icmp")
                        .with_hint("other match modules (state, conntrack...) are not modeled"));
                }
            }
            "-j" | "--jump" => {
                once(target.is_some(), t)?;
                let expected = "a target: DROP or ACCEPT";
                let v = a.value(expected)?;
                target = Some(match v.text.as_str() {
                    "DROP" => true,
                    "ACCEPT" => false,
                    "REJECT" => {
                        return Err(v
                            .err(expected)
                            .with_hint("REJECT is not modeled; DROP shows the same loss without the ICMP"));
                    }
                    _ => return Err(v.err(expected).with_hint_opt(did_you_mean(&v.text, ["DROP", "ACCEPT"]))),
                });
            }
            _ => {
                let hint = t.text.starts_with('-').then(|| format!("`{}` is not modeled by lvsim's iptables", t.text));
                return Err(t.err(options).with_hint_opt(hint));
            }
        }
    }
    let Some((chain, insert)) = chain else {
        return Err(a.missing("-A CHAIN or -I CHAIN"));
    };
    let Some(drop) = target else {
        return Err(a.missing("-j DROP or -j ACCEPT"));
    };
    Ok(Command::Iptables(IptRule { chain, insert, proto, src, dst, sport, dport, drop }))
}

// ───────────────────────────── modprobe ─────────────────────────────

fn known_modules() -> Vec<String> {
    let mut v: Vec<String> = ["ipip", "ip_vs", "arp_tables", "arptable_filter", "arpt_mangle"].map(String::from).into();
    v.extend(Sched::ALL.iter().map(|s| format!("ip_vs_{}", s.name())));
    v
}

fn parse_modprobe(a: &mut Args) -> Result<Command, CmdError> {
    let expected = "a module: ipip, ip_vs, ip_vs_SCHEDULER (like ip_vs_rr), arptable_filter or arpt_mangle";
    let mut module: Option<(String, &Tok)> = None;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "-q" | "--quiet" | "-v" | "--verbose" | "-b" | "--use-blacklist" => {}
            "-r" | "--remove" => return Err(t.err(expected).with_hint("unloading modules is not modeled")),
            _ if module.is_some() => {
                return Err(t.err(END_OF_COMMAND).with_hint("module parameters are not modeled; one module per line"));
            }
            w if w.starts_with('-') => return Err(t.err(expected)),
            w => module = Some((w.replace('-', "_"), t)),
        }
    }
    let Some((name, t)) = module else {
        return Err(a.missing(expected));
    };
    let known = known_modules();
    if known.contains(&name) {
        return Ok(Command::Modprobe { module: name });
    }
    let hint = if name == "ip_vs_ftp" {
        Some("the FTP helper is not modeled".to_owned())
    } else {
        did_you_mean(&name, known.iter().map(String::as_str))
            .or_else(|| Some("lvsim models the IPVS, IPIP and arptables modules".to_owned()))
    };
    Err(t.err(expected).with_hint_opt(hint))
}

// ───────────────────────────── sysctl ─────────────────────────────

const SYSCTL_EXPECTED: &str =
    "a sysctl lvsim models (net.ipv4.ip_forward, net.ipv4.conf.*, net.ipv4.vs.*, net.ipv4.neigh.*)";

/// Real `net.ipv4.conf.*` leaves lvsim does not model.
const UNMODELED_CONF: &[&str] = &[
    "proxy_arp",
    "proxy_arp_pvlan",
    "arp_notify",
    "arp_evict_nocarrier",
    "accept_redirects",
    "secure_redirects",
    "shared_media",
    "accept_source_route",
    "log_martians",
    "promote_secondaries",
    "src_valid_mark",
    "bootp_relay",
    "mc_forwarding",
    "bc_forwarding",
    "disable_policy",
    "disable_xfrm",
    "medium_id",
    "tag",
    "ignore_routes_with_linkdown",
    "force_igmp_version",
    "drop_unicast_in_l2_multicast",
];
/// Real `net.ipv4.vs.*` leaves lvsim does not model.
const UNMODELED_VS: &[&str] = &[
    "am_droprate",
    "amemthresh",
    "backup_only",
    "cache_bypass",
    "drop_entry",
    "drop_packet",
    "ignore_tunneled",
    "schedule_icmp",
    "secure_tcp",
    "sync_persist_mode",
    "sync_ports",
    "sync_qlen_max",
    "sync_refresh_period",
    "sync_retries",
    "sync_sock_size",
    "sync_threshold",
    "sync_version",
    "run_estimation",
    "est_cpulist",
    "est_nice",
    "debug_level",
];
/// Real `net.ipv4.neigh.*` leaves lvsim does not model.
const UNMODELED_NEIGH: &[&str] = &[
    "anycast_delay",
    "app_solicit",
    "base_reachable_time",
    "retrans_time",
    "interval_probe_time_ms",
    "mcast_resolicit",
    "proxy_delay",
    "proxy_qlen",
    "unres_qlen",
    "unres_qlen_bytes",
    "gc_interval",
    "gc_thresh1",
    "gc_thresh2",
    "gc_thresh3",
];

/// Splits a sysctl name as procps does: the first separator decides. `a.b.c` splits on dots
/// and reads a `/` inside a component as a dot (`net.ipv4.conf.eth0/100.rp_filter`);
/// `a/b/c` splits on slashes and keeps dots (`net/ipv4/conf/eth0.100/rp_filter`).
fn split_sysctl_name(name: &str) -> Vec<String> {
    match name.find(['.', '/']) {
        Some(i) if name.as_bytes()[i] == b'/' => name.split('/').map(str::to_owned).collect(),
        _ => name.split('.').map(|p| p.replace('/', ".")).collect(),
    }
}

/// `expected` and `hint` when a sysctl name is not one lvsim knows.
type KeyError = (String, Option<String>);

fn conf_dev(dev: &str, allow_all: bool) -> Result<ConfDev, KeyError> {
    match dev {
        "all" if allow_all => Ok(ConfDev::All),
        "all" => Err((
            "default or an interface name".to_owned(),
            Some("there is no net.ipv4.neigh.all: use net.ipv4.neigh.default or an interface".to_owned()),
        )),
        "default" => Ok(ConfDev::Default),
        _ => match validate_dev(dev) {
            Ok(()) => Ok(ConfDev::Dev(dev.to_owned())),
            Err(hint) => Err(("all, default or an interface name".to_owned(), Some(hint))),
        },
    }
}

fn sysctl_key(parts: &[String]) -> Result<SysctlKey, KeyError> {
    let p: Vec<&str> = parts.iter().map(String::as_str).collect();
    let key = match p.as_slice() {
        ["net", "ipv4", "ip_forward"] => Some(SysctlKey::IpForward),
        ["net", "ipv4", "conf", dev, name] => match ConfName::from_name(name) {
            Some(name) => Some(SysctlKey::Conf { dev: conf_dev(dev, true)?, name }),
            None => None,
        },
        ["net", "ipv4", "vs", name] => VsName::from_name(name).map(SysctlKey::Vs),
        ["net", "ipv4", "neigh", dev, name] => match NeighName::from_name(name) {
            Some(name) => Some(SysctlKey::Neigh { dev: conf_dev(dev, false)?, name }),
            None => None,
        },
        _ => None,
    };
    key.ok_or_else(|| (SYSCTL_EXPECTED.to_owned(), Some(unknown_sysctl_hint(&p))))
}

fn unknown_sysctl_hint(p: &[&str]) -> String {
    let dotted = p.join(".");
    let real_but_unmodeled = match p {
        ["net", "ipv4", "conf", _, leaf] => UNMODELED_CONF.contains(leaf),
        ["net", "ipv4", "vs", leaf] => UNMODELED_VS.contains(leaf),
        ["net", "ipv4", "neigh", _, leaf] => UNMODELED_NEIGH.contains(leaf),
        _ => false,
    };
    if real_but_unmodeled {
        return format!("{dotted} is a real Linux sysctl, but lvsim does not model it");
    }
    // Candidates keep the user's interface, so a typo under eth0 suggests eth0.
    let user_dev = match p {
        ["net", "ipv4", "conf" | "neigh", dev, ..]
            if !matches!(*dev, "all" | "default") && validate_dev(dev).is_ok() =>
        {
            Some(dev.replace('.', "/"))
        }
        _ => None,
    };
    let mut cands = vec!["net.ipv4.ip_forward".to_owned()];
    for dev in ["all", "default"].into_iter().chain(user_dev.as_deref()) {
        cands.extend(ConfName::ALL.iter().map(|n| format!("net.ipv4.conf.{dev}.{}", n.name())));
        if dev != "all" {
            cands.extend(NeighName::ALL.iter().map(|n| format!("net.ipv4.neigh.{dev}.{}", n.name())));
        }
    }
    cands.extend(VsName::ALL.iter().map(|n| format!("net.ipv4.vs.{}", n.name())));
    let best = cands.iter().map(|c| (edit_distance(&dotted, c), c)).min_by_key(|&(d, _)| d);
    if let Some((d, c)) = best
        && (d <= 3 || d * 5 <= c.len())
    {
        return format!("did you mean {c}?");
    }
    if p.get(1) == Some(&"ipv6") {
        return "lvsim models IPv4 only".to_owned();
    }
    "lvsim models net.ipv4.ip_forward, net.ipv4.conf.{all,default,DEV}.*, net.ipv4.vs.* and \
     net.ipv4.neigh.{default,DEV}.*"
        .to_owned()
}

/// What the allowed values of `key` mean, for out-of-range errors.
fn sysctl_value_hint(key: &SysctlKey) -> Option<String> {
    let text = match key {
        SysctlKey::Conf { name: ConfName::ArpIgnore, .. } => {
            "arp_ignore: 0 reply for any local address, 1 only if the target is on the receiving interface \
             (the DR setting), 2 also only from the target's subnet, 3 not for scope host addresses, 4-7 \
             reserved, 8 never"
        }
        SysctlKey::Conf { name: ConfName::ArpAnnounce, .. } => {
            "arp_announce: 0 any local address, 1 prefer an address in the target's subnet, 2 always the best \
             address of the outgoing interface (the DR setting)"
        }
        SysctlKey::Conf { name: ConfName::RpFilter, .. } => "rp_filter: 0 off, 1 strict, 2 loose",
        SysctlKey::Conf { name: ConfName::ArpAccept, .. } => {
            "arp_accept: 0 never create entries from unsolicited ARP, 1 create them, 2 only for senders in a \
             subnet of the receiving interface"
        }
        SysctlKey::Vs(VsName::ConnReuseMode) => {
            "conn_reuse_mode is a bit mask: 1 reschedules a SYN that reuses an old connection, 2 also one \
             in FIN_WAIT for DR"
        }
        _ if key.range() == BOOL => return Some(format!("{} is a switch: 0 off, 1 on", key.leaf())),
        _ => return None,
    };
    Some(text.to_owned())
}

/// Parses `KEY` and `VALUE` of a sysctl assignment; spans are the key's and the value's.
fn sysctl_assignment(
    key_text: &str,
    key_span: Range<usize>,
    slash_form: bool,
    value_text: &str,
    value_span: Range<usize>,
) -> Result<Command, CmdError> {
    let parts = if slash_form { key_text.split('/').map(str::to_owned).collect() } else { split_sysctl_name(key_text) };
    let key = sysctl_key(&parts)
        .map_err(|(expected, hint)| CmdError::new(key_span, expected, key_text).with_hint_opt(hint))?;
    let digits = value_text.strip_prefix('-').unwrap_or(value_text);
    let value = match value_text.parse::<i64>() {
        Ok(v) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => v,
        _ => {
            let hint = value_text.is_empty().then(|| "write KEY=VALUE with no spaces around =".to_owned());
            return Err(CmdError::new(value_span, "an integer value", value_text).with_hint_opt(hint));
        }
    };
    let range = key.range();
    if !range.contains(&value) {
        let expected = if range == BOOL {
            format!("0 or 1 for {}", key.leaf())
        } else {
            format!("a value from {} to {} for {}", range.start(), range.end(), key.leaf())
        };
        return Err(CmdError::new(value_span, expected, value_text).with_hint_opt(sysctl_value_hint(&key)));
    }
    Ok(Command::Sysctl { key, value })
}

fn parse_sysctl(a: &mut Args) -> Result<Command, CmdError> {
    let expected = "KEY=VALUE, like net.ipv4.ip_forward=1";
    let files = "lvsim cannot read files: write each setting as `sysctl -w KEY=VALUE`";
    let listing = "reading sysctls is not configuration: write `sysctl -w KEY=VALUE`";
    let mut assignment: Option<&Tok> = None;
    while let Some(t) = a.next() {
        let s = t.text.as_str();
        if let Some(long) = s.strip_prefix("--") {
            match long {
                "write" | "quiet" | "ignore" => {}
                "load" | "system" => return Err(t.err(expected).with_hint(files)),
                _ => return Err(t.err(expected).with_hint(listing)),
            }
        } else if s.len() > 1 && s.starts_with('-') {
            for (i, c) in s.char_indices().skip(1) {
                let hint = match c {
                    'w' | 'q' | 'e' => continue,
                    'p' | 'f' => files,
                    _ => listing,
                };
                let span = t.sub(i..i + c.len_utf8());
                return Err(CmdError::new(span, expected, &format!("-{c}")).with_hint(hint));
            }
        } else if assignment.is_some() {
            let hint =
                if s.starts_with('=') { "write KEY=VALUE with no spaces around =" } else { "one setting per line" };
            return Err(t.err(END_OF_COMMAND).with_hint(hint));
        } else {
            assignment = Some(t);
        }
    }
    let Some(t) = assignment else {
        return Err(a.missing(expected));
    };
    let Some((key, value)) = t.text.split_once('=') else {
        return Err(t.err(expected).with_hint(listing));
    };
    sysctl_assignment(key, t.sub(0..key.len()), false, value, t.sub(key.len() + 1..t.text.len()))
}

/// `echo VALUE > /proc/sys/net/ipv4/ip_forward` (also `>>`, and `>PATH` without a space).
fn parse_echo(a: &mut Args) -> Result<Command, CmdError> {
    let mut v = a.value("a value to write, like `echo 1 > /proc/sys/net/ipv4/ip_forward`")?;
    if v.is("-n") {
        v = a.value("a value to write, like `echo 1 > /proc/sys/net/ipv4/ip_forward`")?;
    }
    if let Some(i) = v.text.find('>') {
        let hint = if v.text[..i].bytes().all(|b| b.is_ascii_digit()) && i > 0 {
            "the shell reads `1>` as a redirection of stdout and writes nothing: put a space before >"
        } else {
            "put spaces around >"
        };
        return Err(v.err("a value, then > and a /proc/sys path").with_hint(hint));
    }
    let expected_path = "> and a /proc/sys path, like `> /proc/sys/net/ipv4/ip_forward`";
    let r = a.value(expected_path)?;
    let (path, offset) = match r.text.as_str() {
        ">" | ">>" => (a.value("a /proc/sys path after >")?, 0),
        s if s.starts_with(">>") => (r, 2),
        s if s.starts_with('>') => (r, 1),
        _ => return Err(r.err(expected_path)),
    };
    if let Some(extra) = a.next() {
        return Err(extra.err(END_OF_COMMAND));
    }
    let text = &path.text[offset..];
    let Some(key) = text.strip_prefix("/proc/sys/") else {
        return Err(CmdError::new(path.sub(offset..path.text.len()), "a /proc/sys path", text));
    };
    let key_start = offset + "/proc/sys/".len();
    sysctl_assignment(key, path.sub(key_start..path.text.len()), true, &v.text, v.span.clone())
}

// ───────────────────────────── tests ─────────────────────────────

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::ipvsadm::{Fwd, Proto, SchedFlags, ServerOpts, ServiceAddr, ServiceOpts};
    use proptest::prelude::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn err(cmd: &str) -> CmdError {
        parse(cmd).expect_err(cmd)
    }

    /// The text the error's span points at.
    fn at(cmd: &str) -> &str {
        let e = err(cmd);
        &cmd[e.span]
    }

    #[test]
    fn dr_real_server_recipe() {
        // Each line of the canonical DR recipe yields exactly the typed command with the defaults
        // the real tools apply (scope global on lo, -g with weight 1, -m keeping the given port).
        let svc = ServiceAddr { proto: Proto::Tcp, addr: ip("10.0.0.100"), port: 80 };
        let expect = [
            (
                "ip addr add 10.0.0.100/32 dev lo",
                Command::AddrAdd { addr: ip("10.0.0.100"), prefix: 32, dev: "lo".into(), scope: Scope::Global },
            ),
            (
                "sysctl -w net.ipv4.conf.all.arp_ignore=1",
                Command::Sysctl { key: SysctlKey::Conf { dev: ConfDev::All, name: ConfName::ArpIgnore }, value: 1 },
            ),
            (
                "sysctl -w net.ipv4.conf.all.arp_announce=2",
                Command::Sysctl { key: SysctlKey::Conf { dev: ConfDev::All, name: ConfName::ArpAnnounce }, value: 2 },
            ),
            (
                "ipvsadm -A -t 10.0.0.100:80 -s rr",
                Command::Ipvsadm(IpvsadmCmd::AddService(ServiceOpts {
                    svc,
                    scheduler: Sched::Rr,
                    persistent: None,
                    netmask: Ipv4Addr::BROADCAST,
                    flags: SchedFlags::default(),
                    one_packet: false,
                })),
            ),
            (
                "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11 -g -w 1",
                Command::Ipvsadm(IpvsadmCmd::AddServer(ServerOpts {
                    svc,
                    addr: ip("10.0.0.11"),
                    port: 80,
                    fwd: Fwd::Dr,
                    weight: 1,
                    u_threshold: 0,
                    l_threshold: 0,
                })),
            ),
            (
                "ipvsadm -a -t 10.0.0.100:80 -r 192.168.10.1:8080 -m",
                Command::Ipvsadm(IpvsadmCmd::AddServer(ServerOpts {
                    svc,
                    addr: ip("192.168.10.1"),
                    port: 8080,
                    fwd: Fwd::Nat,
                    weight: 1,
                    u_threshold: 0,
                    l_threshold: 0,
                })),
            ),
        ];
        for (line, want) in expect {
            assert_eq!(parse(line), Ok(want), "{line}");
        }
    }

    #[test]
    fn addr_forms_and_defaults() {
        // iproute2 abbreviations, free option order, prefix default 32 and the 127/8 host scope
        // all produce the same typed values real `ip` would configure.
        let lo = |addr: &str, prefix, scope| Command::AddrAdd { addr: ip(addr), prefix, dev: "lo".into(), scope };
        assert_eq!(parse("ip a add 10.0.0.100 dev lo"), Ok(lo("10.0.0.100", 32, Scope::Global)));
        assert_eq!(parse("ip address add dev lo 10.0.0.100/32 scope host"), Ok(lo("10.0.0.100", 32, Scope::Host)));
        assert_eq!(parse("ip addr add 127.0.0.2/8 dev lo"), Ok(lo("127.0.0.2", 8, Scope::Host)));
        assert_eq!(parse("ip addr add 10.0.0.100/255.255.255.0 dev lo"), Ok(lo("10.0.0.100", 24, Scope::Global)));
        assert_eq!(
            parse("sudo ip addr add 10.0.0.100/32 brd 10.0.0.100 dev lo label lo:0  # the VIP"),
            Ok(lo("10.0.0.100", 32, Scope::Global))
        );
        assert_eq!(
            parse("ip addr del 10.0.0.100/32 dev lo"),
            Ok(Command::AddrDel { addr: ip("10.0.0.100"), prefix: 32, dev: "lo".into() })
        );
        assert_eq!(
            parse("ip -4 a d 10.0.0.5/24 dev eth0"),
            Ok(Command::AddrDel { addr: ip("10.0.0.5"), prefix: 24, dev: "eth0".into() })
        );
    }

    #[test]
    fn link_route_neigh_forms() {
        // One line per variant, with the defaults (metric 0, nud permanent) filled as iproute2 does.
        assert_eq!(
            parse("ip link set eth0 mtu 1400 up"),
            Ok(Command::LinkSet { dev: "eth0".into(), up: Some(true), mtu: Some(1400) })
        );
        assert_eq!(
            parse("ip l s dev tunl0 down"),
            Ok(Command::LinkSet { dev: "tunl0".into(), up: Some(false), mtu: None })
        );
        assert_eq!(
            parse("ip route add default via 10.0.0.1"),
            Ok(Command::RouteAdd {
                dst: Ipv4Addr::UNSPECIFIED,
                prefix: 0,
                via: Some(ip("10.0.0.1")),
                dev: None,
                src: None,
                mtu: None,
                metric: 0
            })
        );
        assert_eq!(
            parse(
                "ip route replace 192.168.10.0/24 via 10.0.0.2 dev eth0 src 10.0.0.11 mtu lock 1400 metric 5 proto static"
            ),
            Ok(Command::RouteAdd {
                dst: ip("192.168.10.0"),
                prefix: 24,
                via: Some(ip("10.0.0.2")),
                dev: Some("eth0".into()),
                src: Some(ip("10.0.0.11")),
                mtu: Some(1400),
                metric: 5
            })
        );
        assert_eq!(parse("ip r del 0/0"), parse("ip route del default"));
        assert_eq!(parse("ip r del default"), Ok(Command::RouteDel { dst: Ipv4Addr::UNSPECIFIED, prefix: 0 }));
        assert_eq!(parse("ip route del to 10.0.0.0/8"), Ok(Command::RouteDel { dst: ip("10.0.0.0"), prefix: 8 }));
        let neigh = |dev: Option<&str>, nud| Command::NeighAdd {
            addr: ip("10.0.0.1"),
            mac: [2, 0, 0, 0, 0, 0x11],
            dev: dev.map(Into::into),
            nud,
        };
        assert_eq!(
            parse("ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:11 dev eth0"),
            Ok(neigh(Some("eth0"), Nud::Permanent))
        );
        assert_eq!(
            parse("ip neighbour replace 10.0.0.1 lladdr 2:0:0:0:0:11 dev eth0 nud stale"),
            Ok(neigh(Some("eth0"), Nud::Stale))
        );
        assert_eq!(
            parse("ip neighbor add to 10.0.0.1 dev eth0 nud noarp ll 02:00:00:00:00:11"),
            Ok(neigh(Some("eth0"), Nud::Noarp))
        );
        assert_eq!(parse("arp -s 10.0.0.1 02:00:00:00:00:11"), Ok(neigh(None, Nud::Permanent)));
        assert_eq!(parse("arp -i eth0 -s 10.0.0.1 02:00:00:00:00:11 temp"), Ok(neigh(Some("eth0"), Nud::Stale)));
    }

    #[test]
    fn sysctl_forms() {
        // Every spelling a real admin uses reaches the same typed key, including per-device keys,
        // slash form, VLAN names with dots, and the /proc/sys echo.
        let fwd = Ok(Command::Sysctl { key: SysctlKey::IpForward, value: 1 });
        assert_eq!(parse("sysctl -w net.ipv4.ip_forward=1"), fwd);
        assert_eq!(parse("sysctl net.ipv4.ip_forward=1"), fwd);
        assert_eq!(parse("sysctl -qw net/ipv4/ip_forward=1"), fwd);
        assert_eq!(parse("echo 1 > /proc/sys/net/ipv4/ip_forward"), fwd);
        assert_eq!(parse("echo \"1\" >/proc/sys/net/ipv4/ip_forward"), fwd);
        let conf = |dev: ConfDev, name| Ok(Command::Sysctl { key: SysctlKey::Conf { dev, name }, value: 1 });
        assert_eq!(
            parse("sysctl -w net.ipv4.conf.eth0.arp_ignore=1"),
            conf(ConfDev::Dev("eth0".into()), ConfName::ArpIgnore)
        );
        assert_eq!(parse("sysctl -w net.ipv4.conf.default.forwarding=1"), conf(ConfDev::Default, ConfName::Forwarding));
        assert_eq!(
            parse("sysctl -w net.ipv4.conf.eth0/100.rp_filter=1"),
            conf(ConfDev::Dev("eth0.100".into()), ConfName::RpFilter)
        );
        assert_eq!(
            parse("sysctl -w net/ipv4/conf/eth0.100/rp_filter=1"),
            conf(ConfDev::Dev("eth0.100".into()), ConfName::RpFilter)
        );
        assert_eq!(
            parse("echo 1 > /proc/sys/net/ipv4/conf/tunl0/rp_filter").map(|c| c.to_string()).as_deref(),
            Ok("sysctl -w net.ipv4.conf.tunl0.rp_filter=1")
        );
        assert_eq!(
            parse("sysctl -w net.ipv4.vs.conn_reuse_mode=0"),
            Ok(Command::Sysctl { key: SysctlKey::Vs(VsName::ConnReuseMode), value: 0 })
        );
        assert_eq!(
            parse("sysctl -w net.ipv4.neigh.eth0.locktime=0"),
            Ok(Command::Sysctl {
                key: SysctlKey::Neigh { dev: ConfDev::Dev("eth0".into()), name: NeighName::Locktime },
                value: 0
            })
        );
    }

    #[test]
    fn modprobe_and_arptables_forms() {
        // modprobe treats - and _ alike; the two kb.linux-vs.org arptables recipes (also with the
        // old IN/OUT chain names and -d 0/0) give the typed rules.
        assert_eq!(parse("modprobe ipip"), Ok(Command::Modprobe { module: "ipip".into() }));
        assert_eq!(parse("modprobe -q ip-vs-wrr"), Ok(Command::Modprobe { module: "ip_vs_wrr".into() }));
        let vip = Some(ip("10.0.0.100"));
        assert_eq!(
            parse("arptables -A INPUT -d 10.0.0.100 -j DROP"),
            Ok(Command::Arptables(ArpRule {
                chain: ArpChain::Input,
                src: None,
                dst: vip,
                target: ArpTarget::Drop,
                insert: None
            }))
        );
        let mangle = ArpRule {
            chain: ArpChain::Output,
            src: vip,
            dst: None,
            target: ArpTarget::MangleIpSrc(ip("10.0.0.11")),
            insert: None,
        };
        assert_eq!(
            parse("arptables -A OUTPUT -s 10.0.0.100 -j mangle --mangle-ip-s 10.0.0.11"),
            Ok(Command::Arptables(mangle))
        );
        assert_eq!(
            parse("arptables -A OUT -d 0/0 -s 10.0.0.100/32 -j mangle --mangle-ip-s 10.0.0.11"),
            Ok(Command::Arptables(mangle))
        );
        assert_eq!(
            parse("arptables -I IN -d 10.0.0.100 -j ACCEPT"),
            Ok(Command::Arptables(ArpRule {
                chain: ArpChain::Input,
                src: None,
                dst: vip,
                target: ArpTarget::Accept,
                insert: Some(1)
            }))
        );
    }

    #[test]
    fn iptables_forms() {
        // The MTU black-hole recipe parses; port matches need -p; REJECT is refused clearly.
        let c = parse("iptables -A FORWARD -p icmp -j DROP").unwrap();
        assert_eq!(c.to_string(), "iptables -A FORWARD -p icmp -j DROP");
        let c = parse("iptables -I INPUT 2 -p tcp -s 10.0.0.0/24 --dport 80 -j ACCEPT").unwrap();
        assert_eq!(parse(&c.to_string()).unwrap(), c);
        let e = parse("iptables -A INPUT --dport 80 -j DROP").unwrap_err();
        assert_eq!(e.expected, "-p tcp or -p udp before a port match");
        assert!(parse("iptables -A INPUT -j REJECT").unwrap_err().hint.unwrap().contains("REJECT"));
    }

    #[test]
    fn display_is_canonical() {
        // Display normalises abbreviations and defaults, and prints the real command line.
        for (input, canonical) in [
            ("ip a add 10.0.0.100 dev lo", "ip addr add 10.0.0.100/32 dev lo"),
            ("ip a add 10.0.0.100/32 dev lo scope host", "ip addr add 10.0.0.100/32 dev lo scope host"),
            ("ip addr add 127.0.0.2/8 dev lo scope global", "ip addr add 127.0.0.2/8 dev lo scope global"),
            ("ip link set up mtu 9000 eth1", "ip link set dev eth1 mtu 9000 up"),
            ("ip r a 0.0.0.0/0 via 10.0.0.1 metric 0", "ip route add default via 10.0.0.1"),
            ("arp -s 10.0.0.1 02:00:00:00:00:AA", "arp -s 10.0.0.1 02:00:00:00:00:aa"),
            ("sysctl net/ipv4/conf/eth0.7/arp_ignore=8", "sysctl -w net.ipv4.conf.eth0/7.arp_ignore=8"),
            ("arptables -I OUTPUT 3 -j DROP", "arptables -I OUTPUT 3 -j DROP"),
            ("ipvsadm -A -t 10.0.0.100:80", "ipvsadm -A -t 10.0.0.100:80 -s wlc"),
        ] {
            assert_eq!(parse(input).map(|c| c.to_string()).as_deref(), Ok(canonical), "{input}");
        }
    }

    #[test]
    fn unknown_command_word() {
        // The span is the command word and a near miss gets a did-you-mean.
        let e = err("ipvsadmin -A -t 10.0.0.100:80");
        assert_eq!((e.span, e.found.as_str()), (0..9, "\"ipvsadmin\""));
        assert_eq!(e.expected, EXPECTED_COMMAND);
        assert_eq!(e.hint.as_deref(), Some("did you mean ipvsadm?"));
        assert!(err("ifconfig eth0:0 10.0.0.100 up").hint.unwrap().contains("ip addr add"));
        assert_eq!(err("").span, 0..0);
        assert_eq!(err("  # only a comment").found, END_OF_COMMAND);
    }

    #[test]
    fn bad_address_points_at_it() {
        // The span selects exactly the bad address, wherever it sits in the line.
        let cmd = "ip addr add 10.0.0.300/24 dev eth0";
        let e = err(cmd);
        assert_eq!(&cmd[e.span.clone()], "10.0.0.300");
        assert_eq!(e.expected, "an IPv4 address like 10.0.0.1");
        assert_eq!(e.found, "\"10.0.0.300\"");
        assert_eq!(e.hint.as_deref(), Some("each of the four numbers is between 0 and 255"));
        assert_eq!(at("ip route add default via 10.0.0.300"), "10.0.0.300");
        assert_eq!(at("ip route add 10.0.0.0/33 dev eth0"), "33");
        assert!(err("ip addr add www.example.com dev eth0").hint.unwrap().contains("numeric"));
        assert!(err("ip addr add 010.0.0.1 dev eth0").hint.unwrap().contains("leading zeros"));
        insta::assert_snapshot!(err(cmd).render(cmd), @r#"
        ip addr add 10.0.0.300/24 dev eth0
                    ^^^^^^^^^^ expected an IPv4 address like 10.0.0.1, found "10.0.0.300"
        hint: each of the four numbers is between 0 and 255
        "#);
    }

    #[test]
    fn missing_dev_points_at_the_end() {
        // A missing `dev` is reported as an empty span right after the last word.
        let cmd = "ip addr add 10.0.0.100/32  ";
        let e = err(cmd);
        assert_eq!(e.span, 25..25);
        assert_eq!(e.found, END_OF_COMMAND);
        assert_eq!(e.expected, "dev and an interface name, like `dev eth0`");
        assert!(e.hint.unwrap().contains("dev lo"));
        assert_eq!(err("ip neigh add 10.0.0.1 lladdr 02:00:00:00:00:11").span, 46..46);
        assert_eq!(at("ip addr add 10.0.0.100/32 dev eth0:0"), "eth0:0");
        assert!(err("ip addr add 10.0.0.100/32 dev eth0:0").hint.unwrap().contains("label eth0:0"));
    }

    #[test]
    fn unknown_sysctl_suggests() {
        // The span covers only the key, and the hint names the closest key, keeping the device.
        let cmd = "sysctl -w net.ipv4.conf.all.arp_ignor=1";
        let e = err(cmd);
        assert_eq!(&cmd[e.span.clone()], "net.ipv4.conf.all.arp_ignor");
        assert_eq!(e.expected, SYSCTL_EXPECTED);
        assert_eq!(e.hint.as_deref(), Some("did you mean net.ipv4.conf.all.arp_ignore?"));
        let hint = |c: &str| err(c).hint.unwrap();
        assert_eq!(hint("sysctl -w net.ipv4.conf.eth1.arp_anounce=2"), "did you mean net.ipv4.conf.eth1.arp_announce?");
        assert_eq!(hint("sysctl -w net.ipv4.vs.conn_reuse=0"), "did you mean net.ipv4.vs.conn_reuse_mode?");
        assert!(hint("sysctl -w net.ipv4.vs.secure_tcp=1").contains("does not model"));
        assert!(hint("sysctl -w net.ipv4.neigh.all.locktime=0").contains("no net.ipv4.neigh.all"));
        assert!(hint("sysctl -w net.ipv4.tcp_fin_timeout=5").starts_with("lvsim models net.ipv4.ip_forward"));
        assert!(hint("sysctl -w net.ipv4.ip_forward = 1").contains("no spaces"));
    }

    #[test]
    fn out_of_range_sysctl_value() {
        // The span is the value and `expected` carries the allowed range.
        let cmd = "sysctl -w net.ipv4.conf.all.arp_announce=3";
        let e = err(cmd);
        assert_eq!(&cmd[e.span.clone()], "3");
        assert_eq!(e.expected, "a value from 0 to 2 for arp_announce");
        assert!(e.hint.unwrap().contains("the DR setting"));
        assert_eq!(err("sysctl -w net.ipv4.conf.lo.arp_ignore=9").expected, "a value from 0 to 8 for arp_ignore");
        assert_eq!(err("sysctl -w net.ipv4.ip_forward=2").expected, "0 or 1 for ip_forward");
        assert_eq!(err("sysctl -w net.ipv4.vs.conn_reuse_mode=4").expected, "a value from 0 to 3 for conn_reuse_mode");
        assert_eq!(
            err("sysctl -w net.ipv4.vs.lblc_expiration=-1").expected,
            "a value from 0 to 2147483647 for lblc_expiration"
        );
        assert_eq!(at("echo 2 > /proc/sys/net/ipv4/ip_forward"), "2");
        assert_eq!(at("sysctl -w net.ipv4.ip_forward=yes"), "yes");
    }

    #[test]
    fn other_errors_point_at_the_culprit() {
        // Each error selects the token that needs fixing, with a hint that says how.
        assert_eq!(at("ip route add 10.0.0.1/24 dev eth0"), "10.0.0.1/24");
        assert!(err("ip route add 10.0.0.1/24 dev eth0").hint.unwrap().contains("did you mean 10.0.0.0/24?"));
        assert_eq!(at("ip route add 10.0.0.0/24"), "");
        assert_eq!(at("ip addr show"), "show");
        assert!(err("ip addr show").hint.unwrap().contains("only shows state"));
        assert_eq!(at("ip rule add from 10.0.0.0/24 table 100"), "rule");
        assert_eq!(at("ip link set eth0 arp off"), "arp");
        assert_eq!(at("ip addr add $VIP/32 dev lo"), "$");
        assert_eq!(at("ip addr add 10.0.0.1/32 dev lo && echo ok"), "&");
        assert_eq!(at("ip addr add 10.0.0.1/32 dev 'lo"), "'");
        assert!(err("echo 1>/proc/sys/net/ipv4/ip_forward").hint.unwrap().contains("redirection"));
        assert_eq!(at("arptables -A INPUT --mangle-ip-s 10.0.0.11 -j mangle"), "--mangle-ip-s");
        assert_eq!(at("arptables -A input -d 10.0.0.100 -j DROP"), "input");
        assert_eq!(at("modprobe ip_vs_rrr"), "ip_vs_rrr");
        assert_eq!(err("modprobe ip_vs_rrr").hint.as_deref(), Some("did you mean ip_vs_rr?"));
        assert_eq!(at("ip neigh add 10.0.0.1 lladdr 02-00-00-00-00-11 dev eth0"), "02-00-00-00-00-11");
        assert_eq!(at("ip addr add 10.0.0.1/24 dev lo dev eth0"), "dev");
        assert_eq!(at("ip link set eth0 mtu 20"), "20");
        // A quoted token cannot be sliced into, so the span is the whole token, quotes included.
        assert_eq!(at("ip addr add '10.0.0.300' dev eth0"), "'10.0.0.300'");
    }

    // ── property tests ──

    fn dev_name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_.-]{0,14}".prop_filter("all/default are sysctl words", |d| d != "all" && d != "default")
    }

    fn addr() -> impl Strategy<Value = Ipv4Addr> {
        any::<u32>().prop_map(Ipv4Addr::from)
    }

    fn sysctl_key() -> impl Strategy<Value = SysctlKey> {
        let conf_dev = prop_oneof![Just(ConfDev::All), Just(ConfDev::Default), dev_name().prop_map(ConfDev::Dev)];
        let neigh_dev = prop_oneof![Just(ConfDev::Default), dev_name().prop_map(ConfDev::Dev)];
        prop_oneof![
            Just(SysctlKey::IpForward),
            (conf_dev, prop::sample::select(ConfName::ALL.to_vec()))
                .prop_map(|(dev, name)| SysctlKey::Conf { dev, name }),
            prop::sample::select(VsName::ALL.to_vec()).prop_map(SysctlKey::Vs),
            (neigh_dev, prop::sample::select(NeighName::ALL.to_vec()))
                .prop_map(|(dev, name)| SysctlKey::Neigh { dev, name }),
        ]
    }

    fn arp_rule() -> impl Strategy<Value = ArpRule> {
        let target =
            prop_oneof![Just(ArpTarget::Drop), Just(ArpTarget::Accept), addr().prop_map(ArpTarget::MangleIpSrc)];
        (any::<bool>(), prop::option::of(addr()), prop::option::of(addr()), target, prop::option::of(1u32..)).prop_map(
            |(input, src, dst, target, insert)| ArpRule {
                chain: if input { ArpChain::Input } else { ArpChain::Output },
                src,
                dst,
                target,
                insert,
            },
        )
    }

    /// Commands that have a command line (see `Display for Command`).
    fn command() -> impl Strategy<Value = Command> {
        let scope = prop::sample::select(vec![Scope::Global, Scope::Link, Scope::Host]);
        let nud = prop::sample::select(Nud::ALL.to_vec());
        let mtu = prop::option::of(68u32..=65_536);
        prop_oneof![
            (addr(), 0u8..=32, dev_name(), scope).prop_map(|(addr, prefix, dev, scope)| Command::AddrAdd {
                addr,
                prefix,
                dev,
                scope
            }),
            (addr(), 0u8..=32, dev_name()).prop_map(|(addr, prefix, dev)| Command::AddrDel { addr, prefix, dev }),
            (dev_name(), prop::option::of(any::<bool>()), mtu.clone())
                .prop_filter("something to set", |(_, up, mtu)| up.is_some() || mtu.is_some())
                .prop_map(|(dev, up, mtu)| Command::LinkSet { dev, up, mtu }),
            (
                addr(),
                0u8..=32,
                prop::option::of(addr()),
                prop::option::of(dev_name()),
                prop::option::of(addr()),
                mtu,
                any::<u32>()
            )
                .prop_filter("a next hop", |t| t.2.is_some() || t.3.is_some())
                .prop_map(|(dst, prefix, via, dev, src, mtu, metric)| Command::RouteAdd {
                    dst: Ipv4Addr::from(u32::from(dst) & prefix_mask(prefix)),
                    prefix,
                    via,
                    dev,
                    src,
                    mtu,
                    metric
                }),
            (addr(), 0u8..=32).prop_map(|(dst, prefix)| Command::RouteDel {
                dst: Ipv4Addr::from(u32::from(dst) & prefix_mask(prefix)),
                prefix
            }),
            (addr(), any::<[u8; 6]>(), prop::option::of(dev_name()), nud)
                .prop_filter("arp -s makes only permanent or stale entries", |(_, _, dev, nud)| {
                    dev.is_some() || matches!(nud, Nud::Permanent | Nud::Stale)
                })
                .prop_map(|(addr, mac, dev, nud)| Command::NeighAdd { addr, mac, dev, nud }),
            sysctl_key().prop_flat_map(|key| {
                let range = key.range();
                range.prop_map(move |value| Command::Sysctl { key: key.clone(), value })
            }),
            prop::sample::select(known_modules()).prop_map(|module| Command::Modprobe { module }),
            ipvsadm::strategies::cmd().prop_map(Command::Ipvsadm),
            arp_rule().prop_map(Command::Arptables),
        ]
    }

    /// Words that steer the parsers deep into their branches.
    fn soup() -> impl Strategy<Value = String> {
        let words = prop::sample::select(vec![
            "ip",
            "a",
            "addr",
            "add",
            "del",
            "link",
            "set",
            "route",
            "neigh",
            "dev",
            "eth0",
            "lo",
            "via",
            "default",
            "scope",
            "host",
            "label",
            "brd",
            "mtu",
            "up",
            "metric",
            "lladdr",
            "nud",
            "10.0.0.1",
            "10.0.0.0/24",
            "02:00:00:00:00:01",
            "sysctl",
            "-w",
            "net.ipv4.ip_forward=1",
            "net/ipv4/conf/eth0/rp_filter=2",
            "echo",
            "1",
            ">",
            ">/proc/sys/net/ipv4/ip_forward",
            "ipvsadm",
            "-A",
            "-a",
            "-t",
            "-u",
            "10.0.0.100:80",
            "-r",
            "-s",
            "sh",
            "-b",
            "sh-port",
            "-p",
            "-M",
            "-g",
            "-m",
            "-i",
            "-w",
            "-o",
            "--set",
            "-At",
            "-p600",
            "arp",
            "-s",
            "arptables",
            "-j",
            "mangle",
            "--mangle-ip-s",
            "INPUT",
            "-I",
            "modprobe",
            "ipip",
            "\"",
            "'",
            "#",
            "",
            "é",
            "-",
            "--",
            "=",
            ":",
            "/",
        ]);
        prop::collection::vec(words, 0..12).prop_map(|w| w.join(" "))
    }

    fn assert_span_ok(cmd: &str, e: &CmdError) {
        assert!(e.span.start <= e.span.end && e.span.end <= cmd.len(), "{cmd:?} {e:?}");
        assert!(cmd.get(e.span.clone()).is_some(), "span not on char boundaries: {cmd:?} {e:?}");
        if e.found == END_OF_COMMAND {
            assert!(e.span.is_empty());
        }
    }

    proptest! {
        #[test]
        fn random_strings_never_panic(cmd in ".{0,80}") {
            // Arbitrary text either parses or yields an error whose span is a valid slice.
            if let Err(e) = parse(&cmd) { assert_span_ok(&cmd, &e); }
        }

        #[test]
        fn word_soup_never_panics(cmd in soup()) {
            // Plausible words in random order reach every parser branch; spans stay valid.
            if let Err(e) = parse(&cmd) { assert_span_ok(&cmd, &e); }
        }

        #[test]
        fn display_round_trips(c in command()) {
            // The canonical line of any representable command parses back to the same value.
            let line = c.to_string();
            prop_assert_eq!(parse(&line), Ok(c), "{}", line);
        }
    }
}
