-- Reserve %(n)s new inspection task ids (concurrency-safe: sequences never hand out an id twice).
SELECT nextval('inspection_tasks_id_seq') AS id FROM generate_series(1, %(n)s);
