-- Field loop (issue 15): position reporting devices (vehicle trackers, body cameras, phones running Traccar
-- Client) bound to a team, and their fixes as team track points.
--
-- A device authenticates with its own token (shown once; only the SHA-256 is kept, like api_tokens).
CREATE TABLE devices (
    id           bigserial PRIMARY KEY,
    county_code  text NOT NULL REFERENCES counties (code),
    team_id      bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    identifier   text NOT NULL UNIQUE CHECK (identifier ~ '^[A-Za-z0-9_.:-]{1,64}$'),  -- what the tracker sends as id
    kind         text NOT NULL DEFAULT 'tracker' CHECK (kind IN ('tracker', 'vehicle', 'body_camera', 'phone')),
    label        text NOT NULL DEFAULT '' CHECK (length(label) <= 100),
    token_hash   text NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_fix_at  timestamptz
);
CREATE INDEX devices_team_idx ON devices (team_id);

-- Track points carry where they came from and whether they moved the team:
--   flag ''               the fix moved the team (newest so far, plausible)
--   'late'                older than the team's current position (out of order, or another device was newer)
--   'outside_county'      outside the county's outline
--   'speed'               absurd speed (reported, or implied since the device's previous followed fix)
ALTER TABLE team_positions
    ADD COLUMN device_id   bigint REFERENCES devices (id) ON DELETE CASCADE,
    ADD COLUMN source      text NOT NULL DEFAULT 'system' CHECK (source IN ('system', 'device', 'field')),
    ADD COLUMN speed_kmh   real,
    ADD COLUMN bearing     real,
    ADD COLUMN altitude_m  real,
    ADD COLUMN accuracy_m  real,
    ADD COLUMN battery_pct real,
    ADD COLUMN flag        text NOT NULL DEFAULT '' CHECK (flag IN ('', 'late', 'outside_county', 'speed')),
    ADD COLUMN received_at timestamptz NOT NULL DEFAULT now();
-- A fix that comes twice (retries, a tracker's resend buffer) is stored once.
CREATE UNIQUE INDEX team_positions_device_fix_key ON team_positions (device_id, at) WHERE device_id IS NOT NULL;
-- Pruning by age scans by time.
CREATE INDEX team_positions_at_idx ON team_positions (at);

-- Unknown codes asked for by a client address (the enterprise page and the scan/rating API): guessing is
-- rate-limited per address, since a wrong code has no row of its own to count attempts on.
CREATE TABLE visit_code_misses (
    id          bigserial PRIMARY KEY,
    remote_addr text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visit_code_misses_addr_idx ON visit_code_misses (remote_addr, at DESC);
