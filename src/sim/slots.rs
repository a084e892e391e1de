//! A generational slot table: values in reusable slots, found by a [`Key`] that carries
//! the generation of the slot's occupant, so a key kept past its value's removal (a timer
//! event of a closed socket, of an expired connection entry) finds nothing instead of the
//! slot's next occupant. The engine's TCP control blocks and IPVS's connection entries live
//! in one each.
//!
//! A slot's generation is bumped each time its occupant changes (a value put in, a value
//! taken out); freed slots are reused last freed first (a stack), so the same operations
//! always give the same keys.

/// A handle on a value of a [`Slots`]: its slot and the generation of its occupant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub index: u32,
    pub generation: u32,
}

/// Values by slot; see the module documentation. Values and generations are kept in two
/// vectors, not as (generation, value) pairs: a pair would round up to the value's
/// alignment (an 88-byte connection entry would take 96 bytes instead of 88 + 4).
#[derive(Clone, Debug)]
pub struct Slots<T> {
    values: Vec<Option<T>>,
    generations: Vec<u32>,
    free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots { values: Vec::new(), generations: Vec::new(), free: Vec::new() }
    }
}

impl<T> Slots<T> {
    /// Puts the value `make(key)` in a free slot (the last freed, else a new one) and
    /// returns its key; `make` sees the key, for values that keep their own.
    pub fn insert_with(&mut self, make: impl FnOnce(Key) -> T) -> Key {
        let index = self.free.pop().unwrap_or_else(|| {
            self.values.push(None);
            self.generations.push(0);
            (self.values.len() - 1) as u32
        });
        let i = index as usize;
        self.generations[i] = self.generations[i].wrapping_add(1);
        let key = Key { index, generation: self.generations[i] };
        self.values[i] = Some(make(key));
        key
    }

    pub fn insert(&mut self, value: T) -> Key {
        self.insert_with(|_| value)
    }

    /// The value of `key`, if it is still there (not removed, its slot not reused).
    pub fn get(&self, key: Key) -> Option<&T> {
        let i = key.index as usize;
        if *self.generations.get(i)? == key.generation { self.values[i].as_ref() } else { None }
    }

    pub fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        let i = key.index as usize;
        if *self.generations.get(i)? == key.generation { self.values[i].as_mut() } else { None }
    }

    /// Whatever value slot `index` holds now.
    pub fn at(&self, index: u32) -> Option<&T> {
        self.values.get(index as usize)?.as_ref()
    }

    pub fn at_mut(&mut self, index: u32) -> Option<&mut T> {
        self.values.get_mut(index as usize)?.as_mut()
    }

    /// The key of slot `index`'s value, if it holds one.
    pub fn key_at(&self, index: u32) -> Option<Key> {
        let i = index as usize;
        self.values.get(i)?.as_ref().map(|_| Key { index, generation: self.generations[i] })
    }

    /// Takes the value out of slot `index` and frees the slot.
    pub fn remove_at(&mut self, index: u32) -> Option<T> {
        let i = index as usize;
        let v = self.values.get_mut(i)?.take()?;
        self.generations[i] = self.generations[i].wrapping_add(1);
        self.free.push(index);
        Some(v)
    }

    /// Takes `key`'s value out, if it is still there, and frees its slot.
    pub fn remove(&mut self, key: Key) -> Option<T> {
        self.get(key)?;
        self.remove_at(key.index)
    }

    /// Removes every value (as [`Slots::remove_at`] each), so keys of the old values stay
    /// stale, and makes slot 0 the next one taken, as in a fresh table.
    pub fn clear(&mut self) {
        for (v, g) in self.values.iter_mut().zip(&mut self.generations) {
            if v.take().is_some() {
                *g = g.wrapping_add(1);
            }
        }
        self.free = (0..self.values.len() as u32).rev().collect();
    }

    /// Slots in use and free (the table's length).
    pub fn capacity(&self) -> usize {
        self.values.len()
    }

    /// Live values in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, &T)> {
        self.values
            .iter()
            .zip(&self.generations)
            .enumerate()
            .filter_map(|(i, (v, &generation))| v.as_ref().map(|v| (Key { index: i as u32, generation }, v)))
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.values.iter_mut().filter_map(Option::as_mut)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_key_finds_nothing() {
        // a goes, b reuses its slot: the removal and the insert each bumped the generation,
        // so a's key finds neither a nor b, and removing with it removes nothing.
        let mut s = Slots::default();
        let a = s.insert("a");
        assert_eq!(s.remove(a), Some("a"));
        let b = s.insert("b");
        assert_eq!((b.index, b.generation), (a.index, a.generation + 2));
        assert_eq!((s.get(a), s.get(b)), (None, Some(&"b")));
        assert_eq!(s.remove(a), None);
        assert_eq!(s.at(a.index), Some(&"b"));
    }

    #[test]
    fn freed_slots_are_reused_last_freed_first() {
        // Slots 0, 1, 2; free 0 then 2: the next two inserts take 2, then 0, then a new 3.
        let mut s = Slots::default();
        let k: Vec<Key> = (0..3).map(|i| s.insert(i)).collect();
        s.remove(k[0]);
        s.remove(k[2]);
        let next: Vec<u32> = (0..3).map(|i| s.insert(10 + i).index).collect();
        assert_eq!(next, [2, 0, 3]);
        assert_eq!(s.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [11, 1, 10, 12]);
    }

    #[test]
    fn clear_keeps_generations() {
        // After a clear the old keys stay stale even once their slots are used again.
        let mut s = Slots::default();
        let a = s.insert(1);
        let b = s.insert(2);
        s.clear();
        assert_eq!(s.iter().count(), 0);
        let c = s.insert_with(|k| k.index * 100);
        // Slot 0 is taken first, as in a fresh table; its generation went 1 (insert), 2 (clear), 3.
        assert_eq!((c, s.get(c)), (Key { index: 0, generation: 3 }, Some(&0)));
        assert_eq!((s.get(a), s.get(b), s.key_at(1)), (None, None, None));
    }
}
