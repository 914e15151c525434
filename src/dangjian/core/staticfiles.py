"""The production storage of static files, with each name's URL kept per process.

A page asks `{% static %}` for the same few names (the style sheet, htmx, the icons) on every
request; whitenoise's manifest storage looks each one up in the manifest, cleans and joins it
(about 15 µs each, six or more a page). The manifest does not change while a process runs (a
new one comes with a deploy, which restarts the processes), so the URL a name gives is kept."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage

LIMIT = 4_096


class KeptManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._kept_urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return super().url(name, force)
        found = self._kept_urls.get(name)
        if found is None:
            found = super().url(name)
            if len(self._kept_urls) >= LIMIT:
                self._kept_urls.clear()
            self._kept_urls[name] = found
        return found
