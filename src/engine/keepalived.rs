//! keepalived's health checker (the `check` process of keepalived 2.2.7) on a director:
//! it installs the virtual servers of its `keepalived.conf` as IPVS services, then checks
//! every real server with real frames and changes IPVS as the checks decide.
//!
//! ```text
//!  t=0  ipvsadm -A / -a for each virtual and real server, applied as the engine is built
//!       and traced by the Start event at 0 s as the commands
//!  t=1s Run (BOOTSTRAP_DELAY): TCP_CHECK/HTTP_GET open a TCP connection from the director
//!       ├─ SYN-ACK ─► TCP_CHECK: success, FIN;  HTTP_GET: GET, response, FIN, success
//!       ├─ RST ─────► failure (cause rst)
//!       └─ connect_timeout (Timeout) ─► failure (cause timeout), the socket closed (a
//!          kernel SYN resend due at that instant goes first: its timer was armed first)
//!       epilog (check_tcp.c tcp_epilog): success or retry_it ≥ retry → next Run after
//!       delay_loop, the server up/down if that changed; else retry_it+1 and the next Run
//!       after delay_before_retry
//!  up/down (ipwrapper.c): ipvsadm -d (or -e -w 0 with inhibit_on_failure), -a (or -e -w W);
//!       the sorry server added when the live weight falls below quorum, removed when back.
//! ```
//!
//! A checker's connection is an ordinary client socket of the director (`sock.rs`): its TCB
//! carries [`CHECKER_APP`] + the checker's index as its application, and the three places
//! where a client's connection ends call back here ([`checker_of`]). A MISC_CHECK runs no
//! script: its outcome is named by its path (`cmdline::keepalived::MiscOutcome`) and known
//! at once. keepalived starts each checker at a random point of its `warmup` (default
//! `delay_loop`); lvsim starts them all at `BOOTSTRAP_DELAY`, so runs are reproducible and
//! times can be computed by hand.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::{Engine, Event, trace};
use crate::cmdline::Command;
use crate::cmdline::ipvsadm::{Fwd, IpvsadmCmd, SchedFlags, ServerOpts, ServiceAddr, ServiceOpts};
use crate::cmdline::keepalived::{CheckKind, Checker, KeepalivedConf, Micros, MiscOutcome, RealServer, VsAddr};
use crate::packet::TcpFlags;
use crate::sim::SimDuration;
use crate::topology::HostId;
use crate::trace::{Action, Stage};
use crate::why::Why;
use crate::workload::ack::Ack;
use crate::workload::{AppId, DEFAULT_MSS, EPHEMERAL_HIGH, EPHEMERAL_LOW, TCP_RTO_INIT_NS, Tcb, TcpState};

/// keepalived's `BOOTSTRAP_DELAY` (`TIMER_HZ`, 1 s): checkers start this long after the
/// daemon (`check/check_api.c` `register_checkers_thread`).
pub const BOOTSTRAP_DELAY: SimDuration = SimDuration::from_secs(1);

/// The application id of checker 0's connections; checker `i` uses `CHECKER_APP + i`. No
/// scenario has this many applications.
pub(super) const CHECKER_APP: AppId = 0xF000_0000;

/// The checker whose connection a TCB with application `app` is, if it is one.
pub(super) fn checker_of(app: AppId) -> Option<u32> {
    app.checked_sub(CHECKER_APP)
}

/// A keepalived timer on the agenda.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The daemon's start, traced: the ipvsadm commands that installed its configuration
    /// as the engine was built.
    Start { daemon: u32 },
    /// A checker runs (armed as `generation`).
    Run { checker: u32, generation: u32 },
    /// A checker's `connect_timeout` ends.
    Timeout { checker: u32, generation: u32 },
}

/// Every keepalived of the run, its virtual and real servers and checkers in flat tables.
#[derive(Clone, Debug, Default)]
pub struct Keepalived {
    daemons: Vec<Daemon>,
    services: Vec<Service>,
    servers: Vec<Server>,
    checkers: Vec<CheckerState>,
    /// The commands each daemon's start applied (host, reason), traced by its
    /// [`Timer::Start`] at 0 s: the configuration is installed as the engine is built, so
    /// `lvsim check`, the roles and the tables at 0 s see it, as they see `run:` commands.
    installed: Vec<(HostId, Why)>,
}

#[derive(Clone, Debug)]
struct Daemon {
    host: HostId,
    conf: Arc<KeepalivedConf>,
    next_port: u16,
}

/// A virtual server of daemon `daemon` (`vs` indexes its configuration).
#[derive(Clone, Copy, Debug)]
struct Service {
    daemon: u32,
    vs: u32,
    svc: ServiceAddr,
    sorry_on: bool,
}

/// A real server of service `service`; alive while none of its checkers failed.
#[derive(Clone, Copy, Debug)]
struct Server {
    service: u32,
    rs: u32,
    failed: u32,
    alive: bool,
}

#[derive(Clone, Copy, Debug)]
struct CheckerState {
    server: u32,
    ck: u32,
    /// Failures in a row (`checker->retry_it`); starts at `retry`, so the first check
    /// that fails takes the server down ("one failure is enough initially",
    /// `check/check_data.c`).
    retry_it: u32,
    is_up: bool,
    generation: u32,
    /// The connection of the check in progress.
    tcb: Option<u32>,
}

/// How a check ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Failed { cause: &'static str, status: u32 },
}

fn dur(m: Micros) -> SimDuration {
    SimDuration::from_nanos(m.0.saturating_mul(1000))
}

impl Keepalived {
    /// The daemons of the scenario's hosts, with no timer armed yet.
    pub fn new(confs: Vec<(HostId, KeepalivedConf)>) -> Self {
        let mut k = Keepalived::default();
        for (host, conf) in confs {
            let daemon = k.daemons.len() as u32;
            for (vi, vs) in conf.virtual_servers.iter().enumerate() {
                let service = k.services.len() as u32;
                let svc = match vs.addr {
                    VsAddr::Ip { addr, port } => ServiceAddr::new(vs.proto, addr, port),
                    VsAddr::Fwmark(m) => ServiceAddr::fwmark(m),
                };
                k.services.push(Service { daemon, vs: vi as u32, svc, sorry_on: false });
                for (ri, rs) in vs.real_servers.iter().enumerate() {
                    let server = k.servers.len() as u32;
                    k.servers.push(Server { service, rs: ri as u32, failed: 0, alive: true });
                    for (ci, c) in rs.checkers.iter().enumerate() {
                        k.checkers.push(CheckerState {
                            server,
                            ck: ci as u32,
                            retry_it: c.retry,
                            is_up: true,
                            generation: 0,
                            tcb: None,
                        });
                    }
                }
            }
            k.daemons.push(Daemon { host, conf: Arc::new(conf), next_port: EPHEMERAL_LOW });
        }
        k
    }

    /// The number of daemons.
    pub(super) fn len(&self) -> u32 {
        self.daemons.len() as u32
    }
}

impl Engine {
    fn ka_service(&self, s: u32) -> (&Daemon, &crate::cmdline::keepalived::VirtualServer) {
        let svc = self.ka.services[s as usize];
        let d = &self.ka.daemons[svc.daemon as usize];
        (d, &d.conf.virtual_servers[svc.vs as usize])
    }

    fn ka_real(&self, server: u32) -> &RealServer {
        let sv = self.ka.servers[server as usize];
        &self.ka_service(sv.service).1.real_servers[sv.rs as usize]
    }

    fn ka_checker(&self, c: u32) -> (&RealServer, &Checker) {
        let st = self.ka.checkers[c as usize];
        let rs = self.ka_real(st.server);
        (rs, &rs.checkers[st.ck as usize])
    }

    /// Installs every daemon's configuration (the engine is being built, at 0 s) and
    /// arms the events that trace it and run the checkers.
    pub(super) fn ka_install(&mut self) {
        for daemon in 0..self.ka.len() {
            self.ka_start(daemon);
            self.schedule(crate::sim::SimTime::ZERO, Event::Keepalived(Timer::Start { daemon }));
        }
    }

    /// `Event::Keepalived`.
    pub(super) fn ka_timer(&mut self, t: Timer) {
        match t {
            Timer::Start { daemon } => {
                let h = self.ka.daemons[daemon as usize].host;
                for (host, why) in std::mem::take(&mut self.ka.installed) {
                    if host == h {
                        trace!(self, h, None, Stage::Timer, Action::Info, None, why);
                    } else {
                        self.ka.installed.push((host, why));
                    }
                }
            }
            Timer::Run { checker, generation } => {
                if self.ka.checkers[checker as usize].generation == generation {
                    self.ka_run(checker);
                }
            }
            Timer::Timeout { checker, generation } => {
                let st = self.ka.checkers[checker as usize];
                if st.generation != generation {
                    return;
                }
                // keepalived closes the socket: a connect still in SYN_SENT just goes; an
                // established one (HTTP_GET waiting for its response) sends its FIN.
                if let Some(id) = st.tcb
                    && let Some(t) = self.tcbs.at(id).copied()
                {
                    if t.state == TcpState::SynSent {
                        self.tcb_free_slot(id);
                    } else {
                        self.tcp_send(id, TcpFlags::FIN | TcpFlags::ACK, 0);
                        self.tcb_mut(id).state = TcpState::FinWait1;
                    }
                }
                self.ka_epilog(checker, Outcome::Failed { cause: "timeout", status: 0 });
            }
        }
    }

    /// The daemon starts: each virtual server and its real servers into IPVS
    /// (`check/ipwrapper.c` `init_services`), the sorry server if the quorum is not met,
    /// and every checker's first run armed.
    fn ka_start(&mut self, daemon: u32) {
        let host = self.ka.daemons[daemon as usize].host;
        let services: Vec<u32> =
            (0..self.ka.services.len() as u32).filter(|s| self.ka.services[*s as usize].daemon == daemon).collect();
        for s in services {
            let (_, vs) = self.ka_service(s);
            let svc = self.ka.services[s as usize].svc;
            let opts = ServiceOpts {
                svc,
                scheduler: vs.sched,
                persistent: vs.persistence,
                netmask: vs.granularity,
                flags: SchedFlags::default(),
                one_packet: false,
            };
            let (addr, port) = (svc.addr, svc.port);
            self.ka_ipvsadm(host, IpvsadmCmd::AddService(opts), "start", addr, port);
            let servers: Vec<u32> =
                (0..self.ka.servers.len() as u32).filter(|r| self.ka.servers[*r as usize].service == s).collect();
            for r in servers {
                let rs = self.ka_real(r);
                let (addr, port, weight) = (rs.addr, rs.port, rs.weight);
                let cmd = IpvsadmCmd::AddServer(self.ka_server_opts(s, addr, port, weight));
                self.ka_ipvsadm(host, cmd, "start", addr, port);
            }
            self.ka_quorum(s);
        }
        for c in 0..self.ka.checkers.len() as u32 {
            let st = self.ka.checkers[c as usize];
            if self.ka.services[self.ka.servers[st.server as usize].service as usize].daemon == daemon {
                self.schedule_in(
                    BOOTSTRAP_DELAY,
                    Event::Keepalived(Timer::Run { checker: c, generation: st.generation }),
                );
            }
        }
    }

    /// `-a`/`-e` options for a server of service `s`: the service's forwarding method, and
    /// for DR and TUN the service's port, as ipvsadm sets it.
    fn ka_server_opts(&self, s: u32, addr: Ipv4Addr, port: u16, weight: u32) -> ServerOpts {
        let svc = self.ka.services[s as usize].svc;
        let fwd = self.ka_service(s).1.fwd;
        let port = if fwd == Fwd::Nat { port } else { svc.port };
        ServerOpts { svc, addr, port, fwd, weight, u_threshold: 0, l_threshold: 0 }
    }

    /// Applies one IPVS change on the director and traces it as the ipvsadm command.
    fn ka_ipvsadm(&mut self, h: HostId, cmd: IpvsadmCmd, change: &'static str, addr: Ipv4Addr, port: u16) {
        let cmd = Command::Ipvsadm(cmd);
        let result = crate::stack::config::apply(&mut self.hosts[h as usize], &cmd);
        self.hosts[h as usize].refresh();
        self.seed_ipvs(h);
        let why = match result {
            Ok(()) => Why::KaIpvsadm { cmd: cmd.to_string().into(), change, addr, port },
            Err((expected, found, _)) => Why::CommandFailed {
                cmd: cmd.to_string().into(),
                expected: expected.as_str().into(),
                found: found.as_str().into(),
            },
        };
        if change == "start" {
            self.ka.installed.push((h, why));
        } else {
            trace!(self, h, None, Stage::Timer, Action::Info, None, why);
        }
    }

    /// A checker runs: a connection from the director, or (MISC_CHECK) its named outcome.
    fn ka_run(&mut self, c: u32) {
        let st = &mut self.ka.checkers[c as usize];
        st.generation += 1;
        let (generation, retry_it) = (st.generation, st.retry_it);
        let (rs, ck) = self.ka_checker(c);
        let (addr, port, kind, timeout, retry) = (rs.addr, ck.port, ck.kind.clone(), ck.connect_timeout, ck.retry);
        let daemon =
            self.ka.services[self.ka.servers[self.ka.checkers[c as usize].server as usize].service as usize].daemon;
        let h = self.ka.daemons[daemon as usize].host;
        trace!(
            self,
            h,
            None,
            Stage::Timer,
            Action::Info,
            None,
            Why::KaCheck { check: kind.name(), addr, port, retry: retry_it.min(retry), retries: retry }
        );
        let request = match &kind {
            CheckKind::Misc { outcome, .. } => {
                let o = match outcome {
                    MiscOutcome::Success => Outcome::Ok,
                    MiscOutcome::Failure => Outcome::Failed { cause: "script", status: 1 },
                };
                return self.ka_epilog(c, o);
            }
            CheckKind::Tcp => 0,
            CheckKind::Http { urls } => http_request_len(&urls[0].path, addr, port),
        };
        // The kernel picks the source address by route and a free ephemeral port.
        let local = match self.hosts[h as usize].lookup(addr) {
            crate::stack::Lookup::Unicast { route, nexthop } => {
                crate::stack::route::select_src(&self.hosts[h as usize].ifaces, &route, nexthop)
                    .unwrap_or(Ipv4Addr::UNSPECIFIED)
            }
            crate::stack::Lookup::Local { .. } => addr,
            crate::stack::Lookup::Unreachable => Ipv4Addr::UNSPECIFIED,
        };
        let lport = self.ka_port(daemon, local, addr, port);
        let iss = self.hosts_rng_u32(h);
        let t = Tcb {
            host: h,
            app: CHECKER_APP + c,
            local: (local, lport),
            remote: (addr, port),
            state: TcpState::SynSent,
            iss,
            snd_nxt: iss,
            rcv_nxt: 0,
            started: self.now(),
            retries: 0,
            generation: 0,
            mss: DEFAULT_MSS,
            req_seq: 0,
            is_client: true,
            req_len: request,
            left: 0,
            ack: Ack::new(0),
        };
        let id = self.tcb_alloc(t);
        self.ka.checkers[c as usize].tcb = Some(id);
        trace!(
            self,
            h,
            None,
            Stage::Socket,
            Action::Info,
            None,
            Why::AppConnect { dst: addr, dport: port, local, port: lport }
        );
        if self.tcp_send(id, TcpFlags::SYN, 0) {
            let g = self.tcb(id).generation;
            self.schedule_in(SimDuration::from_nanos(TCP_RTO_INIT_NS), Event::TcpRetrans { tcb: id, generation: g });
            self.schedule_in(dur(timeout), Event::Keepalived(Timer::Timeout { checker: c, generation }));
        } else {
            self.tcb_free_slot(id);
            self.ka_epilog(c, Outcome::Failed { cause: "unreachable", status: 0 });
        }
    }

    /// The next ephemeral port of the daemon free for this destination.
    fn ka_port(&mut self, daemon: u32, local: Ipv4Addr, addr: Ipv4Addr, port: u16) -> u16 {
        let h = self.ka.daemons[daemon as usize].host as usize;
        loop {
            let d = &mut self.ka.daemons[daemon as usize];
            let p = d.next_port;
            d.next_port = if p >= EPHEMERAL_HIGH { EPHEMERAL_LOW } else { p + 1 };
            if !self.sockets[h].tcp.contains_key(&(6, local, p, addr, port)) {
                return p;
            }
        }
    }

    /// `sock.rs`: checker `c`'s connection `id` got its SYN-ACK (the ACK is sent). A
    /// TCP_CHECK has succeeded and closes (FIN); `false` for an HTTP_GET, which goes on to
    /// send its request as any client does.
    pub(super) fn ka_connected(&mut self, c: u32, id: u32) -> bool {
        if self.ka.checkers[c as usize].tcb != Some(id) {
            return false;
        }
        if !matches!(self.ka_checker(c).1.kind, CheckKind::Tcp) {
            return false;
        }
        self.tcp_send(id, TcpFlags::FIN | TcpFlags::ACK, 0);
        self.tcb_mut(id).state = TcpState::FinWait1;
        self.ka_epilog(c, Outcome::Ok);
        true
    }

    /// `sock.rs`: checker `c`'s HTTP_GET read its whole response. lvsim's servers answer
    /// 200: the check succeeds if the url expects 200 or, without `status_code`, any 2xx.
    pub(super) fn ka_response(&mut self, c: u32, id: u32) {
        if self.ka.checkers[c as usize].tcb != Some(id) {
            return;
        }
        let expected = match &self.ka_checker(c).1.kind {
            CheckKind::Http { urls } => urls[0].status_code,
            _ => None,
        };
        let o = match expected {
            None | Some(200) => Outcome::Ok,
            Some(s) => Outcome::Failed { cause: "status", status: u32::from(s) },
        };
        self.ka_epilog(c, o);
    }

    /// `sock.rs` (`client_failed`): checker `c`'s connection `id` failed (`why`: Refused,
    /// Unreachable, TimedOut); the socket is freed.
    pub(super) fn ka_failed(&mut self, c: u32, id: u32, why: &'static str) {
        self.tcb_free_slot(id);
        if self.ka.checkers[c as usize].tcb != Some(id) {
            return;
        }
        let cause = match why {
            "Refused" => "rst",
            "Unreachable" => "unreachable",
            _ => "timeout",
        };
        self.ka_epilog(c, Outcome::Failed { cause, status: 0 });
    }

    /// `tcp_epilog` (`check/check_tcp.c`; the HTTP and MISC checkers do the same): the
    /// retry count, the server's state and the next run.
    fn ka_epilog(&mut self, c: u32, o: Outcome) {
        let st = self.ka.checkers[c as usize];
        let (rs, ck) = self.ka_checker(c);
        let (addr, port, name, retry, timeout) = (rs.addr, ck.port, ck.kind.name(), ck.retry, ck.connect_timeout);
        let (dbr, delay_loop) = (ck.delay_before_retry, ck.delay_loop);
        let h = self.ka_service(self.ka.servers[st.server as usize].service).0.host;
        match o {
            Outcome::Ok => {
                trace!(self, h, None, Stage::Socket, Action::Info, None, Why::KaCheckOk { check: name, addr, port });
            }
            Outcome::Failed { cause, status } => trace!(
                self,
                h,
                None,
                Stage::Timer,
                Action::Info,
                None,
                Why::KaCheckFailed {
                    check: name,
                    addr,
                    port,
                    cause,
                    timeout: dur(timeout),
                    status,
                    retry: st.retry_it.min(retry),
                    retries: retry
                }
            ),
        }
        let ok = o == Outcome::Ok;
        let s = &mut self.ka.checkers[c as usize];
        s.generation += 1;
        s.tcb = None;
        let delay = if ok || s.retry_it >= retry {
            s.retry_it = 0;
            let changed = ok != s.is_up;
            s.is_up = ok;
            if changed {
                self.ka_checker_state(st.server, ok);
            }
            delay_loop
        } else {
            s.retry_it += 1;
            dbr
        };
        let generation = self.ka.checkers[c as usize].generation;
        self.schedule_in(dur(delay), Event::Keepalived(Timer::Run { checker: c, generation }));
    }

    /// `update_svr_checker_state` (`check/ipwrapper.c`): a checker of `server` went up or
    /// down; the server is alive while none has failed.
    fn ka_checker_state(&mut self, server: u32, up: bool) {
        let sv = &mut self.ka.servers[server as usize];
        sv.failed = if up { sv.failed.saturating_sub(1) } else { sv.failed + 1 };
        let alive = sv.failed == 0;
        if alive == sv.alive {
            return;
        }
        sv.alive = alive;
        let s = sv.service;
        let h = self.ka_service(s).0.host;
        let rs = self.ka_real(server);
        let (addr, port, weight, inhibit) = (rs.addr, rs.port, rs.weight, rs.inhibit_on_failure);
        let opts = self.ka_server_opts(s, addr, port, weight);
        let cmd = match (alive, inhibit) {
            (false, true) => IpvsadmCmd::EditServer(ServerOpts { weight: 0, ..opts }),
            (false, false) => IpvsadmCmd::DelServer { svc: opts.svc, addr, port: opts.port },
            (true, true) => IpvsadmCmd::EditServer(opts),
            (true, false) => IpvsadmCmd::AddServer(opts),
        };
        self.ka_ipvsadm(h, cmd, if alive { "up" } else { "down" }, addr, port);
        self.ka_quorum(s);
    }

    /// `update_quorum_state` (`check/ipwrapper.c`): below `quorum` (the summed weight of
    /// live real servers) the sorry server goes in; at or above it, out again.
    fn ka_quorum(&mut self, s: u32) {
        let (d, vs) = self.ka_service(s);
        let (h, quorum) = (d.host, vs.quorum);
        let Some((addr, port)) = vs.sorry_server else { return };
        let live: u32 = (0..self.ka.servers.len())
            .filter(|r| self.ka.servers[*r].service == s && self.ka.servers[*r].alive)
            .map(|r| self.ka_real(r as u32).weight)
            .sum();
        let sorry_on = self.ka.services[s as usize].sorry_on;
        let opts = self.ka_server_opts(s, addr, port, 1);
        if live < quorum && !sorry_on {
            self.ka.services[s as usize].sorry_on = true;
            self.ka_ipvsadm(h, IpvsadmCmd::AddServer(opts), "sorry_on", addr, port);
        } else if live >= quorum && sorry_on {
            self.ka.services[s as usize].sorry_on = false;
            let cmd = IpvsadmCmd::DelServer { svc: opts.svc, addr, port: opts.port };
            self.ka_ipvsadm(h, cmd, "sorry_off", addr, port);
        }
    }
}

impl Engine {
    /// `lvsim check`'s warnings about the hosts' keepalived configurations
    /// ([`super::check::Warning::KeepalivedNoChecker`]), in daemon and configuration order.
    pub fn keepalived_warnings(&self) -> Vec<super::check::Warning> {
        let mut out = Vec::new();
        for (s, svc) in self.ka.services.iter().enumerate() {
            let (d, vs) = self.ka_service(s as u32);
            for rs in vs.real_servers.iter().filter(|r| r.checkers.is_empty()) {
                out.push(super::check::Warning::KeepalivedNoChecker {
                    director: d.host,
                    service: svc.svc,
                    rip: rs.addr,
                    port: rs.port,
                });
            }
        }
        out
    }
}

/// The length of keepalived's HTTP_GET request for `path` (`check/check_http.c`
/// `REQUEST_TEMPLATE`): `GET path HTTP/1.0`, `User-Agent: KeepAliveClient` and
/// `Host: addr[:port]` (the port only when it is not 80), each ended by CRLF, then CRLF.
fn http_request_len(path: &str, addr: Ipv4Addr, port: u16) -> u16 {
    let host = if port == 80 { addr.to_string() } else { format!("{addr}:{port}") };
    let req = format!("GET {path} HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: {host}\r\n\r\n");
    u16::try_from(req.len()).unwrap_or(u16::MAX)
}

/// How keepalived lives through its host going down (`engine/fault.rs`).
impl Engine {
    /// The host a keepalived timer belongs to: a machine going down takes its events back.
    pub(super) fn ka_timer_host(&self, t: &Timer) -> HostId {
        let daemon = match *t {
            Timer::Start { daemon } => daemon,
            Timer::Run { checker, .. } | Timer::Timeout { checker, .. } => {
                let st = self.ka.checkers[checker as usize];
                self.ka.services[self.ka.servers[st.server as usize].service as usize].daemon
            }
        };
        self.ka.daemons[daemon as usize].host
    }

    /// keepalived starts again on a rebooted host, as at boot: its virtual servers go into
    /// the (empty) IPVS table again and its checkers start from scratch.
    pub(super) fn ka_host_boot(&mut self, h: HostId) {
        for daemon in 0..self.ka.len() {
            if self.ka.daemons[daemon as usize].host != h {
                continue;
            }
            for s in 0..self.ka.services.len() {
                if self.ka.services[s].daemon != daemon {
                    continue;
                }
                self.ka.services[s].sorry_on = false;
                for r in 0..self.ka.servers.len() {
                    if self.ka.servers[r].service as usize == s {
                        let sv = &mut self.ka.servers[r];
                        sv.failed = 0;
                        sv.alive = true;
                        for c in 0..self.ka.checkers.len() {
                            if self.ka.checkers[c].server as usize == r {
                                let retry = self.ka_checker(c as u32).1.retry;
                                let st = &mut self.ka.checkers[c];
                                st.retry_it = retry;
                                st.is_up = true;
                                st.generation += 1;
                                st.tcb = None;
                            }
                        }
                    }
                }
            }
            self.ka_start(daemon);
            self.schedule_in(SimDuration::ZERO, Event::Keepalived(Timer::Start { daemon }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_request_size() {
        // "GET / HTTP/1.0\r\n" 16 + "User-Agent: KeepAliveClient\r\n" 29 + "Host: 10.0.0.11\r\n" 17
        // + "\r\n" 2 = 64, counted by hand.
        assert_eq!(http_request_len("/", "10.0.0.11".parse().unwrap(), 80), 64);
        // ":8080" adds 5.
        assert_eq!(http_request_len("/", "10.0.0.11".parse().unwrap(), 8080), 69);
    }
}
