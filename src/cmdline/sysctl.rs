//! `sysctl -w KEY=VALUE` and `echo VALUE > /proc/sys/KEY`: the keys lvsim models.

use std::fmt;
use std::ops::RangeInclusive;

use super::Command;
use super::ip::validate_dev;
use super::lex::{Args, CmdError, END_OF_COMMAND, Tok, edit_distance};
use std::ops::Range;

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

/// Leaves of `net.ipv4.conf.{all,default,DEV}` that lvsim models (ip-sysctl.rst; see the
/// spec, section e). What a write does is in `stack::conf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfName {
    ArpIgnore,
    ArpAnnounce,
    ArpFilter,
    ArpAccept,
    RpFilter,
    AcceptLocal,
    Forwarding,
    SendRedirects,
    RouteLocalnet,
    DropGratuitousArp,
}

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

// ───────────────────────────── sysctl ─────────────────────────────

pub(super) const SYSCTL_EXPECTED: &str =
    "a sysctl lvsim models (net.ipv4.ip_forward, net.ipv4.conf.*, net.ipv4.vs.*, net.ipv4.neigh.*)";

/// Real `net.ipv4.conf.*` leaves lvsim does not model.
pub(super) const UNMODELED_CONF: &[&str] = &[
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
pub(super) const UNMODELED_VS: &[&str] = &[
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
pub(super) const UNMODELED_NEIGH: &[&str] = &[
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
pub(super) fn split_sysctl_name(name: &str) -> Vec<String> {
    match name.find(['.', '/']) {
        Some(i) if name.as_bytes()[i] == b'/' => name.split('/').map(str::to_owned).collect(),
        _ => name.split('.').map(|p| p.replace('/', ".")).collect(),
    }
}

/// `expected` and `hint` when a sysctl name is not one lvsim knows.
type KeyError = (String, Option<String>);

pub(super) fn conf_dev(dev: &str, allow_all: bool) -> Result<ConfDev, KeyError> {
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

pub(super) fn sysctl_key(parts: &[String]) -> Result<SysctlKey, KeyError> {
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

pub(super) fn unknown_sysctl_hint(p: &[&str]) -> String {
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
pub(super) fn sysctl_value_hint(key: &SysctlKey) -> Option<String> {
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
pub(super) fn sysctl_assignment(
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

pub(super) fn parse_sysctl(a: &mut Args) -> Result<Command, CmdError> {
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
pub(super) fn parse_echo(a: &mut Args) -> Result<Command, CmdError> {
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
    if text == "/proc/sysrq-trigger" {
        return super::fault::sysrq(v);
    }
    let Some(key) = text.strip_prefix("/proc/sys/") else {
        return Err(CmdError::new(path.sub(offset..path.text.len()), "a /proc/sys path", text));
    };
    let key_start = offset + "/proc/sys/".len();
    sysctl_assignment(key, path.sub(key_start..path.text.len()), true, &v.text, v.span.clone())
}
