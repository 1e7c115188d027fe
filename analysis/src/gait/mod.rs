//! Gait classification on 1-s blocks, from 6-s windows of the trunk motion,
//! by the *rhythm* of the motion (beat pattern and stride frequency), not its
//! intensity.
//!
//! For each window the normalised autocorrelation of the vertical, lateral
//! and forward acceleration is computed at every lag from 0.16 to 1.68 s
//! ([`autocorr`]).
//! - The *stride period* is the first lag where all three axes repeat (the
//!   mean of the three normalised autocorrelations peaks). At walk and trot
//!   the vertical signal repeats every half stride but the lateral sway only
//!   every full stride, so the half-stride lag scores about 1/3.
//! - *Stride check*: at the symmetrical gaits (walk, trot) the second half
//!   of a stride is the mirror image of the first (Hildebrand 1965): sagittal
//!   motion repeats every half stride, transverse motion (lateral sway,
//!   roll) repeats with its sign flipped; at every gait the roll therefore
//!   repeats once per stride. A candidate period at which the roll rate is
//!   anti-correlated is half a stride (lateral work or a weak lateral signal
//!   can make the mean peak there); one at half of which roll and vertical
//!   both repeat spans two strides.
//! - The *number of beats* per stride is read at half the stride period:
//!   walk and trot repeat vertically and longitudinally there, canter and
//!   gallop (asymmetrical, one vertical oscillation per stride) do not.
//! - Walk vs trot: by stride frequency (walk below ~1 Hz, trot above ~1.2 Hz,
//!   Barrey 1999; the walk–trot transition is a jump in stride frequency,
//!   Heglund & Taylor 1988); in between, the window's vertical intensity is
//!   compared with this horse's own walk and trot in the session
//!   ([`scale::HorseScale`]). Canter vs gallop at 2.0 Hz.
//! - Halt is told by the small vertical variance. Bursts (spooks, bucks,
//!   fences: ≤ 2 s of energy far above the surrounding seconds) are muted
//!   before the autocorrelations, so their windows read the surrounding
//!   gait ([`bursts`]).

mod autocorr;
mod boundaries;
mod bursts;
pub mod scale;

use crate::report::Gait;
use crate::resample::FS;
use autocorr::{LagSums, decimate};

/// Feature rate: the 50 Hz signals are averaged in pairs.
const FD: f64 = FS / 2.0;
/// Samples per 1-s block at the feature rate.
const BLOCK: usize = 25;
/// Blocks per window.
const WIN_BLOCKS: usize = 6;
const MIN_LAG: usize = 4;
const SEARCH_LAG: usize = 8;
const MAX_LAG: usize = 42;
/// Shortest bout kept, in blocks (seconds).
const MIN_RUN: usize = 4;
/// Vertical acceleration SD (m/s²) under which the horse stands.
const HALT_SD: f64 = 0.45;
/// Roll-rate autocorrelation at the candidate period under which that period
/// is half a stride (roll anti-correlated: the trunk rolls the other way).
const ROLL_HALF_STRIDE: f64 = -0.2;
/// Roll-rate (and vertical) autocorrelation at half the candidate period
/// above which the candidate spans two strides.
const ROLL_FULL_STRIDE: f64 = 0.5;

/// Beat pattern of one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rhythm {
    /// Standing: no periodic motion above the noise.
    Still,
    /// Two vertical oscillations per stride with repeating halves: walk or
    /// trot, told apart by stride frequency ([`scale::HorseScale`]).
    TwoBeat,
    /// One vertical oscillation per stride: canter or gallop.
    OneBeat,
}

/// What one block (1 s) of the segment looks like.
#[derive(Debug, Clone, Copy, Default)]
pub struct BlockFeature {
    pub label: Option<Gait>,
    pub rhythm: Option<Rhythm>,
    /// Stride frequency estimate (Hz), 0 when unknown.
    pub stride_hz: f64,
    /// Normalised autocorrelation at the stride period.
    pub regularity: f64,
    /// SD of the vertical acceleration over the window (m/s²).
    pub sd_v: f64,
}

/// A run of one gait inside a segment, in 50 Hz samples.
#[derive(Debug, Clone)]
pub struct Run {
    pub start: usize,
    pub end: usize,
    pub gait: Gait,
    pub stride_hz: f64,
    pub regularity: f64,
}

/// The decimated signals of one segment with their lagged sums.
struct Signals {
    v: LagSums,
    l: LagSums,
    f: LagSums,
    roll: LagSums,
}

/// Normalised autocorrelations of one window.
struct WindowCorr {
    rv: [f64; MAX_LAG + 1],
    rf: [f64; MAX_LAG + 1],
    /// Mean of vertical, lateral and forward.
    rc: [f64; MAX_LAG + 1],
}

impl WindowCorr {
    fn new(s: &Signals, w: usize) -> Self {
        let mut c = WindowCorr {
            rv: [0.0; MAX_LAG + 1],
            rf: [0.0; MAX_LAG + 1],
            rc: [0.0; MAX_LAG + 1],
        };
        c.rv = s.v.r_all(w);
        c.rf = s.f.r_all(w);
        let rl = s.l.r_all(w);
        let lags = c.rc.iter_mut().zip(&c.rv).zip(&rl).zip(&c.rf);
        for (((rc, rv), rl), rf) in lags.skip(MIN_LAG) {
            *rc = (rv + rl + rf) / 3.0;
        }
        c
    }

    /// The first peak of the mean within 85 % of the best one (lag, value).
    fn first_peak(&self) -> Option<usize> {
        let rc = &self.rc;
        let peaks: Vec<usize> = (SEARCH_LAG..MAX_LAG)
            .filter(|&k| rc[k] >= rc[k - 1] && rc[k] >= rc[k + 1])
            .collect();
        let best = peaks
            .iter()
            .map(|&k| rc[k])
            .fold(f64::NEG_INFINITY, f64::max);
        if best < 0.2 {
            return None;
        }
        peaks.into_iter().find(|&k| rc[k] >= 0.85 * best)
    }

    /// The highest peak of the mean within ±2 lags of `around` (or `around`).
    fn peak_near(&self, around: usize) -> usize {
        let (lo, hi) = (
            around.saturating_sub(2).max(SEARCH_LAG),
            (around + 2).min(MAX_LAG - 1),
        );
        (lo..=hi)
            .max_by(|&a, &b| self.rc[a].total_cmp(&self.rc[b]))
            .unwrap_or(around)
    }

    /// Lag `k` refined by a parabola through its neighbours (in samples).
    fn refined(&self, k: usize) -> f64 {
        let rc = &self.rc;
        let denom = rc[k - 1] - 2.0 * rc[k] + rc[k + 1];
        let shift = if denom.abs() > 1e-12 {
            (0.5 * (rc[k - 1] - rc[k + 1]) / denom).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        k as f64 + shift
    }
}

/// The stride lag after the roll check: side-to-side motion repeats once per
/// stride. Roll anti-correlated at `k` → `k` is half a stride (take the peak
/// near 2k); roll *and* vertical repeating at k/2 → `k` spans two strides
/// (take the peak near k/2). Otherwise `k`.
fn stride_checked(s: &Signals, c: &WindowCorr, w: usize, k: usize) -> usize {
    if 2 * k < MAX_LAG && s.roll.r_direct(w, k) < ROLL_HALF_STRIDE {
        return c.peak_near(2 * k);
    }
    let half = k.div_ceil(2);
    if half >= SEARCH_LAG
        && s.roll.r_direct(w, half) > ROLL_FULL_STRIDE
        && c.rv[half] > ROLL_FULL_STRIDE
    {
        return c.peak_near(half);
    }
    k
}

/// Classifies one window by its beat pattern: halt, unknown (no clear
/// period), two-beat (walk/trot, decided later against the horse's scale) or
/// one-beat (canter below 2.0 Hz, gallop above).
fn classify_window(s: &Signals, w: usize) -> BlockFeature {
    let sd_v = s.v.sd(w);
    if sd_v < HALT_SD {
        return BlockFeature {
            label: Some(Gait::Halt),
            rhythm: Some(Rhythm::Still),
            sd_v,
            ..Default::default()
        };
    }
    let unknown = BlockFeature {
        sd_v,
        ..Default::default()
    };
    let c = WindowCorr::new(s, w);
    let Some(mut k) = c.first_peak() else {
        return unknown;
    };
    k = stride_checked(s, &c, w, k);
    let period = c.refined(k);
    let half = ((period / 2.0).round() as usize).clamp(MIN_LAG, MAX_LAG);
    let stride_hz = FD / period;
    let (rhythm, label) = if c.rv[half] + c.rf[half] > 0.5 {
        (Rhythm::TwoBeat, None)
    } else if stride_hz < 2.0 {
        (Rhythm::OneBeat, Some(Gait::Canter))
    } else {
        (Rhythm::OneBeat, Some(Gait::Gallop))
    };
    BlockFeature {
        label,
        rhythm: Some(rhythm),
        stride_hz,
        regularity: c.rc[k].clamp(0.0, 1.0),
        sd_v,
    }
}

/// Per-block features of a segment (blocks at the edges copy the nearest
/// window); empty when the segment is shorter than a window. Two-beat blocks
/// are not labelled yet: [`scale::HorseScale::label`] decides walk or trot
/// once the whole session's blocks are known.
///
/// The signals are given as functions of the sample index (`n` samples), so
/// that they need not be stored at the full rate.
pub fn block_features(
    n: usize,
    vert: impl Fn(usize) -> f64,
    lat: impl Fn(usize) -> f64,
    fwd: impl Fn(usize) -> f64,
    roll: impl Fn(usize) -> f64,
) -> Vec<BlockFeature> {
    let signals = [decimate(n, vert), decimate(n, lat), decimate(n, fwd)];
    features_of_decimated(signals, decimate(n, roll))
}

/// [`block_features`] of the pair averages 0.5 · (x(2i) + x(2i + 1)) of
/// the vertical, lateral and forward acceleration and the roll rate (as
/// [`crate::orientation::HorseAccel::pair_means`] computes them in one pass
/// over the segment).
pub fn block_features_of_pairs(pairs: [Vec<f64>; 4]) -> Vec<BlockFeature> {
    let [v, l, f, r] = pairs.map(autocorr::detrended);
    features_of_decimated([v, l, f], r)
}

/// [`block_features`] from the decimated, detrended signals.
fn features_of_decimated(
    [mut v, mut l, mut f]: [Vec<f64>; 3],
    mut r: Vec<f64>,
) -> Vec<BlockFeature> {
    bursts::mute_bursts([&mut v, &mut l, &mut f], &mut r);
    let mut s = Signals {
        v: LagSums::new(v),
        l: LagSums::new(l),
        f: LagSums::new(f),
        roll: LagSums::new(r),
    };
    let nblocks = s.v.nblocks;
    let nwin = (nblocks + 1).saturating_sub(WIN_BLOCKS);
    let wins: Vec<BlockFeature> = (0..nwin)
        .map(|w| {
            for x in [&mut s.v, &mut s.l, &mut s.f] {
                x.advance(w);
            }
            classify_window(&s, w)
        })
        .collect();
    for x in [s.v, s.l, s.f, s.roll] {
        x.recycle();
    }
    if nwin == 0 {
        return Vec::new();
    }
    // Window w is centred on block w + WIN_BLOCKS/2.
    let off = WIN_BLOCKS / 2;
    (0..nblocks)
        .map(|b| wins[b.saturating_sub(off).min(nwin - 1)])
        .collect()
}

/// Majority vote over 5 blocks, unknown blocks filled from neighbours, short
/// runs absorbed by their longer neighbour, boundaries between gaits of
/// different intensity refined.
///
/// `vert(0..seg_len)` is the segment's vertical acceleration.
pub fn runs(features: &[BlockFeature], seg_len: usize, vert: impl Fn(usize) -> f64) -> Vec<Run> {
    let n = features.len();
    if n == 0 {
        return Vec::new();
    }
    let mut labels: Vec<Option<Gait>> = (0..n).map(|i| majority(features, i)).collect();
    fill_unknown(&mut labels);
    let Some(labels) = labels.into_iter().collect::<Option<Vec<Gait>>>() else {
        return Vec::new();
    };
    let mut rs: Vec<(usize, usize, Gait)> = Vec::new();
    for (i, g) in labels.iter().enumerate() {
        match rs.last_mut() {
            Some(r) if r.2 == *g => r.1 = i + 1,
            _ => rs.push((i, i + 1, *g)),
        }
    }
    absorb_short(&mut rs);
    let block = (FS as usize).max(1);
    let last = rs.len().saturating_sub(1);
    let mut out: Vec<Run> = rs
        .iter()
        .enumerate()
        .map(|(i, &(a, b, gait))| {
            let end = if i == last {
                seg_len
            } else {
                (b * block).min(seg_len)
            };
            run_of(&features[a..b], gait, a * block, end)
        })
        .collect();
    boundaries::refine_boundaries(&mut out, seg_len, vert);
    out
}

/// The most frequent label of the 5 blocks around `i` (ties to the lower
/// gait), `None` when none of them is labelled.
fn majority(features: &[BlockFeature], i: usize) -> Option<Gait> {
    let mut counts = [0usize; 5];
    for f in &features[i.saturating_sub(2)..(i + 3).min(features.len())] {
        if let Some(g) = f.label {
            counts[g as usize] += 1;
        }
    }
    let (best, c) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(i, c)| (*c, usize::MAX - i))
        .unwrap_or((0, &0));
    if *c == 0 { None } else { Some(Gait::ALL[best]) }
}

/// A run of `gait` over blocks `features`: median stride frequency and mean
/// regularity of its blocks that carry that label.
fn run_of(features: &[BlockFeature], gait: Gait, start: usize, end: usize) -> Run {
    let own = || features.iter().filter(|f| f.label == Some(gait));
    let fs: Vec<f64> = own()
        .filter(|f| f.stride_hz > 0.0)
        .map(|f| f.stride_hz)
        .collect();
    let reg: Vec<f64> = own().map(|f| f.regularity).collect();
    Run {
        start,
        end,
        gait,
        stride_hz: crate::filter::median(&fs),
        regularity: if reg.is_empty() {
            0.0
        } else {
            reg.iter().sum::<f64>() / reg.len() as f64
        },
    }
}

/// Unknown blocks take the label of the nearest known block (ties go to
/// the later one, which after a transition is the new gait).
fn fill_unknown(labels: &mut [Option<Gait>]) {
    let n = labels.len();
    let mut prev: Vec<Option<(usize, Gait)>> = vec![None; n];
    let mut last = None;
    for i in 0..n {
        if let Some(g) = labels[i] {
            last = Some((i, g));
        }
        prev[i] = last;
    }
    let mut next = None;
    for i in (0..n).rev() {
        if let Some(g) = labels[i] {
            next = Some((i, g));
            continue;
        }
        labels[i] = match (prev[i], next) {
            (Some((p, a)), Some((q, b))) => Some(if i - p < q - i { a } else { b }),
            (Some((_, a)), None) => Some(a),
            (None, Some((_, b))) => Some(b),
            (None, None) => None,
        };
    }
}

/// Runs shorter than [`MIN_RUN`] join a neighbour (the one of the same gait
/// on both sides, else the longer), shortest first.
fn absorb_short(rs: &mut Vec<(usize, usize, Gait)>) {
    loop {
        if rs.len() < 2 {
            return;
        }
        let Some((i, _)) = rs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.1 - r.0 < MIN_RUN)
            .min_by_key(|(_, r)| r.1 - r.0)
        else {
            return;
        };
        let len = |r: &(usize, usize, Gait)| r.1 - r.0;
        let target = match (i.checked_sub(1), rs.get(i + 1)) {
            (Some(p), Some(nx)) => {
                if rs[p].2 == nx.2 || len(&rs[p]) >= len(nx) {
                    p
                } else {
                    i + 1
                }
            }
            (Some(p), None) => p,
            (None, Some(_)) => i + 1,
            (None, None) => return,
        };
        let (a, b) = (rs[i].0.min(rs[target].0), rs[i].1.max(rs[target].1));
        rs[target] = (a, b, rs[target].2);
        rs.remove(i);
        // Merge equal neighbours.
        let mut j = 1;
        while j < rs.len() {
            if rs[j - 1].2 == rs[j].2 {
                rs[j - 1].1 = rs[j].1;
                rs.remove(j);
            } else {
                j += 1;
            }
        }
    }
}
