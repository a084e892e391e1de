//! Never queue (`net/netfilter/ipvs/ip_vs_nq.c`).
//!
//! Scan in list order skipping weight 0 and OVERLOAD; the first server with no active
//! connection is taken at once ("idle" ignores inactive entries). Otherwise sed's rule:
//! the least `(activeconns+1)/weight`, strict, so the first in list order wins ties.

use super::sed::{heavier, sed_overhead};
use super::{SchedCtx, Scheduler, available};
use crate::dest::Dests;

#[derive(Clone, Debug, Default)]
pub struct Nq;

impl Scheduler for Nq {
    fn name(&self) -> &'static str {
        "nq"
    }

    fn schedule(&mut self, dests: &Dests, _ctx: &SchedCtx) -> Option<usize> {
        let mut least: Option<(usize, u64)> = None;
        for (i, d) in dests.iter().enumerate() {
            if !available(d) {
                continue;
            }
            if d.activeconns == 0 {
                return Some(i);
            }
            let doh = sed_overhead(d);
            if least.is_none_or(|(l, loh)| heavier(loh, dests[l].weight, doh, d.weight)) {
                least = Some((i, doh));
            }
        }
        least.map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};

    fn fill(d: &mut Dests, n: usize) -> Vec<u32> {
        (0..n)
            .map(|_| {
                let i = Nq.schedule(d, &ctx()).unwrap();
                d[i].activeconns += 1;
                d[i].id
            })
            .collect()
    }

    #[test]
    fn idle_servers_first_whatever_the_weight() {
        // A w3, B w1 (list B, A): sed would start with A, nq takes idle B, then idle A.
        // Then sed's rule: A 2/3 vs B 2/1 → A; A 3/3 < 2 → A; A 4/3 < 2 → A; A 5/3 < 2 → A;
        // A 2 = B 2 tie → B (first in list).
        let mut d = dests(&[3, 1]);
        assert_eq!(fill(&mut d, 7), [1, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn idle_ignores_inactive_entries() {
        // The newest has inactive entries but no active one: still idle, taken at once
        // although the older server is also idle and heavier.
        let mut d = dests(&[9, 1]);
        d[0].inactconns = 50;
        assert_eq!(fill(&mut d, 1), [1]);
    }

    #[test]
    fn skips_weight_zero_and_overload() {
        // An idle quiescent and an idle OVERLOAD server are never "idle winners".
        let mut d = dests(&[1, 1, 0]);
        d[2].activeconns = 4; // oldest, busy
        d[1].overloaded = true;
        assert_eq!(fill(&mut d, 1), [0]);
        d[2].overloaded = true;
        assert_eq!(Nq.schedule(&d, &ctx()), None);
    }
}
