-- Recusal list entries for the given enterprises.
SELECT inspector_id, enterprise_id FROM inspector_conflicts WHERE enterprise_id = ANY (%(ids)s::bigint[]);
