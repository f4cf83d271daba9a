"""Which text encoding a CSV or TSV file is written in, or one line saying it cannot be told.

Spreadsheets export in the encoding of the machine they run on: Excel on a
Japanese Windows writes Shift-JIS (cp932), on a Chinese one GBK, on a Western
one Windows-1252, and "Unicode text" is UTF-16 without a word. Read in the
wrong encoding, ``名前`` becomes ``'\\x96¼\\x91O'`` and every model learns from
garbage without complaint, so the choice is made here, on the whole file:

1. a byte-order mark decides (UTF-8, UTF-16, UTF-32);
2. NUL bytes mean UTF-16 without a mark, or a binary file;
3. text that decodes as UTF-8 is UTF-8 (the odds of another encoding
   producing valid multi-byte UTF-8 by chance are tiny);
4. otherwise every encoding that decodes the whole file (charset-normalizer's
   proposals plus the usual spreadsheet ones) is scored by how plausible its
   characters are for the language it is made for, and the best one wins.

Step 4 is needed because detectors are weak on short files: for a
four-line GBK CSV charset-normalizer's best guess is Korean, and for a
French cp1252 file it is Central European (``è`` read as ``č``). The score
uses what a detector cannot learn from a few bytes: which characters are
*common* in each language (the first level of GB2312 and of JIS X 0208, the
2,350 Hangul syllables of KS X 1001), and that Western text has accented
letters one or two at a time, never in runs, which is how CJK bytes look
when misread as Windows-1252.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from automl.errors import UserError

CHUNK_BYTES = 1 << 20
DETECT_BYTES = 1 << 20  # charset-normalizer and the scores look at this much (all of a small file);
# the chosen encoding must then decode the whole file
SCORE_TEXT = 200_000  # characters scored per reading: plenty to tell languages apart
MIN_SCORE = 0.5  # below this, the best reading still looks like garbled text: refuse rather than guess
WESTERN_PRIOR = 0.25  # Windows-1252 wins unless another reading is clearly better: it is what Western exports use

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_JAPANESE = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004", "euc_jisx0213",
             "iso2022_jp"}
_SIMPLIFIED = {"gb18030", "gbk", "gb2312", "hz"}
_TRADITIONAL = {"big5", "big5hkscs", "cp950"}
_KOREAN = {"cp949", "euc_kr", "johab"}
_UNICODE = {"utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be", "utf_8"}
# always tried besides charset-normalizer's proposals, in this order of preference
_USUAL = ("cp1252", "cp932", "gb18030", "big5", "cp949", "latin_1")
_NAMES = {  # keys are normalised codec names (see _normal)
    "utf_8": "UTF-8", "utf_8_sig": "UTF-8", "ascii": "ASCII", "utf_16": "UTF-16", "utf_32": "UTF-32",
    "utf_16_le": "UTF-16 (little-endian, no byte-order mark)", "utf_16_be": "UTF-16 (big-endian, no byte-order mark)",
    "cp932": "Shift-JIS (cp932)", "shift_jis": "Shift-JIS", "euc_jp": "EUC-JP", "gb18030": "GBK (GB18030)",
    "gbk": "GBK", "gb2312": "GB2312", "big5": "Big5", "cp949": "EUC-KR (cp949)", "euc_kr": "EUC-KR",
    "cp1252": "Windows-1252 (Western European)", "iso8859_1": "Latin-1 (ISO-8859-1)",
    "cp1250": "Windows-1250 (Central European)", "cp1251": "Windows-1251 (Cyrillic)",
}
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# symbols a Western spreadsheet holds on their own (prices, degrees, quotes); in runs they are mojibake
_WESTERN_SYMBOLS = set("€£¥©®°±²³µ·¼½¾×÷–—‘’‚“”„•…‰‹›«»¡¿§¶¢¤¦¨ª¬¯´¸¹º\xa0")


@dataclass(frozen=True)
class Encoding:
    """A Python codec name for reading, and the sentence that tells the user, when it is worth telling."""

    codec: str
    note: str | None = None


def detect_encoding(path: Path) -> Encoding:
    """The encoding of the whole file at ``path``, or a one-line UserError (binary, or no plausible reading)."""
    with path.open("rb") as handle:
        head = handle.read(DETECT_BYTES)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return Encoding(codec, None if codec == "utf-8-sig" else _note(path, codec))
    if b"\x00" in head:
        codec = _utf16_without_bom(head)
        if codec is None:
            raise UserError(f"{path} looks like a binary file, not CSV text; export it as CSV, TSV or Parquet")
        return Encoding(codec, _note(path, codec))
    if _decodes(path, "utf-8"):
        return Encoding("utf-8")
    return _best_legacy(path, head)


def display_name(codec: str) -> str:
    return _NAMES.get(_normal(codec), codec)


def _normal(codec: str) -> str:
    """One name per codec (``latin-1``, ``latin_1`` and ``iso8859-1`` are all ``iso8859_1``)."""
    return codecs.lookup(codec).name.replace("-", "_")


def _note(path: Path, codec: str) -> str:
    return f"read {path} as {display_name(codec)} text (it is not UTF-8)"


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _decodes(path: Path, codec: str) -> bool:
    """Whether the whole file decodes, read in chunks so a large file is never held twice."""
    decoder = codecs.getincrementaldecoder(codec)()
    try:
        for chunk in _chunks(path):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf_16_le`` or ``utf_16_be`` when the bytes read as lines of printable text that way, else None.

    Random binary bytes decode as UTF-16 now and then, but almost never into
    printable characters with a line break among them.
    """
    best, best_share = None, 0.0
    for codec in ("utf_16_le", "utf_16_be"):
        try:
            text = codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if not text or ("\n" not in text and "\r" not in text):
            continue
        share = sum(c.isprintable() or c in "\t\r\n" for c in text) / len(text)
        if share > best_share:
            best, best_share = codec, share
    return best if best_share >= 0.98 else None


def _candidates(head: bytes) -> list[str]:
    """charset-normalizer's proposals, best first, then the usual spreadsheet encodings."""
    from charset_normalizer import from_bytes

    proposed = [match.encoding for match in from_bytes(head)]
    ordered = [_normal(c) for c in [*proposed, *_USUAL]]
    return [c for c in dict.fromkeys(ordered) if c not in _UNICODE]


def _best_legacy(path: Path, head: bytes) -> Encoding:
    scored: list[tuple[float, int, str]] = []
    for rank, codec in enumerate(_candidates(head)):
        try:  # a head cut inside a multi-byte character still decodes when final=False
            text = codecs.getincrementaldecoder(codec)().decode(head, final=len(head) < DETECT_BYTES)
        except UnicodeDecodeError:
            continue
        score = plausibility(text, codec) + (WESTERN_PRIOR if codec == "cp1252" else 0.0)
        scored.append((score, -rank, codec))
    for score, _, codec in sorted(scored, reverse=True):
        if score < MIN_SCORE:
            break
        if len(head) < DETECT_BYTES or _decodes(path, codec):
            return Encoding(codec, _note(path, codec))
    raise UserError(
        f"cannot tell the text encoding of {path}: it is not UTF-8, and no usual encoding reads it as text; "
        "save it as UTF-8 (in Excel: 'CSV UTF-8') and try again"
    )


def plausibility(text: str, codec: str) -> float:
    """The mean plausibility (0 to 1) of the non-ASCII characters of ``text`` as read with ``codec``."""
    family = _family(codec)
    seen = Counter((char, min(len(run), 3)) for run in _NON_ASCII.findall(text[:SCORE_TEXT]) for char in run)
    count = sum(seen.values())
    total = sum(n * _weight(char, family, run) for (char, run), n in seen.items())
    return total / count if count else 1.0


def _family(codec: str) -> str:
    name = _normal(codec)
    for family, members in (("ja", _JAPANESE), ("zh", _SIMPLIFIED), ("zh_tw", _TRADITIONAL), ("ko", _KOREAN)):
        if name in members:
            return family
    return "single"


def _two_bytes(char: str, codec: str) -> bytes | None:
    try:
        encoded = char.encode(codec)
    except UnicodeEncodeError:
        return None
    return encoded if len(encoded) == 2 else None


@functools.lru_cache(maxsize=65536)
def _weight(char: str, family: str, run: int) -> float:
    """How plausible one character is in text of that family; ``run`` non-ASCII characters stand together."""
    if family == "single":
        return _western_weight(char, run)
    code = ord(char)
    if 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF5E:  # CJK punctuation, full-width letters and digits
        return 1.0
    if family == "ja":
        if 0x3040 <= code <= 0x30FF:  # hiragana and katakana
            return 1.0
        if 0xFF61 <= code <= 0xFF9F:  # half-width katakana: old systems only, and how GBK bytes look as Shift-JIS
            return 0.3
        encoded = _two_bytes(char, "euc_jp")
        return 0.1 if encoded is None else 1.0 if 0xB0 <= encoded[0] <= 0xCF else 0.5 if encoded[0] >= 0xD0 else 0.7
    if family == "zh":
        encoded = _two_bytes(char, "gb2312")
        return 0.1 if encoded is None else 1.0 if 0xB0 <= encoded[0] <= 0xD7 else 0.5 if encoded[0] >= 0xD8 else 0.7
    if family == "zh_tw":
        encoded = _two_bytes(char, "big5")
        return 0.1 if encoded is None else 1.0 if 0xA4 <= encoded[0] <= 0xC6 else 0.5 if encoded[0] >= 0xC9 else 0.7
    if 0xAC00 <= code <= 0xD7A3:  # Korean: the 2,350 common syllables of KS X 1001, not the rest of cp949
        return 1.0 if _two_bytes(char, "euc_kr") else 0.2
    return 0.3 if unicodedata.category(char) == "Lo" else 0.0  # hanja are rare in modern Korean


def _western_weight(char: str, run: int) -> float:
    category = unicodedata.category(char)
    if category.startswith("L"):
        latin = unicodedata.name(char, "").startswith("LATIN")
        return 0.2 if latin and run >= 3 else 1.0  # Cyrillic and Greek words are runs; accented Latin is not
    if char in _WESTERN_SYMBOLS:
        return 0.8 if run == 1 else 0.2
    return 0.0  # control characters, box drawing, mathematical signs: a misreading
