-- Record a stored photo as evidence of an incident; nothing when the same photo (or upload id) is there already.
INSERT INTO evidence_files (county_code, township_code, incident_id, sha256, media_type, bytes, width, height,
                            original_name, taken_at, geom, client_id, uploaded_by)
VALUES (%(county_code)s, %(township_code)s, %(incident_id)s, %(sha256)s, %(media_type)s, %(bytes)s, %(width)s,
        %(height)s, %(original_name)s, %(taken_at)s,
        CASE WHEN %(lng)s::float8 IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326) END,
        %(client_id)s, %(uploaded_by)s)
ON CONFLICT DO NOTHING
RETURNING id, incident_id, sha256, media_type, bytes, width, height, original_name, taken_at,
          ST_Y(geom) AS lat, ST_X(geom) AS lng, uploaded_by, uploaded_at
