-- Evidence photos (issue 15) of an incident (field steps, remote closure) or a visit.
--
-- The bytes live under the evidence folder, content-addressed by the SHA-256 of the stored (EXIF-stripped,
-- re-encoded) file: <dir>/<sha256[0:2]>/<sha256>.<ext>, its thumbnail under <dir>/thumbs/. The database keeps the
-- hash, what the photo's EXIF said about time and place (the EXIF itself is not kept in the file), and who
-- uploaded it. The same photo sent twice for one incident is one row.
CREATE TABLE evidence_files (
    id             bigserial PRIMARY KEY,
    county_code    text NOT NULL REFERENCES counties (code),
    township_code  text REFERENCES townships (code),
    incident_id    bigint REFERENCES incidents (id) ON DELETE CASCADE,
    visit_id       bigint REFERENCES visits (id) ON DELETE CASCADE,
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type     text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes          integer NOT NULL CHECK (bytes > 0),
    width          integer NOT NULL CHECK (width > 0),
    height         integer NOT NULL CHECK (height > 0),
    original_name  text NOT NULL DEFAULT '' CHECK (length(original_name) <= 200),
    taken_at       timestamptz,                      -- EXIF DateTimeOriginal (Asia/Shanghai when no offset)
    geom           geometry(Point, 4326),            -- EXIF GPS position (WGS-84)
    client_id      uuid UNIQUE,                      -- the sender's id of this upload (offline queues)
    uploaded_by    text NOT NULL,
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (incident_id IS NOT NULL OR visit_id IS NOT NULL)
);
CREATE UNIQUE INDEX evidence_files_incident_sha_key ON evidence_files (incident_id, sha256) WHERE incident_id IS NOT NULL;
CREATE INDEX evidence_files_visit_idx ON evidence_files (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX evidence_files_sha_idx ON evidence_files (sha256);
-- Where photos were taken: every geometry has its GiST index (a map of evidence near a place).
CREATE INDEX evidence_files_geom_gix ON evidence_files USING gist (geom);
