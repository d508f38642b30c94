-- Append one timeline event (at the given time, e.g. a field step's own, or now).
INSERT INTO dispatch_events (county_code, incident_id, dispatch_id, actor, event, note, detail, at)
VALUES (%(county_code)s, %(incident_id)s, %(dispatch_id)s, %(actor)s, %(event)s, %(note)s, %(detail)s::jsonb,
        coalesce(%(at)s::timestamptz, now()))
RETURNING id, at
