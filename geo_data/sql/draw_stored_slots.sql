-- A recorded draw's inspector slots (an empty slot keeps its note).
SELECT enterprise_id, slot, inspector_id, note FROM draw_inspectors
WHERE draw_id = %(draw_id)s AND county_code = %(county_code)s
ORDER BY enterprise_id, slot;
