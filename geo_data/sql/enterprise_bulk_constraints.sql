-- Foreign-key and unique constraints of the enterprises table, dropped around a bulk load and re-added
-- (validated in one pass) after it; definitions as the catalog prints them.
SELECT conname AS name, pg_get_constraintdef(oid) AS definition
FROM pg_constraint
WHERE conrelid = 'enterprises'::regclass AND contype IN ('f', 'u')
ORDER BY contype, conname
