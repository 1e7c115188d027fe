//! Shared by the export tests: reading tables back ([`rows`]) and checking
//! the trend files against a trend document ([`trend`]).

pub mod rows;
pub mod trend;
