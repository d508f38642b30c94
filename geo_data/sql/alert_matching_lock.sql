-- Take the matching locks of an intake (transaction-level advisory locks, in key order so writers never
-- deadlock) and say whether the row triggers stay silent because the caller notifies after commit ('on').
SELECT count(pg_advisory_xact_lock(k)) AS locks,
       set_config('gridcommand.notify_after_commit', %(after_commit)s, true) AS after_commit
FROM unnest(%(keys)s::bigint[]) AS k
