"""Break-glass account commands: remove or reactivate an admin, deactivate a superuser or
reset its password (the user rows they share with seeding are :mod:`tasks.jobs.users`)."""
