//! Rein (turning direction) from the yaw rate about the vertical. A 10 m
//! circle at trot turns at about 20°/s and a walk circle at ~9°/s, while a
//! straight line wanders by a few °/s; the yaw rate is smoothed over 2 s and
//! a sample counts as turning beyond ±4°/s. Positive yaw = turning left.
//! The samples are grouped into a timeline of left / right / straight
//! stretches (wobbles under 1 s merged); bouts take their rein shares from
//! it and symmetry is measured on its straight stretches.

use ndarray::ArrayView1;

use crate::report::ReinShare;

/// Yaw rate (deg/s) beyond which a sample counts as turning.
pub const TURN_THRESHOLD_DPS: f64 = 4.0;

/// One stretch of constant turning direction, in sample indexes `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
    pub rein: crate::report::Rein,
}

/// Shortest stretch kept (samples at 50 Hz): a shorter wobble of the smoothed
/// yaw rate across the threshold is merged into the stretch before it.
pub const MIN_SEGMENT: usize = 50;

/// The rein timeline of a segment: stretches left / right / straight from the
/// smoothed yaw rate, every sample covered, no stretch shorter than
/// [`MIN_SEGMENT`] unless the whole input is.
pub fn timeline(yaw_smooth: ArrayView1<f64>) -> Vec<Segment> {
    use crate::report::Rein;
    let class = |y: f64| {
        if y > TURN_THRESHOLD_DPS {
            Rein::Left
        } else if y < -TURN_THRESHOLD_DPS {
            Rein::Right
        } else {
            Rein::Straight
        }
    };
    let mut raw: Vec<Segment> = Vec::new();
    for (i, &y) in yaw_smooth.iter().enumerate() {
        let r = class(y);
        match raw.last_mut() {
            Some(s) if s.rein == r => s.end = i + 1,
            _ => raw.push(Segment {
                start: i,
                end: i + 1,
                rein: r,
            }),
        }
    }
    let mut out: Vec<Segment> = Vec::with_capacity(raw.len());
    for s in raw {
        match out.last_mut() {
            Some(p) if p.rein == s.rein => p.end = s.end,
            Some(p) if s.end - s.start < MIN_SEGMENT => p.end = s.end,
            Some(p) if p.end - p.start < MIN_SEGMENT => {
                // A short first stretch takes the direction of what follows.
                p.end = s.end;
                p.rein = s.rein;
            }
            _ => out.push(s),
        }
    }
    out
}

/// Share of `[a, b)` on each rein according to the timeline.
pub fn share_in(timeline: &[Segment], a: usize, b: usize) -> ReinShare {
    use crate::report::Rein;
    let n = b.saturating_sub(a);
    if n == 0 {
        return ReinShare {
            left: 0.0,
            right: 0.0,
            straight: 1.0,
        };
    }
    let (mut l, mut r) = (0usize, 0usize);
    for s in timeline {
        let o = s.end.min(b).saturating_sub(s.start.max(a));
        match s.rein {
            Rein::Left => l += o,
            Rein::Right => r += o,
            Rein::Straight => {}
        }
    }
    let n = n as f64;
    ReinShare {
        left: l as f64 / n,
        right: r as f64 / n,
        straight: (n - l as f64 - r as f64) / n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Rein;
    use ndarray::Array1;

    #[test]
    fn short_wobbles_merge_and_every_sample_is_covered() {
        let mut y = vec![0.0; 300];
        y[100..110].iter_mut().for_each(|v| *v = 10.0); // 0.2 s blip: merged
        y[150..250].iter_mut().for_each(|v| *v = -12.0); // 2 s right turn
        let t = timeline(Array1::from(y).view());
        assert_eq!(
            t.iter().map(|s| (s.start, s.end, s.rein)).collect::<Vec<_>>(),
            [(0, 150, Rein::Straight), (150, 250, Rein::Right), (250, 300, Rein::Straight)]
        );
        let sh = share_in(&t, 100, 200);
        assert_eq!((sh.left, sh.right, sh.straight), (0.0, 0.5, 0.5));
    }
}
