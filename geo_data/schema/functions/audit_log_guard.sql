-- The audit trail is append-only (trigger audit_log_no_update): no UPDATE, DELETE or TRUNCATE, except the
-- DELETE of audit_prune(), which marks its transaction with gridcommand.audit_prune = 'on'.
CREATE OR REPLACE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('gridcommand.audit_prune', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
