-- Map: when a view holds more enterprises than MapSettings.max_points, the server sends the high and
-- elevated risk ones first; this partial GiST index finds them in a bbox without touching the rest.
CREATE INDEX enterprises_priority_geom_gix ON enterprises USING gist (geom) WHERE risk IN ('high', 'elevated');
