//! A credential's state and the one pure function that decides every change of it: which
//! transitions are allowed from which state, what state they lead to, and which status list
//! bit ([Bitstring Status List v1.0 §3](https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-status-list-credential))
//! they set or clear. Revocation and supersession are final; a suspension is lifted only by
//! unsuspending; a suspended credential is neither renewed nor corrected (that would issue an
//! unsuspended copy of a credential under inquiry: lift or revoke first).

use microcred_core::status::StatusPurpose;

/// A credential's state, as stored in `credentials.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CredentialState {
    /// In force.
    Active,
    /// Withdrawn for now (its suspension bit is set).
    Suspended,
    /// Withdrawn for good (its revocation bit is set).
    Revoked,
    /// Replaced by a renewal or a correction (its revocation bit is set; the replacement is
    /// linked).
    Superseded,
}

impl CredentialState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Revoked => "revoked",
            Self::Superseded => "superseded",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            "revoked" => Some(Self::Revoked),
            "superseded" => Some(Self::Superseded),
            _ => None,
        }
    }
}

impl CredentialState {
    /// Whether a credential in this state has its bit set in the list of `purpose`.
    pub fn sets(self, purpose: StatusPurpose) -> bool {
        match purpose {
            StatusPurpose::Revocation => matches!(self, Self::Revoked | Self::Superseded),
            StatusPurpose::Suspension => self == Self::Suspended,
        }
    }

    /// Every state.
    pub const ALL: [Self; 4] = [
        Self::Active,
        Self::Suspended,
        Self::Revoked,
        Self::Superseded,
    ];
}

/// What a registrar (or a renewal or correction) asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Withdraw for good.
    Revoke,
    /// Withdraw for now.
    Suspend,
    /// Lift a suspension.
    Unsuspend,
    /// Replace by a renewal or correction.
    Supersede,
}

/// An allowed change: the new state and the status list bit to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The state after.
    pub to: CredentialState,
    /// The list whose bit changes.
    pub purpose: StatusPurpose,
    /// The bit's new value.
    pub bit: bool,
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Revocation is final.
    #[error("the credential is revoked, which is final")]
    Revoked,
    /// It was replaced.
    #[error("the credential was superseded by a renewal or correction; act on its replacement")]
    Superseded,
    /// Suspending twice.
    #[error("the credential is already suspended")]
    AlreadySuspended,
    /// Unsuspending what is not suspended.
    #[error("only a suspended credential can be reinstated (this one is active)")]
    NotSuspended,
    /// Renewing or correcting a suspended credential.
    #[error("the credential is suspended: lift the suspension (or revoke it) before renewing or correcting it")]
    Suspended,
}

/// The one decision: from `from`, may `t` happen, and what does it change?
pub fn transition(from: CredentialState, t: Transition) -> Result<Change, Refused> {
    use CredentialState as S;
    use StatusPurpose::{Revocation, Suspension};
    use Transition as T;
    let change = |to, purpose, bit| Ok(Change { to, purpose, bit });
    match (from, t) {
        (S::Revoked, _) => Err(Refused::Revoked),
        (S::Superseded, _) => Err(Refused::Superseded),
        (S::Active | S::Suspended, T::Revoke) => change(S::Revoked, Revocation, true),
        (S::Active, T::Suspend) => change(S::Suspended, Suspension, true),
        (S::Suspended, T::Suspend) => Err(Refused::AlreadySuspended),
        (S::Suspended, T::Unsuspend) => change(S::Active, Suspension, false),
        (S::Active, T::Unsuspend) => Err(Refused::NotSuspended),
        (S::Active, T::Supersede) => change(S::Superseded, Revocation, true),
        (S::Suspended, T::Supersede) => Err(Refused::Suspended),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialState::*;
    use StatusPurpose::{Revocation as Rev, Suspension as Susp};
    use Transition::*;

    fn ok(to: CredentialState, purpose: StatusPurpose, bit: bool) -> Result<Change, Refused> {
        Ok(Change { to, purpose, bit })
    }

    #[test]
    fn the_transition_table_is_as_documented() {
        let table = [
            (Active, Revoke, ok(Revoked, Rev, true)),
            (Active, Suspend, ok(Suspended, Susp, true)),
            (Active, Unsuspend, Err(Refused::NotSuspended)),
            (Active, Supersede, ok(Superseded, Rev, true)),
            (Suspended, Revoke, ok(Revoked, Rev, true)),
            (Suspended, Suspend, Err(Refused::AlreadySuspended)),
            (Suspended, Unsuspend, ok(Active, Susp, false)),
            (Suspended, Supersede, Err(Refused::Suspended)),
            (Revoked, Revoke, Err(Refused::Revoked)),
            (Revoked, Suspend, Err(Refused::Revoked)),
            (Revoked, Unsuspend, Err(Refused::Revoked)),
            (Revoked, Supersede, Err(Refused::Revoked)),
            (Superseded, Revoke, Err(Refused::Superseded)),
            (Superseded, Suspend, Err(Refused::Superseded)),
            (Superseded, Unsuspend, Err(Refused::Superseded)),
            (Superseded, Supersede, Err(Refused::Superseded)),
        ];
        for (from, t, expected) in table {
            assert_eq!(transition(from, t), expected, "{from:?} + {t:?}");
        }
    }

    #[test]
    fn every_allowed_change_writes_the_bit_its_new_state_implies() {
        for from in CredentialState::ALL {
            for t in [Revoke, Suspend, Unsuspend, Supersede] {
                if let Ok(c) = transition(from, t) {
                    assert_eq!(c.to.sets(c.purpose), c.bit, "{from:?} + {t:?}");
                }
            }
        }
    }

    #[test]
    fn states_round_trip_through_their_stored_names() {
        for s in [Active, Suspended, Revoked, Superseded] {
            assert_eq!(CredentialState::parse(s.as_str()), Some(s));
        }
        assert_eq!(CredentialState::parse("valid"), None);
    }
}
