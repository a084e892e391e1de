//! `lvsim sched --script CASE.json`: the scheduling layer alone, driven by a list of
//! events, so a scheduler's picks can be checked one by one against the kernel's.
//!
//! The script drives the real [`Ipvs`] (the same code the simulator uses): a `connect`
//! is a TCP SYN (or a UDP datagram) through `ip_vs_in_hook`, a `close` is the client's
//! FIN (the entry turns inactive), `expire` removes the entry, server edits are
//! `ipvsadm` commands. Timers due at an event's time fire before it. The output is one
//! entry per `connect`: the index of the chosen server (in the order servers were added),
//! or `null` when none is chosen.

use super::{
    DEST_TRASH_TIMER, Fwd, InVerdict, Ipvs, IpvsadmCmd, Proto, Sched, ServerOpts, ServiceAddr, ServiceOpts, TimerFired,
};
use crate::packet::{IpProtocol, Ipv4Repr, L4, Packet, TcpFlags, TcpRepr, UdpRepr};
use crate::schedulers::Overhead;
use crate::sim::{SimDuration, SimTime};
use serde::Deserialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::Ipv4Addr;

/// A script: the JSON document `run` reads, or a value built directly (`lvsim sched compare`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub scheduler: String,
    pub servers: Vec<ServerSpec>,
    pub events: Vec<serde_json::Value>,
    #[serde(default)]
    pub sched_flags: Vec<String>,
    #[serde(default)]
    pub persistence: Option<Persistence>,
    #[serde(default)]
    pub overhead: Option<String>,
    #[serde(default)]
    pub build: Option<String>,
    #[serde(default = "none_f64")]
    pub inactive_timeout: Option<f64>,
    #[serde(default = "none_f64")]
    pub udp_timeout: Option<f64>,
    #[serde(default)]
    pub lblc_expiration: Option<f64>,
    #[serde(default)]
    pub lblcr_expiration: Option<f64>,
    #[serde(default)]
    pub expire_quiescent_template: Option<bool>,
    #[serde(default)]
    pub expire_nodest_conn: Option<bool>,
    #[serde(default)]
    pub closed_conn_reuse: Option<String>,
    #[serde(default)]
    pub random: Option<Vec<u32>>,
    /// `{"fwmark": N}`: the service is `ipvsadm -A -f N`, and every connect's packet carries
    /// mark N (as if an iptables mangle rule marked it), so connects may name any address,
    /// port and protocol. Without it the service is the first connect's address and port.
    #[serde(default)]
    pub service: Option<ServiceSpec>,
}

/// The script's virtual service when it is not the first connect's `-t`/`-u` one.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub fwmark: u32,
}

const fn none_f64() -> Option<f64> {
    None
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub addr: Ipv4Addr,
    pub port: u16,
    #[serde(default = "one")]
    pub weight: u32,
    #[serde(default)]
    pub x: u32,
    #[serde(default)]
    pub y: u32,
}

const fn one() -> u32 {
    1
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persistence {
    timeout: u32,
    #[serde(default = "all_ones")]
    netmask: Ipv4Addr,
}

const fn all_ones() -> Ipv4Addr {
    Ipv4Addr::BROADCAST
}

#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Op {
    Connect {
        #[serde(default)]
        t: Option<f64>,
        client: Ipv4Addr,
        cport: u16,
        vip: Ipv4Addr,
        vport: u16,
        #[serde(default = "tcp")]
        proto: String,
    },
    Close {
        #[serde(default)]
        t: Option<f64>,
        conn: usize,
    },
    Expire {
        #[serde(default)]
        t: Option<f64>,
        conn: usize,
    },
    SetWeight {
        #[serde(default)]
        t: Option<f64>,
        server: usize,
        weight: u32,
    },
    EditServer {
        #[serde(default)]
        t: Option<f64>,
        server: usize,
        #[serde(default)]
        weight: Option<u32>,
        #[serde(default)]
        x: Option<u32>,
        #[serde(default)]
        y: Option<u32>,
    },
    AddServer {
        #[serde(default)]
        t: Option<f64>,
        addr: Ipv4Addr,
        port: u16,
        #[serde(default = "one")]
        weight: u32,
    },
    DelServer {
        #[serde(default)]
        t: Option<f64>,
        server: usize,
    },
    Tick {
        #[serde(default)]
        t: Option<f64>,
    },
}

fn tcp() -> String {
    "tcp".into()
}

impl Op {
    fn t(&self) -> Option<f64> {
        match self {
            Op::Connect { t, .. }
            | Op::Close { t, .. }
            | Op::Expire { t, .. }
            | Op::SetWeight { t, .. }
            | Op::EditServer { t, .. }
            | Op::AddServer { t, .. }
            | Op::DelServer { t, .. }
            | Op::Tick { t } => *t,
        }
    }
}

/// What went wrong, with the place: `events[3].conn: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {msg}")]
pub struct ScriptError {
    /// Where: `events[3].conn`, or `line 2, column 7` when the JSON does not parse.
    pub at: String,
    /// What, an English phrase (serde_json's own message when the JSON does not parse).
    pub msg: String,
}

impl ScriptError {
    /// The message as `Display` writes it, in `lang` (the phrases through [`crate::lang::zh`]).
    pub fn message_in(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::zh::phrase_in;
        match lang {
            crate::lang::Lang::En => self.to_string(),
            crate::lang::Lang::Zh => format!("{}：{}", phrase_in(&self.at, lang), phrase_in(&self.msg, lang)),
        }
    }
}

fn err(at: impl std::fmt::Display, msg: impl std::fmt::Display) -> ScriptError {
    ScriptError { at: at.to_string(), msg: msg.to_string() }
}

fn secs(t: f64) -> SimDuration {
    SimDuration::from_nanos((t * 1e9).round() as u64)
}

/// A script connection: its entry as (slot, generation), and the packet that opened it.
/// The generation tells whether the slot still holds this entry: once the entry has
/// expired (an `expire`, or a timeout) the slot may hold a newer connection's entry.
#[derive(Clone, Copy)]
struct Opened {
    entry: Option<(u32, u32)>,
    pkt: Packet,
}

/// Runs a script (JSON text) and returns the picks: one per connect.
pub fn run(json: &str) -> Result<Vec<Option<usize>>, ScriptError> {
    let s: Script =
        serde_json::from_str(json).map_err(|e| err(format!("line {}, column {}", e.line(), e.column()), e))?;
    run_script(&s)
}

/// Runs a script and returns the picks: one per connect.
pub fn run_script(s: &Script) -> Result<Vec<Option<usize>>, ScriptError> {
    let sched: Sched = s.scheduler.parse().map_err(|_| {
        let names: Vec<_> = Sched::ALL.iter().map(|x| x.name()).collect();
        err("scheduler", format!("expected one of {}, found \"{}\"", names.join(", "), s.scheduler))
    })?;
    let mut flags = super::ipvsadm::SchedFlags::default();
    for (i, f) in s.sched_flags.iter().enumerate() {
        if !flags.set(f) {
            return Err(err(
                format!("sched_flags[{i}]"),
                format!("expected sh-fallback, sh-port, mh-fallback or mh-port, found \"{f}\""),
            ));
        }
    }
    for (name, v) in [("lblc_expiration", s.lblc_expiration), ("lblcr_expiration", s.lblcr_expiration)] {
        if v.is_some() {
            return Err(err(name, "not simulated yet: lblc/lblcr use the default 24 h"));
        }
    }
    let mut ipvs = Ipvs::default();
    ipvs.conf.overhead = match s.overhead.as_deref() {
        None | Some("inactconns") => Overhead::Inactconns,
        Some("totalconns") => Overhead::Totalconns,
        Some(o) => return Err(err("overhead", format!("expected \"inactconns\" or \"totalconns\", found \"{o}\""))),
    };
    ipvs.conf.conn_reuse_mode = match s.closed_conn_reuse.as_deref() {
        None | Some("reschedule") => 1,
        Some("same") => 0,
        Some(o) => return Err(err("closed_conn_reuse", format!("expected \"reschedule\" or \"same\", found \"{o}\""))),
    };
    ipvs.conf.expire_quiescent_template = s.expire_quiescent_template.unwrap_or(false);
    ipvs.conf.expire_nodest_conn = s.expire_nodest_conn.unwrap_or(false);
    // Past the last representable instant: the timer never fires (times are < 2^64 ns).
    let forever = SimDuration::from_nanos(u64::MAX);
    let inactive = s.inactive_timeout.map_or(forever, secs);
    ipvs.timeouts.script = Some((forever, inactive));
    ipvs.timeouts.udp = s.udp_timeout.map_or(forever, secs);

    // The virtual service: every connect must name it.
    let first_vip = s.events.iter().find_map(|e| {
        let o = e.as_object()?;
        if o.get("op")?.as_str()? != "connect" {
            return None;
        }
        let vip = o.get("vip")?.as_str()?.parse::<Ipv4Addr>().ok()?;
        let vport = u16::try_from(o.get("vport")?.as_u64()?).ok()?;
        Some((vip, vport, o.get("proto").and_then(|p| p.as_str()).unwrap_or("tcp").to_string()))
    });
    let (vip, vport, proto) = first_vip.unwrap_or((Ipv4Addr::new(10, 0, 0, 100), 80, "tcp".to_string()));
    let proto = if proto == "udp" { Proto::Udp } else { Proto::Tcp };
    let mark = match s.service {
        Some(ServiceSpec { fwmark: 0 }) => {
            return Err(err("service.fwmark", "expected a firewall mark from 1 to 4294967295, found 0"));
        }
        Some(ServiceSpec { fwmark }) => fwmark,
        None => 0,
    };
    let svc = if mark == 0 { ServiceAddr::new(proto, vip, vport) } else { ServiceAddr::fwmark(mark) };
    let bulk = match s.build.as_deref() {
        None | Some("incremental") => false,
        Some("bulk") => true,
        Some(o) => return Err(err("build", format!("expected \"incremental\" or \"bulk\", found \"{o}\""))),
    };
    let opts = |sched: Sched| ServiceOpts {
        svc,
        scheduler: sched,
        persistent: s.persistence.as_ref().map(|p| p.timeout),
        netmask: s.persistence.as_ref().map_or(Ipv4Addr::BROADCAST, |p| p.netmask),
        flags: if sched == Sched::Wlc && bulk { super::ipvsadm::SchedFlags::default() } else { flags },
        one_packet: false,
    };
    let apply = |ipvs: &mut Ipvs, cmd: IpvsadmCmd, at: &str| {
        // The limits ipvsadm's parser enforces on the same values in a scenario.
        if let IpvsadmCmd::AddServer(o) | IpvsadmCmd::EditServer(o) = &cmd {
            use crate::cmdline::ipvsadm::{MAX_THRESHOLD, MAX_WEIGHT};
            if o.weight > MAX_WEIGHT {
                return Err(err(at, format!("weight {} is over ipvsadm's limit of {MAX_WEIGHT}", o.weight)));
            }
            if o.u_threshold > MAX_THRESHOLD || o.l_threshold > MAX_THRESHOLD {
                return Err(err(at, format!("a threshold over ipvsadm's limit of {MAX_THRESHOLD}")));
            }
        }
        ipvs.apply(&cmd).map_err(|e| err(at, e))
    };
    // Bulk: servers first under another scheduler, then `ipvsadm -E -s X` binds X to all.
    let placeholder = if sched == Sched::Rr { Sched::Wlc } else { Sched::Rr };
    apply(&mut ipvs, IpvsadmCmd::AddService(opts(if bulk { placeholder } else { sched })), "scheduler")?;
    let server =
        |addr, port, weight, x, y| ServerOpts { svc, addr, port, fwd: Fwd::Dr, weight, u_threshold: x, l_threshold: y };
    let mut servers: Vec<(Ipv4Addr, u16, u32, u32, u32)> = Vec::new();
    for (i, sv) in s.servers.iter().enumerate() {
        apply(
            &mut ipvs,
            IpvsadmCmd::AddServer(server(sv.addr, sv.port, sv.weight, sv.x, sv.y)),
            &format!("servers[{i}]"),
        )?;
        servers.push((sv.addr, sv.port, sv.weight, sv.x, sv.y));
    }
    if bulk {
        apply(&mut ipvs, IpvsadmCmd::EditService(opts(sched)), "build")?;
    }
    if let Some(values) = &s.random {
        if sched != Sched::Twos {
            return Err(err("random", "only the twos scheduler uses random values"));
        }
        super::feed_random(&mut ipvs.services[0], values.clone()).map_err(|e| err("random", e))?;
    }

    let mut picks = Vec::new();
    let mut opened: Vec<Opened> = Vec::new();
    let mut timers: BinaryHeap<Reverse<(SimTime, u32, u32)>> = BinaryHeap::new();
    let mut trash: Option<(SimTime, u32)> = None;
    let mut now = SimTime::ZERO;
    let mut last_t = 0.0f64;
    for (i, raw) in s.events.iter().enumerate() {
        let at = format!("events[{i}]");
        let op: Op = serde_json::from_value(raw.clone()).map_err(|e| err(&at, e))?;
        if let Some(t) = op.t() {
            if !(t.is_finite() && t >= last_t) {
                return Err(err(
                    format!("{at}.t"),
                    format!("expected a time ≥ {last_t} (non-decreasing seconds), found {t}"),
                ));
            }
            // Time is u64 nanoseconds: 18,446,744,073 s (584 years) is the end of it.
            if t * 1e9 >= u64::MAX as f64 {
                return Err(err(
                    format!("{at}.t"),
                    format!("expected a time under 18446744073 s (584 years), found {t}"),
                ));
            }
            last_t = t;
            now = SimTime::ZERO + secs(t);
        }
        // Timers due by now fire first.
        for tr in ipvs.take_timers() {
            timers.push(Reverse((tr.at, tr.conn, tr.generation)));
        }
        loop {
            let next = timers.peek().map(|&Reverse(t)| t);
            // The trash timer (armed by a `del_server`) runs after the entries' timers of
            // the same instant.
            if let Some((when, g)) = trash
                && when <= now
                && next.is_none_or(|(w, ..)| when < w)
            {
                trash = ipvs.trash_timer(g, when).again.then_some((when + DEST_TRASH_TIMER, g));
                continue;
            }
            let Some((when, conn, generation)) = next else { break };
            if when > now {
                break;
            }
            timers.pop();
            match ipvs.fire_timer(conn, generation, when) {
                TimerFired::Later(t) => timers.push(Reverse((t, conn, generation))),
                TimerFired::Rearmed(t) => {
                    // A template that still controls entries re-arms every period until
                    // something else happens: nothing can before the next other timer,
                    // the trash timer or `now`. Its fires until then change nothing but
                    // the time, so jump to the last one (a `tick` to t = 10^15 would
                    // otherwise fire it 10^13 times).
                    let period = t.since(when).as_nanos();
                    let before = timers.peek().map(|&Reverse((w, ..))| w.as_nanos());
                    let trash_at = trash.map(|(w, _)| w.as_nanos());
                    let last_ok =
                        |f: u64| f <= now.as_nanos() && before.is_none_or(|w| f < w) && trash_at.is_none_or(|w| f <= w);
                    let mut j = 0u64;
                    if period > 0 && last_ok(t.as_nanos()) {
                        // The largest j with t + j·period still before the horizon.
                        let horizon = [Some(now.as_nanos()), before.map(|w| w - 1), trash_at]
                            .into_iter()
                            .flatten()
                            .min()
                            .unwrap_or(0);
                        j = (horizon - t.as_nanos()) / period;
                    }
                    if j >= 1 {
                        let f = SimTime(t.as_nanos() + j * period);
                        debug_assert!(last_ok(f.as_nanos()));
                        // The fire at f is a Rearmed like each skipped one.
                        if let TimerFired::Rearmed(next) = ipvs.fire_timer(conn, generation, f) {
                            timers.push(Reverse((next, conn, generation)));
                        }
                    } else {
                        timers.push(Reverse((t, conn, generation)));
                    }
                }
                _ => {}
            }
        }
        let dest_index = |ipvs: &Ipvs, slot: u32, servers: &[(Ipv4Addr, u16, u32, u32, u32)]| {
            let c = ipvs.conn(slot);
            servers
                .iter()
                .position(|(a, p, ..)| *a == c.daddr && (*p == c.dport || ipvs.dest(c).is_some_and(|d| d.port == *p)))
        };
        let conn_ref = |k: usize, opened: &[Opened]| -> Result<Opened, ScriptError> {
            opened.get(k).copied().ok_or_else(|| {
                err(
                    format!("{at}.conn"),
                    format!("expected the index of an earlier connect (0..{}), found {k}", opened.len()),
                )
            })
        };
        let server_ref = |k: usize,
                          servers: &[(Ipv4Addr, u16, u32, u32, u32)]|
         -> Result<(Ipv4Addr, u16, u32, u32, u32), ScriptError> {
            servers.get(k).copied().ok_or_else(|| {
                err(format!("{at}.server"), format!("expected a server index (0..{}), found {k}", servers.len()))
            })
        };
        match op {
            Op::Connect { client, cport, vip: v, vport: vp, proto: p, .. } => {
                let pr = match p.as_str() {
                    "tcp" => Proto::Tcp,
                    "udp" => Proto::Udp,
                    o => return Err(err(format!("{at}.proto"), format!("expected \"tcp\" or \"udp\", found \"{o}\""))),
                };
                if mark == 0 && (v, vp, pr) != (svc.addr, svc.port, svc.proto) {
                    return Err(err(
                        &at,
                        format!(
                            "expected the script's one virtual service {}:{} {}, found {v}:{vp} {p}",
                            svc.addr,
                            svc.port,
                            if svc.proto == Proto::Udp { "udp" } else { "tcp" }
                        ),
                    ));
                }
                let pkt = packet(client, cport, v, vp, pr, TcpFlags::SYN);
                let slot = match ipvs.in_hook(&pkt, mark, now) {
                    InVerdict::Xmit { conn, .. } => Some(conn),
                    InVerdict::NoDest | InVerdict::DestGone => None,
                    InVerdict::Accept { why } => {
                        return Err(err(&at, format!("IPVS did not take the connection: {why}")));
                    }
                };
                picks.push(slot.and_then(|c| dest_index(&ipvs, c, &servers)));
                opened.push(Opened { entry: slot.map(|c| (c, ipvs.conn(c).generation)), pkt });
            }
            // Both act only on the connection's own entry: if it has expired, they do
            // nothing (its slot, or its 5-tuple, may belong to a newer connection now).
            Op::Close { conn, .. } => {
                let o = conn_ref(conn, &opened)?;
                let live = o.entry.is_some_and(|(slot, g)| ipvs.conn_if_current(slot, g).is_some());
                if let (true, L4::Tcp(mut t)) = (live, o.pkt.l4) {
                    t.flags = TcpFlags::FIN | TcpFlags::ACK;
                    let _ = ipvs.in_hook(&Packet { l4: L4::Tcp(t), ..o.pkt }, mark, now);
                }
            }
            Op::Expire { conn, .. } => {
                let o = conn_ref(conn, &opened)?;
                if let Some((slot, g)) = o.entry
                    && ipvs.conn_if_current(slot, g).is_some()
                {
                    ipvs.expire(slot);
                }
                opened[conn].entry = None;
            }
            Op::SetWeight { server: k, weight, .. } => {
                let (a, p, _, x, y) = server_ref(k, &servers)?;
                apply(&mut ipvs, IpvsadmCmd::EditServer(server(a, p, weight, x, y)), &at)?;
                servers[k].2 = weight;
            }
            Op::EditServer { server: k, weight, x, y, .. } => {
                let (a, p, w0, x0, y0) = server_ref(k, &servers)?;
                let (w, x, y) = (weight.unwrap_or(w0), x.unwrap_or(x0), y.unwrap_or(y0));
                apply(&mut ipvs, IpvsadmCmd::EditServer(server(a, p, w, x, y)), &at)?;
                servers[k] = (a, p, w, x, y);
            }
            Op::AddServer { addr, port, weight, .. } => {
                apply(&mut ipvs, IpvsadmCmd::AddServer(server(addr, port, weight, 0, 0)), &at)?;
                servers.push((addr, port, weight, 0, 0));
            }
            Op::DelServer { server: k, .. } => {
                let (a, p, ..) = server_ref(k, &servers)?;
                apply(&mut ipvs, IpvsadmCmd::DelServer { svc, addr: a, port: p }, &at)?;
            }
            Op::Tick { .. } => {}
        }
        if let Some(g) = ipvs.take_trash_timer() {
            trash = Some((now + DEST_TRASH_TIMER, g));
        }
    }
    Ok(picks)
}

fn packet(client: Ipv4Addr, cport: u16, vip: Ipv4Addr, vport: u16, proto: Proto, flags: TcpFlags) -> Packet {
    let (protocol, l4) = match proto {
        Proto::Tcp => (
            IpProtocol::Tcp,
            L4::Tcp(TcpRepr { src_port: cport, dst_port: vport, seq: 1, ack: 0, flags, window: 64240, payload_len: 0 }),
        ),
        Proto::Udp => (IpProtocol::Udp, L4::Udp(UdpRepr { src_port: cport, dst_port: vport, payload_len: 0 })),
    };
    let ip = Ipv4Repr { src: client, dst: vip, protocol, ttl: 64, ident: 0, dont_frag: true, tos: 0 };
    Packet { tunnel: None, ip, l4 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connects(n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    r#"{{"op":"connect","client":"192.0.2.7","cport":{},"vip":"10.0.0.100","vport":80,"proto":"tcp"}}"#,
                    40001 + i
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn a_template_kept_for_centuries_is_one_step_and_exact() {
        // A persistent connection that stays open keeps its template re-arming every
        // 60 s. Ticking 500 years in one go (2.6·10^8 re-arms if walked) must give what
        // ticking there in 1000 steps gives (each step walks at most a few re-arms): the
        // same client stays on its server while the connection is open, and after both
        // entries expire the template ends 60 s later and rr moves the client on.
        let end = 500.0 * 365.0 * 86_400.0;
        let script = |ticks: usize| {
            let conn = |t: f64, p: u16| {
                format!(r#"{{"op":"connect","t":{t},"client":"192.0.2.7","cport":{p},"vip":"10.0.0.100","vport":80}}"#)
            };
            let mut ev = vec![conn(0.0, 1000)];
            for k in 1..=ticks {
                ev.push(format!(r#"{{"op":"tick","t":{}}}"#, end * k as f64 / ticks as f64));
            }
            ev.push(conn(end + 1.0, 1001));
            ev.push(format!(r#"{{"op":"expire","t":{},"conn":0}}"#, end + 2.0));
            ev.push(format!(r#"{{"op":"expire","t":{},"conn":1}}"#, end + 2.0));
            ev.push(format!(r#"{{"op":"tick","t":{}}}"#, end + 500.0));
            ev.push(conn(end + 501.0, 1002));
            format!(
                r#"{{"scheduler":"rr","servers":[{}],"persistence":{{"timeout":360}},"events":[{}]}}"#,
                servers(&[1, 1]),
                ev.join(",")
            )
        };
        let once = run(&script(1)).unwrap();
        assert_eq!(once, run(&script(1000)).unwrap());
        let picks: Vec<usize> = once.into_iter().flatten().collect();
        assert_eq!(picks.len(), 3);
        assert_eq!(picks[0], picks[1], "the template held the client");
        assert_ne!(picks[1], picks[2], "rr moved on after the template ended");
    }

    #[test]
    fn times_past_584_years_are_refused() {
        let t = |t: &str| {
            format!(r#"{{"scheduler":"rr","servers":[{}],"events":[{{"op":"tick","t":{t}}}]}}"#, servers(&[1]))
        };
        assert!(run(&t("18446744073")).is_ok());
        assert!(run(&t("18446744074")).is_err());
        assert!(run(&t("1e300")).is_err());
    }

    #[test]
    fn weights_over_ipvsadm_s_limit_are_refused() {
        // ipvsadm refuses -w 65536 and more (a scenario's `run:` line does too); a script
        // went past it silently. 65535 itself is accepted.
        for (w, ok) in [(65_535, true), (65_536, false), (70_000, false)] {
            let text = format!(r#"{{"scheduler":"wrr","servers":[{}],"events":[]}}"#, servers(&[w]));
            assert_eq!(run(&text).is_ok(), ok, "weight {w}");
        }
        let set = format!(
            r#"{{"scheduler":"wrr","servers":[{}],"events":[{{"op":"set_weight","server":0,"weight":65536}}]}}"#,
            servers(&[1])
        );
        assert!(run(&set).is_err());
    }

    fn servers(weights: &[u32]) -> String {
        weights
            .iter()
            .enumerate()
            .map(|(i, w)| format!(r#"{{"addr":"10.0.0.{}","port":80,"weight":{w}}}"#, 11 + i))
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn rr_newest_first() {
        // Three servers added in order: rr serves the newest (index 2) first, then 1, 0.
        let j = format!(r#"{{"scheduler":"rr","servers":[{}],"events":[{}]}}"#, servers(&[1, 1, 1]), connects(4));
        assert_eq!(run(&j).unwrap(), [Some(2), Some(1), Some(0), Some(2)]);
    }

    #[test]
    fn fwmark_service_takes_any_address_port_and_protocol() {
        // "service": {"fwmark": 1} makes the service `-A -f 1`, every connect marked 1, so
        // ip_vs_service_find finds it for any destination (__ip_vs_svc_fwm_find). dh hashes
        // the destination address only (ip_vs_dh_hashkey(af, &iph->daddr)), so the same
        // address gets the same server whatever its port or protocol, and UDP works too.
        let c = |client: &str, vip: &str, vport: u16, proto: &str| {
            format!(
                r#"{{"op":"connect","client":"{client}","cport":1,"vip":"{vip}","vport":{vport},"proto":"{proto}"}}"#
            )
        };
        let events = [
            c("192.0.2.7", "198.51.100.10", 80, "tcp"),
            c("192.0.2.8", "198.51.100.10", 443, "tcp"),
            c("192.0.2.9", "198.51.100.10", 53, "udp"),
            c("192.0.2.7", "198.51.100.20", 80, "tcp"),
        ];
        let j = format!(
            r#"{{"scheduler":"dh","service":{{"fwmark":1}},"servers":[{}],"events":[{}]}}"#,
            servers(&[1, 1, 1]),
            events.join(",")
        );
        let picks = run(&j).unwrap();
        assert!(picks.iter().all(Option::is_some), "the fwmark service takes every connect: {picks:?}");
        assert_eq!(picks[0], picks[1]);
        assert_eq!(picks[0], picks[2]);
        // A script without the fwmark still refuses a second port or address.
        let plain = format!(r#"{{"scheduler":"dh","servers":[{}],"events":[{}]}}"#, servers(&[1]), events[0]);
        assert!(run(&plain).is_ok());
        let other = format!(r#"{{"scheduler":"dh","servers":[{}],"events":[{}]}}"#, servers(&[1]), events.join(","));
        assert!(run(&other).is_err());
        let zero =
            format!(r#"{{"scheduler":"dh","service":{{"fwmark":0}},"servers":[{}],"events":[]}}"#, servers(&[1]));
        assert!(run(&zero).is_err());
    }

    #[test]
    fn wlc_counts_open_connections() {
        // wlc: idle servers tie to the newest (index 1, weight 1); with it busy (active),
        // index 0 (weight 3) takes the next three before index 1 ties again.
        let j = format!(r#"{{"scheduler":"wlc","servers":[{}],"events":[{}]}}"#, servers(&[3, 1]), connects(5));
        assert_eq!(run(&j).unwrap(), [Some(1), Some(0), Some(0), Some(0), Some(1)]);
    }

    #[test]
    fn close_expire_and_quiesce() {
        // Closing moves a connection to inactconns (1/256 of an active one); quiescing a
        // server (weight 0) makes the scheduler skip it; with none available: null.
        let j = format!(
            r#"{{"scheduler":"wlc","servers":[{}],"events":[{},{{"op":"close","conn":0}},{{"op":"set_weight","server":1,"weight":0}},{},{{"op":"set_weight","server":0,"weight":0}},{}]}}"#,
            servers(&[1, 1]),
            connects(1),
            r#"{"op":"connect","client":"192.0.2.8","cport":1,"vip":"10.0.0.100","vport":80}"#,
            r#"{"op":"connect","client":"192.0.2.9","cport":1,"vip":"10.0.0.100","vport":80}"#
        );
        assert_eq!(run(&j).unwrap(), [Some(1), Some(0), None]);
    }

    #[test]
    fn wrr_first_round_and_bulk() {
        // Spec c.2: weights 4,3,2 added as A,B,C. Built with -A then -a, the first round is
        // one each in list order (C B A), then A B A C B A C B A; bound to all three at once
        // (`build: bulk`, as `ipvsadm -E -s wrr`), the weighted pattern starts at once.
        let script = |build: &str| {
            format!(
                r#"{{"scheduler":"wrr","build":"{build}","servers":[{}],"events":[{}]}}"#,
                servers(&[4, 3, 2]),
                connects(12)
            )
        };
        let idx = |v: &[usize]| v.iter().map(|i| Some(*i)).collect::<Vec<_>>();
        assert_eq!(run(&script("incremental")).unwrap(), idx(&[2, 1, 0, 0, 1, 0, 2, 1, 0, 2, 1, 0]));
        assert_eq!(run(&script("bulk")).unwrap(), idx(&[0, 1, 0, 2, 1, 0, 2, 1, 0, 0, 1, 0]));
    }

    #[test]
    fn twos_uses_the_given_random_values() {
        // total = 2+1+1 = 4, list order C(1) B(1) A(2): r1 = 0 picks C (0-1 ≤ 0); r2 = 3
        // passes C and B (3-1-1 = 1 > 0) and picks A. Both idle, so choice 2 does not beat
        // choice 1 (0·w > 0·w is false): C, index 2.
        let j = format!(
            r#"{{"scheduler":"twos","random":[0,3],"servers":[{}],"events":[{}]}}"#,
            servers(&[2, 1, 1]),
            connects(1)
        );
        assert_eq!(run(&j).unwrap(), [Some(2)]);
    }

    fn conn_at(t: u32, client: &str, cport: u16) -> String {
        format!(r#"{{"op":"connect","t":{t},"client":"{client}","cport":{cport},"vip":"10.0.0.100","vport":80}}"#)
    }

    #[test]
    fn expire_of_an_expired_connection_does_nothing() {
        // lc, two idle servers: a tie goes to the newest (index 1). Connection 0 closes
        // and its entry times out at 11 s (inactive_timeout 10); connection 1 at 20 s goes
        // to index 1 again and takes the freed slot. `expire` of connection 0 at 21 s names
        // an entry that no longer exists and must leave connection 1's entry alone: index 1
        // keeps one active connection (overhead 256 against 0), so connection 2 goes to
        // index 0. Had the stale handle removed connection 1's entry, both servers would be
        // idle again and the tie would send connection 2 to index 1.
        let events = [
            conn_at(0, "192.0.2.7", 40001),
            r#"{"op":"close","t":1,"conn":0}"#.to_string(),
            conn_at(20, "192.0.2.8", 40002),
            r#"{"op":"expire","t":21,"conn":0}"#.to_string(),
            conn_at(22, "192.0.2.9", 40003),
        ];
        let j = format!(
            r#"{{"scheduler":"lc","inactive_timeout":10,"servers":[{}],"events":[{}]}}"#,
            servers(&[1, 1]),
            events.join(",")
        );
        assert_eq!(run(&j).unwrap(), [Some(1), Some(1), Some(0)]);
    }

    #[test]
    fn close_of_an_expired_connection_does_nothing() {
        // As above, but connection 1 reuses connection 0's client address and port, so a
        // FIN sent for connection 0 would find connection 1's entry. A filler connection
        // (index 0, closed: overhead 1) makes the two outcomes differ: `close` of the
        // expired connection 0 must leave connection 1 active (overhead 256 on index 1), so
        // connection 3 goes to index 0 (1 < 256); had it closed connection 1, both would
        // have overhead 1 and the tie would go to index 1.
        let events = [
            conn_at(0, "192.0.2.7", 40001),
            r#"{"op":"close","t":1,"conn":0}"#.to_string(),
            conn_at(20, "192.0.2.7", 40001),
            conn_at(20, "192.0.2.8", 40002),
            r#"{"op":"close","t":20,"conn":2}"#.to_string(),
            r#"{"op":"close","t":21,"conn":0}"#.to_string(),
            conn_at(22, "192.0.2.9", 40003),
        ];
        let j = format!(
            r#"{{"scheduler":"lc","inactive_timeout":10,"servers":[{}],"events":[{}]}}"#,
            servers(&[1, 1]),
            events.join(",")
        );
        assert_eq!(run(&j).unwrap(), [Some(1), Some(1), Some(0), Some(0)]);
    }

    #[test]
    fn errors_name_the_event_and_field() {
        // A bad connection index is reported with its event number and field.
        let j = format!(
            r#"{{"scheduler":"rr","servers":[{}],"events":[{},{{"op":"close","conn":5}}]}}"#,
            servers(&[1]),
            connects(1)
        );
        assert_eq!(
            run(&j).unwrap_err().to_string(),
            "events[1].conn: expected the index of an earlier connect (0..1), found 5"
        );
        let j = r#"{"scheduler":"rrr","servers":[],"events":[]}"#;
        assert!(run(j).unwrap_err().to_string().starts_with("scheduler: expected one of rr, wrr"));
        let j = format!(r#"{{"scheduler":"rr","servers":[{}],"events":[{{"op":"jump"}}]}}"#, servers(&[1]));
        assert!(run(&j).unwrap_err().to_string().starts_with("events[0]: unknown variant `jump`"));
    }
}
