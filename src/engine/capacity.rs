//! Capacity: a host's CPU backlog in front of its stack, a server application's service
//! time, workers and queue, closed-loop clients, and the periodic sampling of counters
//! that batch runs turn into time series. None of it runs unless a scenario asks for it.

use super::{Engine, Event, Outcome, Queued, drop_step, trace};
use crate::metrics::Fate;
use crate::packet::{IpProtocol, Ipv4Repr, L4, Packet, TcpFlags, UdpRepr};
use crate::sim::SimDuration;
use crate::topology::{HostId, IfIndex};
use crate::trace::{Action, Stage, Subject};
use crate::why::{DropReason, Why};
use crate::workload::{App, AppId, Job};

/// What became of a job offered to a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admit {
    /// A free worker started it.
    Started,
    /// It waits for a worker.
    Waiting,
    /// The queue is full.
    Refused,
}

impl Engine {
    /// The frame in slot `slot` has arrived at an interface: through the host's CPU backlog
    /// when it has a capacity model (processed when the CPU gets to it, the frame staying in
    /// its slot), straight into the stack otherwise.
    #[inline]
    pub(super) fn nic_arrive(&mut self, h: HostId, i: IfIndex, slot: u32) {
        if let Some(d) = self.down[h as usize] {
            let (frame, _) = self.inflight.frames.take(slot);
            self.metrics.hosts[h as usize].rx += 1;
            drop_step!(
                self,
                h,
                Some(i),
                Stage::Rx,
                DropReason::HostDown,
                Fate::Frame,
                Subject::frame(&frame),
                Why::HostDown { state: d.state() }
            );
            return;
        }
        let Some(cpu) = self.cpus.get_mut(h as usize).and_then(Option::as_mut) else {
            let (mut frame, _) = self.inflight.frames.take(slot);
            self.nic_rx(h, i, &mut frame);
            return;
        };
        let now = self.agenda.now();
        if let Some(done) = cpu.offer(now) {
            self.agenda.schedule(done, Queued::Softirq { host: h, iface: i, slot }).expect("future");
        } else {
            let (frame, _) = self.inflight.frames.take(slot);
            self.metrics.hosts[h as usize].rx += 1;
            drop_step!(
                self,
                h,
                Some(i),
                Stage::Rx,
                DropReason::BacklogFull,
                Fate::Frame,
                Subject::frame(&frame),
                Why::BacklogFull {
                    queued: self.cpus[h as usize].map_or(0, |c| c.queued(now)),
                    backlog: self.cpus[h as usize].map_or(0, |c| c.backlog)
                }
            );
        }
    }

    pub(super) fn server_has_service(&self, app: AppId) -> bool {
        matches!(&self.apps[app as usize], App::Server(s) if s.service.is_some())
    }

    /// The size of the next response (drawn when the server has a size distribution) and
    /// the server's stats index.
    pub(super) fn server_response(&mut self, app: AppId) -> (u16, usize) {
        let App::Server(s) = &mut self.apps[app as usize] else { unreachable!("servers answer") };
        let len = match s.response_size {
            Some(d) => d.sample_u64(&mut s.rng, 1, 65_000) as u16,
            None => s.response,
        };
        (len, s.stats)
    }

    /// Admits a job: a free worker starts it, else it waits, else it is refused.
    fn admit(&mut self, app: AppId, job: Job) -> Admit {
        let now = self.now();
        let App::Server(s) = &mut self.apps[app as usize] else { unreachable!("servers serve") };
        let svc = s.service.as_mut().expect("admit is for servers with a service model");
        if svc.busy < svc.workers {
            svc.busy += 1;
            let d = SimDuration::from_nanos(svc.time.sample(&mut s.rng).round() as u64);
            self.schedule(now + d, Event::ServiceDone { app, job });
            Admit::Started
        } else if (svc.waiting.len() as u32) < svc.queue {
            svc.waiting.push_back(job);
            Admit::Waiting
        } else {
            Admit::Refused
        }
    }

    /// A TCP request reached a server with a service model: queue it or refuse it (RST).
    /// `check` is how the kernel acknowledges the segment; a worker that takes the
    /// request reads it, which may send the ACK too.
    pub(super) fn tcp_request_queued(
        &mut self,
        h: HostId,
        iif: IfIndex,
        pkt: &Packet,
        id: u32,
        check: crate::workload::ack::Check,
    ) -> Outcome {
        let now = self.now();
        let t = self.tcb(id);
        if t.req_len > 0 {
            // A retransmitted request while the first copy is still being served.
            trace!(
                self,
                h,
                Some(iif),
                Stage::Socket,
                Action::Deliver,
                Subject::packet(pkt),
                Why::TcpRequestQueued { ack: super::sock::ack_note(now, check, None, None) }
            );
            self.tcp_ack_now(id, check, None);
            return Outcome::Delivered;
        }
        match self.admit(t.app, Job::Tcp { tcb: id, generation: t.generation }) {
            admit @ (Admit::Started | Admit::Waiting) => {
                self.tcb_mut(id).req_len = 1;
                trace!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    Action::Deliver,
                    Subject::packet(pkt),
                    Why::TcpRequestAdmit {
                        port: t.local.1,
                        started: admit == Admit::Started,
                        ack: super::sock::ack_note(now, check, None, None)
                    }
                );
                self.tcp_ack_now(id, check, None);
                if admit == Admit::Started {
                    self.tcp_app_read(id);
                }
                Outcome::Delivered
            }
            Admit::Refused => {
                drop_step!(
                    self,
                    h,
                    Some(iif),
                    Stage::Socket,
                    DropReason::ListenOverflow,
                    Fate::Frame,
                    Subject::packet(pkt),
                    Why::TcpListenOverflow {}
                );
                let L4::Tcp(seg) = pkt.l4 else { unreachable!("tcp") };
                self.tcp_send_rst(id, seg.ack);
                Outcome::Dropped(DropReason::ListenOverflow)
            }
        }
    }

    /// A UDP request reached a server with a service model: queue it or drop it.
    pub(super) fn udp_request_queued(&mut self, h: HostId, iif: IfIndex, pkt: &Packet, app: AppId) -> Outcome {
        let L4::Udp(u) = pkt.l4 else { unreachable!("udp") };
        let job = Job::Udp { local: (pkt.ip.dst, u.dst_port), remote: (pkt.ip.src, u.src_port) };
        if self.admit(app, job) == Admit::Refused {
            drop_step!(
                self,
                h,
                Some(iif),
                Stage::Socket,
                DropReason::ListenOverflow,
                Fate::Frame,
                Subject::packet(pkt),
                Why::UdpListenOverflow {}
            );
            Outcome::Dropped(DropReason::ListenOverflow)
        } else {
            trace!(self, h, Some(iif), Stage::Socket, Action::Deliver, Subject::packet(pkt), Why::UdpQueued {});
            Outcome::Delivered
        }
    }

    /// A worker finished a job: answer it, then take the next waiting one.
    pub(super) fn service_done(&mut self, app: AppId, job: Job) {
        let (response, stats) = self.server_response(app);
        let App::Server(s) = &self.apps[app as usize] else { unreachable!("servers serve") };
        let h = s.host;
        match job {
            Job::Tcp { tcb, generation } => {
                if let Some(t) = self.tcbs.at(tcb).copied()
                    && t.generation == generation
                {
                    self.metrics.served[stats] += 1;
                    self.tcb_mut(tcb).req_len = 0;
                    trace!(
                        self,
                        h,
                        None,
                        Stage::Socket,
                        Action::Info,
                        None,
                        Why::AppServed { response: u32::from(response) }
                    );
                    self.tcp_send_data(tcb, response);
                }
            }
            Job::Udp { local, remote } => {
                self.metrics.served[stats] += 1;
                let ident = self.hosts[h as usize].next_ident();
                let ip = Ipv4Repr {
                    src: local.0,
                    dst: remote.0,
                    protocol: IpProtocol::Udp,
                    ttl: crate::packet::ipv4::DEFAULT_TTL,
                    ident,
                    dont_frag: false,
                    tos: 0,
                };
                let reply = Packet {
                    tunnel: None,
                    ip,
                    l4: L4::Udp(UdpRepr { src_port: local.1, dst_port: remote.1, payload_len: response }),
                };
                self.local_out(h, reply);
            }
        }
        let App::Server(s) = &mut self.apps[app as usize] else { unreachable!("servers serve") };
        let svc = s.service.as_mut().expect("service model");
        svc.busy -= 1;
        if let Some(next) = svc.waiting.pop_front()
            && self.admit(app, next) == Admit::Started
            && let Job::Tcp { tcb, generation } = next
            && self.tcbs.at(tcb).is_some_and(|t| t.generation == generation)
        {
            // The worker reads the request it takes.
            self.tcp_app_read(tcb);
        }
    }

    /// A client's connection (or request) ended, well or badly: a closed-loop user
    /// thinks, then starts the next one.
    pub(super) fn client_finished(&mut self, app: AppId) {
        let App::Client(c) = &mut self.apps[app as usize] else { return };
        if c.users.is_none() || c.count.is_some_and(|n| c.started >= n) {
            return;
        }
        let think = SimDuration::from_nanos(c.think.sample(&mut c.rng).round() as u64);
        self.schedule_in(think, Event::ClientNext { app });
    }

    /// Sends a RST from a server socket and frees it.
    fn tcp_send_rst(&mut self, id: u32, seq: u32) {
        if let Some(t) = self.tcbs.at_mut(id) {
            t.snd_nxt = seq;
        }
        self.tcp_send(id, TcpFlags::RST | TcpFlags::ACK, 0);
        self.tcb_free_slot(id);
    }
}

impl Engine {
    /// Batch runs: samples the counters every `bin` (the first sample at time 0), for
    /// the time series. Costs one event per bin.
    pub fn enable_sampling(&mut self, bin: SimDuration) {
        self.series = Some(crate::metrics::series::Series::new(bin));
        self.take_sample();
    }

    pub(super) fn take_sample(&mut self) {
        let now = self.now();
        let Some(series) = self.series.as_ref() else { return };
        let bin = series.bin;
        let m = &self.metrics;
        let servers: Vec<(HostId, u16)> = self
            .apps
            .iter()
            .filter_map(|a| match a {
                App::Server(s) => Some((s.host, s.port)),
                App::Client(_) => None,
            })
            .collect();
        let mut active = vec![0u32; servers.len()];
        let mut inactive = vec![0u32; servers.len()];
        for d in self.hosts.iter().filter_map(|h| h.ipvs.as_deref()).flat_map(|v| &v.services).flat_map(|s| &s.dests) {
            let owner = |(h, _): &(HostId, u16)| self.hosts[*h as usize].ifaces.iter().any(|i| i.has_addr(d.addr));
            let k = servers.iter().position(|s| owner(s) && s.1 == d.port).or_else(|| servers.iter().position(owner));
            if let Some(k) = k {
                active[k] += d.activeconns;
                inactive[k] += d.inactconns;
            }
        }
        let sample = crate::metrics::series::Sample {
            t_ns: now.0,
            started: m.clients.iter().map(|c| c.started).sum(),
            completed: m.clients.iter().map(|c| c.completed).sum(),
            failed: m.clients.iter().map(|c| c.refused + c.unreachable + c.timed_out).sum(),
            latency_sum_ns: m.clients.iter().map(|c| c.latency.sum_ns).sum(),
            served: m.served.clone(),
            active,
            inactive,
            rx: m.hosts.iter().map(|h| h.rx).collect(),
            dropped: m.hosts.iter().map(|h| h.dropped).collect(),
            cpu_ns: self.cpus.iter().map(|c| c.map_or(0, |c| c.busy_by(now))).collect(),
            tx_bytes: m.hosts.iter().map(|h| h.tx_bytes).collect(),
            rx_bytes: m.hosts.iter().map(|h| h.rx_bytes).collect(),
            drops_total: m.frames.dropped,
        };
        self.series.as_mut().expect("sampling").samples.push(sample);
        if now + bin <= self.end {
            self.schedule_in(bin, Event::Sample);
        }
    }
}
