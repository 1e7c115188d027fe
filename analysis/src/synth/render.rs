//! The steps both generators share once a session is planned: laying out a
//! bout's cycles (strides, fences, halt seconds), the sensor model (mount
//! rotation, bias, noise) and rendering the cycles into samples at the device
//! rate with dropped samples and holes.
//!
//! The random draws happen in a fixed order (per sample: three accelerometer
//! and three gyro normals, then the drop decision), so the default generator's
//! output for a seed is the same bytes as before this module existed.

use shared::sensor::Recording;
use std::f64::consts::PI;

use super::SessionMods;
use super::physics::{self, G, JumpShape, SoftJump, TrunkState};
use super::rng::Rng;

/// What the trunk does during one cycle.
#[derive(Debug, Clone)]
pub(super) enum CycleKind {
    /// One second (or less) standing still.
    Halt,
    /// One stride of the bout's gait.
    Stride,
    /// A normal fence: take-off, ballistic flight, landing.
    Jump(JumpShape),
    /// A soft fence (varied generator only).
    Soft(SoftJump),
}

/// One cycle of the session's timeline.
#[derive(Debug, Clone)]
pub(super) struct Cycle {
    pub t0: f64,
    pub dur: f64,
    /// Index of the bout it belongs to.
    pub bout: usize,
    pub kind: CycleKind,
}

/// Strides and their total time laid out for one bout.
pub(super) struct BoutLayout {
    /// End of the bout's last cycle.
    pub end: f64,
    /// Normal strides (fences excluded) and their total time.
    pub strides: u32,
    pub stride_time: f64,
}

/// A fence met at time `t` (start of its take-off stance), with the canter
/// strides since the previous landing of the bout.
pub(super) struct FenceAt {
    pub t: f64,
    pub strides_from_previous: Option<u32>,
}

/// Lays out the cycles of one bout from `start` until `end_plan`: one-second
/// halt cycles, or strides jittered around `stride_hz` with `jumps` fences
/// (the first after ≥ 6 strides, 3–8 strides apart). `jump` draws a fence's
/// cycle kind and duration (and records its truth).
#[allow(clippy::too_many_arguments)]
pub(super) fn lay_out_bout(
    halt: bool,
    stride_hz: f64,
    jumps: usize,
    planned: f64,
    (start, end_plan): (f64, f64),
    bout: usize,
    mods: &SessionMods,
    rng: &mut Rng,
    cycles: &mut Vec<Cycle>,
    mut jump: impl FnMut(&mut Rng, FenceAt) -> (CycleKind, f64),
) -> BoutLayout {
    let mut t = start;
    let (mut strides, mut stride_time) = (0u32, 0.0);
    if halt {
        while t < end_plan {
            let dur = (end_plan - t).min(1.0);
            cycles.push(Cycle {
                t0: t,
                dur,
                bout,
                kind: CycleKind::Halt,
            });
            t += dur;
        }
        return BoutLayout {
            end: t,
            strides,
            stride_time,
        };
    }
    let mut fences = fence_indexes(jumps, (planned * stride_hz) as usize, rng);
    let mut idx = 0usize;
    let mut since_landing: Option<u32> = None;
    while t < end_plan {
        if fences.first() == Some(&idx) {
            fences.remove(0);
            let at = FenceAt {
                t,
                strides_from_previous: since_landing,
            };
            let (kind, dur) = jump(rng, at);
            since_landing = Some(0);
            cycles.push(Cycle {
                t0: t,
                dur,
                bout,
                kind,
            });
            t += dur;
        } else {
            let dur = (1.0 + mods.jitter * rng.normal())
                .clamp(1.0 - mods.jitter_limit, 1.0 + mods.jitter_limit)
                / stride_hz;
            cycles.push(Cycle {
                t0: t,
                dur,
                bout,
                kind: CycleKind::Stride,
            });
            t += dur;
            strides += 1;
            stride_time += dur;
            since_landing = since_landing.map(|s| s + 1);
        }
        idx += 1;
    }
    BoutLayout {
        end: t,
        strides,
        stride_time,
    }
}

/// Stride indexes of a bout's fences: first after 6–9 strides, then 4–9
/// apart, none in the last 6 of the `expected` strides.
fn fence_indexes(jumps: usize, expected: usize, rng: &mut Rng) -> Vec<usize> {
    let mut fences = Vec::new();
    let mut k = 6 + (rng.unit() * 4.0) as usize;
    for _ in 0..jumps {
        if k + 6 < expected {
            fences.push(k);
        }
        k += 4 + (rng.unit() * 6.0) as usize;
    }
    fences
}

/// A normal fence's shape, drawn in the generator's fixed order.
pub(super) fn draw_jump_shape(rng: &mut Rng) -> JumpShape {
    JumpShape {
        takeoff_s: rng.range(0.26, 0.34),
        flight_s: rng.range(0.3, 0.6),
        landing_s: rng.range(0.22, 0.28),
        push: rng.range(2.0, 2.5) * G,
        impact: rng.range(3.0, 4.0) * G,
        push_pitch_rate: rng.range(1.5, 2.5),
        landing_pitch: rng.range(0.2, 0.4),
    }
}

/// The sensor: mount rotation, biases and noise level.
pub(super) struct Sensor {
    /// Body → sensor frame (Qᵀ: the sensor's axes are the body axes rotated by Q).
    to_sensor: [[f64; 3]; 3],
    acc_bias: [f64; 3],
    gyro_bias: [f64; 3],
    noise_scale: f64,
    /// Angle between the sensor's z axis and the vertical (°).
    pub tilt_deg: f64,
}

impl Sensor {
    /// Mount rotation from (roll, pitch, yaw) in degrees; the biases are drawn
    /// from `rng` (accelerometer, then gyro).
    pub fn draw(mount_deg: [f64; 3], rate: f64, rng: &mut Rng) -> Sensor {
        let q = physics::matmul(
            &physics::rot_z(mount_deg[2].to_radians()),
            &physics::matmul(
                &physics::rot_y(mount_deg[1].to_radians()),
                &physics::rot_x(mount_deg[0].to_radians()),
            ),
        );
        let acc_bias = [
            rng.range(-0.15, 0.15),
            rng.range(-0.15, 0.15),
            rng.range(-0.15, 0.15),
        ];
        let gyro_bias = [
            rng.range(-1.5, 1.5),
            rng.range(-1.5, 1.5),
            rng.range(-1.5, 1.5),
        ];
        Sensor {
            to_sensor: physics::transpose(&q),
            acc_bias,
            gyro_bias,
            noise_scale: (rate / 100.0).sqrt(),
            tilt_deg: q[2][2].clamp(-1.0, 1.0).acos().to_degrees(),
        }
    }

    /// Appends one sample of the trunk state, seen by the sensor.
    fn push(&self, rec: &mut Recording, tk: f64, state: &TrunkState, na: [f64; 3], ng: [f64; 3]) {
        let (f_body, w_body) = physics::body_frame(state);
        let f = physics::mul(&self.to_sensor, f_body);
        let w = physics::mul(&self.to_sensor, w_body);
        rec.t.push(tk);
        for c in 0..3 {
            let a = f[c] + self.acc_bias[c] + 0.06 * self.noise_scale * na[c];
            let g = w[c].to_degrees() + self.gyro_bias[c] + 0.4 * self.noise_scale * ng[c];
            rec.acc[c].push(a.clamp(-16.0 * G, 16.0 * G));
            rec.gyro[c].push(g.clamp(-2000.0, 2000.0));
        }
    }
}

/// How the radio link loses samples.
pub(super) struct Link<'a> {
    /// Probability that a single sample is dropped.
    pub drop_rate: f64,
    /// Holes [start, end] in seconds: no sample strictly inside.
    pub holes: &'a [[f64; 2]],
}

/// Renders the cycles into samples at `rate` from 0 to `duration`. Noise is
/// drawn for every sample, so dropping samples does not change the rest of
/// the session. `stride_state(cycle, t)` gives the trunk state during a
/// stride (the caller adds its track and events); halts and fences are
/// rendered here.
pub(super) fn render(
    rate: f64,
    duration: f64,
    cycles: &[Cycle],
    sensor: &Sensor,
    link: &Link,
    rng: &mut Rng,
    mut stride_state: impl FnMut(&Cycle, f64) -> TrunkState,
) -> Recording {
    let n = (duration * rate).floor() as usize + 1;
    let mut rec = Recording {
        sample_rate_hz: rate,
        ..Default::default()
    };
    for c in 0..3 {
        rec.acc[c].reserve(n);
        rec.gyro[c].reserve(n);
    }
    rec.t.reserve(n);
    let mut ci = 0usize;
    for k in 0..n {
        let tk = k as f64 / rate;
        while ci + 1 < cycles.len() && tk >= cycles[ci].t0 + cycles[ci].dur {
            ci += 1;
        }
        let na = [rng.normal(), rng.normal(), rng.normal()];
        let ng = [rng.normal(), rng.normal(), rng.normal()];
        let dropped = k > 0
            && (rng.chance(link.drop_rate) || link.holes.iter().any(|h| tk > h[0] && tk < h[1]));
        if dropped {
            continue;
        }
        let Some(cy) = cycles.get(ci) else { break };
        let tau = tk - cy.t0;
        let state = match &cy.kind {
            CycleKind::Halt => TrunkState {
                force: [0.0, 0.0, G],
                ..Default::default()
            },
            CycleKind::Jump(js) => js.state(tau),
            CycleKind::Soft(sj) => sj.state(tau),
            CycleKind::Stride => stride_state(cy, tk),
        };
        sensor.push(&mut rec, tk, &state, na, ng);
    }
    rec
}

/// Trunk state of a stride of `shape` at time `tk` with yaw rate `yaw`
/// (rad/s) plus the straight line's slow wander (±1.5°/s, 30 % of it on a
/// turn).
pub(super) fn stride_state(
    cy: &Cycle,
    tk: f64,
    shape: &physics::GaitShape,
    yaw: f64,
    wander_phase: f64,
    speed: f64,
) -> TrunkState {
    let omega = 2.0 * PI / cy.dur;
    let theta = omega * (tk - cy.t0);
    let wander = 1.5f64.to_radians() * (2.0 * PI * tk / 9.0 + wander_phase).sin();
    let yaw = yaw + if yaw == 0.0 { wander } else { 0.3 * wander };
    physics::gait_state(shape, theta, omega, yaw, speed)
}

/// Holes longer than the analysis interpolates, as seen in the samples.
pub(super) fn long_gaps(t: &[f64]) -> Vec<[f64; 2]> {
    t.windows(2)
        .filter(|w| w[1] - w[0] > crate::resample::MAX_INTERPOLATED_GAP_S)
        .map(|w| [w[0], w[1]])
        .collect()
}
