//! Hoofbeat API.
