//! The learner wallet API (learner accounts, holdings, sharing, presentations, exports to
//! Europass, Open Badges 3.0 wallets and PDF). Not built yet: a later issue fills this crate.
//! It will depend on `microcred-core` only, like the issuer and the verifier, and reach their
//! data through traits the binary wires in.
