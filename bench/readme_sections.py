"""Each benchmark writes only its own section of bench/README.md, between its two markers."""
from __future__ import annotations

import re
from pathlib import Path

from .servers import ROOT

README = ROOT / "bench" / "README.md"


def replace_section(text: str, start: str, end: str, readme: Path = README) -> None:
    """Put `text` (which begins with `start` and ends with `end`) in place of the section, or at
    the end of the file when there is none yet."""
    content = readme.read_text(encoding="utf-8")
    if start in content:
        content = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: text, content, flags=re.S)
    else:
        content = content.rstrip("\n") + "\n\n" + text + "\n"
    readme.write_text(content, encoding="utf-8")
