-- Indexes of a table (%(table)s: its name, bound as text and read as regclass) that back no constraint (safe
-- to drop and rebuild around a bulk load), with their definitions as the catalog prints them.
SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %(table)s::regclass
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
ORDER BY c.relname
