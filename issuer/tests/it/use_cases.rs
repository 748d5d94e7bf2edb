//! The use cases as a registrar meets them, called directly.

use microcred_issuer::domain::issuance::{IssueRequestDoc, LearnerDoc};
use microcred_issuer::issuance::{single, vc_api};
use microcred_issuer::lifecycle::correct::{self, CorrectionRequest};
use microcred_issuer::lifecycle::history;
use microcred_issuer::IssuerError;
use serde_json::json;

use crate::both_backends;
use crate::support::{Backend, World};

fn request(email: &str) -> IssueRequestDoc {
    IssueRequestDoc {
        achievement: "gdpr-101".into(),
        learner: LearnerDoc {
            name: "Ana Popescu".into(),
            email: Some(email.into()),
            ..Default::default()
        },
        grade: Some("92%".into()),
        ..Default::default()
    }
}

both_backends!(
    concurrent_issues_with_one_key_store_one_credential_and_one_pair_of_indexes,
    |backend: Backend| async move {
        let w = World::new(backend).await;
        let tasks = (0..8).map(|_| {
            let (issuer, p) = (w.issuer.clone(), w.registrar.clone());
            tokio::spawn(async move {
                single::issue(
                    &issuer,
                    &p,
                    "ase",
                    request("ana@example.md"),
                    Some("k-1".into()),
                )
                .await
            })
        });
        let mut ids = std::collections::BTreeSet::new();
        let mut created = 0;
        for r in futures::future::join_all(tasks).await {
            let issued = r
                .unwrap()
                .expect("every request answers with the credential");
            created += usize::from(issued.created);
            ids.insert(issued.id);
        }
        assert_eq!((ids.len(), created), (1, 1));
        assert_eq!(w.count("credentials").await, 1);
        assert_eq!(
            w.count("status_allocations").await,
            2,
            "the losers' indexes were rolled back with them"
        );
    }
);

both_backends!(
    a_document_that_cannot_be_signed_leaves_no_trace,
    |backend: Backend| async move {
        let w = World::new(backend).await;
        // A context that is not bundled: the JSON-LD expansion (and so the signature) fails.
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://unknown.example/context.jsonld"],
            "type": ["VerifiableCredential"],
            "credentialSubject": {"id": "did:example:ana"}
        });
        let e = vc_api::issue_document(&w.issuer, &w.registrar, doc)
            .await
            .unwrap_err();
        assert!(matches!(e, IssuerError::CannotSign(_)), "{e:?}");
        assert_eq!(w.count("credentials").await, 0);
        assert_eq!(w.count("status_allocations").await, 0);
    }
);

/// Makes the last step of a correction (linking the old credential to the new one) fail.
async fn sabotage_the_link(w: &World, backend: Backend) {
    let statements: &[&str] = match backend {
        Backend::Sqlite => &["CREATE TRIGGER sabotage BEFORE UPDATE OF replaced_by ON credentials \
             BEGIN SELECT RAISE(ABORT, 'sabotaged'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION sabotage() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'sabotaged'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER sabotage BEFORE UPDATE OF replaced_by ON credentials FOR EACH ROW EXECUTE FUNCTION sabotage()",
        ],
    };
    for s in statements {
        sqlx::query(s).execute(&w.db.pool).await.unwrap();
    }
}

both_backends!(
    a_correction_whose_last_step_fails_changes_nothing,
    |backend: Backend| async move {
        let w = World::new(backend).await;
        let old = single::issue(
            &w.issuer,
            &w.registrar,
            "ase",
            request("ana@example.md"),
            None,
        )
        .await
        .unwrap();
        let lists_before: Vec<(String, i64)> =
            sqlx::query_as("SELECT id, version FROM status_lists ORDER BY id")
                .fetch_all(&w.db.pool)
                .await
                .unwrap();
        sabotage_the_link(&w, backend).await;
        let r = correct::correct(
            &w.issuer,
            &w.registrar,
            "ase",
            &old.code,
            CorrectionRequest {
                reason: "grade typed wrong".into(),
                grade: Some("95%".into()),
                ..Default::default()
            },
        )
        .await;
        assert!(matches!(r, Err(IssuerError::Database(_))), "{r:?}");
        let state = history::get_credential_state(&w.issuer, &w.registrar, "ase", &old.code)
            .await
            .unwrap();
        assert_eq!(state.state, "active");
        assert!(state.events.is_empty() && state.replaced_by.is_none());
        assert_eq!(w.count("credentials").await, 1, "no new credential");
        assert_eq!(w.count("status_allocations").await, 2, "no new index");
        assert_eq!(w.count("credential_events").await, 0);
        assert_eq!(w.count("notifications").await, 0);
        let lists_after: Vec<(String, i64)> =
            sqlx::query_as("SELECT id, version FROM status_lists ORDER BY id")
                .fetch_all(&w.db.pool)
                .await
                .unwrap();
        assert_eq!(lists_before, lists_after, "no list was re-signed");

        // Without the sabotage, the same correction goes through whole.
        let drop = match backend {
            Backend::Sqlite => "DROP TRIGGER sabotage",
            Backend::Postgres => "DROP TRIGGER sabotage ON credentials",
        };
        sqlx::query(drop).execute(&w.db.pool).await.unwrap();
        let new = correct::correct(
            &w.issuer,
            &w.registrar,
            "ase",
            &old.code,
            CorrectionRequest {
                reason: "grade typed wrong".into(),
                grade: Some("95%".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let state = history::get_credential_state(&w.issuer, &w.registrar, "ase", &old.code)
            .await
            .unwrap();
        assert_eq!(state.state, "superseded");
        assert_eq!(state.replaced_by.as_deref(), Some(new.id.as_str()));
        assert_eq!(
            state.events[0].actor, "registrar Ana",
            "the event names the token"
        );
        assert_eq!(w.count("notifications").await, 1, "the learner is told");
    }
);
