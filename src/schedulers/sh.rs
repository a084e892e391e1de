//! Source hashing (`net/netfilter/ipvs/ip_vs_sh.c`).
//!
//! 256 buckets, rebuilt on every add/edit/delete by walking the list cyclically, each server
//! filling `weight` consecutive buckets (weight 0 still one). Bucket = `hash_32(saddr + sport,
//! 8)` (sport only with `sh-port`); weight 0 or OVERLOAD gives none, or with `sh-fallback`
//! the probes `(offset + 2·ihash) mod 256` (the kernel's quirk) until an available server.

use super::dh::hash_32;
use super::{SchedCtx, Scheduler, available};
use crate::dest::{DestId, Dests};

/// `CONFIG_IP_VS_SH_TAB_BITS`.
const TAB_BITS: u32 = 8;
const TAB_SIZE: usize = 1 << TAB_BITS;

#[derive(Clone, Debug)]
pub struct Sh {
    buckets: [Option<DestId>; TAB_SIZE],
    /// `-b sh-fallback`.
    fallback: bool,
    /// `-b sh-port`.
    port: bool,
}

impl Sh {
    pub fn new(fallback: bool, port: bool) -> Self {
        Sh { buckets: [None; TAB_SIZE], fallback, port }
    }

    /// `ip_vs_sh_reassign`: each server fills `weight` buckets (at least one), cyclically.
    fn reassign(&mut self, dests: &Dests) {
        if dests.is_empty() {
            self.buckets = [None; TAB_SIZE];
            return;
        }
        let (mut p, mut count) = (0, 0);
        for b in &mut self.buckets {
            *b = Some(dests[p].id);
            count += 1;
            if count >= dests[p].weight {
                p = (p + 1) % dests.len();
                count = 0;
            }
        }
    }

    /// `ip_vs_sh_hashkey`: `(offset + hash_32(port + addr, 8)) mod 256`.
    fn hashkey(ctx: &SchedCtx, port: u16, offset: usize) -> usize {
        let ihash = hash_32(u32::from(ctx.saddr).wrapping_add(u32::from(port)), TAB_BITS) as usize;
        (offset + ihash) % TAB_SIZE
    }

    /// The bucket's server as a list position, if the bucket is filled.
    fn bucket(&self, dests: &Dests, b: usize) -> Option<usize> {
        let id = self.buckets[b]?;
        dests.iter().position(|d| d.id == id)
    }
}

impl Scheduler for Sh {
    fn name(&self) -> &'static str {
        "sh"
    }

    fn changed(&mut self, dests: &Dests) {
        self.reassign(dests);
    }

    fn schedule(&mut self, dests: &Dests, ctx: &SchedCtx) -> Option<usize> {
        let port = if self.port { ctx.sport } else { 0 };
        let ihash = Self::hashkey(ctx, port, 0);
        let first = self.bucket(dests, ihash)?;
        if available(&dests[first]) {
            return Some(first);
        }
        if !self.fallback {
            return None;
        }
        // ip_vs_sh_get_fallback: roffset = (offset + ihash) mod 256 is passed as the
        // hashkey's offset, which adds ihash once more.
        for offset in 0..TAB_SIZE {
            let roffset = (offset + ihash) % TAB_SIZE;
            let pos = self.bucket(dests, Self::hashkey(ctx, port, roffset))?;
            if available(&dests[pos]) {
                return Some(pos);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};
    use std::net::Ipv4Addr;

    fn built(weights: &[u32], fallback: bool, port: bool) -> (Sh, Dests) {
        let d = dests(weights);
        let mut s = Sh::new(fallback, port);
        s.init_service(&d);
        (s, d)
    }

    fn pick(s: &mut Sh, d: &Dests, c: &SchedCtx) -> Option<u32> {
        s.schedule(d, c).map(|p| d[p].id)
    }

    #[test]
    fn weights_two_one_fill_x_x_y() {
        // List order X (weight 2, id 1), Y (weight 1, id 0): buckets X X Y X X Y ...,
        // and bucket 255 = 255 mod 3 = 0 → X.
        let (s, _) = built(&[1, 2], false, false);
        assert_eq!(s.buckets[..6], [Some(1), Some(1), Some(0), Some(1), Some(1), Some(0)]);
        assert_eq!(s.buckets[255], Some(1));
    }

    #[test]
    fn self_test_12_client_bucket_125() {
        // 192.0.2.7 → bucket 125; with 1,1,1 that is list[125 mod 3] = list[2] = id 0,
        // for every source port (no sh-port).
        let (mut s, d) = built(&[1, 1, 1], false, false);
        let mut c = ctx();
        assert_eq!(Sh::hashkey(&c, 0, 0), 125);
        assert_eq!(pick(&mut s, &d, &c), Some(0));
        c.sport = 1;
        assert_eq!(pick(&mut s, &d, &c), Some(0));
    }

    #[test]
    fn sh_port_adds_the_source_port() {
        // hash_32(0xC0000207 + 40001, 8) = 131 → list[131 mod 3 = 2] = id 0;
        // sport 40002 → 229 → list[1] = id 1.
        let (mut s, d) = built(&[1, 1, 1], false, true);
        let mut c = ctx();
        assert_eq!(Sh::hashkey(&c, c.sport, 0), 131);
        assert_eq!(pick(&mut s, &d, &c), Some(0));
        c.sport = 40002;
        assert_eq!(pick(&mut s, &d, &c), Some(1));
    }

    #[test]
    fn fallback_probes_from_twice_ihash() {
        // Bucket 125's server (id 0) quiesced: none without the flag. With sh-fallback the
        // first probe is bucket 250 (not 126): list[250 mod 3 = 1] = id 1; a probe at 126
        // would have given list[0] = id 2.
        let (mut s, mut d) = built(&[1, 1, 1], false, false);
        d[2].weight = 0;
        s.upd_dest(&d, 0);
        assert_eq!(pick(&mut s, &d, &ctx()), None);
        let mut f = Sh::new(true, false);
        f.init_service(&d);
        assert_eq!(pick(&mut f, &d, &ctx()), Some(1));
    }

    #[test]
    fn fallback_gives_none_when_all_unavailable() {
        // Every bucket is filled but no server qualifies: 256 probes, then none.
        let (mut s, mut d) = built(&[1, 1], true, false);
        for x in &mut d {
            x.overloaded = true;
        }
        assert_eq!(pick(&mut s, &d, &ctx()), None);
    }

    #[test]
    fn weights_over_256_starve_later_servers() {
        // List weights 200, 100, 5: the first takes 200 buckets, the second the last 56,
        // the third (id 0) none.
        let (s, _) = built(&[5, 100, 200], false, false);
        assert_eq!(s.buckets.iter().filter(|b| **b == Some(2)).count(), 200);
        assert_eq!(s.buckets.iter().filter(|b| **b == Some(1)).count(), 56);
        assert!(!s.buckets.contains(&Some(0)));
    }

    #[test]
    fn weight_zero_still_gets_one_bucket_per_cycle() {
        // List weights 0, 1: the 0 still fills one bucket per cycle: alternate.
        let (s, _) = built(&[1, 0], false, false);
        assert_eq!(s.buckets[..4], [Some(1), Some(0), Some(1), Some(0)]);
    }

    proptest::proptest! {
        #[test]
        fn stable_and_never_unavailable(
            weights in proptest::collection::vec(0u32..4, 1..8),
            over in proptest::collection::vec(proptest::bool::ANY, 8),
            fallback in proptest::bool::ANY,
            port in proptest::bool::ANY,
            keys in proptest::collection::vec((proptest::num::u32::ANY, proptest::num::u16::ANY), 1..40),
        ) {
            // Nothing changes between calls, so each (saddr, sport) keeps its answer (the
            // VIP does not matter), and an answer never has weight 0 or OVERLOAD.
            let (mut s, mut d) = built(&weights, fallback, port);
            for (x, o) in d.iter_mut().zip(&over) {
                x.overloaded = *o;
            }
            for (a, p) in keys {
                let mut c = ctx();
                c.saddr = Ipv4Addr::from(a);
                c.sport = p;
                let first = s.schedule(&d, &c);
                c.daddr = Ipv4Addr::from(!a);
                proptest::prop_assert_eq!(first, s.schedule(&d, &c));
                if let Some(i) = first {
                    proptest::prop_assert!(available(&d[i]));
                }
            }
        }
    }
}
