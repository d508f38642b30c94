-- One incident in the caller's scope, locked for a status change.
SELECT i.id, i.county_code, i.township_code, i.type_code, i.status, i.severity, t.remote_closable,
       t.departments, i.sla_due_at, i.escalated
FROM incidents i JOIN alert_types t ON t.code = i.type_code
WHERE i.id = %(id)s AND i.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
FOR UPDATE OF i
