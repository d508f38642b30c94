-- Incidents, their dispatches and what refers to them, keyed with the distribution column (docs/scale-out.md):
-- a dispatch, a timeline event's dispatch and an evidence photo of an incident are of the incident's county, and
-- the database now says so. county_code goes last in every key (look-ups by id keep their index prefix); the
-- constraint and index names stay (geo_data.dispatch relies on dispatches_one_active_per_team).
ALTER TABLE dispatch_events DROP CONSTRAINT dispatch_events_dispatch_id_fkey;
ALTER TABLE dispatches DROP CONSTRAINT dispatches_incident_id_fkey;
ALTER TABLE evidence_files DROP CONSTRAINT evidence_files_incident_id_fkey;

ALTER TABLE incidents DROP CONSTRAINT incidents_pkey,
    ADD CONSTRAINT incidents_pkey PRIMARY KEY (id, county_code);
ALTER TABLE dispatches DROP CONSTRAINT dispatches_pkey,
    ADD CONSTRAINT dispatches_pkey PRIMARY KEY (id, county_code);

ALTER TABLE dispatches ADD CONSTRAINT dispatches_incident_id_fkey
    FOREIGN KEY (incident_id, county_code) REFERENCES incidents (id, county_code) ON DELETE CASCADE;
ALTER TABLE evidence_files ADD CONSTRAINT evidence_files_incident_id_fkey
    FOREIGN KEY (incident_id, county_code) REFERENCES incidents (id, county_code) ON DELETE CASCADE;
ALTER TABLE dispatch_events ADD CONSTRAINT dispatch_events_dispatch_id_fkey
    FOREIGN KEY (dispatch_id, county_code) REFERENCES dispatches (id, county_code) ON DELETE CASCADE;

-- A team can never hold two active dispatches; an incident has at most one active dispatch.
DROP INDEX dispatches_one_active_per_team;
CREATE UNIQUE INDEX dispatches_one_active_per_team ON dispatches (team_id, county_code)
    WHERE status IN ('assigned', 'accepted', 'en_route', 'on_site');
DROP INDEX dispatches_one_active_per_incident;
CREATE UNIQUE INDEX dispatches_one_active_per_incident ON dispatches (incident_id, county_code)
    WHERE status IN ('assigned', 'accepted', 'en_route', 'on_site');
-- The same photo sent twice for one incident is one row.
DROP INDEX evidence_files_incident_sha_key;
CREATE UNIQUE INDEX evidence_files_incident_sha_key ON evidence_files (incident_id, sha256, county_code)
    WHERE incident_id IS NOT NULL;
