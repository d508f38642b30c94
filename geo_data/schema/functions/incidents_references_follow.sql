-- The referencing side of an incident that goes: its alerts lose the link (was ON DELETE SET NULL), its timeline
-- goes (was ON DELETE CASCADE); an id still referred to cannot change.
CREATE OR REPLACE FUNCTION incidents_references_follow() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE alerts SET incident_id = NULL WHERE incident_id = OLD.id;
        DELETE FROM dispatch_events WHERE incident_id = OLD.id;
    ELSIF NEW.id IS DISTINCT FROM OLD.id
          AND (EXISTS (SELECT 1 FROM alerts WHERE incident_id = OLD.id)
               OR EXISTS (SELECT 1 FROM dispatch_events WHERE incident_id = OLD.id)) THEN
        RAISE foreign_key_violation USING
            MESSAGE = 'update on table "incidents" violates a reference from table "alerts" or "dispatch_events"',
            DETAIL = format('Key (id)=(%s) is still referenced.', OLD.id), TABLE = 'incidents';
    END IF;
    RETURN NULL;
END $$;
