-- Audit retention: prune the oldest rows of the trail, never anything younger than 180 days (GB/T 22239-2019
-- 8.1.4.3: audit records kept ≥ 6 months), keeping the chain verifiable by recording where it now starts
-- (app_state 'audit_anchor'). Returns the number of rows removed.
CREATE OR REPLACE FUNCTION audit_prune(keep_days integer) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    cutoff   timestamptz;
    last_gone bigint;
    first_kept record;
    removed  bigint;
BEGIN
    IF keep_days < 180 THEN
        RAISE EXCEPTION 'audit records are kept at least 180 days (asked: %)', keep_days;
    END IF;
    cutoff := now() - make_interval(days => keep_days);
    PERFORM pg_advisory_xact_lock(7702002);  -- the writers' lock: the chain does not move meanwhile
    -- only a prefix of the chain goes: every row up to the last one older than the cutoff
    SELECT max(seq) INTO last_gone FROM audit_log WHERE at < cutoff;
    IF last_gone IS NULL THEN
        RETURN 0;
    END IF;
    SELECT seq, prev_hash INTO first_kept FROM audit_log WHERE seq > last_gone ORDER BY seq LIMIT 1;
    IF first_kept IS NULL THEN
        RETURN 0;  -- never prune the head: the chain must keep a row to end on
    END IF;
    PERFORM set_config('gridcommand.audit_prune', 'on', true);
    DELETE FROM audit_log WHERE seq <= last_gone;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('gridcommand.audit_prune', 'off', true);
    INSERT INTO app_state (key, value, updated_at)
    VALUES ('audit_anchor', jsonb_build_object('seq', first_kept.seq, 'prev_hash', first_kept.prev_hash), now())
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now();
    RETURN removed;
END $$;
