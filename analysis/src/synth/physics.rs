//! The motion model: trunk kinematics per gait as harmonics of the stride
//! phase, turned into what a tilted girth IMU measures.
//!
//! - Vertical, lateral and forward displacement of the trunk and its roll and
//!   pitch angles are sums of harmonics of the stride phase θ (one cycle per
//!   stride). Accelerations and angular rates are their exact derivatives for
//!   the stride's own period.
//! - Walk and trot move the trunk up and down twice per stride; trot adds the
//!   diagonal asymmetry as first-harmonic terms (B cos θ sets MinDiff = 2B,
//!   C sin θ sets MaxDiff = 2C) and sways the trunk toward the stance
//!   forelimb (left at θ = 0, the left-fore/right-hind stance).
//! - Canter and gallop move it once per stride; the lateral sway and the roll
//!   are mirrored (sign flipped) between the left and right lead.
//! - Turning adds a yaw rate, the centripetal acceleration v·ω toward the
//!   inside, and a lean into the turn of half the coordinated angle.
//! - Jumps: a take-off push, a ballistic flight in which the specific force is
//!   only the centripetal term of the trunk's pitch rotation at the sensor's
//!   lever arm, and a landing impact; the trunk pitches nose-up during the
//!   push and nose-down in the air.
//! - The specific force (a − g) is rotated into the body (trunk roll/pitch),
//!   then into the sensor by the random mount rotation.

use std::f64::consts::PI;

pub const G: f64 = 9.80665;

/// One harmonic: amplitude·cos(k·θ + phase).
#[derive(Debug, Clone, Copy)]
pub struct Harmonic {
    pub k: f64,
    pub amp: f64,
    pub phase: f64,
}

impl Harmonic {
    pub fn new(k: f64, amp: f64, phase: f64) -> Self {
        Harmonic { k, amp, phase }
    }
}

/// Kinematics of one gait for one bout: displacement (m) and angle (rad)
/// harmonics per axis.
#[derive(Debug, Clone, Default)]
pub struct GaitShape {
    pub z: Vec<Harmonic>,
    pub y: Vec<Harmonic>,
    pub x: Vec<Harmonic>,
    pub roll: Vec<Harmonic>,
    pub pitch: Vec<Harmonic>,
}

/// Value of a harmonic sum at θ.
pub fn value(hs: &[Harmonic], theta: f64) -> f64 {
    hs.iter()
        .map(|h| h.amp * (h.k * theta + h.phase).cos())
        .sum()
}

/// First derivative in time for angular stride frequency ω (rad/s).
pub fn rate(hs: &[Harmonic], theta: f64, omega: f64) -> f64 {
    hs.iter()
        .map(|h| -h.amp * h.k * omega * (h.k * theta + h.phase).sin())
        .sum()
}

/// Second derivative in time.
pub fn accel(hs: &[Harmonic], theta: f64, omega: f64) -> f64 {
    hs.iter()
        .map(|h| -h.amp * (h.k * omega).powi(2) * (h.k * theta + h.phase).cos())
        .sum()
}

/// Peak-to-peak of a harmonic sum over a cycle.
pub fn peak_to_peak(hs: &[Harmonic]) -> f64 {
    let vals: Vec<f64> = (0..720)
        .map(|i| value(hs, 2.0 * PI * i as f64 / 720.0))
        .collect();
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    hi - lo
}

/// Trunk state in the level, heading-aligned frame at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrunkState {
    /// Specific force in the level frame (m/s²), gravity included.
    pub force: [f64; 3],
    /// Trunk roll and pitch angles (rad) and their rates (rad/s).
    pub roll: f64,
    pub pitch: f64,
    pub roll_rate: f64,
    pub pitch_rate: f64,
    /// Yaw rate about the vertical (rad/s).
    pub yaw_rate: f64,
}

/// 3×3 matrix times vector.
pub fn mul(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
    [
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    ]
}

pub fn matmul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut r = [[0.0; 3]; 3];
    for (i, row) in r.iter_mut().enumerate() {
        for (j, v) in row.iter_mut().enumerate() {
            *v = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    r
}

pub fn rot_x(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]]
}

pub fn rot_y(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]]
}

pub fn rot_z(a: f64) -> [[f64; 3]; 3] {
    let (s, c) = a.sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

pub fn transpose(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut r = [[0.0; 3]; 3];
    for (i, row) in m.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            r[j][i] = *v;
        }
    }
    r
}

/// Body-frame specific force (m/s²) and angular rate (rad/s) for a trunk
/// state: the level-frame vectors are rotated by the trunk's roll and pitch.
pub fn body_frame(s: &TrunkState) -> ([f64; 3], [f64; 3]) {
    // Body → level is Ry(pitch)·Rx(roll); level → body is its transpose.
    let to_body = transpose(&matmul(&rot_y(s.pitch), &rot_x(s.roll)));
    let f = mul(&to_body, s.force);
    let yaw = mul(&to_body, [0.0, 0.0, s.yaw_rate]);
    (f, [yaw[0] + s.roll_rate, yaw[1] + s.pitch_rate, yaw[2]])
}

/// Gait motion at phase θ of a stride of angular frequency ω, plus turning.
pub fn gait_state(
    shape: &GaitShape,
    theta: f64,
    omega: f64,
    yaw_rate: f64,
    speed: f64,
) -> TrunkState {
    let centripetal = speed * yaw_rate;
    let lean = -0.5 * (centripetal / G).atan();
    TrunkState {
        force: [
            accel(&shape.x, theta, omega),
            accel(&shape.y, theta, omega) + centripetal,
            accel(&shape.z, theta, omega) + G,
        ],
        roll: value(&shape.roll, theta) + lean,
        pitch: value(&shape.pitch, theta),
        roll_rate: rate(&shape.roll, theta, omega),
        pitch_rate: rate(&shape.pitch, theta, omega),
        yaw_rate,
    }
}

/// Parameters of one jump.
#[derive(Debug, Clone, Copy)]
pub struct JumpShape {
    pub takeoff_s: f64,
    pub flight_s: f64,
    pub landing_s: f64,
    /// Peak specific force of push and impact (m/s²).
    pub push: f64,
    pub impact: f64,
    /// Peak nose-up pitch rate during the push (rad/s).
    pub push_pitch_rate: f64,
    /// Pitch angle reached at landing (rad, nose-down positive).
    pub landing_pitch: f64,
}

/// Sensor offset from the trunk's centre of mass (m): behind and below.
const LEVER: [f64; 3] = [-0.1, 0.0, -0.35];

impl JumpShape {
    pub fn total_s(&self) -> f64 {
        self.takeoff_s + self.flight_s + self.landing_s
    }

    /// Pitch angle at the end of the push (nose up, negative).
    fn takeoff_pitch(&self) -> f64 {
        -2.0 * self.push_pitch_rate * self.takeoff_s / PI
    }

    /// Constant pitch rate in the air.
    fn flight_pitch_rate(&self) -> f64 {
        (self.landing_pitch - self.takeoff_pitch()) / self.flight_s
    }

    /// Trunk state `tau` seconds after the start of the take-off stance.
    pub fn state(&self, tau: f64) -> TrunkState {
        let (ts, tf, tl) = (self.takeoff_s, self.flight_s, self.landing_s);
        if tau < ts {
            let u = PI * tau / ts;
            let fz = if tau < ts / 2.0 {
                G + (self.push - G) * u.sin()
            } else {
                self.push * u.sin()
            };
            TrunkState {
                force: [0.4 * G * u.sin(), 0.0, fz],
                pitch: -self.push_pitch_rate * ts / PI * (1.0 - u.cos()),
                pitch_rate: -self.push_pitch_rate * u.sin(),
                ..Default::default()
            }
        } else if tau < ts + tf {
            let q = self.flight_pitch_rate();
            // Centripetal term ω×(ω×r) of the pitch rotation at the lever arm.
            let force = [-q * q * LEVER[0], 0.0, -q * q * LEVER[2]];
            TrunkState {
                force,
                pitch: self.takeoff_pitch() + q * (tau - ts),
                pitch_rate: q,
                ..Default::default()
            }
        } else {
            let v = (tau - ts - tf).min(tl);
            let u = PI * v / tl;
            let fz = if v < tl / 2.0 {
                self.impact * u.sin()
            } else {
                G + (self.impact - G) * u.sin()
            };
            TrunkState {
                force: [-0.5 * G * u.sin(), 0.0, fz],
                pitch: self.landing_pitch * 0.5 * (1.0 + u.cos()),
                pitch_rate: -self.landing_pitch * 0.5 * PI / tl * u.sin(),
                ..Default::default()
            }
        }
    }
}

/// A soft jump (only generated with a [`super::variety::Variation`]): the
/// base jump's take-off and landing stances around an airborne phase that may
/// start with the hind limbs still pushing (`tail`), end with the forelimbs
/// already reaching the ground (`reach`), and whose ballistic part carries
/// the trunk's reaction to the limbs folding and unfolding (`wobble`,
/// internal forces: the centre of mass stays ballistic, the trunk does not).
/// `base.flight_s` is the whole airborne phase `tail_s + ballistic_s + reach_s`.
#[derive(Debug, Clone, Copy)]
pub struct SoftJump {
    pub base: JumpShape,
    /// Hind-limb push after the forelimbs left the ground: a hump of
    /// `tail_g` (in g) over `tail_s`.
    pub tail_s: f64,
    pub tail_g: f64,
    /// Ground-reaction force exactly 0: the truth's flight time.
    pub ballistic_s: f64,
    /// Forelimb contact before the landing impact: a hump of `reach_g` over `reach_s`.
    pub reach_s: f64,
    pub reach_g: f64,
    /// Peak internal force of the limb swing in the ballistic phase (g).
    pub wobble_g: f64,
}

impl SoftJump {
    pub fn total_s(&self) -> f64 {
        self.base.total_s()
    }

    /// Start of the ballistic phase from the start of the take-off stance.
    pub fn ballistic_start_s(&self) -> f64 {
        self.base.takeoff_s + self.tail_s
    }

    /// Trunk state `tau` seconds after the start of the take-off stance.
    pub fn state(&self, tau: f64) -> TrunkState {
        let mut s = self.base.state(tau);
        let v = tau - self.base.takeoff_s;
        if v < 0.0 || v >= self.base.flight_s {
            return s;
        }
        let hump = |u: f64| (PI * u.clamp(0.0, 1.0)).sin();
        if v < self.tail_s {
            let u = hump(v / self.tail_s);
            s.force[2] += self.tail_g * G * u;
            s.force[0] += 0.3 * self.tail_g * G * u;
        } else if v < self.tail_s + self.ballistic_s {
            let u = 2.0 * PI * (v - self.tail_s) / self.ballistic_s;
            s.force[2] += self.wobble_g * G * u.sin();
            s.force[0] += 0.4 * self.wobble_g * G * (2.0 * u).sin();
        } else if self.reach_s > 0.0 {
            let u = hump((v - self.tail_s - self.ballistic_s) / self.reach_s);
            s.force[2] += self.reach_g * G * u;
            s.force[0] -= 0.3 * self.reach_g * G * u;
        }
        s
    }
}

/// Smooth step 0 → 1 over [0, T]: value, first and second derivative at `u`.
pub fn smooth_step(u: f64, t: f64) -> (f64, f64, f64) {
    let u = u.clamp(0.0, t);
    let a = 2.0 * PI * u / t;
    (
        u / t - a.sin() / (2.0 * PI),
        (1.0 - a.cos()) / t,
        2.0 * PI * a.sin() / (t * t),
    )
}

/// Bump sin²(π u / T) over [0, T]: value, first and second derivative.
pub fn bump(u: f64, t: f64) -> (f64, f64, f64) {
    let u = u.clamp(0.0, t);
    let a = 2.0 * PI * u / t;
    let w = PI / t;
    (0.5 * (1.0 - a.cos()), w * a.sin(), 2.0 * w * w * a.cos())
}
