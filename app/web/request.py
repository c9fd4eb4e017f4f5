"""How request bodies are read: bytes that are not UTF-8 become U+FFFD, which every form check refuses.

Werkzeug keeps undecodable bytes of a urlencoded body as literal "%FF" text, which
no check could tell apart from what a person typed.
"""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.formparser import FormDataParser


class _Utf8FormDataParser(FormDataParser):
    def _parse_urlencoded(self, stream: IO[bytes], mimetype: str, content_length: int | None, options: Any):
        items = parse_qsl(stream.read().decode("utf-8", "replace"), keep_blank_values=True, errors="replace")
        return stream, self.cls(items), self.cls()


class GatehouseRequest(Request):
    form_data_parser_class = _Utf8FormDataParser
