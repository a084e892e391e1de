//! `arptables` and `iptables` rules.

use std::net::Ipv4Addr;

use super::Command;
use super::ip::{parse_arp_addr, parse_number, parse_prefix};
use super::lex::{Args, CmdError, Tok, did_you_mean, once, parse_ipv4};

/// An iptables chain: INPUT, FORWARD, OUTPUT of the filter table; PREROUTING and OUTPUT of
/// the mangle table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IptChain {
    Prerouting,
    Input,
    Forward,
    Output,
}

impl IptChain {
    pub fn name(self) -> &'static str {
        match self {
            IptChain::Prerouting => "PREROUTING",
            IptChain::Input => "INPUT",
            IptChain::Forward => "FORWARD",
            IptChain::Output => "OUTPUT",
        }
    }
}

/// The iptables tables lvsim models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IptTable {
    /// `-t filter`, the default: priority 0 (`NF_IP_PRI_FILTER`).
    #[default]
    Filter,
    /// `-t mangle`: priority −150 (`NF_IP_PRI_MANGLE`), before routing at PREROUTING.
    Mangle,
}

/// What a matching rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IptTarget {
    Drop,
    Accept,
    /// `-j MARK` (mangle only; `mark_tg` in `xt_MARK.c`): `skb->mark = (skb->mark & ~mask) ^
    /// mark`, then the next rule (`XT_CONTINUE`). `--set-mark V[/M]` is mark V, mask V|M;
    /// `--set-xmark V[/M]` mark V, mask M (M defaults to 0xffffffff), as `libxt_MARK` stores them.
    Mark {
        mark: u32,
        mask: u32,
    },
}

/// The most ports `-m multiport` takes (`XT_MULTI_PORTS`).
pub const MULTI_PORTS: usize = 15;

/// Destination ports: one (`--dport`) or up to 15 (`-m multiport --dports a,b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ports {
    n: u8,
    list: [u16; MULTI_PORTS],
}

impl Ports {
    #[must_use]
    pub fn one(p: u16) -> Self {
        let mut list = [0; MULTI_PORTS];
        list[0] = p;
        Self { n: 1, list }
    }

    #[must_use]
    pub fn as_slice(&self) -> &[u16] {
        &self.list[..self.n as usize]
    }

    #[must_use]
    pub fn contains(&self, p: u16) -> bool {
        self.as_slice().contains(&p)
    }
}

/// An iptables rule: every given match must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IptRule {
    pub table: IptTable,
    pub chain: IptChain,
    /// `None`: appended (`-A`); `Some(n)`: inserted as rule `n` (`-I`).
    pub insert: Option<u32>,
    /// IP protocol number (`-p tcp` = 6, `udp` = 17, `icmp` = 1).
    pub proto: Option<u8>,
    pub src: Option<(Ipv4Addr, u8)>,
    pub dst: Option<(Ipv4Addr, u8)>,
    pub sport: Option<u16>,
    pub dports: Option<Ports>,
    pub target: IptTarget,
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

/// The chain after `-A`/`-I`, and for `-I` the rule number (default 1).
pub(super) fn arp_chain(a: &mut Args, cmd: &Tok) -> Result<(ArpChain, Option<u32>), CmdError> {
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

pub(super) fn parse_arptables(a: &mut Args) -> Result<Command, CmdError> {
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

pub(super) fn parse_iptables(a: &mut Args) -> Result<Command, CmdError> {
    let options = "an iptables option: -t, -A, -I, -p, -s, -d, --sport, --dport, -m multiport --dports, -j";
    let mut table = IptTable::Filter;
    let mut chain: Option<(&Tok, Option<u32>)> = None;
    let (mut proto, mut src, mut dst, mut sport, mut dports, mut target) = (None, None, None, None, None, None);
    let mut multiport = false;
    let mut mark: Option<(u32, u32)> = None;
    let mut mark_tok: Option<&Tok> = None;
    while let Some(t) = a.next() {
        match t.text.as_str() {
            "-t" | "--table" => {
                let v = a.value("a table after -t")?;
                table = match v.text.as_str() {
                    "filter" => IptTable::Filter,
                    "mangle" => IptTable::Mangle,
                    _ => {
                        return Err(v
                            .err("filter or mangle")
                            .with_hint("lvsim models the filter and mangle tables only (no nat, raw)"));
                    }
                };
            }
            "-A" | "--append" | "-I" | "--insert" => {
                if chain.is_some() {
                    return Err(t.err("one command per line").with_hint("give -A or -I once"));
                }
                let c = a.value("a chain")?;
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
                chain = Some((c, insert));
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
            "--sport" | "--source-port" | "--dport" | "--destination-port" | "--dports" | "--destination-ports" => {
                if !matches!(proto, Some(6 | 17)) {
                    return Err(t
                        .err("-p tcp or -p udp before a port match")
                        .with_hint("iptables needs `-p tcp` (or udp) to match ports"));
                }
                if t.text.starts_with("--s") {
                    once(sport.is_some(), t)?;
                    let n = parse_number(a.value("a port number")?, 0..=65535, "a port from 0 to 65535")?;
                    sport = Some(n as u16);
                } else if t.text.ends_with('s') {
                    if !multiport {
                        return Err(t
                            .err("-m multiport before --dports")
                            .with_hint("--dports belongs to the multiport match: `-m multiport --dports 80,443`"));
                    }
                    once(dports.is_some(), t)?;
                    dports = Some(parse_ports(a.value("ports like 80,443 after --dports")?)?);
                } else {
                    once(dports.is_some(), t)?;
                    let n = parse_number(a.value("a port number")?, 0..=65535, "a port from 0 to 65535")?;
                    dports = Some(Ports::one(n as u16));
                }
            }
            "-m" | "--match" => {
                let v = a.value("a match module")?;
                if v.is("multiport") {
                    multiport = true;
                } else if !(v.is("tcp") || v.is("udp") || v.is("icmp")) {
                    return Err(v
                        .err("tcp, udp, icmp or multiport")
                        .with_hint("other match modules (state, conntrack, mark...) are not modeled"));
                }
            }
            "-j" | "--jump" => {
                once(target.is_some(), t)?;
                let expected = "a target: DROP, ACCEPT or MARK";
                let v = a.value(expected)?;
                target = Some(match v.text.as_str() {
                    "DROP" => IptTarget::Drop,
                    "ACCEPT" => IptTarget::Accept,
                    "MARK" => {
                        mark_tok = Some(v);
                        IptTarget::Mark { mark: 0, mask: 0 }
                    }
                    "REJECT" => {
                        return Err(v
                            .err(expected)
                            .with_hint("REJECT is not modeled; DROP shows the same loss without the ICMP"));
                    }
                    _ => return Err(v.err(expected).with_hint_opt(did_you_mean(&v.text, ["DROP", "ACCEPT", "MARK"]))),
                });
            }
            "--set-mark" | "--set-xmark" | "--and-mark" | "--or-mark" | "--xor-mark" => {
                if !matches!(target, Some(IptTarget::Mark { .. })) {
                    return Err(t
                        .err("-j MARK before a mark option")
                        .with_hint(format!("{} is an option of the MARK target: `-j MARK {} 1`", t.text, t.text)));
                }
                once(mark.is_some(), t)?;
                let v = a.value("a mark like 1 or 0x1/0xff")?;
                let (value, given_mask) = parse_mark(v)?;
                let masked = t.is("--set-mark") || t.is("--set-xmark");
                if !masked && given_mask.is_some() {
                    return Err(v.err("a mark without /mask").with_hint(format!("{} takes a single value", t.text)));
                }
                let m = given_mask.unwrap_or(u32::MAX);
                // libxt_MARK's mark_tg_parse, option by option.
                mark = Some(match t.text.as_str() {
                    "--set-xmark" => (value, m),
                    "--set-mark" => (value, value | m),
                    "--and-mark" => (0, !value),
                    "--or-mark" => (value, value),
                    _ => (value, 0),
                });
            }
            _ => {
                let hint = t.text.starts_with('-').then(|| format!("`{}` is not modeled by lvsim's iptables", t.text));
                return Err(t.err(options).with_hint_opt(hint));
            }
        }
    }
    let Some((c, insert)) = chain else {
        return Err(a.missing("-A CHAIN or -I CHAIN"));
    };
    let chain = match (table, c.text.as_str()) {
        (IptTable::Filter, "INPUT") => IptChain::Input,
        (IptTable::Filter, "FORWARD") => IptChain::Forward,
        (_, "OUTPUT") => IptChain::Output,
        (IptTable::Mangle, "PREROUTING") => IptChain::Prerouting,
        (IptTable::Filter, _) => {
            let hint = if c.is("PREROUTING") || c.is("POSTROUTING") {
                Some(format!("the filter table has no {} chain; marks are set in `-t mangle`", c.text))
            } else {
                did_you_mean(&c.text, ["INPUT", "FORWARD", "OUTPUT"])
            };
            return Err(c.err("a chain: INPUT, FORWARD or OUTPUT").with_hint_opt(hint));
        }
        (IptTable::Mangle, _) => {
            let hint = if matches!(c.text.as_str(), "INPUT" | "FORWARD" | "POSTROUTING") {
                Some(format!("mangle {} is not modeled; IPVS reads marks set at PREROUTING or OUTPUT", c.text))
            } else {
                did_you_mean(&c.text, ["PREROUTING", "OUTPUT"])
            };
            return Err(c.err("a mangle chain: PREROUTING or OUTPUT").with_hint_opt(hint));
        }
    };
    if let Some(v) = mark_tok
        && table != IptTable::Mangle
    {
        return Err(v
            .err("DROP or ACCEPT in the filter table")
            .with_hint("MARK is a mangle-table target: `iptables -t mangle -A PREROUTING ... -j MARK --set-mark 1`"));
    }
    let target = match target {
        Some(IptTarget::Mark { .. }) => {
            let Some((mark, mask)) = mark else {
                return Err(a.missing("--set-mark and a mark after -j MARK"));
            };
            IptTarget::Mark { mark, mask }
        }
        Some(t) => t,
        None => return Err(a.missing("-j DROP, -j ACCEPT or -j MARK")),
    };
    if multiport && dports.is_none() {
        return Err(a.missing("--dports and ports like 80,443 after -m multiport"));
    }
    Ok(Command::Iptables(IptRule { table, chain, insert, proto, src, dst, sport, dports, target }))
}

/// `--dports 80,443`: 1 to 15 ports, comma-separated (`xt_multiport`'s `parse_multi_ports`).
fn parse_ports(v: &Tok) -> Result<Ports, CmdError> {
    let mut list = [0u16; MULTI_PORTS];
    let mut n = 0;
    for part in v.text.split(',') {
        let bad = || v.err("ports like 80,443 (numbers from 0 to 65535)");
        if n == MULTI_PORTS {
            return Err(bad().with_hint("multiport takes at most 15 ports (too many ports specified)"));
        }
        if part.contains(':') {
            return Err(bad().with_hint("port ranges (a:b) are not modeled; list the ports"));
        }
        list[n] = part.parse().map_err(|_| bad())?;
        n += 1;
    }
    Ok(Ports { n: n as u8, list })
}

/// `value[/mask]`, each decimal or 0x-hex, as `xtables_strtoui` reads marks.
fn parse_mark(v: &Tok) -> Result<(u32, Option<u32>), CmdError> {
    let num = |s: &str| match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    };
    let bad = || v.err("a mark like 1 or 0x1/0xff (0 to 4294967295)");
    match v.text.split_once('/') {
        Some((a, m)) => Ok((num(a).ok_or_else(bad)?, Some(num(m).ok_or_else(bad)?))),
        None => Ok((num(&v.text).ok_or_else(bad)?, None)),
    }
}
