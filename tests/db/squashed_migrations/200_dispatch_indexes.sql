-- Intake / dispatch (issue 4): indexes for today's workload per team and token look-ups.
CREATE INDEX IF NOT EXISTS dispatches_team_assigned_idx ON dispatches (team_id, assigned_at);
CREATE INDEX IF NOT EXISTS visits_team_date_planned_idx ON visits (team_id, visit_date) WHERE status = 'planned';
CREATE INDEX IF NOT EXISTS api_tokens_prefix_idx ON api_tokens (prefix);
CREATE INDEX IF NOT EXISTS incidents_open_sla_idx ON incidents (sla_due_at) WHERE status IN ('open', 'dispatched');
