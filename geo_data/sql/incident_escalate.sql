-- Escalate one incident to the county with a reason (no-op if already escalated).
UPDATE incidents
SET escalated = true, escalated_at = now(), escalation_reason = %(reason)s
WHERE id = %(id)s AND NOT escalated
RETURNING id, county_code, township_code
