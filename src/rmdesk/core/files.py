"""Stored files are served only through a view that has already found their record in the reader's
scope (docs/decisions.md 25): `serve_file` streams one as a download, and a record without a file,
or a file gone from storage, is the same 404 as a record the reader cannot see. `pdf_response` turns a
printable page into a PDF download."""

from django.http import FileResponse, Http404, HttpResponse


def serve_file(field_file, filename: str = "") -> FileResponse:
    """The file of a FileField as an attachment download, or Http404 when there is none to serve."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=filename or field_file.name.rsplit("/", 1)[-1])


def pdf_response(request, template: str, context: dict, filename: str) -> HttpResponse:
    """A printable page rendered to PDF (WeasyPrint; the CJK font is named in the template) as a download."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(template, context, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
