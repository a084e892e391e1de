//! `arptables` and `iptables` rules.

use std::net::Ipv4Addr;

use super::Command;
use super::ip::{parse_arp_addr, parse_number, parse_prefix};
use super::lex::{Args, CmdError, Tok, did_you_mean, once, parse_ipv4};

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
