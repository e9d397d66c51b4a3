"""Generate textprint's frozen normalization tables (run once, on purpose; output is committed).

Fingerprints must not move when Python's Unicode database or OpenCC's dictionaries change, so
textprint never consults ``unicodedata`` or OpenCC at run time. This script reads them once, at a
pinned version, and writes ``src/textprint/_data/tables-<TABLES_VERSION>.npz`` (plain arrays, loaded
with ``allow_pickle=False``). Regenerating with other versions is a format change: bump
``TABLES_VERSION``; registries built with the old tables then need ``rebuild``.

Requirements: Python 3.11 (Unicode 14.0.0) and ``opencc==1.4.2`` (its compiled dictionaries
``opencc/clib/share/opencc/*.ocd2``, read back to text with the package's own ``opencc_dict`` tool).

Usage::

    python scripts/generate_tables.py            # writes the .npz
    python scripts/generate_tables.py --check    # regenerates in memory and compares

Attribution: the Traditional -> Simplified and Japanese variant maps are derived from OpenCC's
character dictionaries (https://github.com/BYVoid/OpenCC, Apache License 2.0), as shipped in the
``opencc`` 1.4.2 package (TSCharacters, TWVariantsRev, HKVariantsRev, JPShinjitaiCharactersRev:
the character dictionaries of OpenCC's t2s, tw2s, hk2s and t2jp configurations).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import io
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np

UNICODE_VERSION = "14.0.0"
OPENCC_VERSION = "1.4.2"
TABLES_VERSION = "1"
MAX_CP = 0x110000
PACKAGE = Path(__file__).resolve().parent.parent / "src" / "textprint"
OUT = PACKAGE / "_data"


def _load_compose() -> Callable[..., list[int]]:
    """The package's composition algorithm, loaded by path: the package itself needs the tables
    this script writes, and ``_compose.py`` imports nothing, so one copy of the rule serves both.
    """
    spec = importlib.util.spec_from_file_location("_textprint_compose", PACKAGE / "_compose.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    compose: Callable[..., list[int]] = module.compose_sequence
    return compose


compose = _load_compose()

# Default_Ignorable_Code_Point, DerivedCoreProperties.txt of Unicode 14.0.0 (not exposed by
# unicodedata). These are the invisible characters NFKC keeps: soft hyphen, combining grapheme
# joiner, Arabic letter mark, Hangul fillers, Mongolian/Khmer invisibles, ZWSP/ZWNJ/ZWJ, LRM/RLM,
# bidi embeddings/overrides/isolates, word joiner and invisible operators, variation selectors
# (incl. the ideographic variation selectors of the E0100 block), BOM, tag characters.
DEFAULT_IGNORABLE = [
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
]
# Characters str.isspace() calls line breaks; they become "\n", every other space becomes " ".
LINE_BREAKS = {0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029}

# Character classes (one byte per code point, stored run-length encoded).
CLASS_OTHER, CLASS_SPACE, CLASS_NEWLINE, CLASS_WORD, CLASS_HAN, CLASS_KANA, CLASS_HANGUL = range(7)

# Flags.
FLAG_CLUSTER = 1  # mapping starts with a non-starter or a composition secondary: exact path

# Look-alike letters folded to Latin, on case-folded text (so uppercase look-alikes are covered
# through their lowercase forms: Cyrillic "В" -> "в" -> "b"). Curated from Unicode's
# confusables for the letters used to evade exact matching; the Greek letters whose lowercase
# and uppercase look like different Latin letters (nu, upsilon) are left alone.
LOOKALIKES_LATIN = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "с": "c",
    "ԁ": "d",
    "е": "e",
    "һ": "h",
    "н": "h",
    "і": "i",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "ѕ": "s",
    "т": "t",
    "ԝ": "w",
    "х": "x",
    "у": "y",
    "ё": "e",
    "ї": "i",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "ζ": "z",
    "η": "h",
    "ι": "i",
    "κ": "k",
    "μ": "m",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "χ": "x",
    "ϲ": "c",
    "ϳ": "j",
    # Latin letters that look like other Latin letters
    "ɑ": "a",
    "ɡ": "g",
    "ı": "i",
    "ȷ": "j",
    "ʏ": "y",
}
# A small curated CJK look-alike fold: radicals of the CJK Radicals Supplement that NFKC leaves
# alone but that are drawn exactly like a unified ideograph, and circles used as the ideographic
# zero. The targets are named by the radical's Unicode name (e.g. "CJK RADICAL SIMPLIFIED HORSE").
LOOKALIKES_CJK = {
    0x25CB: 0x3007,
    0x25EF: 0x3007,
    0x3127: 0x4E00,
    0x2E85: 0x4EBB,
    0x2E89: 0x5202,
    0x2E96: 0x5FC4,
    0x2E98: 0x624C,
    0x2E9D: 0x6708,
    0x2EA1: 0x6C35,
    0x2EA8: 0x72AD,
    0x2EA9: 0x738B,
    0x2EBE: 0x8279,
    0x2EC5: 0x89C1,
    0x2EC6: 0x89D2,
    0x2EC8: 0x8BA0,
    0x2EC9: 0x8D1D,
    0x2ECB: 0x8F66,
    0x2ECC: 0x8FB6,
    0x2ECF: 0x961D,
    0x2ED3: 0x957F,
    0x2ED4: 0x95E8,
    0x2ED6: 0x961D,
    0x2ED7: 0x96E8,
    0x2ED8: 0x9752,
    0x2EDA: 0x9875,
    0x2EDD: 0x98DF,
    0x2EE2: 0x9A6C,
    0x2EE3: 0x9AA8,
    0x2EE4: 0x9B3C,
    0x2EE5: 0x9C7C,
    0x2EE6: 0x9E1F,
    0x2EE8: 0x9EA6,
    0x2EE9: 0x9EC4,
    0x2EEC: 0x9F50,
    0x2EEE: 0x9F7F,
    0x2EF0: 0x9F99,
}
# Small kana -> large kana (hiragana; katakana is first folded to hiragana).
SMALL_KANA = "ぁあぃいぅうぇえぉおっつゃやゅゆょよゎわゕかゖけ"
# Small katakana of the Katakana Phonetic Extensions block (Ainu) -> large hiragana.
SMALL_KATAKANA_EXT = "ㇰくㇱしㇲすㇳとㇴぬㇵはㇶひㇷふㇸへㇹほㇺむㇻらㇼりㇽるㇾれㇿろ"


def in_ranges(cp: int, ranges: list[tuple[int, int]]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def is_removed(cp: int) -> bool:
    """Invisible characters dropped from the matching view: default ignorables and controls."""
    if in_ranges(cp, DEFAULT_IGNORABLE):
        return True
    ch = chr(cp)
    return unicodedata.category(ch) == "Cc" and not ch.isspace()


def map_char(ch: str) -> str:
    """Per-character post-processing of a decomposed mapping: removal and whitespace."""
    cp = ord(ch)
    if is_removed(cp):
        return ""
    if ch.isspace():
        return "\n" if cp in LINE_BREAKS else " "
    return ch


def decomposed_mapping(cp: int) -> str:
    """NFKD + full case folding, iterated to a fixed point, invisibles removed, spaces unified.

    This is the per-character mapping of Unicode's NFKC_Casefold (with Default_Ignorable removal),
    before canonical composition.
    """
    if 0xD800 <= cp <= 0xDFFF:
        return "\ufffd"  # lone surrogates become U+FFFD one for one
    if is_removed(cp):
        return ""
    s = chr(cp)
    for _ in range(10):
        t = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", s).casefold())
        if t == s:
            break
        s = t
    return "".join(map_char(c) for c in s)


def composition_pairs() -> dict[tuple[int, int], int]:
    pairs: dict[tuple[int, int], int] = {}
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF or 0xAC00 <= cp <= 0xD7A3:
            continue
        d = unicodedata.decomposition(chr(cp))
        if not d or d.startswith("<"):
            continue
        parts = [int(x, 16) for x in d.split()]
        if len(parts) != 2:
            continue
        # A canonical pair is a primary composite unless it is a composition exclusion;
        # unicodedata does not expose the exclusions, NFC itself tells us.
        if unicodedata.normalize("NFC", chr(parts[0]) + chr(parts[1])) == chr(cp):
            pairs[(parts[0], parts[1])] = cp
    return pairs


def char_class(cp: int) -> int:
    if 0xD800 <= cp <= 0xDFFF:
        return CLASS_OTHER
    ch = chr(cp)
    if cp in LINE_BREAKS:
        return CLASS_NEWLINE
    if ch.isspace():
        return CLASS_SPACE
    cat = unicodedata.category(ch)
    name = unicodedata.name(ch, "")
    if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")) or cp in (
        0x3005,
        0x3006,
        0x3007,  # 々 〆 〇
    ):
        return CLASS_HAN
    if ("HIRAGANA" in name or "KATAKANA" in name) and cat in ("Lo", "Lm", "Mn"):
        return CLASS_KANA
    if name.startswith("HANGUL") and cat in ("Lo", "Lm"):
        return CLASS_HANGUL
    if cat[0] in "LNM":
        return CLASS_WORD
    return CLASS_OTHER


def read_opencc(name: str) -> dict[str, str]:
    """One of OpenCC 1.4.2's dictionaries, as {key: preferred value}.

    The opencc 1.4.2 wheel ships its dictionaries only compiled (``clib/share/opencc/*.ocd2``);
    its ``opencc_dict`` tool turns them back into text. Both files are checked against the
    wheel's RECORD. (An ``opencc/dictionary/*.txt`` beside them belongs to another distribution,
    opencc-python-reimplemented, which installs into the same package directory and carries an
    older OpenCC data snapshot: reading it gave tables that were not OpenCC 1.4.2's, among them
    kyujitai maps pointing the wrong way, e.g. 遥 -> 遙.)
    """
    from importlib.metadata import distribution

    dist = distribution("opencc")  # dev dependency: only this script reads OpenCC
    record = {str(f): f for f in dist.files or ()}

    def verified(rel: str) -> Path:
        entry = record.get(rel)
        if entry is None or entry.hash is None or entry.hash.mode != "sha256":
            sys.exit(f"{rel} is not part of opencc {dist.version}'s RECORD")
        path = Path(str(dist.locate_file(rel)))
        got = base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=")
        if got.decode() != entry.hash.value:
            sys.exit(f"{path} does not match opencc {dist.version}'s RECORD")
        return path

    tool = verified("opencc/clib/bin/opencc_dict")
    ocd2 = verified(f"opencc/clib/share/opencc/{name}.ocd2")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.txt"
        subprocess.run(
            [str(tool), "-i", str(ocd2), "-o", str(out), "-f", "ocd2", "-t", "text"],
            check=True,
            capture_output=True,
        )
        text = out.read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, values = line.split("\t", 1)
        table[key] = values.split()[0]  # OpenCC lists the preferred candidate first
    return table


def single_char_map(table: dict[str, str]) -> dict[int, int]:
    return {ord(k): ord(v) for k, v in table.items() if len(k) == 1 and len(v) == 1}


def fixpoint(m: dict[int, int]) -> dict[int, int]:
    """Resolve chains so the map is idempotent (a -> b, b -> c becomes a -> c)."""
    out: dict[int, int] = {}
    for k in m:
        v, seen = k, set()
        while v in m and v not in seen:
            seen.add(v)
            v = m[v]
        if v != k:
            out[k] = v
    return out


def build() -> dict[str, np.ndarray]:
    if unicodedata.unidata_version != UNICODE_VERSION:
        sys.exit(
            f"needs Unicode {UNICODE_VERSION} (Python 3.11), this is {unicodedata.unidata_version}"
        )
    from importlib.metadata import version

    if version("opencc") != OPENCC_VERSION:
        sys.exit(f"needs opencc=={OPENCC_VERSION}, found {version('opencc')}")

    ccc = {
        cp: unicodedata.combining(chr(cp))
        for cp in range(MAX_CP)
        if not 0xD800 <= cp <= 0xDFFF and unicodedata.combining(chr(cp))
    }
    pairs = composition_pairs()
    secondaries = {b for (_, b) in pairs} | set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))

    dmap_keys: list[int] = []
    dmap_offs: list[int] = [0]
    dmap_pool: list[int] = []
    fold_keys: list[int] = []
    fold_offs: list[int] = [0]
    fold_pool: list[int] = []
    flags = np.zeros(MAX_CP, dtype=np.uint8)
    for cp in range(MAX_CP):
        d = [ord(c) for c in decomposed_mapping(cp)]
        if d != [cp]:
            dmap_keys.append(cp)
            dmap_pool.extend(d)
            dmap_offs.append(len(dmap_pool))
        f = compose(d, ccc, pairs)
        if d and not (0xD800 <= cp <= 0xDFFF):
            ref = unicodedata.normalize("NFC", "".join(map(chr, d)))
            assert ref == "".join(map(chr, f)), (hex(cp), ref, f)
        if f != [cp]:
            fold_keys.append(cp)
            fold_pool.extend(f)
            fold_offs.append(len(fold_pool))
        if d and (ccc.get(d[0], 0) != 0 or d[0] in secondaries):
            flags[cp] |= FLAG_CLUSTER

    classes = np.array([char_class(cp) for cp in range(MAX_CP)], dtype=np.uint8)
    change = np.flatnonzero(np.diff(classes)) + 1
    class_starts = np.concatenate([[0], change]).astype(np.uint32)
    class_values = classes[class_starts]

    # Traditional -> Simplified: regional variants to OpenCC's standard traditional form first,
    # then standard traditional to simplified; only single characters (phrases need context).
    # (OpenCC's t2s also lists TSCharactersExt, but applies it only when "tofu" output is allowed,
    # which it is not by default; we follow the default.)
    t2s = single_char_map(read_opencc("TSCharacters"))
    for variants in ("TWVariantsRev", "HKVariantsRev"):
        for k, v in single_char_map(read_opencc(variants)).items():
            t2s.setdefault(k, t2s.get(v, v))
    t2s = fixpoint(t2s)
    # Kyujitai -> shinjitai: the dictionary of OpenCC's t2jp configuration.
    jp = fixpoint(single_char_map(read_opencc("JPShinjitaiCharactersRev")))

    kana: dict[int, int] = {}
    for cp in range(0x30A1, 0x30F7):  # katakana ァ..ヶ -> hiragana ぁ..ゖ
        kana[cp] = cp - 0x60
    kana[0x30FD], kana[0x30FE] = 0x309D, 0x309E  # ヽヾ -> ゝゞ
    for small, large in zip(SMALL_KANA[::2], SMALL_KANA[1::2]):
        kana[ord(small)] = ord(large)
    for small, large in zip(SMALL_KATAKANA_EXT[::2], SMALL_KATAKANA_EXT[1::2]):
        kana[ord(small)] = ord(large)
    kana = fixpoint(kana)
    look = {ord(k): ord(v) for k, v in LOOKALIKES_LATIN.items()} | dict(LOOKALIKES_CJK)

    def keep_stable(m: dict[int, int]) -> dict[int, int]:
        # A fold applies to already normalized text: its keys must be able to occur there and its
        # values must be normalized themselves, or normalize would not be idempotent.
        fold_set = dict(zip(fold_keys, range(len(fold_keys))))
        return {k: v for k, v in m.items() if k not in fold_set and v not in fold_set}

    def arr(m: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
        keys = sorted(m)
        return np.array(keys, dtype=np.uint32), np.array([m[k] for k in keys], dtype=np.uint32)

    out: dict[str, np.ndarray] = {
        "dmap_keys": np.array(dmap_keys, dtype=np.uint32),
        "dmap_offsets": np.array(dmap_offs, dtype=np.int64),
        "dmap_pool": np.array(dmap_pool, dtype=np.uint32),
        "fold_keys": np.array(fold_keys, dtype=np.uint32),
        "fold_offsets": np.array(fold_offs, dtype=np.int64),
        "fold_pool": np.array(fold_pool, dtype=np.uint32),
        "cluster_cps": np.flatnonzero(flags & FLAG_CLUSTER).astype(np.uint32),
        "ccc_keys": np.array(sorted(ccc), dtype=np.uint32),
        "ccc_values": np.array([ccc[k] for k in sorted(ccc)], dtype=np.uint8),
        "comp_first": np.array([a for (a, _) in sorted(pairs)], dtype=np.uint32),
        "comp_second": np.array([b for (_, b) in sorted(pairs)], dtype=np.uint32),
        "comp_result": np.array([pairs[p] for p in sorted(pairs)], dtype=np.uint32),
        "class_starts": class_starts,
        "class_values": class_values,
    }
    for name, m in (("t2s", t2s), ("jp", jp), ("kana", kana), ("lookalike", look)):
        out[f"{name}_keys"], out[f"{name}_values"] = arr(keep_stable(m))
    return out


def serialize(tables: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **tables)
    return buf.getvalue()


def digest(tables: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(tables):
        a = np.ascontiguousarray(tables[name])
        h.update(name.encode() + b"\0" + str(a.dtype).encode() + b"\0" + a.tobytes())
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped tables")
    args = ap.parse_args()
    tables = build()
    path = OUT / f"tables-{TABLES_VERSION}.npz"
    if args.check:
        with np.load(path, allow_pickle=False) as shipped:
            old = {k: shipped[k] for k in shipped.files}
        ok = digest(old) == digest(tables)
        print("tables match" if ok else "tables DIFFER")
        sys.exit(0 if ok else 1)
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_bytes(serialize(tables))
    print(f"wrote {path} ({path.stat().st_size} bytes), sha256 of arrays {digest(tables)}")
    for k, v in tables.items():
        print(f"  {k}: {v.shape} {v.dtype}")


if __name__ == "__main__":
    main()
