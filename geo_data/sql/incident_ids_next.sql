-- Reserve n incident ids (so new incidents can be inserted set-based and still be told apart).
SELECT nextval('incidents_id_seq') AS id FROM generate_series(1, %(n)s)
