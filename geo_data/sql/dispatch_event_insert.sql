-- Append one timeline event.
INSERT INTO dispatch_events (county_code, incident_id, dispatch_id, actor, event, note, detail)
VALUES (%(county_code)s, %(incident_id)s, %(dispatch_id)s, %(actor)s, %(event)s, %(note)s, %(detail)s::jsonb)
RETURNING id, at
