-- The time-stamped history of one incident (in the caller's scope), oldest first.
SELECT ev.id, ev.at, ev.actor, ev.event, ev.note, ev.detail, ev.dispatch_id, tm.name AS team_name
FROM dispatch_events ev
JOIN incidents i ON i.id = ev.incident_id
LEFT JOIN dispatches d ON d.id = ev.dispatch_id
LEFT JOIN teams tm ON tm.id = d.team_id
WHERE ev.incident_id = %(id)s AND i.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
ORDER BY ev.at, ev.id
