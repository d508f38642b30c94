-- What the inspectors found on a visit; the visit is done (started at the phone's time of the result if no
-- start was recorded). Nothing when the visit already has a result.
WITH ins AS (
    INSERT INTO visit_results (visit_id, county_code, items_checked, problem_found, follow_up, note, at,
                               recorded_by, client_id)
    VALUES (%(visit_id)s, %(county_code)s, %(items_checked)s, %(problem_found)s, %(follow_up)s, %(note)s, %(at)s,
            %(actor)s, %(client_id)s)
    ON CONFLICT (visit_id) DO NOTHING
    RETURNING visit_id
)
UPDATE visits SET status = 'done', started_at = coalesce(started_at, %(at)s),
       result = CASE WHEN %(problem_found)s THEN 'problem' ELSE 'none' END
WHERE id = %(visit_id)s AND EXISTS (SELECT 1 FROM ins)
RETURNING id
