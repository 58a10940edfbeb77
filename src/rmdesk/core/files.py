"""Stored files are served only through a view that has already found their record in the reader's
scope (docs/decisions.md 25): `serve_file` streams one as a download, and a record without a file,
or a file gone from storage, is the same 404 as a record the reader cannot see."""

from django.http import FileResponse, Http404


def serve_file(field_file, filename: str = "") -> FileResponse:
    """The file of a FileField as an attachment download, or Http404 when there is none to serve."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=filename or field_file.name.rsplit("/", 1)[-1])
