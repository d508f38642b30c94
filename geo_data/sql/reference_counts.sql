-- How many reference rows are loaded (departments, inspection items, industries, alert types).
SELECT (SELECT count(*) FROM departments) AS departments,
       (SELECT count(*) FROM inspection_items) AS inspection_items,
       (SELECT count(*) FROM industries) AS industries,
       (SELECT count(*) FROM alert_types) AS alert_types;
