"""Drop the second, LIKE-only index (varchar_pattern_ops) Django gives a varchar primary
key on PostgreSQL. These columns use the "C" collation, whose btree (the primary key)
already serves prefix matches, and lotmembership's would be one more btree insert for
every unit ingested. (In a migration of its own: Django creates those indexes as deferred
SQL at the end of the migration that creates the tables.)"""

from django.db import migrations

PRIMARY_KEYED_BY_TEXT = ["trace_lotmembership", "trace_retraction", "trace_pendingparent"]


def drop_like_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = ANY(%s) AND indexname LIKE %s",
            [PRIMARY_KEYED_BY_TEXT, "%\\_like"],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')


class Migration(migrations.Migration):
    dependencies = [("trace", "0001_lineage_graph")]

    operations = [migrations.RunPython(drop_like_indexes, migrations.RunPython.noop)]
