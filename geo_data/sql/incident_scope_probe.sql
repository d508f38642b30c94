-- Whether an incident exists in the county at all (to tell "not yours" from "not there").
SELECT id, township_code FROM incidents WHERE id = %(id)s AND county_code = %(county_code)s
