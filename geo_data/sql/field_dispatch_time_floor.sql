-- The earliest time a field step of this dispatch may carry: not before its assignment nor its last event (a
-- phone whose clock is behind must not put "accepted" before "assigned" on the timeline).
SELECT greatest(d.assigned_at, (SELECT max(ev.at) FROM dispatch_events ev WHERE ev.dispatch_id = d.id)) AS floor
FROM dispatches d WHERE d.id = %(dispatch_id)s
