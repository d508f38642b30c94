-- The evidence record an upload collided with: the same photo for the incident, or the same upload id.
SELECT id, incident_id, sha256, media_type, bytes, width, height, original_name, taken_at,
       ST_Y(geom) AS lat, ST_X(geom) AS lng, uploaded_by, uploaded_at
FROM evidence_files
WHERE (incident_id = %(incident_id)s AND sha256 = %(sha256)s) OR client_id = %(client_id)s
ORDER BY id
LIMIT 1
