//! Issuer domain: institutions and issuance requests parsed into the core model.

pub mod institution;
pub mod issuance;
