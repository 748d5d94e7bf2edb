//! Status list indexes picked in memory, so that a single issue can be signed before the
//! transaction that stores it: a credential's `credentialStatus` names its indexes
//! ([W3C Bitstring Status List v1.0 §2.1](https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistentry)),
//! and signing is the dearest step of an issue. The committer's transaction then only claims
//! the picked indexes and stores the signed credentials, so the one writer is held only to
//! write.
//!
//! The database stays the authority: a pick is a proposal that the `(list, idx)` primary key
//! accepts or refuses when the committer claims it. This process knows every index taken when it
//! read a list, and every one it claimed since (here or through [`super::allocate_many`]); only
//! another instance can take one it believes free, and then the claim fails, the group is issued
//! the usual way (allocated inside its transaction, then signed) and the list is read again.
//! Indexes are picked at random, as [`super::allocate_many`] does, for herd privacy. A list
//! that is full (or not opened yet) is not picked from: the usual way opens the next one. An
//! index picked for a request that then fails (or finds its idempotency key stored) is never
//! claimed: nothing is written, and it is free again when the list is next read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use microcred_core::status::{Bitstring, StatusListEntry, StatusPurpose};
use rand::Rng;
use sqlx::AnyConnection;

use super::{list_ref, FULL_AT};
use crate::db::{self, institutions::InstitutionRow};
use crate::error::IssuerError;
use crate::Issuer;

/// What this process knows of the newest list of one institution and purpose.
#[derive(Debug)]
struct Known {
    list_id: String,
    number: i64,
    size: usize,
    /// The indexes taken (in the database when read, claimed or picked since).
    taken: Bitstring,
    count: i64,
}

/// The lists this process picks from, per institution and purpose.
#[derive(Debug, Clone, Default)]
pub struct Picks {
    lists: Arc<Mutex<HashMap<(String, StatusPurpose), Known>>>,
    /// Held while a list is read, so that requests arriving together read it once (a full
    /// list is 117,964 rows).
    reading: Arc<tokio::sync::Mutex<()>>,
}

/// One picked index, to be claimed by the transaction that stores its credential.
#[derive(Debug, Clone)]
pub struct Pick {
    /// The list's internal id.
    pub list_id: String,
    /// The index in it.
    pub idx: i64,
    /// The entry the credential carries.
    pub entry: StatusListEntry,
}

enum Tried {
    Picked(i64, i64, String),
    Full,
    Unknown,
}

impl Picks {
    fn try_pick(&self, institution_id: &str, purpose: StatusPurpose) -> Tried {
        let mut lists = self
            .lists
            .lock()
            .expect("never poisoned: no panics under the lock");
        let key = (institution_id.to_owned(), purpose);
        let Some(k) = lists.get_mut(&key) else {
            return Tried::Unknown;
        };
        if k.count >= FULL_AT {
            lists.remove(&key);
            return Tried::Full;
        }
        let size = k.size;
        let mut rng = rand::rngs::OsRng;
        loop {
            let idx = rng.gen_range(0..size);
            if k.taken.get(idx) == Some(false) {
                k.taken.set(idx, true);
                k.count += 1;
                return Tried::Picked(idx as i64, k.number, k.list_id.clone());
            }
        }
    }

    /// A revocation and a suspension index for one credential of `inst`, or `None` when it must
    /// be allocated the usual way (no list opened yet, or the newest is full). Reads `c` only to
    /// learn a list this process does not know yet.
    pub async fn pick(
        &self,
        app: &Issuer,
        c: &mut AnyConnection,
        inst: &InstitutionRow,
    ) -> Result<Option<Vec<Pick>>, IssuerError> {
        let mut out = Vec::with_capacity(2);
        for purpose in [StatusPurpose::Revocation, StatusPurpose::Suspension] {
            loop {
                match self.try_pick(&inst.id, purpose) {
                    Tried::Picked(idx, number, list_id) => {
                        let url = app.urls.status_list(&list_ref(inst, purpose, number));
                        out.push(Pick {
                            list_id,
                            idx,
                            entry: StatusListEntry::new(&url, purpose, idx as u64),
                        });
                        break;
                    }
                    Tried::Full => return Ok(None),
                    Tried::Unknown => {
                        let _reading = self.reading.lock().await;
                        if self.knows(&inst.id, purpose) {
                            // Read by the request that held the lock before.
                            continue;
                        }
                        let Some(head) = db::status_lists::find_latest_status_list_head(
                            c,
                            &inst.id,
                            purpose.name(),
                        )
                        .await?
                        else {
                            return Ok(None);
                        };
                        if head.allocated >= FULL_AT {
                            return Ok(None);
                        }
                        let size = usize::try_from(head.size).unwrap_or(0);
                        if size == 0 {
                            return Ok(None);
                        }
                        let mut taken = Bitstring::new(size);
                        for idx in
                            db::status_allocations::list_allocated_indexes(c, &head.id).await?
                        {
                            taken.set(usize::try_from(idx).unwrap_or(usize::MAX), true);
                        }
                        let mut lists = self.lists.lock().expect("never poisoned");
                        lists.entry((inst.id.clone(), purpose)).or_insert(Known {
                            list_id: head.id,
                            number: head.list_number,
                            size,
                            taken,
                            count: head.allocated,
                        });
                    }
                }
            }
        }
        Ok(Some(out))
    }

    fn knows(&self, institution_id: &str, purpose: StatusPurpose) -> bool {
        self.lists
            .lock()
            .expect("never poisoned")
            .contains_key(&(institution_id.to_owned(), purpose))
    }

    /// Notes indexes claimed the usual way ([`super::allocate_many`]), so they are not picked.
    pub fn note(&self, list_id: &str, claimed: impl IntoIterator<Item = i64>) {
        let mut lists = self.lists.lock().expect("never poisoned");
        if let Some(k) = lists.values_mut().find(|k| k.list_id == list_id) {
            for idx in claimed {
                if let Ok(i) = usize::try_from(idx) {
                    if k.taken.get(i) == Some(false) {
                        k.taken.set(i, true);
                        k.count += 1;
                    }
                }
            }
        }
    }

    /// Forgets what this process knows of an institution's lists (a claim failed: another
    /// instance took an index; they are read again on the next pick).
    pub fn forget(&self, institution_id: &str) {
        self.lists
            .lock()
            .expect("never poisoned")
            .retain(|(i, _), _| i != institution_id);
    }
}
