//! W3C VC-API `POST /credentials/issue`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiJson, ApiResult, Caller};
use crate::issuance::vc_api;
use crate::Issuer;

/// W3C VC-API issue request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VcApiIssueRequest {
    /// The credential to sign (VC 2.0; no `credentialStatus`; issuer left out or this
    /// institution's DID).
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
    /// Options: `cryptosuite` (`eddsa-rdfc-2022`, default, or `eddsa-jcs-2022`), `created`,
    /// `challenge`, `domain`, `credentialId`; others are refused.
    #[serde(default)]
    pub options: Option<vc_api::IssueOptions>,
}

/// W3C VC-API issue response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VcApiIssueResponse {
    /// The signed credential.
    #[schema(value_type = Object)]
    pub verifiable_credential: serde_json::Value,
}

/// W3C VC-API: sign a credential as the caller's institution (eddsa-rdfc-2022 or, by
/// `options.cryptosuite`, eddsa-jcs-2022), with the
/// institution's registered issuer object and our revocation and suspension entries.
#[utoipa::path(post, path = "/credentials/issue", request_body = VcApiIssueRequest,
    responses((status = 201, body = VcApiIssueResponse),
        (status = 400, description = "another issuer, a credentialStatus of its own, or not VC 2.0"),
        (status = 409, description = "a credential with this id exists"), (status = 422)), security(("bearer" = [])))]
pub async fn issue(
    State(app): State<Issuer>,
    Caller(p): Caller,
    ApiJson(r): ApiJson<VcApiIssueRequest>,
) -> ApiResult<(StatusCode, Json<VcApiIssueResponse>)> {
    let issued =
        vc_api::issue_document(&app, &p, r.credential, r.options.unwrap_or_default()).await?;
    Ok((
        StatusCode::CREATED,
        Json(VcApiIssueResponse {
            verifiable_credential: issued.credential,
        }),
    ))
}
