"""Access: organisation (branches, teams, staff users and roles); later sessions, tokens, audit."""
