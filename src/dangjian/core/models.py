"""Abstract bases only: core has no tables of its own."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StoredFileRecord(models.Model):
    """A file validated and stored by `core.uploads` (outside the web root, under a random name),
    as an app keeps it beside the record it belongs to: a meeting's photos, a 督办 reply's files, a
    recruitment step's documents. Served only through the owning app's view, as a download."""

    name = models.CharField("文件名", max_length=100)
    path = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name
