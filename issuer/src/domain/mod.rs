//! Issuer domain: wire types (`*Doc`, serde) parsed into checked values that cannot hold bad
//! data, each error naming its element and JSON Pointer.

pub mod institution;
pub mod issuance;
pub mod values;
