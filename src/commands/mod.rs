//! One module per subcommand.

pub mod bench;
pub mod canonicalize;
pub mod demo_seal;
pub mod files;
pub mod keygen;
pub mod serve;
pub mod sign;
pub mod verify;
