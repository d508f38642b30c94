-- Record the scan-in on the code and its visit (亮码: code shown and scanned on site).
WITH c AS (
    UPDATE visit_codes
    SET scanned_at = %(at)s, scan_geom = ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326),
        scan_distance_m = %(distance_m)s
    WHERE code = %(code)s
    RETURNING visit_id
)
UPDATE visits SET code_scanned = true, scanned_at = %(at)s, started_at = coalesce(started_at, %(at)s),
                  scan_geom = ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)
WHERE id = (SELECT visit_id FROM c);
