-- The repeat-inspection rule (docs/measures.md; enforcement.measures.REPEAT_WINDOW_DAYS = 30) for these
-- enterprises' visits from lo to 30 days after hi: a done visit v is a repeat when an earlier done visit w of the
-- same enterprise (earlier date, or same date and smaller id) lies 0..30 days before it and v brought a
-- department w did not cover.
CREATE OR REPLACE FUNCTION visits_repeat_refresh(ents bigint[], lo date, hi date) RETURNS void
LANGUAGE sql AS $$
    UPDATE visits v SET is_repeat = c.flag
    FROM (
        SELECT v2.id, (v2.status = 'done' AND EXISTS (
                   SELECT 1 FROM visits w
                   WHERE w.enterprise_id = v2.enterprise_id AND w.status = 'done'
                     AND w.visit_date BETWEEN v2.visit_date - 30 AND v2.visit_date
                     AND (w.visit_date < v2.visit_date OR w.id < v2.id)
                     AND NOT (v2.departments <@ w.departments))) AS flag
        FROM visits v2
        WHERE v2.enterprise_id = ANY (ents) AND v2.visit_date BETWEEN lo AND hi + 30
    ) c
    WHERE v.id = c.id AND v.is_repeat IS DISTINCT FROM c.flag
$$;
