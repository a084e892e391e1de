//! IPVS schedulers, one file per kernel module (`ip_vs_rr.c` → `rr.rs`), behind the
//! kernel's callbacks: `init_service`, `add_dest`, `upd_dest`, `del_dest`, `schedule`.
//!
//! Every scheduler sees the real servers in kernel list order (newest first) and returns
//! a position in that list, or `None` when no server is available.

pub mod dh;
pub mod lblc;
pub mod lblcr;
pub mod mh;
pub mod rr;
pub mod sh;
pub mod wlc;

use crate::ipvs::{Dest, DestId, Sched, ipvsadm::SchedFlags};
use std::fmt::Debug;
use std::net::Ipv4Addr;

/// How a server's load is counted (`ip_vs_dest_conn_overhead`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overhead {
    /// `activeconns·256 + inactconns`: every kernel before the 2026 change (the default).
    #[default]
    Inactconns,
    /// `activeconns·256 + totalconns`: 6.1.183 and later.
    Totalconns,
}

/// What a scheduler may look at in the packet that opens a connection.
#[derive(Clone, Copy, Debug)]
pub struct SchedCtx {
    pub saddr: Ipv4Addr,
    pub sport: u16,
    pub daddr: Ipv4Addr,
    pub dport: u16,
    pub overhead: Overhead,
    /// The packet's arrival time (lblc/lblcr stamp their cache entries with it).
    pub now: crate::sim::SimTime,
}

/// The kernel's `struct ip_vs_scheduler` callbacks.
pub trait Scheduler: Debug {
    fn name(&self) -> &'static str;
    /// Bound to a service (`-A`, or `-E` changing the scheduler, with servers present).
    fn init_service(&mut self, _dests: &[Dest]) {}
    /// After `dests` gained `added` (at the head).
    fn add_dest(&mut self, _dests: &[Dest], _added: DestId) {}
    /// After `updated` was edited (`-e`).
    fn upd_dest(&mut self, _dests: &[Dest], _updated: DestId) {}
    /// After `deleted` was removed from position `old_pos`.
    fn del_dest(&mut self, _dests: &[Dest], _deleted: DestId, _old_pos: usize) {}
    /// Chooses a server for a new connection: its position in `dests`.
    fn schedule(&mut self, dests: &[Dest], ctx: &SchedCtx) -> Option<usize>;
}

/// Available for a new connection: weight > 0 and no OVERLOAD flag.
pub fn available(d: &Dest) -> bool {
    d.weight > 0 && !d.overloaded
}

/// Makes the scheduler `-s name` selects.
pub fn new(s: Sched, flags: SchedFlags) -> Result<Box<dyn Scheduler>, String> {
    Ok(match s {
        Sched::Rr => Box::new(rr::Rr::default()),
        Sched::Wlc => Box::new(wlc::Wlc),
        Sched::Dh => Box::new(dh::Dh::default()),
        Sched::Sh => Box::new(sh::Sh::new(flags.sh_fallback, flags.sh_port)),
        Sched::Mh => Box::new(mh::Mh::new(flags.mh_fallback, flags.mh_port)),
        Sched::Lblc => Box::new(lblc::Lblc::default()),
        Sched::Lblcr => Box::new(lblcr::Lblcr::default()),
        other => {
            return Err(format!(
                "scheduler {} is not simulated yet: lvsim has rr and wlc (the other twelve come with the scheduler work)",
                other.name()
            ));
        }
    })
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::ipvs::{Dest, Fwd, Stats};
    use std::net::Ipv4Addr;

    /// Servers with the given weights, given in `ipvsadm -a` order; returned in list
    /// order (newest first), ids 0, 1, 2... in add order.
    pub fn dests(weights: &[u32]) -> Vec<Dest> {
        let mut v: Vec<Dest> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| Dest {
                id: i as u32,
                addr: Ipv4Addr::new(10, 0, 0, 11 + i as u8),
                port: 80,
                fwd: Fwd::Dr,
                weight: w,
                u_threshold: 0,
                l_threshold: 0,
                activeconns: 0,
                inactconns: 0,
                persistconns: 0,
                overloaded: false,
                available: true,
                stats: Stats::default(),
                est: crate::ipvs::RateEstimator::default(),
            })
            .collect();
        v.reverse();
        v
    }

    pub fn ctx() -> super::SchedCtx {
        super::SchedCtx {
            saddr: Ipv4Addr::new(192, 0, 2, 7),
            sport: 40001,
            daddr: Ipv4Addr::new(10, 0, 0, 100),
            dport: 80,
            overhead: super::Overhead::Inactconns,
            now: crate::sim::SimTime::ZERO,
        }
    }
}
