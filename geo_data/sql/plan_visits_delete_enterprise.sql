-- Drop an enterprise's visits of a draft plan (they are rebuilt after a split or a moved window).
DELETE FROM plan_visits WHERE plan_id = %(plan_id)s AND enterprise_id = %(enterprise_id)s;
