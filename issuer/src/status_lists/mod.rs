//! The institution's status lists
//! ([W3C Bitstring Status List v1.0](https://www.w3.org/TR/vc-bitstring-status-list/)): one
//! list per purpose (revocation, suspension) of 131,072 bits, numbered; indexes allocated at
//! random inside the issuing transaction (the `(list, idx)` primary key makes an index
//! impossible to hand out twice, whatever the number of instances); a list re-signed by the
//! institution on every change, inside the transaction that changes the credential.

pub mod picks;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use microcred_core::proof::{Cryptosuite, ProofOptions};
use microcred_core::status::{status_list_credential, Bitstring, StatusListEntry, StatusPurpose};
use microcred_core::urls::StatusListRef;
use rand::Rng;
use sqlx::AnyConnection;
use time::OffsetDateTime;

use crate::db::{
    self,
    institutions::InstitutionRow,
    status_lists::{StatusListHead, StatusListRow},
};
use crate::error::IssuerError;
use crate::institutions::keys;
use crate::{secrets, Issuer};

/// Bits per status list (the specification's minimum, 16 KiB).
pub const LIST_SIZE: i64 = 131_072;
/// A list counts as full at 90 % so that random picks stay quick.
pub(crate) const FULL_AT: i64 = LIST_SIZE / 10 * 9;
/// Verifiers may cache a list this long (`ttl`, and `Cache-Control: max-age`): a withdrawal is
/// visible everywhere within a minute.
pub const LIST_TTL_SECONDS: u64 = 60;

fn list_ref(inst: &InstitutionRow, purpose: StatusPurpose, number: i64) -> StatusListRef {
    StatusListRef {
        institution: inst.slug.clone(),
        purpose,
        number,
    }
}

async fn sign_list(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    purpose: StatusPurpose,
    number: i64,
    bits: &Bitstring,
) -> Result<String, IssuerError> {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("valid")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats");
    let doc = status_list_credential(
        &app.urls.status_list(&list_ref(inst, purpose, number)),
        &app.urls.institution_did(&inst.slug),
        purpose,
        bits,
        &now,
        LIST_TTL_SECONDS * 1000,
    );
    let (key, vm) = keys::active_key(app, c, inst).await?;
    let signed = crate::signing::sign(
        doc,
        key,
        ProofOptions::assertion(Cryptosuite::EddsaRdfc2022, vm),
    )
    .await
    .map_err(|e| IssuerError::internal(format!("status list {purpose:?} {number}"), e))?;
    Ok(serde_json::to_string(&signed).expect("serialisable"))
}

/// The list to allocate from, creating the next one when the newest is full.
async fn open_list(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    purpose: StatusPurpose,
) -> Result<StatusListHead, IssuerError> {
    for _ in 0..5 {
        let latest =
            db::status_lists::find_latest_status_list_head(c, &inst.id, purpose.name()).await?;
        let number = match &latest {
            Some(l) if l.allocated < FULL_AT => return Ok(l.clone()),
            Some(l) => l.list_number + 1,
            None => 1,
        };
        let bits = Bitstring::new(LIST_SIZE as usize);
        let row = StatusListRow {
            id: secrets::new_id(),
            institution_id: inst.id.clone(),
            purpose: purpose.name().into(),
            list_number: number,
            size: LIST_SIZE,
            allocated: 0,
            bits: STANDARD.encode(bits.as_bytes()),
            version: 1,
            document: sign_list(app, c, inst, purpose, number, &bits).await?,
            updated_at: db::now(),
        };
        // Another instance may create the same number at the same time: one wins, and both
        // then use it.
        db::status_lists::insert_status_list(c, &row).await?;
    }
    Err(IssuerError::conflict("could not open a status list; retry"))
}

/// Claims indexes picked ahead ([`picks`]) for credentials of one institution (`(pick,
/// credential key)`), in the storing transaction: one statement claims them all, one counts
/// them. False when one was taken meanwhile (by another instance): the transaction must then
/// be rolled back, and the institution's lists are read again on the next pick.
pub async fn claim_picks(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    picks: &[(&picks::Pick, &str)],
) -> Result<bool, IssuerError> {
    let claims: Vec<(&str, i64, &str)> = picks
        .iter()
        .map(|(p, key)| (p.list_id.as_str(), p.idx, *key))
        .collect();
    let claimed = db::status_allocations::insert_status_allocations(c, &claims).await?;
    if claimed.len() != claims.len() {
        app.picks.forget(&inst.id);
        return Ok(false);
    }
    let mut counts: Vec<(&str, i64)> = Vec::new();
    for (list, _, _) in &claims {
        match counts.iter_mut().find(|(id, _)| id == list) {
            Some((_, n)) => *n += 1,
            None => counts.push((list, 1)),
        }
    }
    db::status_lists::add_allocated(c, &counts).await?;
    Ok(true)
}

/// Allocates, for each stored credential of `credential_keys` (our internal keys) of one
/// institution (a group or a batch, or one), a random never-used index in a revocation list and
/// in a suspension list. Runs inside the issuing transaction: if the issue fails, the indexes
/// were never taken. Per purpose, one statement claims a random index for each (those that hit
/// a taken index try again), and one counts them - a few statements for all instead of three
/// per credential and purpose. The entries come in the order of `credential_keys`, revocation
/// then suspension.
pub async fn allocate_many(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    credential_keys: &[&str],
) -> Result<Vec<Vec<StatusListEntry>>, IssuerError> {
    let mut out = vec![Vec::with_capacity(2); credential_keys.len()];
    for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
        let mut pending: Vec<usize> = (0..credential_keys.len()).collect();
        let mut missed = 0;
        while !pending.is_empty() {
            let list = open_list(app, c, inst, purpose).await?;
            let mut picked = std::collections::HashSet::new();
            let claims: Vec<(&str, i64, &str)> = {
                let mut rng = rand::rngs::OsRng;
                pending
                    .iter()
                    .map(|&i| loop {
                        let idx = rng.gen_range(0..list.size);
                        if picked.insert(idx) {
                            break (list.id.as_str(), idx, credential_keys[i]);
                        }
                    })
                    .collect()
            };
            let taken: std::collections::HashSet<i64> =
                db::status_allocations::insert_status_allocations(c, &claims)
                    .await?
                    .into_iter()
                    .map(|(_, idx)| idx)
                    .collect();
            if !taken.is_empty() {
                db::status_lists::add_allocated(c, &[(&list.id, taken.len() as i64)]).await?;
                app.picks.note(&list.id, taken.iter().copied());
                missed = 0;
            }
            let url = app
                .urls
                .status_list(&list_ref(inst, purpose, list.list_number));
            let mut still = Vec::new();
            for (&i, (_, idx, _)) in pending.iter().zip(&claims) {
                if taken.contains(idx) {
                    out[i].push(StatusListEntry::new(&url, purpose, *idx as u64));
                } else {
                    still.push(i);
                }
            }
            pending = still;
            if !pending.is_empty() && taken.is_empty() {
                missed += 1;
                if missed == 64 {
                    // 64 rounds in a row without a free index: the list is nearly full; move on
                    // to a new one.
                    db::status_lists::fill_status_list(c, &list.id).await?;
                    missed = 0;
                }
            }
        }
    }
    Ok(out)
}

/// Sets the credential's bit for `purpose` to `value` and re-signs the list, inside the
/// caller's transaction. Fails with a conflict when the credential has no entry of that
/// purpose (it was not issued by our pipeline).
pub async fn set_bit(
    app: &Issuer,
    c: &mut AnyConnection,
    inst: &InstitutionRow,
    credential_key: &str,
    purpose: StatusPurpose,
    value: bool,
) -> Result<(), IssuerError> {
    let allocation = db::status_allocations::list_status_allocations(c, credential_key)
        .await?
        .into_iter()
        .find(|a| a.purpose == purpose.name())
        .ok_or_else(|| {
            IssuerError::conflict(format!(
                "this credential has no {} status list entry",
                purpose.name()
            ))
        })?;
    for _ in 0..10 {
        let list = db::status_lists::find_status_list_by_id(c, &allocation.list_id)
            .await?
            .ok_or_else(|| {
                IssuerError::stored(format!("status list {}", allocation.list_id), "missing")
            })?;
        let what = || format!("status list {} (bits)", list.id);
        let raw = STANDARD
            .decode(&list.bits)
            .map_err(|e| IssuerError::stored(what(), e))?;
        let mut bits = Bitstring::from_bytes(raw).map_err(|e| IssuerError::stored(what(), e))?;
        bits.set(allocation.idx as usize, value);
        let document = sign_list(app, c, inst, purpose, list.list_number, &bits).await?;
        if db::status_lists::update_status_list(
            c,
            &list.id,
            list.version,
            &STANDARD.encode(bits.as_bytes()),
            &document,
            db::now(),
        )
        .await?
        {
            return Ok(());
        }
        // Another instance changed the list first: read it again.
    }
    Err(IssuerError::conflict(
        "the status list is being changed by others; retry",
    ))
}

/// The signed status list credential and its `ETag`.
pub async fn document(
    app: &Issuer,
    list: &StatusListRef,
) -> Result<Option<(serde_json::Value, String)>, IssuerError> {
    let mut c = app.db.read().await?;
    let Some((id, version, document)) = db::status_lists::find_status_list_document(
        &mut c,
        &list.institution,
        list.purpose.name(),
        list.number,
    )
    .await?
    else {
        return Ok(None);
    };
    let doc = serde_json::from_str(&document)
        .map_err(|e| IssuerError::stored(format!("status list {id} (document)"), e))?;
    Ok(Some((doc, format!("\"{id}-{version}\""))))
}

/// The list credential at one of our own URLs (local resolution for the verifier).
pub async fn own_list(app: &Issuer, url: &str) -> Result<Option<serde_json::Value>, IssuerError> {
    match app.urls.parse_status_list(url) {
        Some(list) => Ok(document(app, &list).await?.map(|(d, _)| d)),
        None => Ok(None),
    }
}

/// Makes every published list agree with the stored credentials: a bit that a credential's
/// state implies is set, and a document that is not the list's own (another URL or another
/// issuer) is signed again by its institution. Lists damaged before 2026-11-23 - when a
/// VC-API issue could reuse another institution's credential id, one institution's revocation
/// could be written into the other's list, signed with the wrong key - are mended at start-up.
/// Returns how many lists were re-signed.
pub async fn reconcile(app: &Issuer) -> Result<usize, IssuerError> {
    use crate::lifecycle::state::CredentialState;
    let mut tx = app.db.write().await?;
    let mut mended = 0;
    for list in db::status_lists::list_status_lists(&mut tx).await? {
        let what = || format!("status list {}", list.id);
        let inst = db::institutions::find_institution(&mut tx, &list.institution_id)
            .await?
            .ok_or_else(|| IssuerError::stored(what(), "its institution is missing"))?;
        let purpose = StatusPurpose::from_name(&list.purpose)
            .ok_or_else(|| IssuerError::stored(what(), "unknown purpose"))?;
        let raw = STANDARD
            .decode(&list.bits)
            .map_err(|e| IssuerError::stored(what(), e))?;
        let mut bits = Bitstring::from_bytes(raw).map_err(|e| IssuerError::stored(what(), e))?;
        let states: Vec<&str> = CredentialState::ALL
            .iter()
            .filter(|s| s.sets(purpose))
            .map(|s| s.as_str())
            .collect();
        let mut changed = false;
        for idx in db::status_lists::list_indexes_in_states(&mut tx, &list.id, &states).await? {
            changed |= bits.get(idx as usize) == Some(false);
            bits.set(idx as usize, true);
        }
        let doc: serde_json::Value = serde_json::from_str(&list.document).unwrap_or_default();
        let url = app
            .urls
            .status_list(&list_ref(&inst, purpose, list.list_number));
        let did = app.urls.institution_did(&inst.slug);
        let own = doc["id"] == url.as_str() && doc["issuer"] == did.as_str();
        if changed || !own {
            let document = sign_list(app, &mut tx, &inst, purpose, list.list_number, &bits).await?;
            db::status_lists::update_status_list(
                &mut tx,
                &list.id,
                list.version,
                &STANDARD.encode(bits.as_bytes()),
                &document,
                db::now(),
            )
            .await?;
            mended += 1;
        }
    }
    tx.commit().await?;
    Ok(mended)
}
