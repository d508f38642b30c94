-- Record a field step under the phone's id; nothing when the id is already there (a concurrent resend).
INSERT INTO field_steps (client_id, county_code, user_id, team_id, incident_id, dispatch_id, visit_id, step, at,
                         geom, accuracy_m, note, answer)
VALUES (%(client_id)s, %(county_code)s, %(user_id)s, %(team_id)s, %(incident_id)s, %(dispatch_id)s, %(visit_id)s,
        %(step)s, %(at)s,
        CASE WHEN %(lat)s::float8 IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(%(lng)s::float8, %(lat)s::float8), 4326) END,
        %(accuracy_m)s, %(note)s, %(answer)s::jsonb)
ON CONFLICT (client_id) DO NOTHING
RETURNING client_id
