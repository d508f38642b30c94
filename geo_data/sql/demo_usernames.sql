-- Every existing username (the demo creates only the users that are missing).
SELECT username FROM users;
