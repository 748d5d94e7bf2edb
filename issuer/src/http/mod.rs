//! The issuer's HTTP API (axum), one file per room with its request and response types beside
//! its handlers: handlers extract, call the use case, map the result. The management API is
//! under `/api/v1`; the W3C VC-API issue endpoint and the public documents (DID documents,
//! achievement definitions, status lists, our context) use the URL shapes of
//! `microcred_core::urls`.

mod achievements;
mod auth;
mod bulk_jobs;
mod completions;
mod credentials;
mod extract;
mod holder;
mod institutions;
mod lifecycle;
mod public;
mod quizzes;
mod setup;
mod triggers;
mod vc_api;
mod webhooks;
mod xapi;

use axum::routing::{delete, get, post, put};
use axum::Router;
use microcred_core::urls;
use utoipa::OpenApi;

pub use auth::Caller;
pub use extract::ApiJson;

use crate::error::ApiError;
use crate::Issuer;

type ApiResult<T> = Result<T, ApiError>;

/// The issuer's routes.
pub fn router() -> Router<Issuer> {
    Router::new()
        .route("/api/v1/setup", post(setup::setup))
        .route(
            "/api/v1/institutions",
            post(institutions::create).get(institutions::list),
        )
        .route("/api/v1/institutions/{slug}", get(institutions::get))
        .route(
            "/api/v1/institutions/{slug}/tokens",
            post(institutions::create_token).get(institutions::list_tokens),
        )
        .route(
            "/api/v1/institutions/{slug}/tokens/{id}",
            delete(institutions::revoke_token),
        )
        .route(
            "/api/v1/institutions/{slug}/eseal",
            put(institutions::upload_eseal)
                .get(institutions::show_eseal)
                .delete(institutions::remove_eseal),
        )
        .route(
            "/api/v1/institutions/{slug}/logo",
            put(institutions::upload_logo)
                .get(institutions::show_logo)
                .delete(institutions::remove_logo),
        )
        .route(
            "/api/v1/institutions/{slug}/keys/rotate",
            post(institutions::rotate_key),
        )
        .route(
            "/api/v1/institutions/{slug}/achievements",
            post(achievements::create).get(achievements::list),
        )
        .route(
            "/api/v1/institutions/{slug}/achievements/{achievement}",
            get(achievements::get).put(achievements::update),
        )
        .route(
            "/api/v1/institutions/{slug}/achievements/{achievement}/credentials/bulk",
            post(bulk_jobs::upload),
        )
        .route(
            "/api/v1/institutions/{slug}/bulk-jobs",
            get(bulk_jobs::list),
        )
        .route(
            "/api/v1/institutions/{slug}/bulk-jobs/{id}",
            get(bulk_jobs::get).delete(bulk_jobs::cancel),
        )
        .route(
            "/api/v1/institutions/{slug}/bulk-jobs/{id}/rows",
            get(bulk_jobs::rows),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials",
            post(credentials::issue).get(credentials::list),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}",
            get(lifecycle::state),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/revoke",
            post(lifecycle::revoke),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/suspend",
            post(lifecycle::suspend),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/unsuspend",
            post(lifecycle::unsuspend),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/renew",
            post(lifecycle::renew),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/correct",
            post(lifecycle::correct),
        )
        .route(
            "/api/v1/institutions/{slug}/moodle",
            post(triggers::connect).get(triggers::list),
        )
        .route(
            "/api/v1/institutions/{slug}/moodle/{id}",
            get(triggers::get),
        )
        .route(
            "/api/v1/institutions/{slug}/moodle/{id}/courses",
            post(triggers::map_course).get(triggers::list_courses),
        )
        .route(
            "/api/v1/institutions/{slug}/moodle/{id}/poll",
            post(triggers::poll_now),
        )
        .route(
            "/api/v1/institutions/{slug}/moodle-inbox",
            get(triggers::inbox),
        )
        .route(
            "/api/v1/institutions/{slug}/moodle-inbox/{id}/retry",
            post(triggers::retry),
        )
        .route(
            "/api/v1/institutions/{slug}/evaluations",
            get(triggers::evaluations),
        )
        .route(
            "/api/v1/institutions/{slug}/evaluations/{id}/reevaluate",
            post(triggers::reevaluate),
        )
        .route(urls::ROUTE_MOODLE_HOOK, post(triggers::hook))
        .route(
            "/api/v1/institutions/{slug}/webhooks",
            post(webhooks::register).get(webhooks::list),
        )
        .route(
            "/api/v1/institutions/{slug}/webhooks/{id}",
            delete(webhooks::remove),
        )
        .route(urls::ROUTE_HOLDER_PAGE, get(holder::page))
        .route(urls::ROUTE_HOLDER_FILE, get(holder::download))
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/exports/{file}",
            get(credentials::export),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/holder-link/resend",
            post(credentials::resend_holder_link),
        )
        .route(
            "/api/v1/institutions/{slug}/credentials/{code}/holder-link/revoke",
            post(credentials::revoke_holder_link),
        )
        .route(
            "/api/v1/institutions/{slug}/learners",
            post(completions::create_learner).get(completions::list_learners),
        )
        .route(
            "/api/v1/institutions/{slug}/activities",
            post(completions::map_activity).get(completions::list_activities),
        )
        .route(
            "/api/v1/institutions/{slug}/completions",
            post(completions::upload_completions),
        )
        .route(
            "/api/v1/institutions/{slug}/learner-evaluations",
            get(completions::list_evaluations),
        )
        .route(
            "/api/v1/institutions/{slug}/achievements/{achievement}/reevaluate",
            post(completions::reevaluate),
        )
        .route(
            "/api/v1/institutions/{slug}/question-banks",
            post(quizzes::import_bank).get(quizzes::list_banks),
        )
        .route(
            "/api/v1/institutions/{slug}/question-banks/{id}",
            get(quizzes::get_bank),
        )
        .route(
            "/api/v1/institutions/{slug}/quizzes",
            post(quizzes::create_quiz).get(quizzes::list_quizzes),
        )
        .route(
            "/api/v1/institutions/{slug}/quizzes/{quiz}/attempts",
            post(quizzes::start_attempt),
        )
        .route(
            "/api/v1/institutions/{slug}/quizzes/{quiz}/attempts/{id}",
            get(quizzes::get_attempt),
        )
        .route(
            "/api/v1/institutions/{slug}/quizzes/{quiz}/attempts/{id}/submit",
            post(quizzes::submit_attempt),
        )
        .route(
            "/api/v1/institutions/{slug}/quizzes/{quiz}/attempts/{id}/grade",
            post(quizzes::grade_essay),
        )
        .route(
            "/api/v1/quiz-attempts/{id}",
            get(quizzes::learner_get_attempt),
        )
        .route(
            "/api/v1/quiz-attempts/{id}/submit",
            post(quizzes::learner_submit_attempt),
        )
        .route(
            "/api/v1/institutions/{slug}/xapi/clients",
            post(xapi::create_client).get(xapi::list_clients),
        )
        .route(
            "/api/v1/institutions/{slug}/xapi/clients/{id}",
            delete(xapi::revoke_client),
        )
        .route(
            "/xapi/statements",
            get(xapi::get_statements)
                .post(xapi::post_statements)
                .put(xapi::put_statement),
        )
        .route("/xapi/about", get(xapi::about))
        .route("/credentials/issue", post(vc_api::issue))
        .route(urls::ROUTE_STATUS_LIST, get(public::status_list))
        .route(urls::ROUTE_DID_DOCUMENT, get(public::did_document))
        .route(urls::ROUTE_ACHIEVEMENT, get(public::achievement))
        .route("/contexts/microcred-v1.jsonld", get(public::context))
}

/// OpenAPI description of the issuer's API.
#[derive(OpenApi)]
#[openapi(
    paths(setup::setup, institutions::create, institutions::list, institutions::get,
        institutions::create_token, institutions::list_tokens, institutions::revoke_token,
        institutions::rotate_key, institutions::upload_eseal, institutions::show_eseal,
        institutions::remove_eseal, institutions::upload_logo, institutions::show_logo,
        institutions::remove_logo, achievements::create, achievements::update, achievements::get,
        achievements::list, credentials::issue, credentials::list, bulk_jobs::upload, bulk_jobs::list, bulk_jobs::get, bulk_jobs::rows, bulk_jobs::cancel,
        vc_api::issue, public::did_document, public::achievement, public::status_list,
        credentials::export, credentials::resend_holder_link, credentials::revoke_holder_link,
        lifecycle::state, lifecycle::revoke, lifecycle::suspend, lifecycle::unsuspend,
        lifecycle::renew, lifecycle::correct, triggers::connect, triggers::list, triggers::get,
        triggers::map_course, triggers::list_courses, triggers::poll_now, triggers::hook,
        triggers::evaluations, triggers::reevaluate, triggers::inbox, triggers::retry,
        webhooks::register, webhooks::list, webhooks::remove, xapi::create_client,
        xapi::list_clients, xapi::revoke_client, completions::create_learner,
        completions::list_learners, completions::map_activity, completions::list_activities,
        completions::upload_completions, completions::list_evaluations,
        completions::reevaluate, quizzes::import_bank, quizzes::list_banks, quizzes::get_bank,
        quizzes::create_quiz, quizzes::list_quizzes, quizzes::start_attempt,
        quizzes::get_attempt, quizzes::submit_attempt, quizzes::grade_essay,
        quizzes::learner_get_attempt, quizzes::learner_submit_attempt),
    components(schemas(setup::SetupRequest, setup::TokenResponse,
        crate::domain::institution::NewInstitutionDoc, crate::domain::institution::InstitutionView,
        institutions::NewTokenRequest, institutions::RotatedKey, crate::auth::tokens::NewToken,
        crate::auth::tokens::TokenView, achievements::NewAchievementRequest,
        achievements::UpdateAchievementRequest, crate::achievements::AchievementView,
        crate::domain::issuance::IssueRequestDoc, crate::domain::issuance::LearnerDoc,
        crate::domain::issuance::EvidenceDoc, crate::issuance::Issued, crate::issuance::QrLinks,
        crate::issuance::bulk::BulkReport, crate::issuance::bulk::RowOutcome,
        crate::issuance::bulk::JobView, crate::issuance::bulk::JobState,
        crate::issuance::bulk::RowsPage,
        vc_api::VcApiIssueRequest, vc_api::VcApiIssueResponse, lifecycle::StatusChangeRequest,
        crate::lifecycle::history::CredentialStateView, crate::lifecycle::history::EventView,
        crate::lifecycle::history::LinkView, crate::lifecycle::history::Links,
        crate::lifecycle::correct::CorrectionRequest, crate::lifecycle::renew::RenewalRequest,
        crate::triggers::connections::ConnectRequest, crate::triggers::connections::ConnectionView,
        crate::triggers::connections::MapCourseRequest, crate::triggers::connections::CourseView,
        crate::triggers::poll::PollReport, crate::triggers::events::HookReceipt,
        crate::triggers::views::EvaluationView, crate::triggers::views::InboxItemView,
        crate::triggers::views::Reevaluation, crate::xapi::clients::NewClientRequest,
        crate::xapi::clients::ClientView,
        crate::completions::learners::NewLearnerRequest, crate::completions::learners::LearnerView,
        crate::completions::learners::AccountDoc,
        crate::completions::activities::MapActivityRequest,
        crate::completions::activities::ActivityView, crate::completions::csv::CompletionsReport,
        crate::completions::csv::RowReport, crate::completions::evaluate::Decision,
        crate::completions::evaluate::LearnerEvaluationView,
        crate::completions::reevaluate::ReevaluationReport,
        crate::quizzes::banks::BankView, crate::quizzes::banks::CategoryCount,
        crate::quizzes::banks::Format, crate::quizzes::quiz::NewQuizRequest,
        crate::quizzes::quiz::QuizView, crate::quizzes::attempts::StartRequest,
        crate::quizzes::attempts::SubmitRequest, crate::quizzes::attempts::EssayGradeRequest,
        crate::quizzes::attempts::AttemptView, crate::quizzes::attempts::MarkView,
        crate::quizzes::grade::Response,
        crate::notifications::webhooks::NewWebhookRequest,
        crate::notifications::webhooks::WebhookView, crate::holder::HolderLinkChange,
        crate::institutions::eseal::EsealUpload, crate::institutions::eseal::EsealView)),
    tags((name = "issuer", description = "Institutions, micro-credential definitions and issuing"))
)]
pub struct ApiDoc;
