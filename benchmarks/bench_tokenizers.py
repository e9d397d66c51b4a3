"""Benchmark: tokenizers ("char", "jieba", "mecab", "sudachi") for speed and copy detection.

Part A, speed: tokens and characters per CPU second of ``textprint.tokenize`` with each
tokenizer on slices of zh-classic-novels, aozora-pd-ja and en-gutenberg, beside the bare
segmenters in the same process (``jieba.lcut(text, HMM=False)`` on the global jieba,
``rjieba.cut(text, hmm=False)``, fugashi + unidic-lite, SudachiPy mode B): the cost of
segmentation alone. It also checks that textprint's jieba tokens are jieba's own words.

Part B, quality: copy-with-edits cases built with ``random.Random(0)`` (zh from zh-classic-novels
and zh-cmrc2018-wiki, ja from aozora-pd-ja and ja-jglue, en from en-gutenberg): a passage of
300-1500 characters (at least half CJK for zh and ja), an edited copy (1-5% character (CJK) or
word (en) substitutions, insertions and deletions, then each evasion with probability 1/2:
Traditional characters (OpenCC s2t) or kyujitai (OpenCC jp2t), look-alike letters, full-width /
half-width forms, changed punctuation, spacing and re-wrapped lines, zero-width characters) and
an unrelated passage of the same length from another document of the same corpus. For each
tokenizer and shingle length k it reports the exact Jaccard similarity and the containment of
k-shingle sets (shingles = tuples of consecutive ``tokenize(...).tokens``), copies against
unrelated passages (mean, median, minimum; AUC; gap = minimum copy similarity - maximum unrelated
similarity), the similarity under each evasion applied alone, and under heavier edits (10%,
20%). It ends with the choice of "auto".

    python -m benchmarks.bench_tokenizers          # full run: docs/benchmarks/tokenizers.md
    python -m benchmarks.bench_tokenizers --quick  # a small slice in seconds, prints only
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a file

from benchmarks import harness as H  # noqa: N812
from benchmarks.quality import auc
from benchmarks.textgen.edits import CONVERTERS, SWEEP, _opencc, build_cases
from benchmarks.tokenizer_measures import Scores, jieba_agreement, score, speed
from textprint.tokenization import AUTO_TOKENIZER

BASE = ("char", "jieba")  # tokenizers of the base install: the candidates for "auto"
TOKENIZERS_BY_LANG: dict[str, tuple[str, ...]] = {
    "zh": ("char", "jieba"),
    "ja": ("char", "jieba", "mecab", "sudachi"),
    "en": ("char", "jieba"),
}
GAP_NOTE = (
    "gap = min copy similarity - max unrelated similarity (> 0: one threshold separates every "
    "copy from every unrelated passage); AUC = P(copy > unrelated) over all pairs; p05 = 5th "
    "percentile of copy Jaccard; 'AUC J 20%' and 'gap J 20%' compare the same passages edited "
    "at 20% (no evasions) with the unrelated passages."
)


# --------------------------------------------------------------------------------------------
# Converters (OpenCC is a dev dependency)


def measure(args: argparse.Namespace, out: H.Log) -> dict[str, Any]:
    H.require_corpora("zh-classic-novels", "aozora-pd-ja", "en-gutenberg")
    versions = ", ".join(
        f"{d} {H.package_version(d)}"
        for d in ("jieba", "rjieba", "fugashi", "unidic-lite", "SudachiPy", "sudachidict-core")
    )
    out(f"segmenters: {versions}")
    CONVERTERS["s2t"] = _opencc("s2t")
    CONVERTERS["jp2t"] = _opencc("jp2t")
    out(f"Traditional (s2t): {CONVERTERS['s2t'][1]}; kyujitai (jp2t): {CONVERTERS['jp2t'][1]}")
    auto_now = AUTO_TOKENIZER
    out(f"AUTO_TOKENIZER in textprint.tokenization: {auto_now!r}")

    # ---- Part A ----------------------------------------------------------------------------
    slice_chars = 40_000 if args.quick else 300_000
    out("")
    out(f"## A. Speed ({slice_chars:,} characters per corpus, one call per document)")
    loads: dict[str, float] = {}
    speed_md: list[str] = []
    speed_plot: dict[str, dict[str, float]] = {}
    agree_line = ""
    for corpus, lang in (
        ("zh-classic-novels", "zh"),
        ("aozora-pd-ja", "ja"),
        ("en-gutenberg", "en"),
    ):
        texts = H.take_chars([t for _, t in H.load_texts(corpus)], slice_chars)
        rows = speed(texts, lang, out, loads)
        speed_plot[corpus] = {r[0]: r[5] for r in rows}
        if lang == "zh":
            counts = {r[0]: r[1] for r in rows}
            chars_per_word = counts["textprint char"] / max(counts["textprint jieba"], 1)
        tab = H.table(
            ["tokenizer", "tokens", "tokens/s", "chars/s", "first call s", "chars/s vs bare jieba"],
            [r[:5] + r[6:] for r in rows],
        )
        head = f"### {corpus} ({len(texts)} documents, {sum(map(len, texts)):,} characters)"
        out("")
        out(head)
        out(tab)
        speed_md += [head, "", tab, ""]
        if lang == "zh":
            same, same_r, same_py, n = jieba_agreement(texts[: 40 if not args.quick else 8])
            agree_line = (
                f"Agreement: textprint jieba tokens == jieba.lcut(HMM=False) words of each Han "
                f"run in {same}/{n} documents; rjieba.cut(hmm=False) == jieba.lcut(HMM=False) on "
                f"the same runs in {same_r}/{n} documents; textprint jieba with rjieba == "
                f"without in {same_py}/{n} documents."
            )
            out(agree_line)
    note = (
        "textprint uses rjieba for tokenizer='jieba' when it is installed (a dev dependency, "
        "not a base one); 'textprint jieba, no rjieba' is the same tokenizer as on a base "
        "install. "
        "first call s: CPU seconds of the first call in this process (dictionary load; the "
        "global jieba builds its prefix dictionary cache in a private temporary folder). "
        "Bare segmenters count every piece they return (punctuation and spaces included); "
        "textprint drops punctuation and whitespace."
    )
    out(note)

    # ---- Part B ----------------------------------------------------------------------------
    n_cases = 30 if args.quick else 300
    rng = random.Random(0)
    all_scores: dict[str, dict[str, dict[int, Scores]]] = {}
    tok_speed: dict[tuple[str, str], float] = {}
    case_info: list[list[Any]] = []
    for lang in ("zh", "ja", "en"):
        cases = build_cases(lang, n_cases, rng)
        srcs = sorted({c.source for c in cases})
        case_info.append(
            [
                lang,
                len(cases),
                ", ".join(f"{s} {sum(c.source == s for c in cases)}" for s in srcs),
                f"{statistics.mean(len(c.original) for c in cases):.0f}",
                f"{statistics.mean(c.rate for c in cases):.2%}",
                f"{statistics.mean(len(c.applied) for c in cases):.1f}",
            ]
        )
        all_scores[lang] = {}
        for tk in TOKENIZERS_BY_LANG[lang]:
            sc, spent, n_chars = score(cases, tk)
            all_scores[lang][tk] = sc
            tok_speed[(lang, tk)] = H.rate(n_chars, spent)
    out("")
    out("## B. Copy-with-edits cases (random.Random(0))")
    tab_cases = H.table(
        ["lang", "cases", "sources", "mean passage chars", "mean edit rate", "mean evasions/copy"],
        case_info,
        align="lrlrrr",
    )
    out(tab_cases)

    q_rows: list[list[Any]] = []
    s_rows: list[list[Any]] = []
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for lang, per_tk in all_scores.items():
        for tk, per_k in per_tk.items():
            for k, s in per_k.items():
                a_j = auc(s.copy_j, s.unrel_j)
                a_c = auc(s.copy_c, s.unrel_c)
                gap_j = min(s.copy_j) - max(s.unrel_j)
                gap_c = min(s.copy_c) - max(s.unrel_c)
                p05 = float(np.percentile(s.copy_j, 5))
                heavy = s.variants.get(f"edits {SWEEP[-1]:.0%}", [])
                gap_heavy = min(heavy) - max(s.unrel_j) if heavy else float("nan")
                auc_heavy = auc(heavy, s.unrel_j) if heavy else float("nan")
                row = {
                    "lang": lang,
                    "tk": tk,
                    "k": k,
                    "auc_j": a_j,
                    "gap_j": gap_j,
                    "auc_c": a_c,
                    "gap_c": gap_c,
                    "copy_mean": statistics.mean(s.copy_j),
                    "p05": p05,
                    "unrel_max": max(s.unrel_j),
                    "gap_heavy": gap_heavy,
                    "auc_heavy": auc_heavy,
                    "v": {n_: statistics.mean(v) for n_, v in s.variants.items()},
                    "ev_min": min(
                        statistics.mean(v)
                        for n_, v in s.variants.items()
                        if n_.endswith("only") and n_ != "edits only"
                    ),
                }
                q_rows.append(
                    [
                        lang,
                        tk,
                        k,
                        statistics.mean(s.copy_j),
                        statistics.median(s.copy_j),
                        p05,
                        min(s.copy_j),
                        statistics.mean(s.unrel_j),
                        max(s.unrel_j),
                        a_j,
                        gap_j,
                        statistics.mean(s.copy_c),
                        min(s.copy_c),
                        max(s.unrel_c),
                        a_c,
                        gap_c,
                        auc_heavy,
                        gap_heavy,
                    ]
                )
                s_rows.append(
                    [lang, tk, k]
                    + [f"{statistics.mean(v):.3f} ({min(v):.2f})" for v in s.variants.values()]
                )
                key = (lang, tk)
                if key not in best or (a_j, gap_j) > (best[key]["auc_j"], best[key]["gap_j"]):
                    best[key] = row
    tab_q = H.table(
        [
            "lang",
            "tokenizer",
            "k",
            "copy J mean",
            "median",
            "p05",
            "min",
            "unrel J mean",
            "unrel J max",
            "AUC J",
            "gap J",
            "copy C mean",
            "copy C min",
            "unrel C max",
            "AUC C",
            "gap C",
            "AUC J 20%",
            "gap J 20%",
        ],
        q_rows,
        align="llr" + "r" * 15,
    )
    out("")
    out("### Similarity of copies and of unrelated passages (J = Jaccard, C = containment)")
    out(tab_q)
    out(GAP_NOTE)

    out("")
    out("### Stability: mean Jaccard with the original (minimum) when one change is applied alone")
    variant_names: dict[str, list[str]] = {}
    for lang, per_tk in all_scores.items():
        first = next(iter(next(iter(per_tk.values())).values()))
        variant_names[lang] = list(first.variants)
    stab_tabs = []
    for lang in all_scores:
        rows = [r for r in s_rows if r[0] == lang]
        tab_s = H.table(
            ["lang", "tokenizer", "k", *variant_names[lang]],
            rows,
            align="llr" + "r" * len(variant_names[lang]),
        )
        out(tab_s)
        out("")
        stab_tabs.append(tab_s)
    out(
        "Evasions alone should give 1.000: normalization is meant to undo them. 'edits only' is "
        "the case's own 1-5% edit rate; 'edits 10%/20%' are heavier edits of the same passage."
    )

    # ---- Decision ------------------------------------------------------------------------
    out("")
    out("## Decision")
    dec_rows = []
    wins: dict[str, int] = dict.fromkeys(BASE, 0)
    per_lang: dict[str, str] = {}
    for lang in ("zh", "ja"):
        cands = [best[(lang, tk)] for tk in BASE if (lang, tk) in best]
        for c in cands:
            dec_rows.append(
                [
                    lang,
                    c["tk"],
                    c["k"],
                    c["auc_j"],
                    c["gap_j"],
                    c["copy_mean"],
                    c["p05"],
                    c["unrel_max"],
                    c["v"].get("edits 20%", float("nan")),
                    c["gap_heavy"],
                    c["v"].get("punct only", float("nan")),
                    c["ev_min"],
                    H.fmt_rate(tok_speed[(lang, c["tk"])]),
                ]
            )
        if len(cands) == 2:
            a, b = cands
            for cond, ak, gk in (("1-5%", "auc_j", "gap_j"), ("20%", "auc_heavy", "gap_heavy")):
                ka = (round(a[ak], 4), round(a[gk], 3))
                kb = (round(b[ak], 4), round(b[gk], 3))
                if ka != kb:
                    per_lang[f"{lang} {cond}"] = a["tk"] if ka > kb else b["tk"]
                    wins[per_lang[f"{lang} {cond}"]] += 1
    tab_d = H.table(
        [
            "lang",
            "tokenizer",
            "best k",
            "AUC J",
            "gap J",
            "copy J mean",
            "copy J p05",
            "unrel J max",
            "edits 20% J",
            "gap J 20%",
            "punct only J",
            "worst evasion-alone J",
            "chars/s (cases)",
        ],
        dec_rows,
        align="llr" + "r" * 10,
    )
    out(tab_d)
    sp = {
        tk: min(
            speed_plot[c].get(f"textprint {tk}", 0.0) for c in ("zh-classic-novels", "aozora-pd-ja")
        )
        for tk in BASE
    }
    fastest = max(BASE, key=lambda tk: sp[tk])
    if wins["char"] == wins["jieba"]:
        winner = fastest
        why = f"tie on separation; {winner} is faster"
    else:
        winner = max(wins, key=lambda tk: wins[tk])
        won = ", ".join(k for k, v in per_lang.items() if v == winner)
        why = f"wider separation in {wins[winner]} of 4 comparisons: {won}"
    verdict = f"auto -> {winner!r} ({why}). AUTO_TOKENIZER is {auto_now!r}: " + (
        "the data agrees." if winner == auto_now else "THE DATA SAYS OTHERWISE."
    )
    out(verdict)
    reasons = _reasons(best, speed_plot, winner)
    for r_ in reasons:
        out("- " + r_)

    quality_points = {
        lang: {
            f"{tk} k={k}": [list(s.copy_j), list(s.unrel_j)]
            for tk, per_k in per_tk.items()
            for k, s in per_k.items()
        }
        for lang, per_tk in all_scores.items()
    }
    return {
        "winner": winner,
        "why": why,
        "auto_now": auto_now,
        "decision": _decision_md(winner, auto_now, tab_d, reasons, why, chars_per_word),
        "speed": "\n".join(
            [
                f"One `tokenize(text, tokenizer=...)` call per document on {slice_chars:,}-"
                "character slices taken across each corpus; bare segmenters in the same process."
                "\n",
                *speed_md,
                agree_line + "\n",
                note + "\n",
            ]
        ),
        "quality": "\n".join(
            [
                tab_cases + "\n",
                "#### Copies vs unrelated passages\n",
                tab_q + "\n",
                GAP_NOTE + "\n",
                "#### Stability: mean Jaccard (minimum) with one change applied alone\n",
                *[t + "\n" for t in stab_tabs],
            ]
        ),
        "speed_plot": speed_plot,
        "quality_points": quality_points,
    }


def _reasons(
    best: dict[tuple[str, str], dict[str, Any]],
    speed_plot: dict[str, dict[str, float]],
    winner: str,
) -> list[str]:
    """The figures behind the decision, as sentences."""
    out: list[str] = []
    other = "jieba" if winner == "char" else "char"
    for lang in ("zh", "ja"):
        w, o = best.get((lang, winner)), best.get((lang, other))
        if not w or not o:
            continue
        out.append(
            f"{lang}: best {winner} (k={w['k']}) AUC {w['auc_j']:.3f}, gap {w['gap_j']:.3f}, "
            f"copies {w['copy_mean']:.3f} mean J vs unrelated max {w['unrel_max']:.3f}; best "
            f"{other} (k={o['k']}) AUC {o['auc_j']:.3f}, gap {o['gap_j']:.3f}, copies "
            f"{o['copy_mean']:.3f} vs unrelated max {o['unrel_max']:.3f}. With 20% edits: "
            f"mean J {w['v'].get('edits 20%', float('nan')):.3f}, gap {w['gap_heavy']:.3f} "
            f"({winner}) vs {o['v'].get('edits 20%', float('nan')):.3f}, gap "
            f"{o['gap_heavy']:.3f} ({other}). Punctuation changed alone: "
            f"{w['v'].get('punct only', float('nan')):.3f} vs "
            f"{o['v'].get('punct only', float('nan')):.3f}; worst single evasion: "
            f"{w['ev_min']:.3f} vs {o['ev_min']:.3f}."
            + (
                " The gaps differ by less than 0.01 here: a tie in practice."
                if abs(w["gap_j"] - o["gap_j"]) < 0.01
                else ""
            )
        )
    for corpus in ("zh-classic-novels", "aozora-pd-ja"):
        v = speed_plot.get(corpus, {})
        a, b = v.get("textprint char"), v.get("textprint jieba")
        if a and b:
            line = (
                f"Speed on {corpus}: char {H.fmt_rate(a)}chars/s, jieba "
                f"{H.fmt_rate(b)}chars/s ({a / b:.1f}x)"
            )
            py = v.get("textprint jieba, no rjieba")
            if py:
                line += (
                    f"; jieba as on a base install (no rjieba) {H.fmt_rate(py)}chars/s "
                    f"({a / py:.1f}x)"
                )
            out.append(line + ".")
    en_char, en_jieba = best.get(("en", "char")), best.get(("en", "jieba"))
    if en_char and en_jieba:
        out.append(
            "en: both give the same word tokens (jieba only sees Han runs), so the choice "
            f"does not matter there; best k by gap: {en_char['k']} (char), {en_jieba['k']} "
            "(jieba, same tokens)."
        )
    return out


def _decision_md(
    winner: str, auto_now: str, tab_d: str, reasons: list[str], why: str, chars_per_word: float
) -> str:
    lines = []
    lines.append(
        f'**"auto" = `{winner}`** ({why}). Candidates: the tokenizers of the base install, '
        "`char` and `jieba`; `mecab` and `sudachi` need the `ja` extra. `AUTO_TOKENIZER` in "
        f"`src/textprint/tokenization.py` is `{auto_now!r}`: "
        + ("the data agrees.\n" if winner == auto_now else "**the data says otherwise.**\n")
    )
    lines.append(
        "Rule: for zh and ja, each tokenizer at its best k on the edited copies (highest "
        "AUC, then widest gap = min copy Jaccard - max unrelated Jaccard). Four "
        "comparisons: each language, with the copies as built (1-5% edits and evasions) "
        "and with the same passages edited at 20%. The tokenizer that separates copies "
        "from unrelated passages better in more comparisons wins; speed breaks a tie.\n"
    )
    lines.append(tab_d + "\n")
    lines.append("Figures behind it:\n")
    lines.extend(f"- {r}" for r in reasons)
    lines.append("")
    lines.append(NOTES_MD.format(chars_per_word=chars_per_word))
    return "\n".join(lines)


NOTES_MD = """Reading the tables:

- Character shingles need a larger k than word shingles for the same span (a jieba word is
  {chars_per_word:.2f} Chinese characters on average on the zh-classic-novels slice of part A).
  Compare char k=3-4 with word k=2-3, not k with k.
- Word unigrams (k=1) keep the highest copy similarity but share many common words with
  unrelated text of the same language (see "unrel J max"), so the margin is narrow; on Japanese,
  jieba sees only the Han runs and leaves kana as single characters, which makes its k=1 nearly a
  bag of characters.
- Word segmentation depends on context: a dropped comma joins two Han runs and a line break
  starts a new MeCab/Sudachi piece, so the words near the change differ. Character tokens do not
  depend on context, so every evasion that normalization undoes leaves them unchanged.
- "char" tokens depend only on normalization (frozen tables); word tokens also depend on the
  segmenter's dictionary, which is part of the tokenizer identity: a new jieba or dictionary
  release changes every fingerprint made with it.
- The few passages where "char" stays below 1.000 under one evasion alone were traced (when
  this benchmark was written) to normalization, not to tokenization: the Traditional ->
  Simplified or kyujitai fold is chosen per run between sentence ends, so a changed full stop or
  an inserted line break can move a run boundary and flip the fold of its Han characters (a
  run with a few kana among many kanji counts as Chinese, a Chinese sentence with a katakana
  gloss as Japanese); OpenCC's phrase-level s2t picks Traditional forms that are also valid
  Simplified characters (藉, 覆, 瞭), which a character fold cannot undo; and a hyphen at the end
  of a paragraph ("Nora-" then a blank line) is joined to the next paragraph's first word.
- MeCab and Sudachi leave text written in katakana only (some Aozora works) as clause-long
  unknown words, so an edit anywhere in a clause changes its one token: see the minimum copy
  similarity of mecab and sudachi.
"""


def render(res: dict[str, Any]) -> H.Page:
    agrees = res["winner"] == res["auto_now"]
    return H.Page(
        title="Benchmark: tokenizers (speed; char vs word n-grams on edited copies)",
        command="python -m benchmarks.bench_tokenizers",
        summary=[
            f'"auto" is **`{res["winner"]}`** by this run ({res["why"]}); the library\'s '
            f"`AUTO_TOKENIZER` is `{res['auto_now']!r}`"
            + (": they agree." if agrees else ": **they differ**.")
        ],
        lead="### Decision\n\n"
        + res["decision"]
        + "\n\n### Speed\n\n"
        + res["speed"]
        + "\n\n### Quality: copies with edits and evasions\n\n"
        + res["quality"],
        protocol=(__doc__ or "").split("\n\n    python -m", 1)[0]
        + "\n\n"
        + H.corpora_note(
            "zh-classic-novels", "zh-cmrc2018-wiki", "aozora-pd-ja", "ja-jglue", "en-gutenberg"
        ),
    )


def plots(res: dict[str, Any], folder: Path) -> list[H.Plot]:
    speed_plot, points = res["speed_plot"], res["quality_points"]
    plt = H.plt()
    fig, axes = plt.subplots(1, len(speed_plot), figsize=(13, 4.2))
    for ax, (corpus, vals) in zip(np.atleast_1d(axes), speed_plot.items()):
        labels = list(vals)
        ax.barh(
            range(len(labels)),
            [vals[name] / 1e6 for name in labels],
            color=["tab:blue" if name.startswith("textprint") else "tab:gray" for name in labels],
        )
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("million characters / CPU second (log)")
        ax.set_title(corpus, fontsize=10)
    fig.suptitle("Tokenizer speed (blue: textprint.tokenize; gray: bare segmenter)")
    H.save_figure(fig, folder / "tokenizers_speed.png")
    fig, axes = plt.subplots(1, len(points), figsize=(15, 4.6))
    for ax, (lang, per_label) in zip(np.atleast_1d(axes), points.items()):
        labels = list(per_label)
        x = np.arange(len(labels))
        for offset, which, color in ((-0.18, 0, "tab:blue"), (0.18, 1, "tab:orange")):
            b = ax.boxplot(
                [per_label[lb][which] for lb in labels],
                positions=x + offset,
                widths=0.32,
                patch_artist=True,
                showfliers=True,
                flierprops={"markersize": 2},
            )
            for p in b["boxes"]:
                p.set_facecolor(color)
        ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_title(f"{lang}: Jaccard with the original (blue: copy, orange: unrelated)")
    H.save_figure(fig, folder / "tokenizers_quality.png")
    return [
        H.Plot("tokenizers_speed.png", "tokenizer speed (log scale)"),
        H.Plot("tokenizers_quality.png", "copy vs unrelated similarity"),
    ]


if __name__ == "__main__":
    H.main("tokenizers", __doc__, measure, render, plots)
