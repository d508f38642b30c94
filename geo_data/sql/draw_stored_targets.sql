-- A recorded draw's targets in drawing order.
SELECT enterprise_id, stratum, position FROM draw_targets
WHERE draw_id = %(draw_id)s AND county_code = %(county_code)s
ORDER BY position;
