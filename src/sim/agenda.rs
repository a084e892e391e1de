//! The agenda: the one global event queue, ordered by `(time, insertion seq)`.
//!
//! Heap entries are 24 bytes (`time`, `seq`, slot); the events themselves sit in a slab so
//! sifting never moves a frame. Ties at the same instant pop in the order they were
//! scheduled, which makes a run deterministic. Scheduling into the past is an error.

use super::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Scheduling an event before the current time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event scheduled at {at} but the clock is already at {now}")]
pub struct InThePast {
    pub at: SimTime,
    pub now: SimTime,
}

pub struct Agenda<E> {
    heap: BinaryHeap<Reverse<(SimTime, u64, u32)>>,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    seq: u64,
    now: SimTime,
}

impl<E> Default for Agenda<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Agenda<E> {
    pub fn new() -> Self {
        Agenda { heap: BinaryHeap::new(), slab: Vec::new(), free: Vec::new(), seq: 0, now: SimTime::ZERO }
    }

    /// The time of the last popped event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse((t, _, _))| *t)
    }

    pub fn schedule(&mut self, at: SimTime, event: E) -> Result<(), InThePast> {
        if at < self.now {
            return Err(InThePast { at, now: self.now });
        }
        let slot = if let Some(s) = self.free.pop() {
            self.slab[s as usize] = Some(event);
            s
        } else {
            self.slab.push(Some(event));
            (self.slab.len() - 1) as u32
        };
        self.heap.push(Reverse((at, self.seq, slot)));
        self.seq += 1;
        Ok(())
    }

    /// Removes and returns the earliest event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let Reverse((at, _, slot)) = self.heap.pop()?;
        self.now = at;
        let ev = self.slab[slot as usize].take().expect("agenda slot holds an event");
        self.free.push(slot);
        Some((at, ev))
    }

    /// Iterates over waiting events in no particular order (for accounting only).
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.slab.iter().filter_map(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        // Two events at t=5 must come out in the order they went in: this is what makes
        // simultaneous frames deterministic.
        let mut a = Agenda::new();
        a.schedule(SimTime(5), "b").unwrap();
        a.schedule(SimTime(1), "a").unwrap();
        a.schedule(SimTime(5), "c").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| a.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert_eq!(a.now(), SimTime(5));
    }

    #[test]
    fn refuses_the_past() {
        // After the clock reached 10, scheduling at 9 is a bug in the caller, reported as such.
        let mut a = Agenda::new();
        a.schedule(SimTime(10), 0).unwrap();
        a.pop();
        assert_eq!(a.schedule(SimTime(9), 1), Err(InThePast { at: SimTime(9), now: SimTime(10) }));
        assert!(a.schedule(SimTime(10), 1).is_ok());
    }

    #[test]
    fn reuses_slots() {
        // The slab does not grow when events are popped as fast as they are pushed:
        // memory stays flat in run length.
        let mut a = Agenda::new();
        for i in 0..1000 {
            a.schedule(SimTime(i), i).unwrap();
            a.pop();
        }
        assert_eq!(a.slab.len(), 1);
    }
}
