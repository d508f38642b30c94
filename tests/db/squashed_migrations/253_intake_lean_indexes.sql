-- Every index of alerts (and of incidents) is written by every alert the intake stores: thousands a second at
-- peak. Keep only the indexes some query reads through.
--
-- * No query searches alerts or incidents by their point (they are found by county and time, by incident, by
--   enterprise and by H3 cell; the map draws their coordinates): the two GiST indexes go. A GiST insert was
--   the dearest of the alert indexes.
-- * A res-7 cell holds 49 res-9 cells, a res-8 cell 7: the queries ask for a coarser cell's alerts by its res-9
--   cells (geo_data.cells.res9_cells), so the res-7 and res-8 indexes go, for alerts and for incidents (whose
--   measure queries reach them by county and time first).
-- * alerts (county_code, observed_at) twice — once for the map and playback, once partial with the
--   enterprise for the coverage measure — becomes one index serving both (an index-only scan filters the
--   alerts without an enterprise).
DROP INDEX IF EXISTS alerts_geom_gix;
DROP INDEX IF EXISTS alerts_h3_r7_idx;
DROP INDEX IF EXISTS alerts_h3_r8_idx;
DROP INDEX IF EXISTS alerts_enterprise_measure_idx;
DROP INDEX IF EXISTS alerts_county_observed_idx;
CREATE INDEX alerts_county_observed_idx ON alerts (county_code, observed_at) INCLUDE (enterprise_id);

DROP INDEX IF EXISTS incidents_geom_gix;
DROP INDEX IF EXISTS incidents_h3_r7_idx;
DROP INDEX IF EXISTS incidents_h3_r8_idx;
