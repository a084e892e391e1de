//! The value types the schedulers see: a real server ([`Dest`]), its identity and how its
//! load is counted, with its counters ([`estimator`]) and the TCP state table ([`state`]).
//! A leaf below both `ipvs` and `schedulers` (it imports only the ipvsadm value types
//! and `sim`), so `ipvs` → `schedulers` → `dest` has no cycle, file by file or folder by
//! folder. `ipvs` re-exports it at its old paths (`ipvs::types`, `ipvs::estimator`,
//! `ipvs::state`).

pub mod estimator;
pub mod state;

use crate::cmdline::ipvsadm::Fwd;
use crate::sim::SimTime;
use estimator::{RateEstimator, Stats};
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

/// A stable identity of a real server (survives list changes, unlike its position).
pub type DestId = u32;

/// A real server of a service (`struct ip_vs_dest`).
#[derive(Clone, Debug)]
pub struct Dest {
    pub id: DestId,
    pub addr: Ipv4Addr,
    pub port: u16,
    pub fwd: Fwd,
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub activeconns: u32,
    pub inactconns: u32,
    /// Templates bound to this server (PersistConn).
    pub persistconns: u32,
    /// `IP_VS_DEST_F_OVERLOAD`.
    pub overloaded: bool,
    /// `IP_VS_DEST_F_AVAILABLE`: in its service's list; false once deleted (in the trash).
    pub available: bool,
    pub stats: Stats,
    /// Rates for `ipvsadm -Ln --rate`, sampled by [`super::Ipvs::estimate`].
    pub est: RateEstimator,
    /// In the trash: when a run of the trash timer first found it unreferenced
    /// (`dest->idle_start`); `None` until then, and for a listed server.
    pub idle_start: Option<SimTime>,
}

impl Dest {
    /// `ip_vs_dest_conn_overhead`.
    pub fn overhead(&self, mode: Overhead) -> u64 {
        let a = self.activeconns as u64;
        let i = self.inactconns as u64;
        match mode {
            Overhead::Inactconns => a * 256 + i,
            Overhead::Totalconns => a * 256 + a + i,
        }
    }

    /// `ip_vs_dest_totalconns`: normal entries, templates excluded (what `-x`/`-y` count).
    pub fn totalconns(&self) -> u32 {
        self.activeconns + self.inactconns
    }

    /// The count below which OVERLOAD is cleared: `-y`, or `u − ⌊u/4⌋` when `-y` is 0 (the
    /// kernel's `totalconns·4 < u·3` says the same for integers).
    pub fn lower_threshold(&self) -> u32 {
        if self.l_threshold > 0 { self.l_threshold } else { self.u_threshold - self.u_threshold / 4 }
    }

    /// Entries and templates still bound to this server (what keeps it in the trash).
    pub(crate) fn refs(&self) -> u32 {
        self.activeconns + self.inactconns + self.persistconns
    }

    /// `ip_vs_bind_dest`: an entry was bound; the flag can only be set here.
    pub(crate) fn overload_on_bind(&mut self) {
        if self.u_threshold != 0 && self.totalconns() >= self.u_threshold {
            self.overloaded = true;
        }
    }

    /// `ip_vs_unbind_dest`: an entry went; the flag can only be cleared here.
    pub(crate) fn overload_on_unbind(&mut self) {
        if self.u_threshold == 0 || self.totalconns() < self.lower_threshold() {
            self.overloaded = false;
        }
    }

    /// `__ip_vs_dest_update_overload`: an add or edit re-evaluates the flag at once
    /// *(2026 change, 6.1.183 and later; older kernels only cleared it when `-x` was 0 or
    /// raised)*.
    pub(crate) fn update_overload(&mut self) {
        let conns = self.totalconns();
        if self.u_threshold == 0 {
            self.overloaded = false;
        } else if conns >= self.u_threshold {
            self.overloaded = true;
        } else if conns < self.lower_threshold() {
            self.overloaded = false;
        }
    }
}

/// A service's real servers in the kernel's list order (`svc->destinations`), the order
/// every scheduler walks and `ipvsadm -Ln` lists. `ip_vs_new_dest` puts a new server at
/// the head (`list_add_rcu`), so the list is stored newest-last and read backwards: adding
/// a server is a push, not a shift of every other one (building a service of 100,000
/// servers was quadratic). A set of (address, port) answers "Destination already exists"
/// without walking the list. Addresses and ports never change once a server is listed.
#[derive(Clone, Debug, Default)]
pub struct Dests {
    rev: Vec<Dest>,
    keys: rustc_hash::FxHashSet<(Ipv4Addr, u16)>,
}

impl Dests {
    pub fn len(&self) -> usize {
        self.rev.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rev.is_empty()
    }

    /// In list order, head first.
    pub fn iter(&self) -> std::iter::Rev<std::slice::Iter<'_, Dest>> {
        self.rev.iter().rev()
    }

    pub fn iter_mut(&mut self) -> std::iter::Rev<std::slice::IterMut<'_, Dest>> {
        self.rev.iter_mut().rev()
    }

    /// The head of the list (the newest server).
    pub fn first(&self) -> Option<&Dest> {
        self.rev.last()
    }

    pub fn get(&self, pos: usize) -> Option<&Dest> {
        self.rev.len().checked_sub(pos + 1).map(|i| &self.rev[i])
    }

    /// Is `addr:port` in the list (`ip_vs_lookup_dest`)?
    pub fn contains(&self, addr: Ipv4Addr, port: u16) -> bool {
        self.keys.contains(&(addr, port))
    }

    /// The list position of `addr:port`.
    pub fn position(&self, addr: Ipv4Addr, port: u16) -> Option<usize> {
        if !self.contains(addr, port) {
            return None;
        }
        self.iter().position(|d| d.addr == addr && d.port == port)
    }

    /// `list_add_rcu`: `d` becomes the head.
    pub fn push_head(&mut self, d: Dest) {
        self.keys.insert((d.addr, d.port));
        self.rev.push(d);
    }

    /// Links `d` in at list position `pos` (0 is the head).
    pub fn insert(&mut self, pos: usize, d: Dest) {
        self.keys.insert((d.addr, d.port));
        self.rev.insert(self.rev.len() - pos, d);
    }

    /// Unlinks the server at list position `pos`.
    pub fn remove(&mut self, pos: usize) -> Dest {
        let d = self.rev.remove(self.rev.len() - 1 - pos);
        self.keys.remove(&(d.addr, d.port));
        d
    }
}

impl std::ops::Index<usize> for Dests {
    type Output = Dest;
    fn index(&self, pos: usize) -> &Dest {
        &self.rev[self.rev.len() - 1 - pos]
    }
}

impl std::ops::IndexMut<usize> for Dests {
    fn index_mut(&mut self, pos: usize) -> &mut Dest {
        let n = self.rev.len();
        &mut self.rev[n - 1 - pos]
    }
}

impl<'a> IntoIterator for &'a Dests {
    type Item = &'a Dest;
    type IntoIter = std::iter::Rev<std::slice::Iter<'a, Dest>>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// From servers in list order, head first.
impl FromIterator<Dest> for Dests {
    fn from_iter<I: IntoIterator<Item = Dest>>(it: I) -> Self {
        let mut rev: Vec<Dest> = it.into_iter().collect();
        rev.reverse();
        let keys = rev.iter().map(|d| (d.addr, d.port)).collect();
        Dests { rev, keys }
    }
}

impl From<Vec<Dest>> for Dests {
    fn from(v: Vec<Dest>) -> Self {
        v.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a mut Dests {
    type Item = &'a mut Dest;
    type IntoIter = std::iter::Rev<std::slice::IterMut<'a, Dest>>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

impl IntoIterator for Dests {
    type Item = Dest;
    type IntoIter = std::iter::Rev<std::vec::IntoIter<Dest>>;
    fn into_iter(self) -> Self::IntoIter {
        self.rev.into_iter().rev()
    }
}
