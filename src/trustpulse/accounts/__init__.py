"""Users and teams (accounts, passwords and roles arrive with the security issue)."""
