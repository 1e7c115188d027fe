//! Hoofbeat session analysis.
