-- Each institution's electronic seal for Europass credentials: the private key and certificate
-- chain (PEM) encrypted under the master key, and what the certificate says, for display.
CREATE TABLE institution_eseals (
    institution_id          TEXT PRIMARY KEY REFERENCES institutions (id),
    material_encrypted      TEXT NOT NULL,
    algorithm               TEXT NOT NULL CHECK (algorithm IN ('RS256', 'PS256', 'ES256')),
    subject                 TEXT NOT NULL,
    organisation            TEXT NOT NULL,
    organisation_identifier TEXT NOT NULL,
    certificate_issuer      TEXT NOT NULL,
    not_before              BIGINT NOT NULL,
    not_after               BIGINT NOT NULL,
    qualified               BIGINT NOT NULL CHECK (qualified IN (0, 1)),
    fingerprint             TEXT NOT NULL,
    uploaded_at             BIGINT NOT NULL,
    uploaded_by             TEXT NOT NULL
);
