-- Field app (issue 15): inspectors (执法队员) log in on their phones as members of one team; their steps and
-- positions arrive, possibly late from an offline queue, each exactly once by the phone's own id.
INSERT INTO roles (code, name, name_en) VALUES ('inspector', '执法队员', 'Field inspector');

-- An inspector belongs to one team (of the user's county: checked by geo_data.users, the county is the user's).
ALTER TABLE users ADD COLUMN team_id bigint REFERENCES teams (id);
ALTER TABLE users ADD CONSTRAINT users_inspector_has_team CHECK (role <> 'inspector' OR team_id IS NOT NULL);
CREATE INDEX users_team_idx ON users (team_id) WHERE team_id IS NOT NULL;

-- Moving an inspector to another team ends their sessions like a role change does (user_sessions: migration
-- 510, which runs later on a fresh database; the body is resolved when the trigger fires).
CREATE FUNCTION user_sessions_end_on_team_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_sessions SET ended_at = now(), end_reason = 'team changed'
    WHERE user_id = NEW.id AND ended_at IS NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER user_sessions_end_on_team_change
    AFTER UPDATE OF team_id ON users
    FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id)
    EXECUTE FUNCTION user_sessions_end_on_team_change();

-- Every step an inspector sent from the field app, keyed by the phone's id of it (a UUID made when the person
-- tapped): a resend from the offline queue finds its row and gets the same answer, nothing happens twice.
-- ``at`` is the phone's time of the tap (what the timeline and the measures show), ``received_at`` the server's.
CREATE TABLE field_steps (
    client_id    uuid PRIMARY KEY,
    county_code  text NOT NULL REFERENCES counties (code),
    user_id      bigint NOT NULL REFERENCES users (id),
    team_id      bigint NOT NULL REFERENCES teams (id),
    incident_id  bigint,
    dispatch_id  bigint,
    visit_id     bigint REFERENCES visits (id) ON DELETE CASCADE,
    step         text NOT NULL CHECK (step IN ('accepted', 'en_route', 'on_site', 'resolved', 'visit_result')),
    at           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    geom         geometry(Point, 4326),
    accuracy_m   real,
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    answer       jsonb NOT NULL DEFAULT '{}'::jsonb,
    CHECK ((step = 'visit_result') = (visit_id IS NOT NULL)),
    CHECK (step = 'visit_result' OR incident_id IS NOT NULL)
);
CREATE INDEX field_steps_incident_idx ON field_steps (incident_id) WHERE incident_id IS NOT NULL;
-- Where each step was taken: every geometry has its GiST index.
CREATE INDEX field_steps_geom_gix ON field_steps USING gist (geom);

-- What the inspectors found on a visit (taken on site in the field app): items checked, problem or none,
-- follow-up. One per visit; the visit becomes 'done'.
CREATE TABLE visit_results (
    visit_id      bigint PRIMARY KEY REFERENCES visits (id) ON DELETE CASCADE,
    county_code   text NOT NULL REFERENCES counties (code),
    items_checked text[] NOT NULL DEFAULT '{}',
    problem_found boolean NOT NULL,
    follow_up     text NOT NULL DEFAULT 'none' CHECK (follow_up IN ('none', 'rectify', 'recheck', 'case')),
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    at            timestamptz NOT NULL,
    recorded_by   text NOT NULL,
    client_id     uuid UNIQUE
);
