"""Break-glass account commands (remove or reactivate an admin, deactivate a superuser or
reset its password) and the user rows they and the seeding commands share."""
