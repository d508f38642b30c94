-- Resolved incidents of a county waiting to be closed (for the simulator); with %(assigned_by)s only those whose
-- last dispatch that actor assigned (the simulator closes its own cases, not a township dispatcher's).
SELECT i.id
FROM incidents i
WHERE i.county_code = %(county_code)s AND i.status = 'resolved'
  AND (%(assigned_by)s::text IS NULL OR EXISTS (
        SELECT 1 FROM dispatches d
        WHERE d.incident_id = i.id AND d.status = 'resolved' AND d.assigned_by = %(assigned_by)s))
ORDER BY i.id
LIMIT %(n)s
