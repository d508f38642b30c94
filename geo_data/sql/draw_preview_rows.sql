-- Names for a draw preview: the drawn enterprises with township and grades.
SELECT e.id, e.name, e.uscc, e.risk, e.credit, coalesce(tw.name, '') AS township_name
FROM enterprises e
LEFT JOIN townships tw ON tw.code = e.township_code
WHERE e.id = ANY (%(ids)s) AND e.county_code = %(county_code)s;
