//! Walk or trot for two-beat windows: by stride frequency first, with the
//! vertical intensity only as a tie-breaker measured against this horse's
//! own walk and trot in the session.
//!
//! Both walk and trot move the trunk up and down twice per stride, so the
//! beat pattern alone does not separate them; the stride frequency does:
//! walk strides run at ~0.8–1.0 Hz and trot strides at ~1.2–1.6 Hz, and a
//! horse changes from walk to trot with a jump in stride frequency (Barrey
//! 1999; Heglund & Taylor 1988; Clayton 1994, 1995 for collected to extended
//! walk and trot). Intensity is not a gait criterion: a big horse's extended
//! walk moves the trunk as much as a pony's trot. Only between
//! [`WALK_MAX_HZ`] and [`TROT_MIN_HZ`] (small horses walk faster, big ones
//! trot slower: stride frequency scales with body size, Heglund et al. 1974)
//! is the window's vertical acceleration SD compared, on a log scale, with
//! the median SD of the session's unambiguous walk and trot windows.

use super::{BlockFeature, Rhythm};
use crate::report::Gait;

/// Two-beat windows at or below this stride frequency are walk.
pub const WALK_MAX_HZ: f64 = 1.02;
/// Two-beat windows at or above this stride frequency are trot.
pub const TROT_MIN_HZ: f64 = 1.18;
/// Windows needed for a reference (seconds of unambiguous walk or trot).
const MIN_REFERENCE: usize = 15;
/// Trot/walk intensity ratio taken as the midpoint when only one of the two
/// references exists (trot displaces the trunk about twice as far at ~1.4×
/// the frequency: ~4× the acceleration; the geometric midpoint is 2×).
const ONE_SIDED_RATIO: f64 = 2.0;

/// This horse's vertical intensity at walk and at trot in this session.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HorseScale {
    /// Median vertical acceleration SD (m/s²) of the unambiguous walk windows.
    pub walk_sd: Option<f64>,
    /// Same for trot.
    pub trot_sd: Option<f64>,
}

impl HorseScale {
    /// The references from every segment's block features.
    pub fn from_features<'a>(segments: impl IntoIterator<Item = &'a [BlockFeature]>) -> Self {
        let (mut walk, mut trot) = (Vec::new(), Vec::new());
        for f in segments.into_iter().flatten() {
            if f.rhythm != Some(Rhythm::TwoBeat) {
                continue;
            }
            if f.stride_hz <= WALK_MAX_HZ {
                walk.push(f.sd_v);
            } else if f.stride_hz >= TROT_MIN_HZ {
                trot.push(f.sd_v);
            }
        }
        let reference = |v: &[f64]| (v.len() >= MIN_REFERENCE).then(|| crate::filter::median(v));
        HorseScale {
            walk_sd: reference(&walk),
            trot_sd: reference(&trot),
        }
    }

    /// Walk or trot for a two-beat window.
    pub fn walk_or_trot(&self, stride_hz: f64, sd_v: f64) -> Gait {
        if stride_hz <= WALK_MAX_HZ {
            return Gait::Walk;
        }
        if stride_hz >= TROT_MIN_HZ {
            return Gait::Trot;
        }
        let mid = match (self.walk_sd, self.trot_sd) {
            (Some(w), Some(t)) if t > w => Some((w * t).sqrt()),
            (Some(w), None) => Some(w * ONE_SIDED_RATIO),
            (None, Some(t)) => Some(t / ONE_SIDED_RATIO),
            _ => None,
        };
        let trot = match mid {
            Some(m) => sd_v > m,
            None => stride_hz > 0.5 * (WALK_MAX_HZ + TROT_MIN_HZ),
        };
        if trot { Gait::Trot } else { Gait::Walk }
    }

    /// Labels the two-beat blocks.
    pub fn label(&self, features: &mut [BlockFeature]) {
        for f in features {
            if f.rhythm == Some(Rhythm::TwoBeat) {
                f.label = Some(self.walk_or_trot(f.stride_hz, f.sd_v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_beat(stride_hz: f64, sd_v: f64) -> BlockFeature {
        BlockFeature {
            rhythm: Some(Rhythm::TwoBeat),
            stride_hz,
            sd_v,
            ..Default::default()
        }
    }

    /// A big horse's strong walk stays walk; intensity only breaks ties.
    #[test]
    fn frequency_decides_intensity_breaks_ties() {
        let mut fs: Vec<BlockFeature> = (0..40).map(|_| two_beat(0.9, 3.5)).collect();
        fs.extend((0..40).map(|_| two_beat(1.4, 9.0)));
        let s = HorseScale::from_features([&fs[..]]);
        assert_eq!(s.walk_sd, Some(3.5));
        assert_eq!(s.walk_or_trot(0.95, 12.0), Gait::Walk);
        assert_eq!(s.walk_or_trot(1.3, 1.0), Gait::Trot);
        assert_eq!(s.walk_or_trot(1.1, 4.0), Gait::Walk);
        assert_eq!(s.walk_or_trot(1.1, 8.0), Gait::Trot);
        assert_eq!(HorseScale::default().walk_or_trot(1.05, 9.0), Gait::Walk);
        assert_eq!(HorseScale::default().walk_or_trot(1.15, 1.0), Gait::Trot);
    }
}
