"""The desk's refusals and errors as pages, in Chinese, with the status the API would give."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace.desk.blueprint import blp
from marketplace.errors import DomainError
from marketplace.i18n import translate_errors

HEADLINES = {
    400: "请求无效，请刷新页面后重试",
    405: "不支持此操作",
    500: "服务器出错了，已记录，请稍后再试",
    401: "手机号或密码错误",
    403: "无权进行此操作",
    404: "未找到，或不属于您所在的城市",
    409: "操作与当前状态冲突",
    422: "输入有误",
    429: "失败次数过多，请稍后再试",
}


@blp.errorhandler(DomainError)
def domain_error(error: DomainError) -> tuple[str, int]:
    """A refused request as a page, with the status the API would give."""
    return error_page(
        error.status, error.translated(), translate_errors(error.errors)
    ), error.status


@blp.errorhandler(CSRFError)
def csrf_error(error: CSRFError) -> tuple[str, int]:
    """A form without a valid CSRF token: nothing was done."""
    return error_page(400, "表单已过期或来源不明，请返回刷新页面后重新提交。", None), 400


def install_error_pages(app: Flask) -> None:
    """Answer HTTP errors under /desk/ (unknown pages, wrong methods, 500) as desk pages.

    Errors raised inside the desk's views have the blueprint's handlers; these are the ones no
    view saw. Everywhere else the API's JSON handlers answer, as before.
    """
    handlers = app.error_handler_spec[None]
    for code, exception_class in ((None, HTTPException), (500, InternalServerError)):
        api_handler = handlers[code][exception_class]

        def handle(error: HTTPException, api_handler: Any = api_handler) -> Any:
            if not request.path.startswith(blp.url_prefix or "/desk"):
                return api_handler(error)
            status = error.code or 500
            page = error_page(status, HEADLINES.get(status, "出错了"), None)
            return page, status

        app.register_error_handler(exception_class, handle)


def error_page(status: int, message: str, errors: Any) -> str:
    """The error page: the status's headline, the message and the fields' errors."""
    return render_template(
        "desk/error.html",
        status=status,
        headline=HEADLINES.get(status, "出错了"),
        message=message,
        errors=errors,
    )
