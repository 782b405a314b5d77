"""admin-tasks: the task package (seeding commands, catalog and launcher).

Importable without Pulumi or boto3: the container installs only SQLAlchemy and psycopg.
"""
