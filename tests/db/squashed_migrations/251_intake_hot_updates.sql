-- Alert intake updates the same rows again and again: incidents (alert count, last seen, severity, sources) and
-- the grid-cell counters h3_cells (alerts, alerts_open). None of those columns is indexed, so the updates can be
-- HOT (heap-only: no new entry in any of the tables' 8-11 indexes) — but only when the page has free space.
-- Leave room on every page written from now on (fresh databases: all of them).
ALTER TABLE incidents SET (fillfactor = 75);
ALTER TABLE h3_cells SET (fillfactor = 75);
