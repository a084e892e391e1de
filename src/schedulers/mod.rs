//! IPVS schedulers, one file per kernel module (`ip_vs_rr.c` → `rr.rs`), behind the
//! kernel's callbacks: `init_service`, `add_dest`, `upd_dest`, `del_dest`, `schedule`.
//!
//! Every scheduler sees the real servers in kernel list order (newest first) and returns
//! a position in that list, or `None` when no server is available.

pub mod dh;
pub mod fo;
pub mod lblc;
pub mod lblcr;
pub mod lc;
pub mod mh;
pub mod nq;
pub mod ovf;
pub mod rr;
pub mod sed;
pub mod sh;
pub mod twos;
pub mod wlc;
pub mod wrr;

use crate::cmdline::ipvsadm::{Sched, SchedFlags};
pub use crate::dest::Overhead;
use crate::dest::{Dest, DestId, Dests};
use std::fmt::Debug;
use std::net::Ipv4Addr;

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
    /// The run's seed (twos draws from `sim::rng::stream(seed, "twos")`).
    pub seed: u64,
}

/// The kernel's `struct ip_vs_scheduler` callbacks.
/// Copies a boxed scheduler (the TUI forks the engine to show tables at any step).
pub trait BoxClone {
    fn box_clone(&self) -> Box<dyn Scheduler>;
}

impl<T: Scheduler + Clone + 'static> BoxClone for T {
    fn box_clone(&self) -> Box<dyn Scheduler> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Scheduler> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}

pub trait Scheduler: Debug + BoxClone {
    fn name(&self) -> &'static str;
    /// Called by the default callbacks below after any change of the server list:
    /// schedulers that rebuild a table whenever servers change implement only this.
    fn changed(&mut self, _dests: &Dests) {}
    /// Bound to a service (`-A`, or `-E` changing the scheduler, with servers present).
    fn init_service(&mut self, dests: &Dests) {
        self.changed(dests);
    }
    /// After `dests` gained `added` (at the head).
    fn add_dest(&mut self, dests: &Dests, _added: DestId) {
        self.changed(dests);
    }
    /// After `updated` was edited (`-e`).
    fn upd_dest(&mut self, dests: &Dests, _updated: DestId) {
        self.changed(dests);
    }
    /// After `deleted` was removed from position `old_pos`.
    fn del_dest(&mut self, dests: &Dests, _deleted: DestId, _old_pos: usize) {
        self.changed(dests);
    }
    /// Chooses a server for a new connection: its position in `dests`.
    fn schedule(&mut self, dests: &Dests, ctx: &SchedCtx) -> Option<usize>;
}

/// Available for a new connection: weight > 0 and no OVERLOAD flag.
pub fn available(d: &Dest) -> bool {
    d.weight > 0 && !d.overloaded
}

/// Makes the scheduler `-s name` selects. Deterministic: twos draws from the run's seed
/// stream (`sim::rng::stream(ctx.seed, "twos")`, see [`SchedCtx::seed`]).
pub fn new(s: Sched, flags: SchedFlags) -> Result<Box<dyn Scheduler>, String> {
    Ok(match s {
        Sched::Rr => Box::new(rr::Rr::default()),
        Sched::Wrr => Box::new(wrr::Wrr::default()),
        Sched::Lc => Box::new(lc::Lc),
        Sched::Wlc => Box::new(wlc::Wlc),
        Sched::Sed => Box::new(sed::Sed),
        Sched::Nq => Box::new(nq::Nq),
        Sched::Dh => Box::new(dh::Dh::default()),
        Sched::Sh => Box::new(sh::Sh::new(flags.sh_fallback, flags.sh_port)),
        Sched::Lblc => Box::new(lblc::Lblc::default()),
        Sched::Lblcr => Box::new(lblcr::Lblcr::default()),
        Sched::Mh => Box::new(mh::Mh::new(flags.mh_fallback, flags.mh_port)),
        Sched::Fo => Box::new(fo::Fo),
        Sched::Ovf => Box::new(ovf::Ovf),
        Sched::Twos => Box::new(twos::Twos::new()),
    })
}

#[cfg(test)]
pub(crate) mod testutil {
    use crate::cmdline::ipvsadm::Fwd;
    use crate::dest::estimator::{RateEstimator, Stats};
    use crate::dest::{Dest, Dests};
    use std::net::Ipv4Addr;

    /// Servers with the given weights, given in `ipvsadm -a` order; returned in list
    /// order (newest first), ids 0, 1, 2... in add order.
    pub fn dests(weights: &[u32]) -> Dests {
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
                est: RateEstimator::default(),
                idle_start: None,
            })
            .collect();
        v.reverse();
        v.into()
    }

    pub fn ctx() -> super::SchedCtx {
        super::SchedCtx {
            saddr: Ipv4Addr::new(192, 0, 2, 7),
            sport: 40001,
            daddr: Ipv4Addr::new(10, 0, 0, 100),
            dport: 80,
            overhead: super::Overhead::Inactconns,
            now: crate::sim::SimTime::ZERO,
            seed: 0,
        }
    }
}

#[cfg(test)]
mod props {
    use super::testutil::{ctx, dests};
    use super::{Dests, Sched, SchedFlags, available, new};
    use proptest::prelude::*;

    /// The schedulers these properties cover.
    const SCHEDS: [Sched; 7] = [Sched::Wrr, Sched::Lc, Sched::Sed, Sched::Nq, Sched::Fo, Sched::Ovf, Sched::Twos];

    /// 0 to 6 servers in list order: weight 0..5, OVERLOAD about one in three, random counts.
    fn arb_dests() -> impl Strategy<Value = Dests> {
        prop::collection::vec((0u32..5, prop::bool::weighted(0.3), 0u32..8, 0u32..600), 0..7).prop_map(|v| {
            let mut d = dests(&v.iter().map(|x| x.0).collect::<Vec<_>>());
            for (x, &(_, o, a, i)) in d.iter_mut().zip(&v) {
                x.overloaded = o;
                x.activeconns = a;
                x.inactconns = i;
            }
            d
        })
    }

    /// `n` picks from a fresh scheduler bound to `d` (`-E`), each new connection staying
    /// active on its server; the list as it ends up is returned too.
    fn run(s: Sched, mut d: Dests, n: usize) -> (Vec<Option<usize>>, Dests, Vec<bool>) {
        let mut sched = new(s, SchedFlags::default()).unwrap();
        sched.init_service(&d);
        let mut out = Vec::new();
        let mut could = Vec::new();
        for _ in 0..n {
            // ovf may also find nothing when every available server has active > weight.
            could.push(d.iter().any(|x| available(x) && (s != Sched::Ovf || x.activeconns <= x.weight)));
            let p = sched.schedule(&d, &ctx());
            if let Some(i) = p {
                d[i].activeconns += 1;
            }
            out.push(p);
        }
        (out, d, could)
    }

    fn gcd(a: u32, b: u32) -> u32 {
        if b == 0 { a } else { gcd(b, a % b) }
    }

    proptest! {
        #[test]
        fn never_unavailable_and_none_only_when_nothing_fits(d in arb_dests()) {
            // Every pick has weight > 0 and no OVERLOAD; a None only when nothing could fit.
            for s in SCHEDS {
                let (picks, after, could) = run(s, d.clone(), 24);
                for (p, c) in picks.iter().zip(&could) {
                    match p {
                        Some(i) => prop_assert!(available(&after[*i]), "{} picked {:?}", s.name(), after[*i]),
                        None => prop_assert!(!c, "{} gave none with {:?}", s.name(), d),
                    }
                }
            }
        }

        #[test]
        fn same_inputs_same_picks(d in arb_dests()) {
            // Deterministic, twos included (the run's seed stream, seed 0 here).
            for s in SCHEDS {
                prop_assert_eq!(run(s, d.clone(), 24).0, run(s, d.clone(), 24).0);
            }
        }

        #[test]
        fn wrr_cycle_matches_weight_shares(d in arb_dests()) {
            // From `-E`, one cycle (levels mw, mw − di, ..., 1) gives each available server
            // w/di picks, di = gcd of all positive weights (OVERLOAD ones included), so the
            // cycle is Σ w/di over the available servers; the next cycle repeats it.
            let di = d.iter().map(|x| x.weight).filter(|&w| w > 0).fold(0, gcd).max(1);
            let cycle: u32 = d.iter().filter(|x| available(x)).map(|x| x.weight / di).sum();
            let (picks, _, _) = run(Sched::Wrr, d.clone(), 2 * cycle as usize);
            for half in picks.chunks(cycle.max(1) as usize) {
                for (i, x) in d.iter().enumerate() {
                    let got = half.iter().filter(|&&p| p == Some(i)).count() as u32;
                    let want = if available(x) { x.weight / di } else { 0 };
                    prop_assert_eq!(got, want, "server {} in {:?}: {:?}", i, d, picks);
                }
            }
        }
    }
}
