//! The one index sort under [`VecMap::from_unsorted`](super::VecMap::from_unsorted).

/// Sorts the positions `order` (a permutation of `0..n`) so that `less(a, b)`
/// holds for each neighbouring pair `a` before `b`. Not generic: every key type of
/// [`VecMap::from_unsorted`] shares this one routine, with its comparison behind a
/// `dyn` reference.
///
/// A heapsort: O(n log n) comparisons and swaps on every input (no quadratic case
/// a hostile order could hit), no recursion, no allocation, and a fraction of the
/// code of the standard library's sorts in the browser bundle (`sort_unstable`
/// alone: 2.9 KB of wasm); checked against `sort` by a property test.
#[inline(never)]
pub(super) fn sort_index(order: &mut [usize], less: &dyn Fn(usize, usize) -> bool) {
    let n = order.len();
    for root in (0..n / 2).rev() {
        sift_down(order, less, root, n);
    }
    for end in (1..n).rev() {
        order.swap(0, end);
        sift_down(order, less, 0, end);
    }
}

/// Moves `order[root]` down the max-heap `order[..end]` to its place.
fn sift_down(
    order: &mut [usize],
    less: &dyn Fn(usize, usize) -> bool,
    mut root: usize,
    end: usize,
) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(order[child], order[child + 1]) {
            child += 1;
        }
        if !less(order[root], order[child]) {
            return;
        }
        order.swap(root, child);
        root = child;
    }
}
