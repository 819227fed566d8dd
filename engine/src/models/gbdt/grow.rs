//! One regression tree on gradients and hessians, grown best-first: the open leaf whose best
//! split gains most is split next, until `max_leaf_nodes` leaves, `max_depth`,
//! `min_samples_leaf` or a lack of positive gain stop it (scikit-learn's
//! `TreeGrower`). A node's rows are a range of one index array, partitioned in place (stably,
//! so every range stays sorted and memory is read in order). Only the smaller child's histogram
//! is built from its rows; the larger one is its parent's minus the smaller's, computed in the
//! parent's buffer. Histogram buffers come from a pool kept across trees.

use super::hist::{self, BinnedRows, FeatureHist};
use super::{Node, Tree};
use crate::models::bins::{BinMapper, MISSING_BIN};

/// Smallest hessian sum a child may have (scikit-learn's `min_hessian_to_split`).
const MIN_HESSIAN: f64 = 1e-3;

/// The limits of one tree.
#[derive(Debug, Clone)]
pub struct TreeParams {
    pub max_leaf_nodes: usize,
    pub max_depth: Option<usize>,
    pub min_samples_leaf: usize,
    pub l2: f64,
    /// The learning rate, applied to leaf values.
    pub shrinkage: f64,
}

/// Sums of gradients, hessians and rows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    g: f64,
    h: f64,
    n: f64,
}

impl Sums {
    fn of(cell: &hist::Cell) -> Self {
        Self {
            g: f64::from(cell[0]),
            h: f64::from(cell[1]),
            n: f64::from(cell[2]),
        }
    }

    fn plus(self, o: Self) -> Self {
        Self {
            g: self.g + o.g,
            h: self.h + o.h,
            n: self.n + o.n,
        }
    }

    fn minus(self, o: Self) -> Self {
        Self {
            g: self.g - o.g,
            h: self.h - o.h,
            n: self.n - o.n,
        }
    }
}

/// The best split of a node.
#[derive(Debug, Clone, Copy)]
struct Split {
    gain: f64,
    feature: usize,
    bin: u8,
    missing_left: bool,
    left: Sums,
    right: Sums,
}

/// A leaf that may still be split.
#[derive(Debug, Clone, Copy)]
struct Open {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    slot: usize,
    split: Split,
}

/// A grown tree, its split bins (for predicting binned rows) and its leaves' row ranges in
/// [`Grower::rows`].
pub struct Grown {
    pub tree: Tree,
    pub bins: Vec<u8>,
    pub leaves: Vec<(usize, usize, f64)>,
}

/// Grows trees on one binned training set, reusing its buffers from tree to tree.
pub struct Grower<'a> {
    data: BinnedRows<'a>,
    has_missing: &'a [bool],
    mapper: &'a BinMapper,
    params: TreeParams,
    idx: Vec<u32>,
    scratch: Vec<u32>,
    pool: Vec<Vec<FeatureHist>>,
    free: Vec<usize>,
    wide: Vec<[f64; 3]>,
}

impl<'a> Grower<'a> {
    pub fn new(
        data: BinnedRows<'a>,
        has_missing: &'a [bool],
        mapper: &'a BinMapper,
        params: TreeParams,
    ) -> Self {
        let rows = data.data.len() / data.width.max(1);
        Self {
            data,
            has_missing,
            mapper,
            params,
            idx: Vec::with_capacity(rows),
            scratch: vec![0; rows],
            pool: Vec::new(),
            free: Vec::new(),
            wide: Vec::new(),
        }
    }

    /// The training rows (positions) of the range `start..end` of the last tree grown.
    pub fn rows(&self, start: usize, end: usize) -> &[u32] {
        &self.idx[start..end]
    }

    fn take_slot(&mut self) -> usize {
        if let Some(slot) = self.free.pop() {
            return slot;
        }
        self.pool.push(vec![[[0.0; 4]; 256]; self.data.width]);
        self.pool.len() - 1
    }

    /// Grows one tree on `gh` (gradient and hessian of every training row).
    pub fn grow(&mut self, gh: &[[f32; 2]]) -> Grown {
        let rows = gh.len();
        self.idx.clear();
        self.idx.extend(0..rows as u32);
        self.free.clear();
        self.free.extend((0..self.pool.len()).rev());
        let mut out = Grown {
            tree: Tree {
                nodes: vec![leaf(0.0)],
            },
            bins: vec![0],
            leaves: Vec::new(),
        };
        let root = self.take_slot();
        hist::build(&mut self.pool[root], &self.data, gh, None, &mut self.wide);
        let sums = self.node_sums(root);
        let mut open: Vec<Open> = Vec::new();
        self.consider(&mut out, &mut open, 0, (0, rows), 0, root, sums);
        let mut n_leaves = 1;
        while let Some(pos) = best(&open) {
            let o = open.swap_remove(pos);
            let s = o.split;
            let mid = self.partition(o.start, o.end, s.feature, s.bin, s.missing_left);
            let (nl, nr) = (mid - o.start, o.end - mid);
            let (left, right) = (out.tree.nodes.len(), out.tree.nodes.len() + 1);
            out.tree.nodes.extend([leaf(0.0), leaf(0.0)]);
            out.bins.extend([0, 0]);
            let missing_left = if self.has_missing[s.feature] {
                s.missing_left
            } else {
                nl > nr
            };
            out.tree.nodes[o.node] = Node {
                feature: s.feature as u32,
                threshold: self.mapper.threshold(s.feature, s.bin),
                missing_left,
                left: left as u32,
                right: right as u32,
                value: 0.0,
                gain: s.gain,
                cover: (o.end - o.start) as f64,
            };
            out.bins[o.node] = s.bin;
            n_leaves += 1;
            let depth = o.depth + 1;
            let lr = [
                (left, (o.start, mid), s.left),
                (right, (mid, o.end), s.right),
            ];
            let at_limit = n_leaves >= self.params.max_leaf_nodes
                || self.params.max_depth.is_some_and(|d| depth >= d);
            let min_split = 2 * self.params.min_samples_leaf;
            let splittable = |n: usize| !at_limit && n >= min_split;
            let (can_l, can_r) = (splittable(nl), splittable(nr));
            if !can_l && !can_r {
                self.free.push(o.slot);
                for (node, range, sums) in lr {
                    self.finish(&mut out, node, range, sums);
                }
            } else {
                // Build the smaller child; the parent's buffer becomes the larger one's.
                let (small, large) = if nl < nr {
                    (lr[0], lr[1])
                } else {
                    (lr[1], lr[0])
                };
                let slot = self.take_slot();
                let (a, b) = small.1;
                hist::build(
                    &mut self.pool[slot],
                    &self.data,
                    gh,
                    Some(&self.idx[a..b]),
                    &mut self.wide,
                );
                let (child, parent) = two(&mut self.pool, slot, o.slot);
                hist::subtract(parent, child, self.data.bins);
                for ((node, range, sums), slot) in [(small, slot), (large, o.slot)] {
                    if splittable(range.1 - range.0) {
                        self.consider(&mut out, &mut open, node, range, depth, slot, sums);
                    } else {
                        self.free.push(slot);
                        self.finish(&mut out, node, range, sums);
                    }
                }
            }
            if n_leaves >= self.params.max_leaf_nodes {
                for o in open.drain(..) {
                    let sums = Sums {
                        g: o.split.left.g + o.split.right.g,
                        h: o.split.left.h + o.split.right.h,
                        n: 0.0,
                    };
                    self.free.push(o.slot);
                    self.finish(&mut out, o.node, (o.start, o.end), sums);
                }
            }
        }
        out
    }

    /// Sums of a node from its histogram (one feature's cells cover every row).
    fn node_sums(&self, slot: usize) -> Sums {
        let Some(h) = self.pool[slot].first() else {
            return Sums::default();
        };
        let nb = self.data.bins.first().copied().unwrap_or(0).min(255);
        h[..nb]
            .iter()
            .chain([&h[usize::from(MISSING_BIN)]])
            .fold(Sums::default(), |s, c| s.plus(Sums::of(c)))
    }

    /// Finds the best split of a node: it stays open if one gains, else it becomes a leaf.
    #[allow(clippy::too_many_arguments)]
    fn consider(
        &mut self,
        out: &mut Grown,
        open: &mut Vec<Open>,
        node: usize,
        range: (usize, usize),
        depth: usize,
        slot: usize,
        sums: Sums,
    ) {
        let n = range.1 - range.0;
        let can = n >= 2 * self.params.min_samples_leaf
            && sums.h >= MIN_HESSIAN
            && self.params.max_depth.is_none_or(|d| depth < d)
            && self.params.max_leaf_nodes > 1;
        let split = if can {
            self.best_split(
                slot,
                Sums {
                    n: n as f64,
                    ..sums
                },
            )
        } else {
            None
        };
        match split {
            Some(split) => open.push(Open {
                node,
                start: range.0,
                end: range.1,
                depth,
                slot,
                split,
            }),
            None => {
                self.free.push(slot);
                self.finish(out, node, range, sums);
            }
        }
    }

    fn finish(&self, out: &mut Grown, node: usize, range: (usize, usize), sums: Sums) {
        let value = -sums.g / (sums.h + self.params.l2) * self.params.shrinkage;
        let value = if value.is_finite() { value } else { 0.0 };
        out.tree.nodes[node] = Node {
            cover: (range.1 - range.0) as f64,
            ..leaf(value)
        };
        out.leaves.push((range.0, range.1, value));
    }

    /// The split of highest positive gain over every feature and bin, trying missing values
    /// on both sides. (A branch-free, vectorised version of this scan measured no faster.)
    fn best_split(&self, slot: usize, total: Sums) -> Option<Split> {
        let lambda = self.params.l2;
        let min_n = self.params.min_samples_leaf as f64;
        let score = |s: Sums| s.g * s.g / (s.h + lambda);
        let parent = score(total);
        let mut best: Option<Split> = None;
        let mut best_gain = 0.0;
        for (f, (h, &nb)) in self.pool[slot].iter().zip(self.data.bins).enumerate() {
            let nb = nb.min(255);
            let missing = Sums::of(&h[usize::from(MISSING_BIN)]);
            let mut left = Sums::default();
            for (b, cell) in h[..nb].iter().enumerate() {
                left = left.plus(Sums::of(cell));
                let right = total.minus(left);
                if right.n < min_n {
                    break;
                }
                let mut consider = |l: Sums, r: Sums, missing_left: bool| {
                    if l.n >= min_n && r.n >= min_n && l.h >= MIN_HESSIAN && r.h >= MIN_HESSIAN {
                        let gain = score(l) + score(r) - parent;
                        if gain > best_gain {
                            best_gain = gain;
                            best = Some(Split {
                                gain,
                                feature: f,
                                bin: b as u8,
                                missing_left,
                                left: l,
                                right: r,
                            });
                        }
                    }
                };
                consider(left, right, false);
                if missing.n > 0.0 && b + 1 < nb {
                    let l = left.plus(missing);
                    consider(l, total.minus(l), true);
                }
            }
        }
        best
    }

    /// Stably partitions the rows `start..end`: those going left first. Returns where the
    /// right child starts.
    fn partition(
        &mut self,
        start: usize,
        end: usize,
        feature: usize,
        bin: u8,
        missing_left: bool,
    ) -> usize {
        let mut goes_left = [false; 256];
        goes_left[..=usize::from(bin)].fill(true);
        goes_left[usize::from(MISSING_BIN)] = missing_left;
        let rows = self.scratch.len();
        let column = self.data.columns.get(feature * rows..).unwrap_or(&[]);
        let region = &mut self.idx[start..end];
        let scratch = &mut self.scratch[..region.len()];
        let (mut nl, mut nr) = (0, 0);
        for k in 0..region.len() {
            let i = region[k];
            let left = goes_left[usize::from(column[i as usize])];
            region[nl] = i;
            scratch[nr] = i;
            nl += usize::from(left);
            nr += usize::from(!left);
        }
        region[nl..].copy_from_slice(&scratch[..nr]);
        start + nl
    }
}

fn leaf(value: f64) -> Node {
    Node {
        feature: 0,
        threshold: 0.0,
        missing_left: false,
        left: 0,
        right: 0,
        value,
        gain: 0.0,
        cover: 0.0,
    }
}

/// The open leaf of highest gain (first on ties).
fn best(open: &[Open]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, o) in open.iter().enumerate() {
        if best.is_none_or(|b| o.split.gain > open[b].split.gain) {
            best = Some(i);
        }
    }
    best
}

/// Two distinct buffers of the pool, mutably.
fn two(pool: &mut [Vec<FeatureHist>], a: usize, b: usize) -> (&[FeatureHist], &mut [FeatureHist]) {
    if a < b {
        let (lo, hi) = pool.split_at_mut(b);
        (&lo[a], &mut hi[0])
    } else {
        let (lo, hi) = pool.split_at_mut(a);
        (&hi[0], &mut lo[b])
    }
}
