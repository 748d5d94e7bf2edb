//! The issuer's HTTP API (axum): the management API under `/api/v1`, the W3C VC-API issue
//! endpoint, and the public documents (DID documents, achievement definitions, our context).

mod auth;
mod extract;
mod handlers;

pub use auth::Caller;
pub use extract::ApiJson;
pub use handlers::{router, ApiDoc};
