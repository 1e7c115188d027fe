//! Hoofbeat's shared crate: the contracts between the API, the worker and the
//! offline CLI.
//!
//! - [`sensor`]: decoded IMU recordings and the upload formats with their parsers.
pub mod sensor;
