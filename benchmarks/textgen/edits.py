"""Passages, edited copies and unrelated passages for the tokenizer benchmark (text generator).

A case is a passage of 300-1,500 characters from a corpus document (at least half CJK for zh
and ja), an edited copy of it (1-5% character (CJK) or word (en) substitutions, insertions and
deletions, then each evasion with probability 1/2: Traditional characters (OpenCC s2t) or
kyujitai (OpenCC jp2t), look-alike letters, full-width / half-width forms, changed
punctuation, spacing and re-wrapped lines, zero-width characters) and an unrelated passage of
the same length from another document of the same corpus. Everything random comes from the
``random.Random`` the caller seeds.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import harness as H  # noqa: N812

SOURCES: dict[str, tuple[tuple[str, float], ...]] = {
    "zh": (("zh-classic-novels", 0.55), ("zh-cmrc2018-wiki", 0.45)),
    "ja": (("aozora-pd-ja", 0.55), ("ja-jglue", 0.45)),
    "en": (("en-gutenberg", 1.0),),
}
EVASIONS: dict[str, tuple[str, ...]] = {
    "zh": ("traditional", "fullwidth", "punct", "spacing", "zerowidth"),
    "ja": ("kyujitai", "fullwidth", "punct", "spacing", "zerowidth"),
    "en": ("lookalike", "fullwidth", "punct", "spacing", "zerowidth"),
}
SWEEP = (0.10, 0.20)  # heavier edit rates, edits only
#: OpenCC converters by config ("s2t", "jp2t"): (function or None, where it came from).
CONVERTERS: dict[str, tuple[Callable[[str], str] | None, str]] = {}


def _opencc(config: str) -> tuple[Callable[[str], str] | None, str]:
    """A converter for an OpenCC config, and where it came from.

    ``opencc.OpenCC(config)`` first. Two distributions install a module called ``opencc``
    (OpenCC, the official binding, and opencc-python-reimplemented); whichever was installed
    last owns ``opencc/__init__.py``. The reimplementation has no ``jp2t``; the official C++
    library may still be there as ``opencc.clib``, which is tried next.
    """
    try:
        import opencc
    except ImportError:
        return None, "opencc not installed"
    try:
        conv = opencc.OpenCC(config)
        origin = (
            "opencc.OpenCC ("
            + (
                "opencc-python-reimplemented " + H.package_version("opencc-python-reimplemented")
                if hasattr(opencc, "opencc")
                else "OpenCC " + H.package_version("OpenCC")
            )
            + ")"
        )
        return conv.convert, origin
    except Exception:
        pass
    try:
        from opencc.clib import opencc_clib  # type: ignore[attr-defined,unused-ignore]

        path = Path(opencc.__file__).parent / "clib" / "share" / "opencc" / f"{config}.json"
        if not path.is_file():
            return None, f"no OpenCC config {config}"
        lib = opencc_clib._OpenCC(str(path))
        return (lambda s: lib.convert(s, len(s.encode("utf-8")))), (
            f"opencc.clib (OpenCC {H.package_version('OpenCC')} C++ library)"
        )
    except Exception as exc:
        return None, f"no OpenCC {config}: {exc}"


# --------------------------------------------------------------------------------------------
# Case generation


FW2HW = {
    "，": ",",
    "。": ".",
    "！": "!",
    "？": "?",
    "：": ":",
    "；": ";",
    "（": "(",
    "）": ")",
    "、": ",",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "《": "<",
    "》": ">",
    "「": '"',
    "」": '"',
    "『": '"',
    "』": '"',
    "…": "...",
    "—": "-",
    "·": ".",
    "・": ".",
}
HW2FW = {
    ",": "，",
    ".": "。",
    "!": "！",
    "?": "？",
    ":": "：",
    ";": "；",
    "(": "（",
    ")": "）",
    '"': "“",
    "'": "’",
    "-": "—",
}
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
LOOKALIKE = {
    "a": "а",
    "e": "е",
    "o": "о",
    "p": "р",
    "c": "с",
    "x": "х",
    "y": "у",
    "i": "і",
    "s": "ѕ",
    "A": "А",
    "B": "В",
    "E": "Е",
    "H": "Н",
    "K": "К",
    "M": "М",
    "O": "О",
    "P": "Р",
    "T": "Т",
    "X": "Х",
    "C": "С",
}
SPACES = (" ", " ", "\u3000", "\t", "\u00a0", "  ")
VOICING = frozenset("\uff9e\uff9f\u3099\u309a\u309b\u309c")
_WORD_RE = re.compile(r"\S+")


def _halfwidth_katakana() -> dict[str, str]:
    """Full-width katakana -> half-width form (one or two characters), from NFKC itself."""
    table: dict[str, str] = {}
    for cp in range(0xFF66, 0xFF9E):
        full = unicodedata.normalize("NFKC", chr(cp))
        if len(full) == 1:
            table[full] = chr(cp)
    for full, half in list(table.items()):
        for mark, hmark in (("\u3099", "\uff9e"), ("\u309a", "\uff9f")):
            voiced = unicodedata.normalize("NFC", full + mark)
            if len(voiced) == 1:
                table[voiced] = half + hmark
    return table


HALF_KATA = _halfwidth_katakana()


def _wordish(ch: str) -> bool:
    """A letter or digit of a script that writes spaces between words (not Han, not kana)."""
    if not ch or not ch.isalnum():
        return False
    o = ord(ch)
    return not (
        0x3040 <= o <= 0x30FF
        or 0x3400 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3FFFF
        or 0xFF66 <= o <= 0xFF9F
        or 0x3005 <= o <= 0x3007
    )


def is_content(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LN"


@dataclass
class Case:
    lang: str
    source: str
    doc_id: str
    rate: float
    original: str
    copy: str
    unrelated: str
    applied: tuple[str, ...]
    variants: dict[str, str] = field(default_factory=dict)


class Editor:
    """Edits and evasions, every random choice drawn from one seeded generator."""

    def __init__(self, rng: random.Random, lang: str, pool: Sequence[str]) -> None:
        self.rng = rng
        self.lang = lang
        self.pool = pool  # characters (zh/ja) or words (en) to substitute and insert
        self.s2t, _ = CONVERTERS["s2t"]
        self.jp2t, _ = CONVERTERS["jp2t"]

    def edits(self, text: str, rate: float) -> str:
        r = self.rng
        if self.lang == "en":
            out: list[str] = []
            pos = 0
            for m in _WORD_RE.finditer(text):
                out.append(text[pos : m.start()])
                pos = m.end()
                word = m.group()
                x = r.random()
                if x < rate / 3:
                    out.append(r.choice(self.pool))
                elif x < 2 * rate / 3:
                    out.append(r.choice(self.pool) + " " + word)
                elif x < rate:
                    out.append("")
                else:
                    out.append(word)
            out.append(text[pos:])
            return "".join(out)
        chars: list[str] = []
        for ch in text:
            # CJK characters only: a letter edited inside a Latin word would change the whole
            # word token, a much heavier edit than one character of Chinese or Japanese.
            if not is_content(ch) or _wordish(ch):
                chars.append(ch)
                continue
            x = r.random()
            if x < rate / 3:
                chars.append(r.choice(self.pool))
            elif x < 2 * rate / 3:
                chars.append(r.choice(self.pool) + ch)
            elif x < rate:
                continue
            else:
                chars.append(ch)
        return "".join(chars)

    def evade(self, text: str, kind: str) -> str:
        r = self.rng
        if kind == "traditional":
            return self.s2t(text) if self.s2t else text
        if kind == "kyujitai":
            return self.jp2t(text) if self.jp2t else text
        if kind == "lookalike":
            return "".join(
                LOOKALIKE[c] if c in LOOKALIKE and r.random() < 0.15 else c for c in text
            )
        if kind == "fullwidth":
            out = []
            if self.lang == "en":  # some words in full-width letters
                pos = 0
                for m in _WORD_RE.finditer(text):
                    out.append(text[pos : m.start()])
                    pos = m.end()
                    w = m.group()
                    out.append(_to_fullwidth(w) if r.random() < 0.3 else w)
                out.append(text[pos:])
                return "".join(out)
            for c in text:  # ASCII to full-width; katakana to half-width
                if c in HALF_KATA:
                    out.append(HALF_KATA[c])
                else:
                    out.append(_to_fullwidth(c))
            return "".join(out)
        if kind == "punct":
            # Swap full-width and half-width forms (70%) or drop the mark (10%). A mark is never
            # dropped where that would join two words (don't, ex-slave, be--and, 3.5): that
            # makes another word, which is an edit, not a punctuation change.
            table = HW2FW if self.lang == "en" else FW2HW
            out = []
            for i, c in enumerate(text):
                if c in table:
                    x = r.random()
                    joins = _wordish(out[-1] if out else "") and _wordish(text[i + 1 : i + 2])
                    if x < 0.1 and not joins:
                        continue
                    out.append(table[c] if x < 0.8 else c)
                else:
                    out.append(c)
            return "".join(out)
        if kind == "spacing":
            if self.lang == "en":
                return self._rewrap_en(text)
            # Join the lines, then re-wrap every 15-40 characters and add stray spaces, but only
            # where no Latin letter or digit is on both sides (a space there would split a word).
            lines = text.replace("\r", "").split("\n")
            flat = lines[0]
            for line in lines[1:]:
                flat += (" " if _wordish(flat[-1:]) and _wordish(line[:1]) else "") + line
            out = []
            next_break = r.randint(15, 40)
            for i, c in enumerate(flat):
                out.append(c)
                nxt = flat[i + 1 : i + 2]
                if (_wordish(c) or c in "-\u2010") and _wordish(nxt):
                    continue  # inside a word, or a hyphen a line end would make a hyphenation
                if nxt in VOICING or unicodedata.category(nxt or "a").startswith("M"):
                    continue  # never part a character from its mark (kana voicing, Indic vowels)
                if i >= next_break:
                    out.append("\n")
                    next_break = i + r.randint(15, 40)
                elif r.random() < 0.03:
                    out.append(r.choice(SPACES))
            return "".join(out)
        if kind == "zerowidth":
            out = []
            for c in text:
                if r.random() < 0.05:
                    out.append(r.choice(ZERO_WIDTH))
                out.append(c)
            return "".join(out)
        raise ValueError(kind)

    def _rewrap_en(self, text: str) -> str:
        """Re-wrap at a random width; some breaks hyphenate a long word; some double spaces."""
        r = self.rng
        words = text.split()
        width = r.randint(50, 75)
        lines: list[str] = []
        line = ""
        for w in words:
            if line and len(line) + 1 + len(w) > width:
                if len(w) >= 6 and w.isalpha() and r.random() < 0.4:
                    cut = r.randint(2, len(w) - 2)
                    lines.append(line + " " + w[:cut] + "-")
                    line = w[cut:]
                    continue
                lines.append(line)
                line = w
            else:
                sep = "  " if r.random() < 0.05 else ("\u00a0" if r.random() < 0.02 else " ")
                line = line + sep + w if line else w
        lines.append(line)
        return "\n".join(lines)


def _to_fullwidth(s: str) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s
    )


def _passage(rng: random.Random, text: str, length: int, lang: str) -> str:
    """`length` characters from a random place of `text` (whole words in English)."""
    lo = len(text) // 50 if lang == "en" else 0  # skip a book's front matter
    start = rng.randint(lo, max(lo, len(text) - length))
    s = text[start : start + length]
    if lang == "en":
        a = s.find(" ") + 1
        b = s.rfind(" ")
        s = s[a:b] if 0 < a < b else s
    return s


def build_cases(lang: str, n_cases: int, rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    for source, share in SOURCES[lang]:
        if not (H.CORPORA / H.CORPUS_FILES[source][0]).is_file():
            continue
        docs = [(i, t) for i, t in H.load_texts(source) if len(t) >= 300]
        want = round(n_cases * share)
        for _ in range(want):
            for _try in range(50):  # a passage of the language (Aozora has English works)
                di, (doc_id, text) = _pick(rng, docs)
                length = rng.randint(300, min(1500, len(text)))
                orig = _passage(rng, text, length, lang)
                if lang == "en" or _cjk_share(orig) >= 0.5:
                    break
            for _try in range(50):
                dj, (_, other) = _pick(rng, docs)
                if dj == di:
                    continue
                unrel = _passage(rng, other, min(len(orig), len(other)), lang)
                if lang == "en" or _cjk_share(unrel) >= 0.5:
                    break
            if lang == "en":
                pool = _WORD_RE.findall(text[:200_000])
            else:
                pool = [c for c in text[:20_000] if is_content(c)]
            ed = Editor(rng, lang, pool)
            rate = rng.uniform(0.01, 0.05)
            copy = ed.edits(orig, rate)
            applied = []
            for ev in EVASIONS[lang]:
                if rng.random() < 0.5:
                    copy = ed.evade(copy, ev)
                    applied.append(ev)
            case = Case(lang, source, doc_id, rate, orig, copy, unrel, tuple(applied))
            case.variants["edits only"] = ed.edits(orig, rate)
            for ev in EVASIONS[lang]:
                case.variants[ev + " only"] = ed.evade(orig, ev)
            for sr in SWEEP:
                case.variants[f"edits {sr:.0%}"] = ed.edits(orig, sr)
            cases.append(case)
    return cases


def _cjk_share(text: str) -> float:
    """Share of CJK characters among the letters and digits of `text`."""
    content = [c for c in text if is_content(c)]
    return sum(not _wordish(c) for c in content) / len(content) if content else 0.0


def _pick(rng: random.Random, docs: Sequence[tuple[str, str]]) -> tuple[int, tuple[str, str]]:
    i = rng.randrange(len(docs))
    return i, docs[i]


# --------------------------------------------------------------------------------------------
# Similarity
