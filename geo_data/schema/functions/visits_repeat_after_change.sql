-- Keeps visits.is_repeat current after a statement on visits (triggers visits_repeat_ins/upd/del), unless it is
-- the function's own UPDATE of the flag or a bulk load deferred it.
CREATE OR REPLACE FUNCTION visits_repeat_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ents bigint[];
    lo date;
    hi date;
BEGIN
    IF pg_trigger_depth() > 1 OR measures_deferred() THEN  -- our own UPDATE of is_repeat, or a bulk load
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi
        FROM (SELECT enterprise_id, visit_date FROM new_rows UNION ALL
              SELECT enterprise_id, visit_date FROM old_rows) x;
    ELSE
        SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi FROM old_rows;
    END IF;
    IF ents IS NOT NULL THEN
        PERFORM visits_repeat_refresh(ents, lo, hi);
    END IF;
    RETURN NULL;
END $$;
