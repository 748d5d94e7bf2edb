//! The use cases as a registrar meets them, called directly.

use microcred_issuer::domain::issuance::{IssueRequestDoc, LearnerDoc};
use microcred_issuer::issuance::{single, vc_api};
use microcred_issuer::lifecycle::correct::{self, CorrectionRequest};
use microcred_issuer::lifecycle::history;
use microcred_issuer::lifecycle::state::Transition;
use microcred_issuer::lifecycle::transitions;
use microcred_issuer::status_lists;
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
        let e = vc_api::issue_document(&w.issuer, &w.registrar, doc, Default::default())
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
        let notes_before = w.count("notifications").await;
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
        assert_eq!(
            w.count("notifications").await,
            notes_before,
            "no message about a correction that did not happen"
        );
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
        assert_eq!(
            w.count("notifications").await,
            notes_before + 2,
            "the learner is told the old one is superseded and given the new one"
        );
    }
);

both_backends!(
    a_list_damaged_before_the_fix_is_mended_at_start_up,
    |backend: Backend| async move {
        let w = World::new(backend).await;
        let a = single::issue(
            &w.issuer,
            &w.registrar,
            "ase",
            request("ana@example.md"),
            None,
        )
        .await
        .unwrap();
        let b = single::issue(
            &w.issuer,
            &w.registrar,
            "ase",
            request("ion@example.md"),
            None,
        )
        .await
        .unwrap();
        transitions::change(
            &w.issuer,
            &w.registrar,
            "ase",
            &a.code,
            Transition::Revoke,
            "fraud",
        )
        .await
        .unwrap();
        assert_eq!(
            status_lists::reconcile(&w.issuer).await.unwrap(),
            0,
            "sound lists stay"
        );

        // Damage as the old VC-API bug did: the revocation list loses the revoked bit and
        // carries the suspension list's document.
        let list = |purpose: &str| {
            let pool = w.db.pool.clone();
            let purpose = purpose.to_owned();
            async move {
                sqlx::query_as::<_, (String, String)>(
                    "SELECT id, document FROM status_lists WHERE purpose = $1",
                )
                .bind(purpose)
                .fetch_one(&pool)
                .await
                .unwrap()
            }
        };
        let (rev_id, _) = list("revocation").await;
        let (_, susp_doc) = list("suspension").await;
        let empty = base64_of_zero_bits();
        sqlx::query("UPDATE status_lists SET bits = $1, document = $2 WHERE id = $3")
            .bind(&empty)
            .bind(&susp_doc)
            .bind(&rev_id)
            .execute(&w.db.pool)
            .await
            .unwrap();

        assert_eq!(status_lists::reconcile(&w.issuer).await.unwrap(), 1);
        let (_, doc) = list("revocation").await;
        let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert!(doc["id"]
            .as_str()
            .unwrap()
            .ends_with("/status/ase/revocation/1"));
        assert_eq!(doc["credentialSubject"]["statusPurpose"], "revocation");
        let bit = |c: &serde_json::Value| {
            let e = c["credentialStatus"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["statusPurpose"] == "revocation")
                .unwrap()
                .clone();
            let bits = microcred_core::status::Bitstring::decode(
                doc["credentialSubject"]["encodedList"].as_str().unwrap(),
            )
            .unwrap();
            bits.get(e["statusListIndex"].as_str().unwrap().parse().unwrap())
                .unwrap()
        };
        assert!(
            bit(&a.credential),
            "the revoked credential's bit is set again"
        );
        assert!(
            !bit(&b.credential),
            "an active credential's bit stays clear"
        );
    }
);

fn base64_of_zero_bits() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(vec![0u8; 131_072 / 8])
}

/// Each credential's `credentialStatus` entries, as `(list URL, index)`, and its allocations in
/// the database, as `(list number, index)`, sorted by purpose.
async fn indexes_of(w: &World, vc_id: &str) -> (Vec<(String, i64)>, Vec<(i64, i64)>) {
    let (key, doc): (String, String) =
        sqlx::query_as("SELECT id, document FROM credentials WHERE vc_id = $1")
            .bind(vc_id)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let mut carried: Vec<(String, String, i64)> = doc["credentialStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["statusPurpose"].as_str().unwrap().to_owned(),
                e["statusListCredential"].as_str().unwrap().to_owned(),
                e["statusListIndex"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    carried.sort();
    let stored: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT l.purpose, l.list_number, a.idx FROM status_allocations a \
         JOIN status_lists l ON l.id = a.list_id WHERE a.credential_id = $1 ORDER BY l.purpose",
    )
    .bind(&key)
    .fetch_all(&w.db.pool)
    .await
    .unwrap();
    (
        carried.into_iter().map(|(_, url, i)| (url, i)).collect(),
        stored.into_iter().map(|(_, n, i)| (n, i)).collect(),
    )
}

both_backends!(
    every_credential_carries_the_indexes_stored_for_it,
    |backend: Backend| async move {
        let w = World::new(backend).await;
        let tasks = (0..24).map(|i| {
            let (issuer, p) = (w.issuer.clone(), w.registrar.clone());
            tokio::spawn(async move {
                single::issue(
                    &issuer,
                    &p,
                    "ase",
                    request(&format!("l{i}@example.md")),
                    None,
                )
                .await
            })
        });
        let mut seen = std::collections::HashSet::new();
        for r in futures::future::join_all(tasks).await {
            let issued = r.unwrap().unwrap();
            let (carried, stored) = indexes_of(&w, &issued.id).await;
            assert_eq!(stored.len(), 2, "a revocation and a suspension index");
            for ((url, i), (n, j)) in carried.iter().zip(&stored) {
                assert_eq!(i, j, "the signed index is the one stored");
                assert!(url.ends_with(&format!("/{n}")), "{url} is list {n}");
                assert!(seen.insert((url.clone(), *i)), "{url}#{i} given twice");
            }
        }
        assert_eq!(w.count("status_allocations").await, 48);
    }
);

both_backends!(
    an_index_another_instance_took_after_it_was_picked_is_never_given_twice,
    |backend: Backend| async move {
        let w = World::new(backend).await;
        // Two issues: the lists exist and this process knows them (it picks from them).
        let first = single::issue(
            &w.issuer,
            &w.registrar,
            "ase",
            request("a@example.md"),
            None,
        )
        .await
        .unwrap();
        single::issue(
            &w.issuer,
            &w.registrar,
            "ase",
            request("b@example.md"),
            None,
        )
        .await
        .unwrap();
        // Another instance takes every free index of both lists meanwhile.
        let first_key: String = sqlx::query_scalar("SELECT id FROM credentials WHERE vc_id = $1")
            .bind(&first.id)
            .fetch_one(&w.db.pool)
            .await
            .unwrap();
        let lists: Vec<String> = sqlx::query_scalar("SELECT id FROM status_lists")
            .fetch_all(&w.db.pool)
            .await
            .unwrap();
        assert_eq!(lists.len(), 2);
        for list in &lists {
            sqlx::query(
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 131071) \
                 INSERT INTO status_allocations (list_id, idx, credential_id) \
                 SELECT $1, i, $2 FROM n WHERE true ON CONFLICT (list_id, idx) DO NOTHING",
            )
            .bind(list)
            .bind(&first_key)
            .execute(&w.db.pool)
            .await
            .unwrap();
        }
        // This process still believes those indexes free: its picks fail to claim, and the
        // credentials are issued from new lists, each index its own.
        for i in 0..3 {
            let issued = single::issue(
                &w.issuer,
                &w.registrar,
                "ase",
                request(&format!("c{i}@example.md")),
                None,
            )
            .await
            .unwrap();
            let (carried, stored) = indexes_of(&w, &issued.id).await;
            assert_eq!(stored.len(), 2);
            for ((url, i), (n, j)) in carried.iter().zip(&stored) {
                assert_eq!(i, j);
                assert_eq!(*n, 2, "from the next list: {url}");
                assert!(url.ends_with("/2"), "{url}");
            }
        }
    }
);
