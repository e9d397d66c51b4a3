"""Coverage-guided fuzzing of textprint with atheris (libFuzzer for Python).

Each input chooses a decoding and the parameters from its first bytes, decodes the rest into a
``str`` that may hold any code point, lone surrogates included, and runs it through
``normalize``, ``tokenize``, ``fingerprint``, ``MinHasher.signature`` and ``compare`` (both ways
against a fixed text), checking the offsets each returns. API.md: a valid ``str`` never raises,
so any exception other than the documented ``TooShortError`` (a text without tokens has no
signature), or a failed check, is a crash and libFuzzer keeps the input that caused it.

Usage (see fuzz/README.md)::

    python fuzz/atheris_harness.py -atheris_runs=100000
    python fuzz/atheris_harness.py CORPUS_DIR -atheris_runs=100000   # keeps what it learns
    python fuzz/atheris_harness.py --seed-corpus CORPUS_DIR          # fixture cuts as seeds
    python fuzz/atheris_harness.py crash-<sha1>                      # replay one input
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["textprint"]):
    import numpy as np

    import textprint as tp
    from textprint.errors import MissingDependencyError, TooShortError

FIXED = (
    "话说天下大势，分久必合，合久必分。周末七国分争，并入于秦。及秦灭之后，楚、汉分争，又并入于汉。"
    "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
    "It was the best of times, it was the worst of times, it was the age of wisdom."
)
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def _installed() -> list[str]:
    names = ["char", "auto"]
    for name in ("jieba", "mecab", "sudachi"):
        try:
            tp.tokenize("测试", tokenizer=name)
        except MissingDependencyError:
            continue
        names.append(name)
    return names


TOKENIZERS = _installed()
SCHEMES = ["oph", "classic", "datasketch"]


def decode(mode: int, raw: bytes) -> str:
    """Bytes to a str that keeps lone surrogates (every mode reaches every code point)."""
    codec = ("utf-8", "utf-16-le", "utf-32-le", "utf-8")[mode % 4]
    errors = "surrogateescape" if mode % 4 == 3 else "surrogatepass"
    if codec != "utf-8":
        raw = raw[: len(raw) - len(raw) % (2 if codec == "utf-16-le" else 4)]
    try:
        return raw.decode(codec, errors)
    except UnicodeDecodeError:
        # invalid UTF-8 or a code point above U+10FFFF: undecodable bytes become lone
        # surrogates U+DC80..U+DCFF
        return raw.decode("utf-8", "surrogateescape")


def check_spans(starts: np.ndarray, ends: np.ndarray, n: int, length: int) -> None:
    if starts.dtype != np.int64 or ends.dtype != np.int64:
        raise AssertionError(f"offsets have dtypes {starts.dtype}, {ends.dtype}")
    if starts.shape != (n,) or ends.shape != (n,):
        raise AssertionError(f"offsets have shapes {starts.shape}, {ends.shape}, want ({n},)")
    if n and not (starts.min() >= 0 and ends.max() <= length and (starts < ends).all()):
        raise AssertionError("an offset does not slice the input")


def run(text: str, tokenizer: str, k: int, window: int, seed: int, scheme: str) -> None:
    n = tp.normalize(text)
    check_spans(n.starts, n.ends, len(n.text), len(text))
    n.text.encode("utf-8")  # no lone surrogate survives normalization
    t = tp.tokenize(text, tokenizer=tokenizer)
    check_spans(t.starts, t.ends, len(t.tokens), len(text))
    fp = tp.fingerprint(text, k=k, window=window, seed=seed, tokenizer=tokenizer)
    check_spans(fp.starts, fp.ends, len(fp.hashes), len(text))
    if fp.hashes.dtype != np.uint64:
        raise AssertionError(f"hashes have dtype {fp.hashes.dtype}")
    mh = tp.MinHasher(
        32,
        k=k,
        seed=seed if scheme != "datasketch" else seed & 0xFFFFFFFF,
        scheme=scheme,
        tokenizer=tokenizer,
    )
    try:
        sig = mh.signature(text)
    except TooShortError:
        if t.tokens:
            raise AssertionError("TooShortError for a text with tokens") from None
    else:
        if sig.dtype != np.uint64 or sig.shape != (32,):
            raise AssertionError(f"signature {sig.dtype} {sig.shape}")
    for query, source in ((text, FIXED), (FIXED + text, FIXED)):
        c = tp.compare(query, source, k=k, tokenizer=tokenizer)
        for p in c.passages:
            if not (0 <= p.query_start < p.query_end <= len(query)):
                raise AssertionError(f"passage {p} outside the query")
            if not (0 <= p.source_start < p.source_end <= len(source)):
                raise AssertionError(f"passage {p} outside the source")
        if not all(0.0 <= x <= 1.0 for x in (c.containment, c.source_containment, c.jaccard)):
            raise AssertionError(f"measures out of [0, 1]: {c}")


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris expects
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 255)
    tokenizer = TOKENIZERS[fdp.ConsumeIntInRange(0, len(TOKENIZERS) - 1)]
    k = fdp.ConsumeIntInRange(1, 8)
    window = fdp.ConsumeIntInRange(1, 16)
    seed = fdp.ConsumeIntInRange(0, 2**64 - 1)
    scheme = SCHEMES[fdp.ConsumeIntInRange(0, len(SCHEMES) - 1)]
    text = decode(mode, fdp.ConsumeBytes(fdp.remaining_bytes()))
    run(text, tokenizer, k, window, seed, scheme)


def write_seeds(directory: Path) -> None:
    """Seed inputs: fixture cuts in each decoding, with a header of parameter bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    i = 0
    for path in sorted(FIXTURES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for cut in (text[:200], text[1000:1100] + "\ud800\u200b\u3099"):
            for mode, codec in ((0, "utf-8"), (1, "utf-16-le"), (2, "utf-32-le")):
                header = bytes([mode, i % 7, 4, 9, 0, 0, 0, 0, 0, 0, 0, 0, i % 3])
                (directory / f"seed-{i:03d}").write_bytes(
                    header + cut.encode(codec, "surrogatepass")
                )
                i += 1
    print(f"wrote {i} seeds to {directory}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--seed-corpus":
        write_seeds(Path(sys.argv[2]))
        return
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
