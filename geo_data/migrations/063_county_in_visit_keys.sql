-- Visits and what refers to them, the inspection codes and the routing jobs keyed with the distribution column
-- (docs/scale-out.md), as migration 062 did for incidents: a visit's result, field steps, evidence, planned visit
-- and inspection code are of the visit's county. county_code goes last in every key; the names stay.
ALTER TABLE evidence_files DROP CONSTRAINT evidence_files_visit_id_fkey;
ALTER TABLE field_steps DROP CONSTRAINT field_steps_visit_id_fkey;
ALTER TABLE visit_results DROP CONSTRAINT visit_results_visit_id_fkey;
ALTER TABLE plan_visits DROP CONSTRAINT plan_visits_visit_id_fkey;
ALTER TABLE visit_codes DROP CONSTRAINT visit_codes_visit_id_fkey;

ALTER TABLE visits DROP CONSTRAINT visits_pkey,
    ADD CONSTRAINT visits_pkey PRIMARY KEY (id, county_code);
ALTER TABLE evidence_files ADD CONSTRAINT evidence_files_visit_id_fkey
    FOREIGN KEY (visit_id, county_code) REFERENCES visits (id, county_code) ON DELETE CASCADE;
ALTER TABLE field_steps ADD CONSTRAINT field_steps_visit_id_fkey
    FOREIGN KEY (visit_id, county_code) REFERENCES visits (id, county_code) ON DELETE CASCADE;
ALTER TABLE visit_results ADD CONSTRAINT visit_results_visit_id_fkey
    FOREIGN KEY (visit_id, county_code) REFERENCES visits (id, county_code) ON DELETE CASCADE;
ALTER TABLE plan_visits ADD CONSTRAINT plan_visits_visit_id_fkey
    FOREIGN KEY (visit_id, county_code) REFERENCES visits (id, county_code) ON DELETE SET NULL (visit_id);
ALTER TABLE visit_codes ADD CONSTRAINT visit_codes_visit_id_fkey
    FOREIGN KEY (visit_id, county_code) REFERENCES visits (id, county_code) ON DELETE CASCADE;

-- 行政行为码 embed their county (ZJ + six digits): unique per county is unique.
ALTER TABLE visits DROP CONSTRAINT visits_code_key, ADD CONSTRAINT visits_code_key UNIQUE (code, county_code);
ALTER TABLE plan_visits DROP CONSTRAINT plan_visits_code_key,
    ADD CONSTRAINT plan_visits_code_key UNIQUE (code, county_code);
ALTER TABLE visit_codes DROP CONSTRAINT visit_codes_pkey,
    ADD CONSTRAINT visit_codes_pkey PRIMARY KEY (code, county_code);

-- Nothing refers to these; their client-made ids (UUIDs) stay unique per county.
ALTER TABLE evidence_files DROP CONSTRAINT evidence_files_pkey,
    ADD CONSTRAINT evidence_files_pkey PRIMARY KEY (id, county_code);
ALTER TABLE evidence_files DROP CONSTRAINT evidence_files_client_id_key,
    ADD CONSTRAINT evidence_files_client_id_key UNIQUE (client_id, county_code);
ALTER TABLE route_jobs DROP CONSTRAINT route_jobs_pkey,
    ADD CONSTRAINT route_jobs_pkey PRIMARY KEY (id, county_code);
