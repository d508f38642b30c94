-- Escalate every open incident whose SLA ran out before the team got on site (once each).
UPDATE incidents
SET escalated = true, escalated_at = %(now)s, escalation_reason = 'sla'
WHERE status IN ('open', 'dispatched') AND NOT escalated AND on_site_at IS NULL AND sla_due_at < %(now)s
RETURNING id, county_code, township_code
