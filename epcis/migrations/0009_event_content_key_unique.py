"""Duplicates by content (DESIGN §10): `Event.content_hash`, the content key, becomes unique,
so capture finds an event's copies through an index and concurrent captures of one event
(say without eventID, in two formats: two reference hashes) cannot both store it.

Rows stored before are given keys that satisfy the constraint first, as capture now does:
- an error declaration's hash left errorDeclaration out, so it equalled the hash of the
  event it corrects; its key now adds its declaration time, as `epcis.normalise` does;
- of events sharing a content key, the first keeps it and each later one gets its dedupe
  key appended, as `epcis.storage` does for an event under another explicit eventID (they
  all stay stored: events are never deleted).
The key is an internal column, not event data: nothing returned to a client changes.
"""

from django.db import migrations, models
from django.db.models import Count, Min

import epcis.models

# As epcis.normalise.DECLARATION_KEY and epcis.storage.SAME_CONTENT (copied: a migration
# must not change when the code does).
DECLARATION_KEY = "#errorDeclaration@"
SAME_CONTENT = "#event:"


def rekey_existing_events(apps, schema_editor):
    Event = apps.get_model("epcis", "Event")
    declarations = Event.objects.filter(declaration_time__isnull=False)
    for pk, content, declared in declarations.values_list("id", "content_hash", "declaration_time"):
        key = f"{content}{DECLARATION_KEY}{declared.isoformat()}"
        Event.objects.filter(pk=pk).update(content_hash=key)
    shared = (
        Event.objects.values("content_hash")
        .annotate(events=Count("id"), first=Min("id"))
        .filter(events__gt=1)
    )
    for group in shared.iterator():
        content = group["content_hash"]
        later = Event.objects.filter(content_hash=content, id__gt=group["first"])
        for pk, key in later.values_list("id", "dedupe_key"):
            Event.objects.filter(pk=pk).update(content_hash=f"{content}{SAME_CONTENT}{key}")


class Migration(migrations.Migration):
    dependencies = [
        ("epcis", "0008_capture_job_enqueued_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="content_hash",
            field=epcis.models.CodePointCharField(max_length=600),
        ),
        migrations.RunPython(rekey_existing_events, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(fields=("content_hash",), name="event_content_hash"),
        ),
    ]
