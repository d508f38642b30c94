-- Bumps visit_plans.revision of every plan whose visits or visit tasks the statement touched (triggers of
-- plan_visits and plan_visit_tasks; both tables carry plan_id).
CREATE OR REPLACE FUNCTION plan_revision_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE visit_plans p SET revision = p.revision + 1 WHERE p.id IN (SELECT DISTINCT plan_id FROM new_rows);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE visit_plans p SET revision = p.revision + 1
        WHERE p.id IN (SELECT plan_id FROM new_rows UNION SELECT plan_id FROM old_rows);
    ELSE
        UPDATE visit_plans p SET revision = p.revision + 1 WHERE p.id IN (SELECT DISTINCT plan_id FROM old_rows);
    END IF;
    RETURN NULL;
END $$;
