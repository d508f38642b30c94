-- The distribution column in the keys of tables nothing refers to (docs/scale-out.md; tests/db/test_scale_out.py
-- lists what is still to do). county_code goes last: every look-up by the old key's columns still finds its rows
-- by the index prefix, and the constraint names stay (the intake retries on a coverage_touch_pkey collision).
-- The functions that upsert coverage_touch name the new key (geo_data/schema/functions/coverage_touch_*.sql).
ALTER TABLE coverage_touch DROP CONSTRAINT coverage_touch_pkey,
    ADD CONSTRAINT coverage_touch_pkey PRIMARY KEY (enterprise_id, month, county_code);
ALTER TABLE monitoring_coverage DROP CONSTRAINT monitoring_coverage_pkey,
    ADD CONSTRAINT monitoring_coverage_pkey PRIMARY KEY (id, county_code);
ALTER TABLE dispatch_events DROP CONSTRAINT dispatch_events_pkey,
    ADD CONSTRAINT dispatch_events_pkey PRIMARY KEY (id, county_code);
