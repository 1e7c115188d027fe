//! Bursts: brief violent events (spooks, bucks, a fence's take-off and
//! landing) are not gaits. A bout needs sustained periodic evidence, so a
//! second whose energy is far above the seconds on both sides of it, for
//! at most 1.5 s, is muted (set to 0) in the signals the gait is read from: the
//! windows around it are classified from the periodic motion that remains,
//! i.e. the surrounding gait. A change of gait raises the energy for good
//! (for longer) and is not a burst.
//!
//! The flagged spans (the burst and up to a second around it) are muted.
//! The energy is read over 1-s spans every quarter second (not only on the
//! 1-s block grid), so a burst of under a second is caught whole wherever it
//! falls.

use super::BLOCK;

/// Step of the 1-s energy spans, in feature samples (≈ 0.24 s).
const STEP: usize = BLOCK / 4;
/// Blocks on each side whose median energy sets the local level (4 s).
const SIDE_BLOCKS: usize = 4;
/// Energy ratio to the local median above which a span is violent
/// (≈ 2.4× the RMS: beyond any stride-to-stride variation).
const RATIO: f64 = 6.0;
/// Longest burst: a spook's shy or a buck lasts ≤ 0.8 s, a fence's take-off
/// to landing ≈ 1–1.3 s. The flagged 1-s spans around a burst of length d
/// cover up to d + 1 s, so they may cover at most 1.5 s + 1 s.
const MAX_SPAN_SAMPLES: usize = 5 * BLOCK / 2;

/// Mutes the bursts found in the summed energy of `detect` in every signal
/// of `detect` and `also` (all of the same length, at the feature rate).
pub(super) fn mute_bursts(mut detect: [&mut [f64]; 3], also: &mut [f64]) {
    let n = detect[0].len();
    let mut prefix = crate::recycle::take(n + 1);
    prefix[0] = 0.0;
    let mut acc = 0.0;
    if detect.iter().all(|x| x.len() == n) {
        // The three signals side by side, no bounds checks (same sums as below).
        let three = detect[0].iter().zip(detect[1].iter()).zip(detect[2].iter());
        for (p, ((v, l), f)) in prefix[1..].iter_mut().zip(three) {
            acc += v * v + l * l + f * f;
            *p = acc;
        }
    } else {
        for (i, p) in prefix[1..].iter_mut().enumerate() {
            acc += detect
                .iter()
                .map(|x| x.get(i).map_or(0.0, |v| v * v))
                .sum::<f64>();
            *p = acc;
        }
    }
    let spans = burst_spans(n, |a, e| prefix[e.min(n)] - prefix[a.min(n)]);
    crate::recycle::give(prefix);
    for (a, e) in spans {
        for x in detect.iter_mut().map(|x| &mut **x).chain([&mut *also]) {
            let end = e.min(x.len());
            if a < end {
                x[a..end].iter_mut().for_each(|v| *v = 0.0);
            }
        }
    }
}

/// Sample ranges `[a, e)` of the bursts in a signal of `n` samples, from
/// the energy of any range.
fn burst_spans(n: usize, energy: impl Fn(usize, usize) -> f64) -> Vec<(usize, usize)> {
    if n < BLOCK {
        return Vec::new();
    }
    let starts: Vec<usize> = (0..=n - BLOCK).step_by(STEP).collect();
    let e: Vec<f64> = (0..n / BLOCK)
        .map(|b| energy(b * BLOCK, (b + 1) * BLOCK))
        .collect();
    // Median of the blocks before block c, computed once per block (spans
    // share them). The blocks from b on are those before b + SIDE_BLOCKS
    // (the same call, so the same median): one list serves both sides.
    let before: Vec<f64> = (0..=e.len() + SIDE_BLOCKS)
        .map(|c| side_level(&e, c.saturating_sub(SIDE_BLOCKS), c))
        .collect();
    let level =
        |b: usize, a: usize| before[b.min(e.len())].max(before[a.min(e.len()) + SIDE_BLOCKS]);
    let mut flags: Vec<bool> = starts
        .iter()
        .map(|&a| energy(a, a + BLOCK) > RATIO * level(a / BLOCK, (a + BLOCK).div_ceil(BLOCK)))
        .collect();
    clear_long_stretches(&mut flags);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (&a, _) in starts.iter().zip(&flags).filter(|(_, f)| **f) {
        match spans.last_mut() {
            Some(last) if a <= last.1 => last.1 = a + BLOCK,
            _ => spans.push((a, a + BLOCK)),
        }
    }
    spans
}

/// Median energy of blocks `[a, e)` (clipped to the segment), 0 if none.
/// The level around a span is the larger of the medians of up to
/// [`SIDE_BLOCKS`] blocks before it and after it: a burst stands out from
/// both sides; the first seconds of a more intense gait do not stand out
/// from the seconds after them.
fn side_level(e: &[f64], a: usize, end: usize) -> f64 {
    let v = &e[a.min(e.len())..end.min(e.len())];
    if v.is_empty() {
        0.0
    } else {
        crate::filter::median(v)
    }
}

/// Flagged spans covering more than [`MAX_SPAN_SAMPLES`] in a row are a
/// sustained change, not a burst: unflag them.
fn clear_long_stretches(flags: &mut [bool]) {
    let mut i = 0;
    while i < flags.len() {
        if !flags[i] {
            i += 1;
            continue;
        }
        let end = (i..flags.len()).find(|&j| !flags[j]).unwrap_or(flags.len());
        if (end - i - 1) * STEP + BLOCK > MAX_SPAN_SAMPLES {
            flags[i..end].iter_mut().for_each(|f| *f = false);
        }
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_spike_is_muted_a_step_is_not() {
        let n = 30 * BLOCK;
        let wave = |i: usize| (i as f64 * 0.9).sin();
        let mut v: Vec<f64> = (0..n).map(wave).collect();
        // 0.6 s spike straddling blocks 10 and 11.
        let spike = 10 * BLOCK + 18..10 * BLOCK + 33;
        for x in &mut v[spike.clone()] {
            *x *= 8.0;
        }
        // A lasting rise from block 20 on.
        for x in &mut v[20 * BLOCK..] {
            *x *= 4.0;
        }
        let (mut l, mut f, mut r) = (v.clone(), vec![0.0; n], vec![1.0; n]);
        mute_bursts([&mut v, &mut l, &mut f], &mut r);
        assert!(v[spike.clone()].iter().all(|&x| x == 0.0));
        assert!(r[spike].iter().all(|&x| x == 0.0));
        assert!(v[..9 * BLOCK].iter().any(|&x| x != 0.0));
        assert_eq!(
            v[13 * BLOCK..],
            (13 * BLOCK..n)
                .map(|i| wave(i) * if i >= 20 * BLOCK { 4.0 } else { 1.0 })
                .collect::<Vec<_>>()[..]
        );
    }

    #[test]
    fn short_and_flat_signals_are_left_alone() {
        let mut z = vec![0.0; 5 * BLOCK];
        let mut z2 = z.clone();
        let (mut a, mut b) = (z.clone(), z.clone());
        mute_bursts([&mut z, &mut a, &mut b], &mut z2);
        assert!(z.iter().all(|&x| x == 0.0));
        let mut e: Vec<f64> = Vec::new();
        let (mut e1, mut e2, mut e3) = (e.clone(), e.clone(), e.clone());
        mute_bursts([&mut e, &mut e1, &mut e2], &mut e3);
    }
}
