-- Delete up to %(batch)s track points older than %(before)s (in batches, so no long lock on the table).
DELETE FROM team_positions
WHERE id IN (SELECT id FROM team_positions WHERE at < %(before)s LIMIT %(batch)s)
