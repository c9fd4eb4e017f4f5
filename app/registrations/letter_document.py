"""Letters as one self-contained HTML document: one letter per printed page on A4 or Letter, no script.

The web sends it as a download and the CLI writes it to a new folder: neither keeps it on the server. Its
style is inside it, so that it prints the same opened from a disk with no network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment

from app.common.secret_files import SecretFileError, create_secret_file, private_folder
from app.registrations.letters import Letter

RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})

# The page's margins suit A4 (210 x 297 mm) and Letter (216 x 279 mm) alike: the text block is at most
# 170 x 230 mm, within both, and every letter starts a new page.
STYLE = """
@page { margin: 22mm 20mm; }
html { font-family: "Noto Serif", "DejaVu Serif", Georgia, "Times New Roman", serif; font-size: 11pt;
  line-height: 1.45; color: #000; background: #fff; }
body { margin: 0 auto; max-width: 170mm; padding: 1rem; }
.letter { margin: 0 0 3rem; padding-bottom: 2rem; border-bottom: 1px dashed #666; }
.letterhead { margin: 0 0 1.5rem; padding-bottom: .5rem; border-bottom: 1px solid #000; }
.letterhead p { margin: 0; }
.letterhead p:first-child { font-size: 14pt; font-weight: bold; }
.letter > p { margin: 0 0 .8rem; }
.signature { margin-top: 2.5rem; }
.signature p { margin: 0; }
.signature .space { height: 1.6rem; }
.verify { margin-top: 1.5rem; font-size: 9pt; border-top: 1px solid #999; padding-top: .3rem; }
.verify span { font-family: "DejaVu Sans Mono", "Courier New", monospace; }
@media print {
  body { padding: 0; max-width: none; }
  .letter { break-after: page; page-break-after: always; margin: 0; padding: 0; border: 0; }
  .letter:last-child { break-after: auto; page-break-after: auto; }
}
"""

TEMPLATE = """<!doctype html>
<html lang="{{ language }}" dir="{{ direction }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{ title }}</title><style>{{ style }}</style></head>
<body><main>
{% for letter in letters %}<article class="letter" aria-label="{{ letter.reference }}">
<header class="letterhead">{% for line in letter.letterhead %}<p>{{ line }}</p>{% endfor %}</header>
{% for paragraph in letter.paragraphs %}<p>{{ paragraph }}</p>
{% endfor %}<div class="signature"><div class="space"></div><p>{{ letter.signatory_name }}</p>
<p>{{ letter.signatory_title }}</p></div>
<p class="verify">{{ letter.reference }} · <span>{{ letter.code }}</span></p>
</article>
{% endfor %}</main></body>
</html>
"""

_ENVIRONMENT = Environment(autoescape=True, keep_trailing_newline=True)


def document(letters: Sequence[Letter], title: str) -> str:
    """Every letter in one document; a document of one letter is that letter on its own."""
    language = letters[0].language if letters else "en"
    return _ENVIRONMENT.from_string(TEMPLATE).render(
        letters=letters,
        language=language,
        direction="rtl" if language in RIGHT_TO_LEFT else "ltr",
        title=title,
        style=STYLE.strip(),
    )


def file_name(letters: Sequence[Letter]) -> str:
    """visa-letters-SDF27-0001-SDF27-0012.html, or visa-letter-SDF27-0042.html for one."""
    if len(letters) == 1:
        return f"visa-letter-{letters[0].reference}.html"
    return f"visa-letters-{letters[0].reference}-{letters[-1].reference}.html"


def write_folder(folder: Path, letters: Sequence[Letter]) -> list[Path]:
    """A new folder (0700) with one file of every letter and, for more than one, a file per letter (each 0600).

    Raises SecretFileError if the folder exists already: no letter is ever written over another.
    """
    if folder.exists() or folder.is_symlink():
        raise SecretFileError(f"{folder} exists already: give a new folder, so that no letter is overwritten")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
    except OSError as error:
        raise SecretFileError(f"could not make the folder {folder}: {error.strerror or error}") from None
    private_folder(folder)
    files = {file_name(letters): letters}
    if len(letters) > 1:
        files.update({file_name((letter,)): (letter,) for letter in letters})
    for name, chosen in files.items():
        with create_secret_file(folder / name) as sink:
            sink.write(document(chosen, name).encode("utf-8"))
    return [folder / name for name in files]
