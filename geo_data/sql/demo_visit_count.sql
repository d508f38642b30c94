-- How many visits the table holds (all counties): decides whether a bulk load rebuilds the indexes.
SELECT count(*) AS n FROM visits;
