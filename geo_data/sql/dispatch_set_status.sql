-- Move a dispatch to a new status.
UPDATE dispatches SET status = %(status)s, updated_at = now() WHERE id = %(id)s
RETURNING id, team_id, status
