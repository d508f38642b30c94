-- Plans, draws, inspection tasks and inspectors keyed with the distribution column (docs/scale-out.md), as 062
-- and 063 did for incidents and visits. The tables between them get county_code of their own (from the plan, the
-- draw or the inspector; geo_data.plans and geo_data.draws write it), so that each reference within a county
-- names it: a plan's visits, tasks, team-days and routing jobs are of the plan's county, a draw's targets and
-- drawn inspectors of the draw's, a recusal of the inspector's. county_code goes last in every key; names stay.
ALTER TABLE plan_visit_tasks ADD COLUMN county_code text;
UPDATE plan_visit_tasks t SET county_code = p.county_code FROM visit_plans p WHERE p.id = t.plan_id;
ALTER TABLE plan_visit_tasks ALTER COLUMN county_code SET NOT NULL;
ALTER TABLE plan_team_days ADD COLUMN county_code text;
UPDATE plan_team_days t SET county_code = p.county_code FROM visit_plans p WHERE p.id = t.plan_id;
ALTER TABLE plan_team_days ALTER COLUMN county_code SET NOT NULL;
ALTER TABLE draw_targets ADD COLUMN county_code text;
UPDATE draw_targets t SET county_code = d.county_code FROM draws d WHERE d.id = t.draw_id;
ALTER TABLE draw_targets ALTER COLUMN county_code SET NOT NULL;
ALTER TABLE draw_inspectors ADD COLUMN county_code text;
UPDATE draw_inspectors t SET county_code = d.county_code FROM draws d WHERE d.id = t.draw_id;
ALTER TABLE draw_inspectors ALTER COLUMN county_code SET NOT NULL;
ALTER TABLE inspector_conflicts ADD COLUMN county_code text;
UPDATE inspector_conflicts t SET county_code = i.county_code FROM inspectors i WHERE i.id = t.inspector_id;
ALTER TABLE inspector_conflicts ALTER COLUMN county_code SET NOT NULL;

ALTER TABLE plan_visits DROP CONSTRAINT plan_visits_plan_id_fkey;
ALTER TABLE plan_visit_tasks DROP CONSTRAINT plan_visit_tasks_plan_id_fkey,
                             DROP CONSTRAINT plan_visit_tasks_plan_visit_id_fkey,
                             DROP CONSTRAINT plan_visit_tasks_task_id_fkey;
ALTER TABLE plan_team_days DROP CONSTRAINT plan_team_days_plan_id_fkey;
ALTER TABLE route_jobs DROP CONSTRAINT route_jobs_plan_id_fkey;
ALTER TABLE visit_codes DROP CONSTRAINT visit_codes_plan_visit_id_fkey;
ALTER TABLE draw_targets DROP CONSTRAINT draw_targets_draw_id_fkey, DROP CONSTRAINT draw_targets_task_id_fkey;
ALTER TABLE draw_inspectors DROP CONSTRAINT draw_inspectors_draw_id_enterprise_id_fkey,
                            DROP CONSTRAINT draw_inspectors_inspector_id_fkey;
ALTER TABLE inspector_conflicts DROP CONSTRAINT inspector_conflicts_inspector_id_fkey;

ALTER TABLE visit_plans DROP CONSTRAINT visit_plans_pkey, ADD CONSTRAINT visit_plans_pkey PRIMARY KEY (id, county_code);
ALTER TABLE plan_visits DROP CONSTRAINT plan_visits_pkey, ADD CONSTRAINT plan_visits_pkey PRIMARY KEY (id, county_code);
ALTER TABLE plan_visit_tasks DROP CONSTRAINT plan_visit_tasks_pkey,
    ADD CONSTRAINT plan_visit_tasks_pkey PRIMARY KEY (plan_id, task_id, county_code);
ALTER TABLE plan_team_days DROP CONSTRAINT plan_team_days_pkey,
    ADD CONSTRAINT plan_team_days_pkey PRIMARY KEY (plan_id, team_id, visit_date, county_code);
ALTER TABLE inspection_tasks DROP CONSTRAINT inspection_tasks_pkey,
    ADD CONSTRAINT inspection_tasks_pkey PRIMARY KEY (id, county_code);
ALTER TABLE draws DROP CONSTRAINT draws_pkey, ADD CONSTRAINT draws_pkey PRIMARY KEY (id, county_code);
ALTER TABLE draw_targets DROP CONSTRAINT draw_targets_pkey,
    ADD CONSTRAINT draw_targets_pkey PRIMARY KEY (draw_id, enterprise_id, county_code);
ALTER TABLE draw_inspectors DROP CONSTRAINT draw_inspectors_pkey,
    ADD CONSTRAINT draw_inspectors_pkey PRIMARY KEY (draw_id, enterprise_id, slot, county_code);
ALTER TABLE inspectors DROP CONSTRAINT inspectors_pkey, ADD CONSTRAINT inspectors_pkey PRIMARY KEY (id, county_code);
ALTER TABLE inspector_conflicts DROP CONSTRAINT inspector_conflicts_pkey,
    ADD CONSTRAINT inspector_conflicts_pkey PRIMARY KEY (inspector_id, enterprise_id, county_code);

ALTER TABLE plan_visits ADD CONSTRAINT plan_visits_plan_id_fkey
    FOREIGN KEY (plan_id, county_code) REFERENCES visit_plans (id, county_code) ON DELETE CASCADE;
ALTER TABLE plan_visit_tasks
    ADD CONSTRAINT plan_visit_tasks_plan_id_fkey
        FOREIGN KEY (plan_id, county_code) REFERENCES visit_plans (id, county_code) ON DELETE CASCADE,
    ADD CONSTRAINT plan_visit_tasks_plan_visit_id_fkey
        FOREIGN KEY (plan_visit_id, county_code) REFERENCES plan_visits (id, county_code) ON DELETE CASCADE,
    ADD CONSTRAINT plan_visit_tasks_task_id_fkey
        FOREIGN KEY (task_id, county_code) REFERENCES inspection_tasks (id, county_code) ON DELETE CASCADE;
ALTER TABLE plan_team_days ADD CONSTRAINT plan_team_days_plan_id_fkey
    FOREIGN KEY (plan_id, county_code) REFERENCES visit_plans (id, county_code) ON DELETE CASCADE;
ALTER TABLE route_jobs ADD CONSTRAINT route_jobs_plan_id_fkey
    FOREIGN KEY (plan_id, county_code) REFERENCES visit_plans (id, county_code) ON DELETE CASCADE;
ALTER TABLE visit_codes ADD CONSTRAINT visit_codes_plan_visit_id_fkey
    FOREIGN KEY (plan_visit_id, county_code) REFERENCES plan_visits (id, county_code) ON DELETE SET NULL (plan_visit_id);
ALTER TABLE draw_targets
    ADD CONSTRAINT draw_targets_draw_id_fkey
        FOREIGN KEY (draw_id, county_code) REFERENCES draws (id, county_code) ON DELETE CASCADE,
    ADD CONSTRAINT draw_targets_task_id_fkey
        FOREIGN KEY (task_id, county_code) REFERENCES inspection_tasks (id, county_code) ON DELETE SET NULL (task_id);
ALTER TABLE draw_inspectors
    ADD CONSTRAINT draw_inspectors_draw_id_enterprise_id_fkey FOREIGN KEY (draw_id, enterprise_id, county_code)
        REFERENCES draw_targets (draw_id, enterprise_id, county_code) ON DELETE CASCADE,
    ADD CONSTRAINT draw_inspectors_inspector_id_fkey
        FOREIGN KEY (inspector_id, county_code) REFERENCES inspectors (id, county_code) ON DELETE SET NULL (inspector_id);
ALTER TABLE inspector_conflicts ADD CONSTRAINT inspector_conflicts_inspector_id_fkey
    FOREIGN KEY (inspector_id, county_code) REFERENCES inspectors (id, county_code) ON DELETE CASCADE;
