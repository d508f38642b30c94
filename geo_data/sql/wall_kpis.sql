-- Wall display KPI tiles, scoped. %(day)s is today's Asia/Shanghai date; rates cover [%(date_from)s, %(day)s].
-- Definitions follow DOMAIN.md (used here only until a shared measures module exists):
--   joint-inspection rate = done visits covering >= 2 departments / done visits;
--   repeat-inspection rate = done visits within 30 days after another department's visit to the same
--   enterprise / done visits; code-shown rate = done visits with code scanned / done visits;
--   remote-closure rate = incidents closed remotely / incidents closed; response = created -> on site.
WITH v AS (
    SELECT v.id, v.enterprise_id, v.visit_date, v.lead_department, v.departments, v.code_scanned
    FROM visits v
    WHERE v.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR v.township_code = %(township_code)s)
      AND v.status = 'done' AND v.visit_date BETWEEN %(date_from)s AND %(day)s
), vr AS (
    SELECT v.*, EXISTS (SELECT 1 FROM visits p
                        WHERE p.enterprise_id = v.enterprise_id AND p.status = 'done' AND p.id <> v.id
                          AND p.lead_department <> v.lead_department
                          AND p.visit_date BETWEEN v.visit_date - 30 AND v.visit_date
                          AND (p.visit_date < v.visit_date OR p.id < v.id)) AS repeat
    FROM v
), i AS (
    SELECT i.* FROM incidents i
    WHERE i.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
)
SELECT
    (SELECT count(*) FROM alerts a
      WHERE a.county_code = %(county_code)s
        AND (%(township_code)s::text IS NULL OR a.township_code = %(township_code)s)
        AND a.observed_at >= (%(day)s::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
        AND a.observed_at < (%(day)s::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS alerts_today,
    (SELECT count(*) FROM i WHERE status IN ('open', 'dispatched')) AS incidents_open,
    (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM on_site_at - created_at) / 60.0)
       FROM i WHERE on_site_at IS NOT NULL
        AND created_at >= (%(date_from)s::date)::timestamp AT TIME ZONE 'Asia/Shanghai') AS response_median_min,
    (SELECT count(*) FROM vr) AS visits,
    (SELECT count(*) FILTER (WHERE cardinality(departments) >= 2) FROM vr) AS joint_visits,
    (SELECT count(*) FILTER (WHERE repeat) FROM vr) AS repeat_visits,
    (SELECT count(*) FILTER (WHERE code_scanned) FROM vr) AS code_visits,
    (SELECT count(*) FROM i WHERE status IN ('closed', 'remote_closed')
        AND closed_at >= (%(date_from)s::date)::timestamp AT TIME ZONE 'Asia/Shanghai') AS incidents_closed,
    (SELECT count(*) FROM i WHERE status = 'remote_closed'
        AND closed_at >= (%(date_from)s::date)::timestamp AT TIME ZONE 'Asia/Shanghai') AS incidents_remote_closed;
