//! The key order of schemaless objects that share a part (see [`crate::json::schemaless`]).
//!
//! Each object is written back with its own keys in its own order, so the fields of a shape must
//! come in an order every object merged into it has its keys in. Objects with optional keys
//! rarely show every key: one lacking `b` says nothing about where `b` goes among the keys it
//! has. So the order is kept as what objects showed — which key came before which, transitively
//! — and the fields are laid out in any order that keeps it; an object contradicting it (`b`
//! before `a` where another had `a` before `b`) does not fit.
//!
//! Cost: a bit set of at most [`ORDERED_KEYS`] bits per field; admitting an object costs a pass
//! over the fields per pair of its neighbouring keys that no object showed before.

/// Most fields a shape orders this way; wider objects share a part only with the same keys in
/// the same order.
pub const ORDERED_KEYS: usize = 128;

/// Which fields came before which (by position in the shape's field list).
#[derive(Debug, Clone, Default)]
pub struct KeyOrder {
    /// Per field, the fields some object had before it, transitively (bit `j`: position `j`).
    before: Vec<u128>,
    /// Whether every field is known to come after its neighbour before it: the order is total
    /// and no object can change it.
    pinned: bool,
}

/// The bit of position `p`.
fn bit(p: usize) -> u128 {
    1u128 << p
}

/// The positions below `p`.
fn below(p: usize) -> u128 {
    bit(p) - 1
}

impl KeyOrder {
    /// The order of one object's `len` keys: each after all the keys before it. Cost: `len`
    /// bit sets.
    pub fn total(len: usize) -> KeyOrder {
        KeyOrder {
            before: match len <= ORDERED_KEYS {
                true => (0..len).map(below).collect(),
                false => Vec::new(),
            },
            pinned: true,
        }
    }

    /// Records an object that had every field, in the fields' order (which then is total).
    /// Cost: nothing once pinned, a bit set per field the first time.
    pub fn pin(&mut self) {
        if !self.pinned {
            self.before
                .iter_mut()
                .enumerate()
                .for_each(|(p, b)| *b = below(p));
            self.pinned = true;
        }
    }

    /// Admits an object whose keys are at `positions` (in its own order) among `total` fields,
    /// positions from the current field count on being keys it adds. `false`, and nothing
    /// changed, where its order contradicts one seen before, or the fields would be more than
    /// [`ORDERED_KEYS`].
    pub fn admit(&mut self, total: usize, positions: impl Iterator<Item = usize>) -> bool {
        if total > ORDERED_KEYS || self.before.len() > total {
            return false;
        }
        let mut before = [0u128; ORDERED_KEYS];
        before[..self.before.len()].copy_from_slice(&self.before);
        let before = &mut before[..total];
        let mut previous = None;
        for p in positions {
            if let Some(q) = previous {
                if !precede(before, q, p) {
                    return false;
                }
            }
            previous = Some(p);
        }
        self.before.clear();
        self.before.extend_from_slice(before);
        self.pinned = (1..total).all(|p| before[p] & bit(p - 1) != 0);
        true
    }

    /// Where the fields' current order breaks the order seen, a new order of their positions
    /// that keeps it (the fields to move accordingly); `None` where it holds. Cost: a pass over
    /// the fields; a sort and a remap of every bit set where it does not hold.
    pub fn reorder(&mut self) -> Option<Vec<usize>> {
        if self.before.iter().enumerate().all(|(p, b)| b >> p == 0) {
            return None;
        }
        // A field comes after everything before it, and so after fewer fields than anything
        // after it: sorting by that count keeps the order.
        let mut order: Vec<usize> = (0..self.before.len()).collect();
        order.sort_by_key(|&p| self.before[p].count_ones());
        let mut moved_to = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            moved_to[old] = new;
        }
        let remap = |set: u128| {
            (0..moved_to.len())
                .filter(|&old| set & bit(old) != 0)
                .fold(0, |acc, old| acc | bit(moved_to[old]))
        };
        self.before = order.iter().map(|&old| remap(self.before[old])).collect();
        self.pinned = (1..self.before.len()).all(|p| self.before[p] & bit(p - 1) != 0);
        Some(order)
    }
}

/// Records that position `q` comes before `p`, keeping `before` transitively closed; `false`
/// where `p` already comes before `q` (or is `q`).
fn precede(before: &mut [u128], q: usize, p: usize) -> bool {
    if q == p || before[q] & bit(p) != 0 {
        return false;
    }
    if before[p] & bit(q) != 0 {
        return true;
    }
    let earlier = before[q] | bit(q);
    for (z, set) in before.iter_mut().enumerate() {
        if z == p || *set & bit(p) != 0 {
            *set |= earlier;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_seen_together_take_the_order_a_later_object_shows() {
        // Fields [d, e]: `e` was added by an object without `d`.
        let mut order = KeyOrder::total(1);
        assert!(order.admit(2, [1].into_iter()));
        assert!(!order.pinned);
        // An object with `e` before `d` is fine, and moves `e` first.
        assert!(order.admit(2, [1, 0].into_iter()));
        assert_eq!(order.reorder(), Some(vec![1, 0]));
        assert!(order.pinned);
        // Now `d` before `e` contradicts it.
        assert!(!order.admit(2, [1, 0].into_iter()));
        assert!(order.admit(2, [0, 1].into_iter()));
        assert_eq!(order.reorder(), None);
    }

    #[test]
    fn orders_are_transitive() {
        // a < b from one object, b < c from another: c before a contradicts them.
        let mut order = KeyOrder::total(2);
        assert!(order.admit(3, [1, 2].into_iter()));
        assert!(!order.admit(3, [2, 0].into_iter()));
        assert!(order.admit(3, [0, 2].into_iter()));
        assert_eq!(order.reorder(), None);
    }

    #[test]
    fn pinned_orders_admit_only_themselves() {
        let mut order = KeyOrder::total(3);
        assert!(!order.admit(3, [2, 1].into_iter()));
        assert!(order.admit(4, [0, 3, 2].into_iter()));
        let mut wide = KeyOrder::total(ORDERED_KEYS + 1);
        assert!(!wide.admit(ORDERED_KEYS + 1, [0, 1].into_iter()));
    }
}
