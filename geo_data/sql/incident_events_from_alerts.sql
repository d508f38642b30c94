-- Timeline events of one intake, from the alerts it has just stored: 'created' for the incidents it opened,
-- 'alert_joined' (note "+n") for those it added to; detail: the ids of the alerts, in order.
INSERT INTO dispatch_events (county_code, incident_id, actor, event, note, detail)
SELECT %(county_code)s, a.incident_id, %(actor)s,
       CASE WHEN a.incident_id = ANY(%(opened)s::bigint[]) THEN 'created' ELSE 'alert_joined' END,
       CASE WHEN a.incident_id = ANY(%(opened)s::bigint[]) THEN '' ELSE '+' || count(*) END,
       jsonb_build_object('alerts', jsonb_agg(a.id ORDER BY a.id))
FROM alerts a
WHERE a.source = %(source)s AND a.source_id = ANY(%(source_ids)s::text[])
GROUP BY a.incident_id
ORDER BY a.incident_id
