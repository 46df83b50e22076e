"""Trigram indexes for the task search (?q=) on PostgreSQL: Django's icontains is
UPPER(column) LIKE UPPER('%term%'), which a GIN index over UPPER(column) with gin_trgm_ops answers
for terms of three characters or more — Chinese included, since pg_trgm counts CJK characters as
word characters under a UTF-8 ctype. SQLite has no such index and scans (fine at its sizes).
CREATE EXTENSION needs a role allowed to create it (see docs/deployment.md)."""

from django.db import migrations

INDEXES = (
    ("measure_title_trgm", "measures_measure", "title"),
    ("measure_text_trgm", "measures_measure", "text"),
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER({column}) gin_trgm_ops)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("measures", "0008_draft_replaced_by")]

    operations = [migrations.RunPython(forwards, backwards)]
