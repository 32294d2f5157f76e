"""The desk's import page (admins): download a template, upload it filled in, read the result.

The upload goes through the same service as the API's multipart import (``files.import_file``):
the same rules, the same all or nothing, the same audit events. A refused file is shown again
on the page with every problem in Chinese (422, nothing stored); an imported one is counted in
a notice after a redirect, so that reloading the page never imports it twice.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, flash, redirect, render_template, request, url_for

from marketplace.auth.models import User
from marketplace.common import spreadsheets
from marketplace.common.uploads import FILE_FIELD, FileRefused, accepts_files
from marketplace.desk import imports as page
from marketplace.desk.blueprint import blp
from marketplace.desk.error_pages import error_page
from marketplace.desk.session import current_official, desk_user, sign_in_required
from marketplace.earnings import files
from marketplace.earnings.imports import RecordsInvalid
from marketplace.earnings.schemas import EarningsFileFormSchema, FileFormSchema
from marketplace.errors import Conflict, Forbidden
from marketplace.extensions import db

KINDS = ", ".join(files.KINDS)


def _admin() -> User:
    """The signed-in admin; officials may read the desk but never import (403)."""
    user = current_official()
    if user.role != "admin":
        raise Forbidden("only the platform's admins import data")
    return user


def _page(refusal: page.Refusal | None = None, source: str = "") -> str:
    return render_template(
        "desk/imports.html",
        kinds=page.kinds(),
        refusal=refusal,
        source=source,
        max_rows=files.MAX_RECORDS,
        max_megabytes=files.MAX_FILE_BYTES // (1024 * 1024),
    )


@blp.get("/imports")
@sign_in_required
def imports_page() -> Any:
    """The three imports, each with its templates and an upload form."""
    _admin()
    return _page()


@blp.post(f"/imports/<any({KINDS}):kind>")
@sign_in_required
@accepts_files(files.MAX_FILE_BYTES)
def import_upload(kind: str) -> Any:
    """Import an uploaded file of ``kind``: all its rows or none; the rows' errors in Chinese."""
    user = _admin()
    source = request.form.get("source", "")
    # A browser sends an empty file part when no file was chosen: that is no file.
    given: dict[str, Any] = {FILE_FIELD: request.files.get(FILE_FIELD) or None}
    if kind == "earnings":
        given["source"] = source
    form = EarningsFileFormSchema() if kind == "earnings" else FileFormSchema()
    try:
        body = form.load({name: value for name, value in given.items() if value is not None})
        uploaded = body[FILE_FIELD]
        content = uploaded.stream.read(files.MAX_FILE_BYTES + 1)
        result = files.import_file(user, kind, content, body.get("source"))
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        return _page(page.form_refusal(kind, messages), source), 422
    except FileRefused as error:
        db.session.rollback()
        return _page(page.file_refusal(kind, error), source), 422
    except RecordsInvalid as error:
        db.session.rollback()
        return _page(page.rows_refusal(kind, error), source), 422
    except Conflict:
        db.session.rollback()
        refusal = page.Refusal(kind, "另一次导入同时写入了相同的记录，本次未导入；请重新上传。")
        return _page(refusal, source), 409
    flash(
        f"{page.kind_name(kind)}导入完成：新增 {result.imported} 条，"
        f"替换原有记录 {result.replaced} 条。"
    )
    return redirect(url_for("desk.imports_page"), code=303)


@blp.errorhandler(FileRefused)
def file_too_large(error: FileRefused) -> tuple[str, int]:
    """A file refused before the view read it (larger than the upload limit), in Chinese.

    The body is never read here: reading it is what the limit prevents.
    """
    kind = (request.view_args or {}).get("kind", files.KINDS[0])
    refusal = page.file_refusal(kind, error)
    user = desk_user()
    if user is not None and user.role == "admin":
        return _page(refusal), 422
    return error_page(422, refusal.headline, None), 422


@blp.get(f"/imports/templates/<any({KINDS}):kind>.<any(csv, xlsx):file_format>")
@sign_in_required
def import_template(kind: str, file_format: str) -> Response:
    """Download the template of an import as CSV or Excel."""
    _admin()
    return spreadsheets.download(files.template(kind, file_format))
