//! Hoofbeat session analysis: gaits, cadence, rein balance, canter lead, trot
//! symmetry and jumps from one girth IMU, plus the offline `hoofbeat` CLI.
//!
//! The library is pure: [`analyze`] takes a decoded [`Recording`] and returns a
//! [`SessionAnalysis`]; [`to_json`] gives the canonical bytes the worker stores.
//! [`analyze_samples`] does the same on borrowed columns ([`Samples`]), for
//! callers that hold the samples elsewhere (the Python package).
//!
//! Where things live (in pipeline order):
//! - [`resample`]: validation, gap splitting (> 1 s), uniform 50 Hz grid.
//! - `recycle`: the resampled rows handed from one analysis to the next.
//! - [`orientation`]: mount tilt from gravity, mount heading from turns, gyro
//!   bias; rotation into the horse frame (x forward, y left, z up).
//! - [`gait`]: per-second gait labels from the rhythm (beat pattern, stride
//!   frequency) of windowed autocorrelations, bursts muted, bouts.
//! - [`stride`]: beats, stride frequency, stride count, displacement profiles.
//! - [`rein`]: turning direction from the yaw rate.
//! - [`lead`]: canter/gallop lead from the roll phase (lateral sway vetoes).
//! - [`symmetry`]: MinDiff/MaxDiff on straight trot.
//! - [`jumps`]: take-off → air → landing patterns; flight = no ground contact.
//! - `aggregate`: VeDBA, per-gait summaries, symmetry stretches and their
//!   stride-weighted combination.
//! - [`report`]: the result document and its canonical JSON.
//! - [`synth`]: physics-based generator of sessions with ground truth.
//! - [`eval`]: scoring of the analysis against generated ground truth.
//! - [`chart`]: the session chart as SVG (API, console and CLI share it).
//! - [`cli`]: the `hoofbeat` command line (the binary is a thin wrapper).
//! - `export` (cargo feature `parquet`, on by default): `hoofbeat analyze
//!   --format parquet`, the analyses of many files as Parquet tables.

use rayon::prelude::*;
use shared::sensor::Recording;

mod aggregate;
pub mod chart;
pub mod cli;
pub mod cli_generate;
pub mod cli_table;
pub mod cli_trend;
pub mod eval;
pub mod eval_trend;
pub mod eval_wide;
#[cfg(feature = "parquet")]
pub mod export;
pub mod features;
pub mod filter;
pub mod gait;
pub mod jumps;
pub mod lead;
pub mod orientation;
mod recycle;
pub mod rein;
pub mod report;
pub mod resample;
mod samples;
pub mod stride;
pub mod symmetry;
pub mod synth;

pub use report::{
    Bout, Gait, GaitSummary, Gap, Jump, Lead, Quality, Rein, ReinSegment, ReinShare,
    SessionAnalysis, Symmetry, SymmetryStretch, Workload, to_json,
};

use aggregate::{combine, straight_stretches, summarise, vedba_sum};
use orientation::HorseSegment;
use report::round;
use resample::FS;
pub use samples::Samples;

/// Version of the algorithms; stored with every result so that results can be
/// recomputed when it changes.
pub const ALGORITHM_VERSION: &str = "aggregation/1.5.0";

/// Why a recording cannot be analysed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnalysisError {
    #[error("the time and sensor columns have different lengths")]
    LengthMismatch,
    #[error("timestamps are not strictly increasing at sample {index}")]
    NonIncreasingTime { index: usize },
    #[error("non-finite value at sample {index}")]
    NonFinite { index: usize },
    #[error("session lasts {duration_s:.0} s, more than the 4-hour limit")]
    TooLong { duration_s: f64 },
}

/// What one segment contributes.
#[derive(Debug, Default)]
struct SegmentResult {
    bouts: Vec<Bout>,
    stretches: Vec<SymmetryStretch>,
    timeline: Vec<ReinSegment>,
    jumps: Vec<Jump>,
    transitions: u32,
    vedba_sum: f64,
    samples: usize,
}

/// Analyses one session. Pure and deterministic; never panics.
pub fn analyze(rec: &Recording) -> Result<SessionAnalysis, AnalysisError> {
    analyze_samples(Samples::from(rec))
}

/// [`analyze`] on borrowed columns: the same result for the same values,
/// without copying them into a [`Recording`] first.
pub fn analyze_samples(rec: Samples<'_>) -> Result<SessionAnalysis, AnalysisError> {
    let rec = &rec;
    let (peaks, scan) = resample::check(rec)?;
    let mut rs = resample::resample_checked(rec, &peaks, &scan);
    let first = orientation::estimate(&rs.segments);
    // Second pass: the mount heading from the fore-aft oscillation of the
    // walk and trot found with the first estimate.
    let mut first_features: Vec<Vec<gait::BlockFeature>> = rs
        .segments
        .par_iter()
        .map(|seg| {
            let h = orientation::HorseAccel::new(seg, &first);
            gait::block_features_of_pairs(h.pair_means())
        })
        .collect();
    // Walk or trot needs this horse's own walk and trot intensity (session-wide).
    let scale = gait::scale::HorseScale::from_features(first_features.iter().map(|f| &f[..]));
    let first_runs: Vec<Vec<gait::Run>> = rs
        .segments
        .par_iter()
        .zip(first_features.par_iter_mut())
        .map(|(seg, features)| {
            let h = orientation::HorseAccel::new(seg, &first);
            scale.label(features);
            gait::runs(features, h.len(), |i| h.vert(i))
        })
        .collect();
    drop(first_features);
    let two_beat: Vec<Vec<(usize, usize, f64)>> = first_runs
        .iter()
        .map(|runs| {
            runs.iter()
                .filter(|r| matches!(r.gait, Gait::Walk | Gait::Trot))
                .map(|r| (r.start, r.end, 2.0 * r.stride_hz))
                .collect()
        })
        .collect();
    let mount = orientation::refine_heading(&rs.segments, &first, &two_beat);
    // Gait labels barely depend on a few degrees of heading: keep the first
    // pass's runs unless the heading moved by more than 10°.
    let reuse = (mount.heading_deg - first.heading_deg).abs() < 10.0;
    let analysed_s: f64 = rs.segments.iter().map(|s| s.len() as f64 / FS).sum();
    // The segments are rotated in place: each becomes its horse-frame
    // version, so no second copy of the session is made.
    let results: Vec<SegmentResult> = std::mem::take(&mut rs.segments)
        .into_par_iter()
        .zip(first_runs)
        .map(|(seg, runs)| {
            let hs = orientation::to_horse(seg, &mount);
            let result = analyse_segment(&hs, reuse.then_some(runs), &scale, rec);
            hs.recycle();
            result
        })
        .collect();

    let mut bouts = Vec::new();
    let mut stretches = Vec::new();
    let mut timeline = Vec::new();
    let mut jumps = Vec::new();
    let (mut transitions, mut vedba, mut samples) = (0u32, 0.0, 0usize);
    for r in results {
        bouts.extend(r.bouts);
        stretches.extend(r.stretches);
        timeline.extend(r.timeline);
        jumps.extend(r.jumps);
        transitions += r.transitions;
        vedba += r.vedba_sum;
        samples += r.samples;
    }
    let gaits = summarise(&bouts, analysed_s);
    let symmetry = combine(&stretches);
    let workload = Workload {
        gait_weighted_min: round(
            bouts
                .iter()
                .map(|b| b.duration_s() / 60.0 * b.gait.workload_weight())
                .sum(),
            2,
        ),
        mean_vedba_g: round(
            if samples > 0 {
                vedba / samples as f64
            } else {
                0.0
            },
            4,
        ),
        total_vedba_gs: round(vedba / FS, 1),
    };
    let gap_s: f64 = rs.gaps.iter().map(|g| g.end_s - g.start_s).sum();
    let live = (rs.duration_s - gap_s).max(0.0);
    let quality = Quality {
        samples: rs.samples,
        duration_s: round(rs.duration_s, 3),
        analysed_s: round(analysed_s, 3),
        effective_rate_hz: round(
            if live > 0.0 {
                (rs.samples.saturating_sub(1 + rs.gaps.len() as u64)) as f64 / live
            } else {
                0.0
            },
            2,
        ),
        gaps: rs
            .gaps
            .iter()
            .map(|g| Gap {
                start_s: round(g.start_s, 3),
                end_s: round(g.end_s, 3),
            })
            .collect(),
        short_gaps: rs.short_gaps,
        clipped_samples: rs.clipped_samples,
        mount_tilt_deg: round(mount.tilt_deg, 1),
        mount_heading_deg: round(mount.heading_deg, 1),
        heading_estimated: mount.heading_estimated,
    };
    Ok(SessionAnalysis {
        algorithm_version: ALGORITHM_VERSION.to_string(),
        bouts,
        gaits,
        symmetry,
        symmetry_stretches: stretches,
        rein_timeline: timeline,
        jumps,
        transitions,
        workload,
        quality,
    })
}

fn analyse_segment(
    hs: &HorseSegment,
    runs: Option<Vec<gait::Run>>,
    scale: &gait::scale::HorseScale,
    rec: &Samples<'_>,
) -> SegmentResult {
    let mut out = SegmentResult {
        samples: hs.len(),
        ..Default::default()
    };
    if hs.is_empty() {
        return out;
    }
    let w = (2.0 * FS) as usize;
    out.vedba_sum = vedba_sum(hs, w);
    let runs = runs.unwrap_or_else(|| {
        let (vert, lat, fwd, roll) = (hs.vert(), hs.lat(), hs.fwd(), hs.roll());
        let mut features =
            gait::block_features(hs.len(), |i| vert[i], |i| lat[i], |i| fwd[i], |i| roll[i]);
        scale.label(&mut features);
        gait::runs(&features, hs.len(), |i| vert[i])
    });
    let yaw_smooth = filter::moving_mean(hs.yaw(), w);
    let seg_end = hs.time((hs.len() - 1) as f64);
    let turns = rein::timeline(yaw_smooth.view());
    out.timeline = turns
        .iter()
        .map(|t| ReinSegment {
            start_s: round(hs.time(t.start as f64), 3),
            end_s: round(hs.time(t.end as f64).min(seg_end), 3),
            rein: t.rein,
        })
        .collect();
    // Fences first: their take-off, flight and landing are not strides.
    // Their edges on the recording's own samples where resampling interpolated.
    let fences_flights = jumps::detect_with(hs.amag.view(), |lo, hi| {
        jumps::raw_window_samples(rec, hs.start_s, lo, hi)
    });
    let fences: Vec<(f64, f64)> = fences_flights
        .iter()
        .map(|f| {
            (
                f.takeoff - stride::FENCE_BEFORE_S * FS,
                f.landing + stride::FENCE_AFTER_S * FS,
            )
        })
        .collect();
    let mut strides = Vec::with_capacity(runs.len());
    let infos = stride::analyse_runs(hs.vert(), &runs, &fences);
    for (run, info) in runs.iter().zip(infos) {
        let range = run.start..run.end;
        let (a, b) = (range.start, range.end);
        let rein = rein::share_in(&turns, range.start, range.end);
        let rein = if run.gait == Gait::Halt {
            ReinShare {
                left: 0.0,
                right: 0.0,
                straight: 1.0,
            }
        } else {
            rein
        };
        let dominant = rein.dominant();
        let lead = if run.gait.has_lead() {
            lead::lead(
                filter::sub(hs.vert(), a, b),
                filter::sub(hs.lat(), a, b),
                filter::sub(hs.roll(), a, b),
                info.stride_hz,
            )
        } else {
            None
        };
        let counter_canter = lead.filter(|(l, _)| *l != Lead::Unknown).map(|(l, _)| {
            matches!(
                (l, dominant),
                (Lead::Left, Rein::Right) | (Lead::Right, Rein::Left)
            )
        });
        let (lead, lead_confidence) = match lead {
            Some((l, c)) => (Some(l), Some(round(c, 2))),
            None => (None, None),
        };
        let stretches: Vec<SymmetryStretch> = if run.gait == Gait::Trot {
            straight_stretches(hs, &turns, a, b, info.stride_hz, seg_end)
        } else {
            Vec::new()
        };
        let symmetry = combine(&stretches);
        out.stretches.extend(stretches);
        out.bouts.push(Bout {
            start_s: round(hs.time(run.start as f64), 3),
            end_s: round(hs.time(run.end as f64).min(seg_end), 3),
            gait: run.gait,
            stride_hz: round(info.stride_hz, 3),
            cadence_spm: round(info.stride_hz * 60.0, 1),
            strides: info.strides,
            regularity: round(run.regularity, 3),
            rein: ReinShare {
                left: round(rein.left, 3),
                right: round(rein.right, 3),
                straight: round(rein.straight, 3),
            },
            dominant_rein: dominant,
            lead,
            lead_confidence,
            counter_canter,
            elevation_cm: round(info.elevation_m * 100.0, 1),
            symmetry,
        });
        strides.push(info);
    }
    out.transitions = runs.windows(2).filter(|w| w[0].gait != w[1].gait).count() as u32;

    let flights = fences_flights;
    let mut prev: Option<(usize, f64)> = None;
    for f in flights {
        let ri = runs
            .iter()
            .position(|r| (r.start as f64) <= f.takeoff && f.takeoff < r.end as f64);
        let (cadence, between) = match ri {
            Some(i) => {
                let info = &strides[i];
                let bps = runs[i].gait.beats_per_stride();
                let before: Vec<f64> = info
                    .beats
                    .iter()
                    .copied()
                    .filter(|&b| b < f.takeoff - 0.35 * FS)
                    .collect();
                let last = &before[before.len().saturating_sub(4)..];
                let ivs: Vec<f64> = last
                    .windows(2)
                    .map(|w| (w[1] - w[0]) / FS)
                    .filter(|&d| d > 0.25 && d < 1.6)
                    .collect();
                let cadence = if ivs.is_empty() {
                    0.0
                } else {
                    60.0 / (ivs.iter().sum::<f64>() / ivs.len() as f64 * bps)
                };
                let between = match prev {
                    Some((pi, landing)) if pi == i && info.stride_hz > 0.0 => {
                        let n = ((f.takeoff - landing) / FS * info.stride_hz).round() - 1.0;
                        Some(n.max(0.0) as u32)
                    }
                    _ => None,
                };
                (cadence, between)
            }
            None => (0.0, None),
        };
        prev = ri.map(|i| (i, f.landing));
        let flight_s = (f.landing - f.takeoff) / FS;
        out.jumps.push(Jump {
            time_s: round(hs.time(f.takeoff), 3),
            flight_s: round(flight_s, 3),
            rise_cm: round(9.80665 * flight_s * flight_s / 8.0 * 100.0, 1),
            approach_cadence_spm: round(cadence, 1),
            strides_from_previous: between,
        });
    }
    out
}
