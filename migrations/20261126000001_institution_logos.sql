-- Each institution's logo, as uploaded and normalised: a PNG at most 512 pixels on its longer
-- side (re-encoded from the upload, so nothing but pixels is kept), in base64. The PDF
-- certificate and the Europass credential show it.
CREATE TABLE institution_logos (
    institution_id TEXT PRIMARY KEY REFERENCES institutions (id),
    png_base64     TEXT NOT NULL,
    width          BIGINT NOT NULL,
    height         BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_at    BIGINT NOT NULL,
    uploaded_by    TEXT NOT NULL
);
