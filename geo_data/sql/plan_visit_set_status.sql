-- Accept a held visit (back to proposed) or turn it into a remote check.
UPDATE plan_visits SET status = %(status)s
WHERE id = %(visit_id)s AND plan_id = %(plan_id)s AND county_code = %(county_code)s
RETURNING id, enterprise_id, quota_flag;
