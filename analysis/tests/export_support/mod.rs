//! Shared by the export tests: the expected session cells ([`expected`]),
//! reading tables back ([`rows`]) and checking
//! the trend files against a trend document ([`trend`]).

pub mod expected;
pub mod rows;
pub mod trend;
