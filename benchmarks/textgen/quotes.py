"""Posts that copy a registered work, quoted or not, naming it or not (benchmark helper).

A *marks case* copies 200-1,200 characters of a work (or a whole poem) into unrelated host
text (`copies.CopyGenerator`'s hosts, sharing no run with any work) and presents the copy one
of four ways, drawn equally:

``quoted+attributed``
    in quotation marks (or a block quote) and naming the work's title or author near it;
``quoted``
    in quotation marks only;
``attributed``
    naming the work near it, without quotation marks;
``neither``
    bare.

and two controls where the post names a work but the check must not count it: ``far`` (the
work named more than 250 characters of host text away from the copy) and ``other`` (another
work named right next to the copy).

Quotation forms, per language: the usual pairs (“” 「」 『』 "" ‘’ '' « »), block quotes
(``>`` before every line), unbalanced quotations (an opening mark, the copy, the end of the
line) and nested ones (a quotation inside another, or a copy that carries the work's own
dialogue marks inside the post's). Attribution forms: 转载自《…》, ——作者《…》, 出自, 引自,
摘自, 来源：, 作者：, 出典：, 引用元：, 『…』より, "Source: … by …", "— Author, Title", "As
Author wrote in Title:", "(from …)", placed just before or just after the copy (0-40
characters of host text between).

Evasions (drawn as the copy cases draw them, 20 % of the cases verbatim): ``traditional``
(zh, the whole post, OpenCC s2t), ``fullwidth`` and ``case`` (the whole post), ``zerowidth``,
``lookalike`` (en), ``punctuation``, ``edits`` (1-5 %) and ``separators`` (zh, ja: a Han-looking
mark after every 1-3 characters, `washings.w_sep_han`) on the copy. The truth of each:
applied and changing at least one character of the copy; the copy is *edited* when the edits
changed one of its letters or digits.

Everything random comes from a ``random.Random`` that the caller seeds.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .copies import CopyGenerator, Work
from .evasions import FORMAT_TRANSFORMS, HOST, Tagged, edit_chars, edit_words
from .washings import w_sep_han

PRESENTATIONS = ("quoted+attributed", "quoted", "attributed", "neither")
CONTROLS = ("far", "other")
#: Evasions per language, each drawn with P_EVASION (none with P_VERBATIM).
EVASIONS = {
    "zh": ("traditional", "fullwidth", "zerowidth", "punctuation", "edits", "separators"),
    "ja": ("fullwidth", "zerowidth", "punctuation", "edits", "separators"),
    "en": ("fullwidth", "zerowidth", "lookalike", "punctuation", "case", "edits"),
}
WHOLE_POST = ("traditional", "fullwidth", "case")
_MARK_CHARS = set('“”「」『』‘’"«»')
P_VERBATIM, P_EVASION = 0.2, 0.3
COPY_MIN, COPY_MAX = 200, 1200
#: Host text at least between a ``far`` attribution and the copy.
FAR_CHARS = 260
#: How the checked Hit names what the post shows (the five evasions it reports).
REPORTED = {
    "traditional": "traditional",
    "fullwidth": "fullwidth",
    "zerowidth": "invisible",
    "lookalike": "lookalike",
    "separators": "separators",
}

#: (opening, closing) marks and their weights per language; "block", "unbalanced" and
#: "nested" are the other forms.
_FORMS = [("block", 0.1), ("unbalanced", 0.1), ("nested", 0.1)]
QUOTES: dict[str, list[tuple[str, float]]] = {
    "zh": [("“”", 0.35), ("「」", 0.15), ("『』", 0.1), ('""', 0.1), *_FORMS],
    "ja": [("「」", 0.4), ("『』", 0.15), ("“”", 0.1), *_FORMS],
    "en": [("“”", 0.3), ('""', 0.25), ("‘’", 0.05), ("''", 0.05), ("«»", 0.05), *_FORMS],
}
NESTED = {"zh": ("「", "」", "“", "”"), "ja": ("「", "」", "『", "』"), "en": ("“", "”", "‘", "’")}
UNBALANCED = {"zh": "“", "ja": "「", "en": "“"}

#: Attribution forms: where they go (before or after the copy) and the text, with {t} the
#: title and {a} the author ("t" forms need a title, "a" forms an author).
ATTRIBUTIONS: dict[str, list[tuple[str, str, str]]] = {
    "zh": [
        ("after", "ta", "——{a}《{t}》"), ("before", "t", "转载自《{t}》："),
        ("after", "ta", "（出自{a}《{t}》）"), ("before", "t", "引自《{t}》："),
        ("after", "t", "（摘自{t}）"), ("after", "a", "——{a}"), ("after", "t", "来源：{t}"),
        ("before", "a", "作者：{a}\n"), ("before", "t", "《{t}》里写道："),
    ],
    "ja": [
        ("after", "ta", "——{a}『{t}』より"), ("after", "ta", "出典：{a}「{t}」"),
        ("before", "t", "引用元：『{t}』\n"), ("after", "a", "（{a}）"),
        ("before", "ta", "{a}は『{t}』でこう書いている。"),
    ],
    "en": [
        ("after", "ta", " — {a}, {t}"), ("after", "ta", "\nSource: {t} by {a}"),
        ("after", "t", " (from {t})"), ("before", "ta", "As {a} wrote in {t}: "),
        ("before", "t", "Excerpt from {t}.\n"), ("after", "a", " (by {a})"),
    ],
}  # fmt: skip


@dataclass(frozen=True)
class MarkWork(Work):
    """A registered work with the metadata it is registered with (its title and author)."""

    metadata: dict[str, Any]


@dataclass(frozen=True)
class MarkCase:
    """A post and its truth."""

    post: str
    work_id: str
    presentation: str  # one of PRESENTATIONS or CONTROLS
    quote_form: str  # "" when not quoted
    attribution: str  # the form used ("" when none)
    quoted: bool
    attributed: bool
    edited: bool
    evasions: frozenset[str]  # REPORTED names of the evasions that changed the copy
    copy_start: int  # the copy in the post
    copy_end: int


def _balanced(text: str) -> bool:
    """Every quotation mark of `text` closes what it opened, in order, on its line."""
    closing = {"“": "”", "「": "」", "『": "』", "‘": "’", "«": "»"}
    for line in text.split("\n"):
        stack: list[str] = []
        for i, c in enumerate(line):
            if (
                c == "'"
                and 0 < i < len(line) - 1
                and line[i - 1].isalnum()
                and line[i + 1].isalnum()
            ):
                continue  # an apostrophe
            if c in closing:
                stack.append(closing[c])
            elif c in closing.values():
                if not stack or stack.pop() != c:
                    return False
            elif c in "\"'":
                if stack and stack[-1] == c:
                    stack.pop()
                else:
                    stack.append(c)
        if stack:
            return False
    return True


def _changed(name: str, before: str, after: str) -> bool:
    """Whether an evasion changed the copy as a reviewer would call it: full-width forms of
    letters and digits (or half-width katakana), not of punctuation a CJK text writes
    full-width anyway."""
    if name == "fullwidth":
        return (
            any(
                ("０" <= c <= "９")
                or ("Ａ" <= c <= "Ｚ")
                or ("ａ" <= c <= "ｚ")
                or ("ｦ" <= c <= "ﾟ")
                for c in after
            )
            and before != after
        )
    return before != after


def _names(w: MarkWork) -> tuple[str, str]:
    t, a = w.metadata.get("title", ""), w.metadata.get("author", "")
    return (t if isinstance(t, str) else ""), (a if isinstance(a, str) else "")


def attribution_text(rng: random.Random, lang: str, w: MarkWork) -> tuple[str, str, str] | None:
    """(where, form, text) naming work `w`, or None when its metadata names nothing."""
    title, author = _names(w)
    forms = [
        f for f in ATTRIBUTIONS[lang] if ("t" not in f[1] or title) and ("a" not in f[1] or author)
    ]
    if not forms:
        return None
    where, _, form = rng.choice(forms)
    return where, form, form.format(t=title, a=author)


def _weighted(rng: random.Random, items: Sequence[tuple[str, float]]) -> str:
    return rng.choices([i for i, _ in items], weights=[w for _, w in items])[0]


def quote(rng: random.Random, lang: str, copy: str) -> tuple[str, str, str, str]:
    """(form, text before, the copy as presented, text after)."""
    form = _weighted(rng, QUOTES[lang])
    if form == "block":
        lines = copy.split("\n")
        return form, "\n", "\n".join("> " + ln for ln in lines), "\n"
    if form == "unbalanced":
        return form, "\n" + UNBALANCED[lang], copy.replace("\n", " "), "\n"
    if form == "nested":
        o1, c1, o2, c2 = NESTED[lang]
        lead = {"zh": "他说：", "ja": "彼は言った。", "en": "He said: "}[lang]
        return form, f"{o1}{lead}{o2}", _reopened(copy, o2), f"{c2}{c1}"
    return form, form[0], _reopened(copy, form[0]), form[1]


def _reopened(copy: str, mark: str) -> str:
    """A quotation of several paragraphs, as it is written: each paragraph opens it again."""
    return re.sub(r"\n[ \t]*\n", lambda m: m.group() + mark, copy)


class MarksGenerator:
    """Marks cases for one language, from the works copies are taken from and a
    `CopyGenerator` over them (for host text)."""

    def __init__(self, works: Sequence[MarkWork], hosts: CopyGenerator, lang: str) -> None:
        self.works = list(works)
        self.named = [w for w in self.works if any(_names(w))]
        self.hosts = hosts
        self.lang = lang

    def _host(self, rng: random.Random, length: int, exclude: str) -> str:
        """Host text (the copy cases') whose quotation marks are balanced: a window cut in the
        middle of a dialogue loses its marks (a post's own text closes what it opens)."""
        text = self.hosts.host_text(rng, length, exclude)
        if not _balanced(text):
            text = "".join(c for c in text if c not in _MARK_CHARS)
        return text

    def _copy(self, rng: random.Random, w: MarkWork) -> str:
        n = rng.randint(COPY_MIN, COPY_MAX)
        if len(w.text) <= n:
            return w.text
        a = rng.randrange(len(w.text) - n + 1)
        if self.lang == "en":
            a = w.text.find(" ", a) + 1
            b = w.text.rfind(" ", a, a + n)
            return w.text[a : b if b > a else a + n]
        return w.text[a : a + n]

    def _evade(self, rng: random.Random, copy: str) -> tuple[str, frozenset[str], bool, list[str]]:
        """The copy under its copy-level evasions; the evasions that changed it; whether it
        was edited; the whole-post evasions to apply."""
        chosen = (
            []
            if rng.random() < P_VERBATIM
            else [e for e in EVASIONS[self.lang] if rng.random() < P_EVASION]
        )
        seen: set[str] = set()
        edited = False
        t = Tagged.of(copy, 0, 0)
        for name in chosen:
            before = t.text()
            if name == "edits":
                rate = rng.uniform(0.01, 0.05)
                vocab = self.hosts.vocab
                t = (edit_words if self.lang == "en" else edit_chars)(t, rng, rate, vocab)
                letters = [c for c in before if c.isalnum()]
                edited = letters != [c for c in t.text() if c.isalnum()]
            elif name == "separators":
                t = w_sep_han(t, rng, self.lang)
            elif name in WHOLE_POST:
                continue
            else:
                t = FORMAT_TRANSFORMS[name](t, rng, self.lang)
            if name in REPORTED and _changed(name, before, t.text()):
                seen.add(REPORTED[name])
        whole = [e for e in chosen if e in WHOLE_POST]
        return t.text(), frozenset(seen), edited, whole

    def case(self, rng: random.Random, presentation: str) -> MarkCase:
        pool = self.named if presentation != "neither" else self.works
        w = pool[rng.randrange(len(pool))]
        copy, seen, edited, whole = self._evade(rng, self._copy(rng, w))
        quoted = presentation in ("quoted+attributed", "quoted")
        attributed = presentation in ("quoted+attributed", "attributed", "far", "other")
        form, q_open, shown, q_close = quote(rng, self.lang, copy) if quoted else ("", "", copy, "")
        sep = " " if self.lang == "en" else ""
        left = self._host(rng, rng.randint(0, 600), w.base_id)
        right = self._host(rng, rng.randint(0, 600), w.base_id)
        before, after, attribution = "", "", ""
        if attributed:
            named = w
            if presentation == "other":
                others = [
                    o for o in self.named if o.base_id != w.base_id and _names(o) != _names(w)
                ]
                named = others[rng.randrange(len(others))]
            got = attribution_text(rng, self.lang, named)
            assert got is not None
            where, attribution, text = got
            gap = ""
            if rng.random() < 0.3:
                gap = self._host(rng, rng.randint(0, 40), w.base_id)
            if presentation == "far":
                gap = self._host(rng, rng.randint(300, 600), w.base_id)
                while len(gap) < FAR_CHARS:
                    gap += sep + self._host(rng, 300, w.base_id)
            if where == "before":
                before = text + (sep + gap + sep if gap else "")
            else:
                after = (sep + gap + sep if gap else "") + text
        head = left + (sep if left else "") + before + q_open
        post = head + shown + q_close + after + (sep if right else "") + right
        start, end = len(head), len(head) + len(shown)
        for name in whole:
            t = Tagged.of(post, HOST, None)
            # the copy's characters keep their tag, so its span is found again after a change
            t.piece[start:end] = [0] * (end - start)
            t = FORMAT_TRANSFORMS[name](t, rng, self.lang)
            inside = [i for i, p in enumerate(t.piece) if p == 0]
            new = t.text()
            if name in REPORTED and _changed(
                name, post[start:end], new[inside[0] : inside[-1] + 1]
            ):
                seen = seen | {REPORTED[name]}
            post, start, end = new, inside[0], inside[-1] + 1
        return MarkCase(
            post=post,
            work_id=w.work_id,
            presentation=presentation,
            quote_form=form,
            attribution=attribution,
            quoted=quoted,
            attributed=presentation in ("quoted+attributed", "attributed"),
            edited=edited,
            evasions=seen,
            copy_start=start,
            copy_end=end,
        )
