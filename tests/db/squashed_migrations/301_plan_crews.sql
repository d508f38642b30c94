-- Joint crews (联合检查组): a routed visit may be made by a township team joined by department squads.
ALTER TABLE plan_visits ADD COLUMN crew_team_ids bigint[] NOT NULL DEFAULT '{}';
ALTER TABLE plan_team_days ADD COLUMN crew_team_ids bigint[] NOT NULL DEFAULT '{}';
