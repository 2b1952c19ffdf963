//! Pure rules and value types: no I/O, no database, no HTTP. Unit-tested where they live.

pub mod channel;
pub mod errors;
pub mod inventory;
pub mod money;
pub mod text;
