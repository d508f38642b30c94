-- The enterprise's rating of the visit (once).
WITH c AS (
    UPDATE visit_codes SET rating = %(rating)s, rating_comment = %(comment)s, rated_at = now()
    WHERE code = %(code)s AND rating IS NULL
    RETURNING visit_id
)
UPDATE visits SET rating = %(rating)s, rating_comment = %(comment)s, rated_at = now()
WHERE id = (SELECT visit_id FROM c);
