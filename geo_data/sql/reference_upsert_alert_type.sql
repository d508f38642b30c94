-- Insert or refresh one non-site alert type (告警类型) with its de-duplication window, ring, SLA and departments.
INSERT INTO alert_types (code, name, name_en, remote_closable, window_minutes, ring, departments, sla_minutes)
VALUES (%(code)s, %(name)s, %(name_en)s, %(remote_closable)s, %(window_minutes)s, %(ring)s, %(departments)s,
        %(sla_minutes)s::jsonb)
ON CONFLICT (code) DO UPDATE
SET name = EXCLUDED.name, name_en = EXCLUDED.name_en, remote_closable = EXCLUDED.remote_closable,
    window_minutes = EXCLUDED.window_minutes, ring = EXCLUDED.ring, departments = EXCLUDED.departments,
    sla_minutes = EXCLUDED.sla_minutes;
