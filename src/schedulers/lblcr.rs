//! Locality-based least-connection with replication (`net/netfilter/ipvs/ip_vs_lblcr.c`).
//!
//! A cache maps each destination IP to a set of servers (newest first, with `lastmod`). A hit
//! takes the set's least loaded member (wlc's rule); a set of several members unchanged for
//! `lblcr_expiration` (24 h) loses its most loaded one. If the pick is missing or overloaded
//! (lblc's rule), wlc chooses and joins the set. A miss creates a one-member set.
//!
//! Simplified garbage collection: entries unused for 24 h are dropped when the scheduler is
//! next called (the kernel does it from a 60 s timer). Deleted servers left in a set are
//! skipped (the kernel keeps them, unavailable, in its trash).

use super::lblc::{EXPIRATION, MAX_ENTRIES, lblc_overloaded};
use super::{Overhead, SchedCtx, Scheduler, wlc::Wlc};
use crate::dest::{DestId, Dests};
use crate::sim::SimTime;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

#[derive(Debug, Clone)]
struct Entry {
    /// Newest first.
    set: Vec<DestId>,
    lastuse: SimTime,
    lastmod: SimTime,
}

#[derive(Clone, Debug, Default)]
pub struct Lblcr {
    cache: BTreeMap<Ipv4Addr, Entry>,
}

/// The set's members as list positions (deleted ones dropped), in set order.
fn members(set: &[DestId], dests: &Dests) -> Vec<usize> {
    set.iter().filter_map(|id| dests.iter().position(|d| d.id == *id)).collect()
}

/// `ip_vs_dest_set_min`: first member with weight > 0 and no OVERLOAD, then a later
/// non-OVERLOAD member replaces it when strictly less loaded per weight.
fn set_min(m: &[usize], dests: &Dests, oh: Overhead) -> Option<usize> {
    let first = m.iter().position(|&p| !dests[p].overloaded && dests[p].weight > 0)?;
    let mut least = m[first];
    let mut loh = dests[least].overhead(oh);
    for &p in &m[first + 1..] {
        let d = &dests[p];
        if d.overloaded {
            continue;
        }
        let doh = d.overhead(oh);
        if u128::from(loh) * u128::from(d.weight) > u128::from(doh) * u128::from(dests[least].weight) {
            least = p;
            loh = doh;
        }
    }
    Some(least)
}

/// `ip_vs_dest_set_max`: first member with weight > 0, then a later member with weight > 0
/// replaces it when strictly more loaded per weight.
fn set_max(m: &[usize], dests: &Dests, oh: Overhead) -> Option<usize> {
    let first = m.iter().position(|&p| dests[p].weight > 0)?;
    let mut most = m[first];
    let mut moh = dests[most].overhead(oh);
    for &p in &m[first + 1..] {
        let d = &dests[p];
        let doh = d.overhead(oh);
        if d.weight > 0 && u128::from(moh) * u128::from(d.weight) < u128::from(doh) * u128::from(dests[most].weight) {
            most = p;
            moh = doh;
        }
    }
    Some(most)
}

impl Scheduler for Lblcr {
    fn name(&self) -> &'static str {
        "lblcr"
    }

    fn init_service(&mut self, _dests: &Dests) {
        self.cache.clear();
    }

    fn schedule(&mut self, dests: &Dests, ctx: &SchedCtx) -> Option<usize> {
        let now = ctx.now;
        self.cache.retain(|_, e| now.since(e.lastuse) < EXPIRATION);
        let Some(e) = self.cache.get_mut(&ctx.daddr) else {
            let pos = Wlc.schedule(dests, ctx)?;
            if self.cache.len() < MAX_ENTRIES {
                let en = Entry { set: vec![dests[pos].id], lastuse: now, lastmod: now };
                self.cache.insert(ctx.daddr, en);
            }
            return Some(pos);
        };
        e.lastuse = now;
        let m = members(&e.set, dests);
        let min = set_min(&m, dests, ctx.overhead);
        // time_after(jiffies, lastmod + expiration): strictly later.
        if e.set.len() > 1
            && now.since(e.lastmod) > EXPIRATION
            && let Some(max) = set_max(&m, dests, ctx.overhead)
        {
            e.set.retain(|id| *id != dests[max].id);
            e.lastmod = now;
        }
        if let Some(p) = min
            && !lblc_overloaded(&dests[p], dests)
        {
            return Some(p);
        }
        let pos = Wlc.schedule(dests, ctx)?;
        let id = dests[pos].id;
        if !e.set.contains(&id) {
            e.set.insert(0, id);
            e.lastmod = now;
        }
        Some(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};
    use crate::sim::SimDuration;

    const A: [u8; 4] = [203, 0, 113, 1];
    const HOUR: u64 = 3600;

    fn at(secs: u64) -> SchedCtx {
        let mut c = ctx();
        c.daddr = Ipv4Addr::from(A);
        c.now = SimTime::ZERO + SimDuration::from_secs(secs);
        c
    }

    fn pick(s: &mut Lblcr, d: &Dests, c: &SchedCtx) -> Option<u32> {
        s.schedule(d, c).map(|p| d[p].id)
    }

    fn set(s: &Lblcr) -> Vec<DestId> {
        s.cache[&Ipv4Addr::from(A)].set.clone()
    }

    #[test]
    fn miss_creates_a_one_member_set() {
        // All idle: wlc gives the head, id 2, and the set is just [2].
        let d = dests(&[1, 1, 1]);
        let mut s = Lblcr::default();
        assert_eq!(pick(&mut s, &d, &at(0)), Some(2));
        assert_eq!(set(&s), [2]);
    }

    #[test]
    fn set_grows_when_its_best_member_is_overloaded() {
        // id 2 at 2 active > weight 1 while others idle: wlc adds id 1 (newest first).
        // Then the set's least loaded member, id 1, serves. Loading id 1 too adds id 0.
        let mut d = dests(&[1, 1, 1]);
        let mut s = Lblcr::default();
        assert_eq!(pick(&mut s, &d, &at(0)), Some(2));
        d[0].activeconns = 2;
        assert_eq!(pick(&mut s, &d, &at(1)), Some(1));
        assert_eq!(set(&s), [1, 2]);
        assert_eq!(pick(&mut s, &d, &at(2)), Some(1));
        d[1].activeconns = 2;
        assert_eq!(pick(&mut s, &d, &at(3)), Some(0));
        assert_eq!(set(&s), [0, 1, 2]);
    }

    #[test]
    fn member_kept_while_not_overloaded_by_lblc_rule() {
        // Set [2]: at 1 active (not > weight 1) it stays, though wlc would pick id 1.
        let mut d = dests(&[1, 1, 1]);
        let mut s = Lblcr::default();
        assert_eq!(pick(&mut s, &d, &at(0)), Some(2));
        d[0].activeconns = 1;
        assert_eq!(pick(&mut s, &d, &at(1)), Some(2));
        assert_eq!(set(&s), [2]);
    }

    #[test]
    fn stale_set_loses_its_most_loaded_member() {
        // Set [1, 2] built at 1 s; hits every 12 h keep the entry alive. At 24 h + 2 s the
        // set has not changed for more than 24 h: the most loaded member (id 2) goes.
        let mut d = dests(&[1, 1, 1]);
        let mut s = Lblcr::default();
        pick(&mut s, &d, &at(0));
        d[0].activeconns = 2;
        assert_eq!(pick(&mut s, &d, &at(1)), Some(1));
        assert_eq!(pick(&mut s, &d, &at(12 * HOUR)), Some(1));
        assert_eq!(pick(&mut s, &d, &at(24 * HOUR + 1)), Some(1));
        assert_eq!(set(&s), [1, 2]);
        assert_eq!(pick(&mut s, &d, &at(24 * HOUR + 2)), Some(1));
        assert_eq!(set(&s), [1]);
    }

    #[test]
    fn unused_entry_expires() {
        // Not used for 24 h: the entry (set [1, 2]) is gone, a fresh one-member set is made.
        let mut d = dests(&[1, 1, 1]);
        let mut s = Lblcr::default();
        pick(&mut s, &d, &at(0));
        d[0].activeconns = 2;
        pick(&mut s, &d, &at(1));
        assert_eq!(pick(&mut s, &d, &at(24 * HOUR + 1)), Some(1));
        assert_eq!(set(&s), [1]);
    }
}
