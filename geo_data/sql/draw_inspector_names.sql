-- Inspectors' names and badge numbers (a draw preview names who would go).
SELECT id, name, badge_no FROM inspectors WHERE id = ANY (%(ids)s) AND county_code = %(county_code)s;
