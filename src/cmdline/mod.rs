//! Every Linux command lvsim reads, parsed once into a typed value. This module is a leaf:
//! it imports only `packet` (for `MacAddr` and `prefix_mask`); the model, the scenario
//! loader, sweeps, grading and the front ends import it, never the reverse.
//!
//! * [`parse`]: one line of host configuration into a [`Command`] (below);
//! * [`ipvsadm_list::parse_list`]: `ipvsadm -L|-S ...` listings (`lvsim ipvsadm`);
//! * [`ip_show::parse_show`]: `ip addr|route|neigh show ...` listings (`lvsim ip`);
//! * [`Pattern`]: exercise `require`/`forbid` entries, matched against parsed commands.
//!
//! Each has a `Display` that writes it back as an admin would type it.
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
//! | `ipvsadm -A -t 10.0.0.100:80 -s rr` (see [`ipvsadm`]) | [`Command::Ipvsadm`] |
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
use std::ops::Range;

use crate::packet::MacAddr;

mod ip;
pub mod ip_show;
pub mod ipvsadm;
pub mod ipvsadm_list;
pub mod keepalived;
mod lex;
mod netfilter;
mod pattern;
mod sysctl;
#[cfg(test)]
mod tests;

use ip::{parse_arp, parse_ip};
use ipvsadm::Sched;
use lex::{Args, Tok, tokenize};
use netfilter::{parse_arptables, parse_iptables};
use sysctl::{parse_echo, parse_sysctl};

pub use ip::{IpObj, ip_object, iproute_matches, validate_dev};
pub use ipvsadm::IpvsadmCmd;
pub use lex::{CmdError, END_OF_COMMAND, closest, did_you_mean, parse_ipv4, quote, sub_span};
pub use netfilter::{ArpChain, ArpRule, ArpTarget, IptChain, IptRule, IptTable, IptTarget, Ports};
pub use pattern::Pattern;
pub use sysctl::{ConfDev, ConfName, NeighName, SysctlKey, VsName};

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
    NeighAdd { addr: Ipv4Addr, mac: MacAddr, dev: Option<String>, nud: Nud },
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

/// Address scope (`ip addr add ... scope host|link|global`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

    pub const fn name(self) -> &'static str {
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

/// NUD states (`include/uapi/linux/neighbour.h`): the neighbour table's own states, of which
/// an admin can set the four in [`Nud::SETTABLE`] (`ip neigh add ... nud STATE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Nud {
    Incomplete,
    Reachable,
    Stale,
    Delay,
    Probe,
    Failed,
    Permanent,
    Noarp,
}

impl Nud {
    /// The states `ip neigh add ... nud` accepts, in the order its error lists them.
    pub const SETTABLE: [Self; 4] = [Self::Permanent, Self::Noarp, Self::Reachable, Self::Stale];

    /// As `ip neigh show` prints it: `REACHABLE`, `PERMANENT`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Nud::Incomplete => "INCOMPLETE",
            Nud::Reachable => "REACHABLE",
            Nud::Stale => "STALE",
            Nud::Delay => "DELAY",
            Nud::Probe => "PROBE",
            Nud::Failed => "FAILED",
            Nud::Permanent => "PERMANENT",
            Nud::Noarp => "NOARP",
        }
    }

    /// As `ip neigh add ... nud` takes it: `permanent`, `noarp`, ...
    pub const fn arg(self) -> &'static str {
        match self {
            Nud::Incomplete => "incomplete",
            Nud::Reachable => "reachable",
            Nud::Stale => "stale",
            Nud::Delay => "delay",
            Nud::Probe => "probe",
            Nud::Failed => "failed",
            Nud::Permanent => "permanent",
            Nud::Noarp => "noarp",
        }
    }

    /// `NUD_VALID`: the entry has a usable MAC.
    pub const fn is_valid(self) -> bool {
        !matches!(self, Nud::Incomplete | Nud::Failed)
    }

    pub const fn is_static(self) -> bool {
        matches!(self, Nud::Permanent | Nud::Noarp)
    }
}

impl Command {
    /// The program that runs it, as [`Display`](fmt::Display) writes it: `ip`, `arp`,
    /// `sysctl` (also for `echo ... > /proc/sys/...`), `modprobe`, `ipvsadm`, `arptables`,
    /// `iptables`.
    #[must_use]
    pub fn program(&self) -> &'static str {
        match self {
            Self::NeighAdd { dev: None, nud: Nud::Permanent | Nud::Stale, .. } => "arp",
            Self::AddrAdd { .. }
            | Self::AddrDel { .. }
            | Self::LinkSet { .. }
            | Self::RouteAdd { .. }
            | Self::RouteDel { .. }
            | Self::NeighAdd { .. } => "ip",
            Self::Sysctl { .. } => "sysctl",
            Self::Modprobe { .. } => "modprobe",
            Self::Ipvsadm(_) => "ipvsadm",
            Self::Arptables(_) => "arptables",
            Self::Iptables(_) => "iptables",
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
            Self::NeighAdd { addr, mac, dev, nud } => match (dev, nud) {
                (Some(dev), _) => write!(f, "ip neigh add {addr} lladdr {mac} dev {dev} nud {}", nud.arg()),
                (None, Nud::Permanent) => write!(f, "arp -s {addr} {mac}"),
                (None, Nud::Stale) => write!(f, "arp -s {addr} {mac} temp"),
                (None, _) => write!(f, "ip neigh add {addr} lladdr {mac} nud {}", nud.arg()),
            },
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
                f.write_str(if r.table == IptTable::Mangle { "iptables -t mangle" } else { "iptables" })?;
                match r.insert {
                    None => write!(f, " -A {}", r.chain.name())?,
                    Some(n) => write!(f, " -I {} {n}", r.chain.name())?,
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
                match r.dports.as_ref().map(Ports::as_slice) {
                    Some([p]) => write!(f, " --dport {p}")?,
                    Some(ps) => {
                        let list: Vec<String> = ps.iter().map(u16::to_string).collect();
                        write!(f, " -m multiport --dports {}", list.join(","))?;
                    }
                    None => {}
                }
                match r.target {
                    IptTarget::Drop => f.write_str(" -j DROP"),
                    IptTarget::Accept => f.write_str(" -j ACCEPT"),
                    // As `iptables -S` prints every MARK rule.
                    IptTarget::Mark { mark, mask } => write!(f, " -j MARK --set-xmark {mark:#x}/{mask:#x}"),
                }
            }
        }
    }
}

fn write_route_dst(f: &mut fmt::Formatter<'_>, dst: Ipv4Addr, prefix: u8) -> fmt::Result {
    if prefix == 0 && dst.is_unspecified() { f.write_str("default") } else { write!(f, "{dst}/{prefix}") }
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
