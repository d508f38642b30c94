-- Set one cell of a county's quota matrix.
INSERT INTO quota_matrix (county_code, risk, credit, max_visits)
VALUES (%(county_code)s, %(risk)s, %(credit)s, %(max_visits)s)
ON CONFLICT (coalesce(county_code, ''), risk, credit)
DO UPDATE SET max_visits = EXCLUDED.max_visits, updated_at = now();
