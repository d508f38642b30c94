-- Accounts and sessions to the bar of 等保 2.0 level 3 (issue 16): server-side sessions that end at once when
-- what they rest on changes, login throttling per (account, client address) and per address, TOTP second
-- factors with recovery codes, forced password change, and a retention floor for the audit trail.

-- One row per login. The cookie holds a random id; only its SHA-256 is stored here.
CREATE TABLE user_sessions (
    id               bigserial PRIMARY KEY,
    sid_hash         text NOT NULL UNIQUE,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('password', 'display')),
    display_token_id bigint REFERENCES api_tokens (id),
    -- a step still owed before the session reaches anything but its login pages
    pending          text CHECK (pending IN ('totp', 'enrol', 'password')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    end_reason       text,
    remote_addr      text NOT NULL DEFAULT '',
    user_agent       text NOT NULL DEFAULT '',
    CHECK ((kind = 'display') = (display_token_id IS NOT NULL)),
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX user_sessions_live_user_idx ON user_sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_live_token_idx ON user_sessions (display_token_id) WHERE ended_at IS NULL;

-- Deactivation, a new password and a change of role, county or township end the user's sessions in the same
-- transaction, whichever path made the change (admin page, CLI, SQL).
CREATE FUNCTION user_sessions_end_on_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_sessions SET ended_at = now(),
           end_reason = CASE WHEN NOT NEW.active THEN 'deactivated'
                             WHEN NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN 'password changed'
                             ELSE 'role changed' END
    WHERE user_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER user_sessions_end_on_user_change
    AFTER UPDATE OF active, password_hash, role, county_code, township_code ON users
    FOR EACH ROW WHEN (OLD.active AND NOT NEW.active
                       OR OLD.password_hash IS DISTINCT FROM NEW.password_hash
                       OR OLD.role IS DISTINCT FROM NEW.role
                       OR OLD.county_code IS DISTINCT FROM NEW.county_code
                       OR OLD.township_code IS DISTINCT FROM NEW.township_code)
    EXECUTE FUNCTION user_sessions_end_on_user_change();

-- Revoking a display token ends the wall screens it logged in.
CREATE FUNCTION user_sessions_end_on_token_revoke() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_sessions SET ended_at = now(), end_reason = 'token revoked'
    WHERE display_token_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER user_sessions_end_on_token_revoke
    AFTER UPDATE OF revoked_at ON api_tokens
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION user_sessions_end_on_token_revoke();

-- Failed logins per (name as typed, client address); username '' is the address's count across all names.
-- Unknown names are counted like known ones, so the answers never tell them apart.
CREATE TABLE login_throttle (
    username       text NOT NULL,
    remote_addr    text NOT NULL,
    failures       integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    first_failure_at timestamptz NOT NULL DEFAULT now(),
    last_failure_at  timestamptz NOT NULL DEFAULT now(),
    blocked_until  timestamptz,
    PRIMARY KEY (username, remote_addr)
);
CREATE INDEX login_throttle_user_idx ON login_throttle (username);

-- Second factor (RFC 6238 TOTP) and the password rules' state.
ALTER TABLE users
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN password_changed_at  timestamptz,
    ADD COLUMN totp_secret          text,          -- base32; set once an enrolment is confirmed
    ADD COLUMN totp_pending_secret  text,          -- an enrolment shown but not yet confirmed by a code
    ADD COLUMN totp_enabled_at      timestamptz,
    ADD COLUMN totp_last_step       bigint;        -- the last accepted 30 s step: a code works once

CREATE TABLE user_recovery_codes (
    id        bigserial PRIMARY KEY,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash text NOT NULL,                       -- SHA-256 of the code; the codes are shown once
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at   timestamptz,
    UNIQUE (user_id, code_hash)
);

-- Audit retention: the trail stays append-only except for pruning its oldest rows through audit_prune(),
-- which never removes anything younger than 180 days (GB/T 22239-2019 8.1.4.3: audit records kept ≥ 6 months)
-- and keeps the chain verifiable by recording where it now starts (app_state 'audit_anchor').
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('gridcommand.audit_prune', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
DROP TRIGGER audit_log_no_update ON audit_log;
DROP FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();

CREATE FUNCTION audit_prune(keep_days integer) RETURNS bigint LANGUAGE plpgsql AS $$
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
