//! `lvsim import`: a real configuration turned into a scenario that runs. The input is a
//! `keepalived.conf` (embedded in the director as `keepalived: Text(...)`) or the output of
//! `ipvsadm -S -n` (`ipvsadm-save -n`, put on the director as `run:` lines); what neither
//! says (subnets, the router, the director's own addresses, the clients) is inferred and
//! written as `//` comments at the top of the scenario (docs/import.md).
//!
//! ```text
//! text ──► cmdline::keepalived::parse | save::parse (errors: file:line:col)
//!            │
//!            ▼
//!        Model (services: VIP or mark, protocol, real servers with their forwarding)
//!            │ plan: one L2 segment per /24 of real servers, router and director on
//!            ▼       each, invented addresses picked where the input holds none
//!        scenario text (RON), checked by the tests with `lvsim check` and `lvsim verify`
//! ```
//!
//! Only the input is read: the inference is deterministic, so the same file always gives
//! the same scenario.

mod plan;
mod save;
#[cfg(test)]
mod tests;

use crate::cmdline::ipvsadm::{Fwd, Proto};
use crate::cmdline::keepalived::{self, KeepalivedConf, Micros};
use crate::lang::Lang;
use crate::scenario::ScenarioError;
use std::net::Ipv4Addr;
use std::ops::Range;

/// What kind of file is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A `keepalived.conf`.
    Keepalived,
    /// `ipvsadm -S -n` output: one `-A`/`-a` line per service and real server.
    IpvsadmSave,
}

impl Kind {
    /// The subcommand's word: `keepalived`, `ipvsadm-save`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Keepalived => "keepalived",
            Self::IpvsadmSave => "ipvsadm-save",
        }
    }
}

/// One virtual service of the input.
#[derive(Debug, Clone)]
pub(crate) struct Svc {
    /// Where it is written in the input (for errors).
    pub at: Range<usize>,
    /// The VIP of a `-t`/`-u` service; `None` for a firewall-mark service.
    pub vip: Option<Ipv4Addr>,
    pub port: u16,
    pub proto: Proto,
    /// 0 for a `-t`/`-u` service.
    pub fwmark: u32,
    pub servers: Vec<Rs>,
    /// keepalived's `sorry_server`, forwarded like the real servers.
    pub sorry: Option<Rs>,
}

/// One real server of a service.
#[derive(Debug, Clone)]
pub(crate) struct Rs {
    pub at: Range<usize>,
    pub addr: Ipv4Addr,
    pub port: u16,
    pub fwd: Fwd,
    pub weight: u32,
    /// The TCP ports keepalived's TCP_CHECK and HTTP_GET connect to: the real server must
    /// listen there or the check fails and keepalived takes the server out.
    pub check_ports: Vec<u16>,
}

/// What the input says, in the terms the plan needs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Model {
    pub services: Vec<Svc>,
    /// keepalived's VRRP addresses (`virtual_ipaddress`) with the interface each goes on.
    pub vrrp: Vec<(Ipv4Addr, String)>,
    /// Interface names the director must have (VRRP `interface`, `dev`, sync interface), in
    /// the order the input names them, with the place of the instance naming each.
    pub ifnames: Vec<(String, usize)>,
    /// The longest `advert_int` of the VRRP instances (none: no VRRP).
    pub advert: Option<Micros>,
    /// `ipvsadm` lines to run on the director (ipvsadm-save input), as written.
    pub run: Vec<String>,
    /// The keepalived.conf to embed (keepalived input).
    pub keepalived: Option<String>,
}

/// Reads `text` (from the file `origin`) as `kind` and writes a scenario for it.
///
/// # Errors
/// A located [`ScenarioError`] (file:line:col, expected, found, hint) for input that is not
/// a valid configuration, or that no scenario can be inferred for. Never panics.
pub fn import(kind: Kind, origin: &str, text: &str, lang: Lang) -> Result<String, ScenarioError> {
    let model = match kind {
        Kind::Keepalived => from_keepalived(origin, text)?,
        Kind::IpvsadmSave => save::parse(origin, text, lang)?,
    };
    plan::write(kind, origin, text, &model, lang)
}

/// The word starting at byte `at` of `text`, as a span.
pub(crate) fn word_at(text: &str, at: usize) -> Range<usize> {
    let at = at.min(text.len());
    let len = text.get(at..).and_then(|r| r.find(char::is_whitespace)).unwrap_or(text.len() - at);
    at..at + len.max(1).min(text.len() - at)
}

fn from_keepalived(origin: &str, text: &str) -> Result<Model, ScenarioError> {
    let conf: KeepalivedConf = keepalived::parse(text)
        .map_err(|e| ScenarioError::at(origin, text, e.span.start, e.span.end, e.expected, e.found, e.hint))?;
    let mut m = Model { keepalived: Some(text.replace("\r\n", "\n")), ..Model::default() };
    for vs in &conf.virtual_servers {
        let rs = |addr, port, weight, at, check_ports| Rs {
            at: word_at(text, at),
            addr,
            port,
            fwd: vs.fwd,
            weight,
            check_ports,
        };
        let (vip, port, fwmark) = match vs.addr {
            keepalived::VsAddr::Ip { addr, port } => (Some(addr), port, 0),
            keepalived::VsAddr::Fwmark(mark) => (None, 0, mark),
        };
        m.services.push(Svc {
            at: word_at(text, vs.at),
            vip,
            port,
            proto: vs.proto,
            fwmark,
            servers: vs
                .real_servers
                .iter()
                .map(|r| {
                    let tcp = r.checkers.iter().filter(|c| !matches!(c.kind, keepalived::CheckKind::Misc { .. }));
                    rs(r.addr, r.port, r.weight, r.at, tcp.map(|c| c.port).collect())
                })
                .collect(),
            sorry: vs.sorry_server.map(|(a, p)| rs(a, p, 1, vs.at, Vec::new())),
        });
    }
    let mut name = |n: &str, at: usize| {
        if !m.ifnames.iter().any(|(x, _)| x == n) {
            m.ifnames.push((n.to_string(), at));
        }
    };
    for v in &conf.vrrp_instances {
        name(&v.interface, v.at);
        for ip in &v.virtual_ipaddress {
            name(ip.dev.as_deref().unwrap_or(&v.interface), v.at);
        }
        if let Some(s) = &v.lvs_sync_daemon_interface {
            name(s, v.at);
        }
    }
    for v in &conf.vrrp_instances {
        for ip in &v.virtual_ipaddress {
            m.vrrp.push((ip.addr, ip.dev.clone().unwrap_or_else(|| v.interface.clone())));
        }
        m.advert = m.advert.max(Some(v.advert_int));
    }
    Ok(m)
}
