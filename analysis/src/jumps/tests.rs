//! Unit tests of the detector on synthetic force profiles (50 Hz grid).

use super::*;
use ndarray::Array1;

/// 1 g, a 0.3-s push to 2.2 g ramping to 0, a 0.45-s flight at 0.1 g, a
/// 0.25-s landing to 3.5 g, then 1 g.
fn profile(flight: f64) -> Array1<f64> {
    let f = |t: f64| -> f64 {
        let pi = std::f64::consts::PI;
        if t < 1.0 {
            G
        } else if t < 1.3 {
            let u = pi * (t - 1.0) / 0.3;
            if t < 1.15 {
                G + 1.2 * G * u.sin()
            } else {
                2.2 * G * u.sin()
            }
        } else if t < 1.3 + flight {
            0.1 * G
        } else if t < 1.55 + flight {
            let u = pi * (t - 1.3 - flight) / 0.25;
            if u < pi / 2.0 {
                3.5 * G * u.sin()
            } else {
                G + 2.5 * G * u.sin()
            }
        } else {
            G
        }
    };
    Array1::from_shape_fn(200, |i| f(i as f64 / FS))
}

#[test]
fn finds_flight_and_its_duration() {
    for flight in [0.3, 0.45, 0.6] {
        let found = detect(profile(flight).view());
        assert_eq!(found.len(), 1, "flight {flight}");
        let measured = (found[0].landing - found[0].takeoff) / FS;
        assert!((measured - flight).abs() < 0.02, "{measured} vs {flight}");
    }
}

/// 1 g, a soft 0.4-s push peaking at 1.2 g, then like [`profile`].
#[test]
fn soft_push_is_a_jump() {
    let pi = std::f64::consts::PI;
    let a = Array1::from_shape_fn(220, |i| {
        let t = i as f64 / FS;
        if t < 1.0 {
            G
        } else if t < 1.4 {
            let u = pi * (t - 1.0) / 0.4;
            if t < 1.2 {
                G + 0.2 * G * u.sin()
            } else {
                1.2 * G * u.sin()
            }
        } else if t < 1.85 {
            0.02 * G
        } else if t < 2.1 {
            G + 2.5 * G * (pi * (t - 1.85) / 0.25).sin()
        } else {
            G
        }
    });
    let found = detect(a.view());
    assert_eq!(found.len(), 1);
    let measured = (found[0].landing - found[0].takeoff) / FS;
    assert!((measured - 0.45).abs() < 0.03, "{measured}");
}

/// A take-off push, a trailing hind-limb lobe (0.5 g, 0.1 s) on `base_g`,
/// `air(t)` over the 0.3 s without contact, a leading forelimb lobe
/// (0.45 g, 0.08 s) on `base_g`, the impact.
fn two_contacts(base_g: f64, air: impl Fn(f64) -> f64) -> Array1<f64> {
    let pi = std::f64::consts::PI;
    let hump = |t: f64, t0: f64, d: f64, peak: f64| peak * G * (pi * (t - t0) / d).sin();
    Array1::from_shape_fn(220, |i| {
        let t = i as f64 / FS;
        match t {
            t if t < 1.0 => G,
            t if t < 1.3 => hump(t, 1.0, 0.3, 2.2).max(if t < 1.15 { G } else { 0.0 }),
            t if t < 1.4 => base_g * G + hump(t, 1.3, 0.1, 0.5),
            t if t < 1.7 => air(t),
            t if t < 1.78 => base_g * G + hump(t, 1.7, 0.08, 0.45),
            t if t < 2.03 => hump(t, 1.78, 0.25, 3.5).max(if t > 1.9 { G } else { 0.0 }),
            _ => G,
        }
    })
}

/// [`two_contacts`] on a 0.05-g plateau: the flight is the 0.3 s without
/// contact.
#[test]
fn light_contacts_are_not_flight() {
    let found = detect(two_contacts(0.0, |_| 0.05 * G).view());
    assert_eq!(found.len(), 1);
    let (t0, t1) = (found[0].takeoff / FS, found[0].landing / FS);
    assert!(
        (t0 - 1.4).abs() < 0.025 && (t1 - 1.7).abs() < 0.025,
        "{t0} {t1}"
    );
}

/// As above on a 0.2-g in-flight baseline, with the limb swing's
/// internal forces (a 0.15-g sine over the 0.3 s without contact) lifting the force right
/// after the hind limbs leave: the contact ends in the trough between.
#[test]
fn limb_swing_after_the_hind_push_is_not_contact() {
    let pi = std::f64::consts::PI;
    let a = two_contacts(0.2, |t| {
        0.2 * G + 0.15 * G * (2.0 * pi * (t - 1.4) / 0.3).sin()
    });
    let found = detect(a.view());
    assert_eq!(found.len(), 1);
    let (t0, t1) = (found[0].takeoff / FS, found[0].landing / FS);
    assert!(
        (t0 - 1.4).abs() < 0.015 && (t1 - 1.7).abs() < 0.015,
        "{t0} {t1}"
    );
}

/// A hind-limb lobe over `AIR_MAX_G` (0.85 g) splits the low run, and
/// the limb swing lifts the force right after it: the lobe is a contact
/// (under body weight), not the push, and the flight starts at its end.
#[test]
fn heavy_hind_contact_is_not_the_push() {
    let pi = std::f64::consts::PI;
    let hump = |t: f64, t0: f64, d: f64, peak: f64| peak * G * (pi * (t - t0) / d).sin();
    let a = Array1::from_shape_fn(220, |i| {
        let t = i as f64 / FS;
        match t {
            t if t < 1.0 => G,
            t if t < 1.3 => hump(t, 1.0, 0.3, 2.2).max(if t < 1.15 { G } else { 0.0 }),
            t if t < 1.4 => 0.1 * G + hump(t, 1.3, 0.1, 0.75),
            t if t < 1.7 => 0.1 * G + 0.2 * G * (2.0 * pi * (t - 1.4) / 0.3).sin(),
            t if t < 1.95 => hump(t, 1.7, 0.25, 3.5).max(if t > 1.82 { G } else { 0.0 }),
            _ => G,
        }
    });
    let found = detect(a.view());
    assert_eq!(found.len(), 1);
    let (t0, t1) = (found[0].takeoff / FS, found[0].landing / FS);
    assert!(
        (t0 - 1.4).abs() < 0.02 && (t1 - 1.7).abs() < 0.02,
        "{t0} {t1}"
    );
}

#[test]
fn short_suspension_is_not_a_jump() {
    let a = Array1::from_shape_fn(500, |i| {
        let t = i as f64 / FS;
        G * (1.0 - 0.95 * (2.0 * std::f64::consts::PI * 1.7 * t).cos())
    });
    assert!(detect(a.view()).is_empty());
}
