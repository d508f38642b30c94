-- audit_log_guard: first written in migration 510.
-- Audit retention: the trail stays append-only except for pruning its oldest rows through audit_prune(),
-- which never removes anything younger than 180 days (GB/T 22239-2019 8.1.4.3: audit records kept ≥ 6 months)
-- and keeps the chain verifiable by recording where it now starts (app_state 'audit_anchor').
CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('gridcommand.audit_prune', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
