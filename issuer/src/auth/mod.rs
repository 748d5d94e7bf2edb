//! Who is calling and what they may do: API tokens resolve to a [`Principal`] (the token that
//! acts, its scope and role), and [`institution_for`] / [`require_platform`] are the one place
//! access is decided. Set-up (the one-time token that becomes the administrator's) and token
//! management live beside it.

pub mod setup;
pub mod tokens;

use sqlx::AnyConnection;

use crate::db::{self, institutions::InstitutionRow};
use crate::error::IssuerError;

/// A role, as stored in `api_tokens.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The platform administrator: creates institutions and their tokens.
    Admin,
    /// Acts for one institution: achievements, issuing, status changes.
    Registrar,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Registrar => "registrar",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "registrar" => Some(Self::Registrar),
            _ => None,
        }
    }
}

/// What a token reaches, as stored in `api_tokens.scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// The whole platform.
    Platform,
    /// One institution.
    Institution,
}

impl TokenScope {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Institution => "institution",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "platform" => Some(Self::Platform),
            "institution" => Some(Self::Institution),
            _ => None,
        }
    }
}

/// Who acted: the token (later, the person), named in every recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The API token's id; `None` for the service itself (demo set-up).
    pub token_id: Option<String>,
    /// The token's label, e.g. `Moodle`.
    pub label: String,
}

impl Actor {
    /// The service acting on its own (first-run demo).
    pub fn system(what: &str) -> Self {
        Self {
            token_id: None,
            label: format!("microcred ({what})"),
        }
    }
}

/// What the caller may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// The platform administrator: every institution.
    Platform,
    /// One institution, in a role.
    Institution {
        /// The institution's id.
        institution_id: String,
        /// The role.
        role: Role,
    },
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who acts.
    pub actor: Actor,
    /// What they reach.
    pub access: Access,
}

impl Principal {
    /// The platform administrator acting as the service itself (first-run demo).
    pub fn system_admin(what: &str) -> Self {
        Self {
            actor: Actor::system(what),
            access: Access::Platform,
        }
    }
}

/// Refuses anyone but the platform administrator.
pub fn require_platform(p: &Principal) -> Result<(), IssuerError> {
    match p.access {
        Access::Platform => Ok(()),
        Access::Institution { .. } => Err(IssuerError::forbidden(
            "only the platform administrator can do this",
        )),
    }
}

/// The institution `slug`, if the caller may act for it: the administrator for any, an
/// institution's token for its own. Another tenant's institution is "not found", so that
/// tenants cannot learn of each other.
pub async fn institution_for(
    c: &mut AnyConnection,
    p: &Principal,
    slug: &str,
) -> Result<InstitutionRow, IssuerError> {
    let not_found = || IssuerError::not_found(format!("institution `{slug}`"));
    let row = db::institutions::find_institution_by_slug(c, slug)
        .await?
        .ok_or_else(not_found)?;
    match &p.access {
        Access::Platform => Ok(row),
        Access::Institution { institution_id, .. } if *institution_id == row.id => Ok(row),
        Access::Institution { .. } => Err(not_found()),
    }
}

/// The caller's own institution (VC-API issuing has no slug in its path).
pub async fn own_institution(
    c: &mut AnyConnection,
    p: &Principal,
) -> Result<InstitutionRow, IssuerError> {
    let Access::Institution { institution_id, .. } = &p.access else {
        return Err(IssuerError::forbidden(
            "use an institution's API token to issue",
        ));
    };
    db::institutions::find_institution(c, institution_id)
        .await?
        .ok_or_else(|| IssuerError::not_found("institution"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_scopes_round_trip_through_their_stored_names() {
        for r in [Role::Admin, Role::Registrar] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for s in [TokenScope::Platform, TokenScope::Institution] {
            assert_eq!(TokenScope::parse(s.as_str()), Some(s));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_the_administrator_passes_require_platform() {
        assert!(require_platform(&Principal::system_admin("test")).is_ok());
        let registrar = Principal {
            actor: Actor::system("test"),
            access: Access::Institution {
                institution_id: "i".into(),
                role: Role::Registrar,
            },
        };
        assert!(matches!(
            require_platform(&registrar),
            Err(IssuerError::Forbidden(_))
        ));
    }
}
