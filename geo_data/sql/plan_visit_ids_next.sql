-- Reserve %(n)s new plan visit ids.
SELECT nextval('plan_visits_id_seq') AS id FROM generate_series(1, %(n)s);
