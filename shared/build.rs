//! `sqlx::migrate!` embeds `migrations/` at compile time, but cargo does not
//! know to rebuild when a migration file is added or changed: tell it (the
//! build script sqlx documents for this).

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
