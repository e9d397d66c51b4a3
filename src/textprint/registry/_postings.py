"""Posting records: how the registry's inverted index packs, finds and merges postings.

A *posting* says that a work holds a key: a winnowed fingerprint hash (with where it starts in
the work and, without stored texts, how long it is), or a MinHash band key (which groups the
editions of a work). A segment (see `_segments`) keeps the postings of a set of works in two
*families*, ``fp`` and ``band``, each an array of fixed-width records sorted by key.

The key of a record is the top ``KEY_BITS`` (48) bits of the 64-bit hash. A family of ``n``
records is split into ``2**B`` buckets by the key's top ``B`` bits, ``B`` chosen so that a bucket
holds about ``BUCKET_RECORDS`` records; a directory of ``2**B + 1`` record offsets locates each
bucket, so finding a key reads one short stretch of records. A record stores the rest of its key
(``48 - B`` bits), the work's index in its segment, and the other fields in as few bits as the
segment's largest values need, packed into one 64-bit word (two for very large works without
stored texts). Inside a bucket, sorting the words sorts the records by key, then work, then
start.

Keeping 48 of the 64 bits: two different fingerprints share a key with probability ``2**-48``;
at a billion postings a checked text of 500 fingerprints meets such a false match about once in
500 checks, and a false match only costs a region that verification finds empty (with stored
texts) or a one-fingerprint passage that the evidence rule needs far more than (without).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .._typing import Int64Array, UInt64Array

#: High bits of a 64-bit hash kept as the posting key.
KEY_BITS = 48
#: Target records per bucket of the directory.
BUCKET_RECORDS = 64
#: The most a start offset may be coarsened (stored ``>> shift``) to fit one word: with stored
#: texts, starts only place the regions that verification reads, which extend further anyway.
MAX_SHIFT = 6

FP = "fp"
BAND = "band"

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def key_of(hashes: UInt64Array) -> UInt64Array:
    """The posting keys of 64-bit hashes (their top ``KEY_BITS`` bits)."""
    out: UInt64Array = np.asarray(hashes, dtype=np.uint64) >> np.uint64(64 - KEY_BITS)
    return out


def _bits(value: int) -> int:
    return max(0, int(value)).bit_length()


def _mask(bits: int) -> np.uint64:
    out: np.uint64 = np.uint64((1 << bits) - 1) if bits < 64 else _MASK64
    return out


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a record: ``bits`` wide, in word ``word`` starting at bit ``lo``."""

    name: str
    bits: int
    word: int
    lo: int


@dataclass(frozen=True, slots=True)
class Layout:
    """How one family of one segment is packed.

    Attributes
    ----------
    n : int
        Records.
    bucket_bits : int
        ``B``: the directory has ``2**B`` buckets.
    words : int
        64-bit words per record (1 or 2).
    fields : tuple of Field
        ``key`` first (the key bits below the bucket bits), then ``work`` and the family's
        other fields, most significant first.
    shift : int
        Starts are stored ``>> shift`` (0: exact).
    """

    n: int
    bucket_bits: int
    words: int
    fields: tuple[Field, ...]
    shift: int = 0

    @property
    def key_bits(self) -> int:
        return KEY_BITS - self.bucket_bits

    @property
    def n_buckets(self) -> int:
        return 1 << self.bucket_bits

    @property
    def record_bytes(self) -> int:
        return 8 * self.words

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "bucket_bits": self.bucket_bits,
            "words": self.words,
            "shift": self.shift,
            "fields": [[f.name, f.bits, f.word, f.lo] for f in self.fields],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Layout:
        fields = tuple(
            Field(str(f[0]), int(f[1]), int(f[2]), int(f[3]))
            for f in data["fields"]  # type: ignore[attr-defined]
        )
        layout = cls(
            n=int(data["n"]),  # type: ignore[call-overload]
            bucket_bits=int(data["bucket_bits"]),  # type: ignore[call-overload]
            words=int(data["words"]),  # type: ignore[call-overload]
            fields=fields,
            shift=int(data["shift"]),  # type: ignore[call-overload]
        )
        layout.validate()
        return layout

    def validate(self) -> None:
        """Raise ValueError unless the layout is one this module can read."""
        if not (0 <= self.bucket_bits <= 40 and self.words in (1, 2) and self.n >= 0):
            raise ValueError(f"bad layout {self.to_json()}")
        if not self.fields or self.fields[0].name != "key" or self.fields[0].word != 0:
            raise ValueError(f"bad layout {self.to_json()}")
        if self.fields[0].bits != self.key_bits or not (0 <= self.shift <= MAX_SHIFT):
            raise ValueError(f"bad layout {self.to_json()}")
        for f in self.fields:
            if not (0 <= f.word < self.words and f.lo >= 0 and f.lo + f.bits <= 64):
                raise ValueError(f"bad layout {self.to_json()}")


def bucket_bits(n: int) -> int:
    """Directory bits for `n` records: about BUCKET_RECORDS records a bucket."""
    b = 0
    while (BUCKET_RECORDS << b) < n and b < 40:
        b += 1
    return b


def plan(
    n: int,
    n_works: int,
    *,
    max_start: int | None = None,
    max_length: int | None = None,
    coarse: bool = False,
) -> Layout:
    """The layout of a family of `n` records over `n_works` works.

    `max_start` (fingerprint families) and `max_length` (families that keep lengths) size
    those fields; with `coarse`, starts may be stored ``>> shift`` to fit one word.
    """
    b = bucket_bits(n)
    sizes: list[tuple[str, int]] = [("key", KEY_BITS - b), ("work", _bits(n_works - 1))]
    shift = 0
    if max_start is not None:
        sb = _bits(max_start)
        fixed = sum(s for _, s in sizes) + (_bits(max_length) if max_length is not None else 0)
        while coarse and fixed + sb - shift > 64 and shift < MAX_SHIFT:
            shift += 1
        sizes.append(("start", max(0, sb - shift)))
    if max_length is not None:
        sizes.append(("length", _bits(max_length)))
    fields: list[Field] = []
    word, free = 0, 64
    for name, size in sizes:
        if size > free:
            word, free = word + 1, 64
        fields.append(Field(name, size, word, free - size))
        free -= size
    layout = Layout(n=n, bucket_bits=b, words=word + 1, fields=tuple(fields), shift=shift)
    layout.validate()
    return layout


def encode(layout: Layout, keys: UInt64Array, columns: dict[str, Int64Array]) -> UInt64Array:
    """Records of shape (n, words), dtype uint64, of postings sorted by (key, work, start).

    `keys` are posting keys (`key_of`); `columns` hold ``work`` (index in the segment) and the
    family's other fields.
    """
    out = np.zeros((len(keys), layout.words), dtype=np.uint64)
    for f in layout.fields:
        if f.name == "key":
            value = keys & _mask(f.bits)
        else:
            value = np.asarray(columns[f.name], dtype=np.int64).astype(np.uint64)
            if f.name == "start" and layout.shift:
                value = value >> np.uint64(layout.shift)
        if f.bits:
            out[:, f.word] |= (value & _mask(f.bits)) << np.uint64(f.lo)
    return out


def decode(layout: Layout, records: UInt64Array, name: str) -> Int64Array:
    """The values of field `name` of `records` (starts in characters, coarsened to the
    layout's shift); zeros for a field of zero bits."""
    f = layout.field(name)
    if f is None:
        raise KeyError(name)
    if not f.bits:
        return np.zeros(len(records), dtype=np.int64)
    value = (records[:, f.word] >> np.uint64(f.lo)) & _mask(f.bits)
    if name == "start" and layout.shift:
        value = value << np.uint64(layout.shift)
    out: Int64Array = value.astype(np.int64)
    return out


def keys_of_records(layout: Layout, records: UInt64Array, buckets: UInt64Array) -> UInt64Array:
    """The full posting keys of `records` whose buckets are `buckets`."""
    rest = decode(layout, records, "key").astype(np.uint64)
    out: UInt64Array = (buckets.astype(np.uint64) << np.uint64(layout.key_bits)) | rest
    return out


def directory(layout: Layout, keys: UInt64Array) -> Int64Array:
    """Offsets of every bucket's first record (``2**B + 1`` values) for sorted `keys`."""
    buckets = keys >> np.uint64(layout.key_bits)
    edges = np.arange(layout.n_buckets + 1, dtype=np.uint64)
    out: Int64Array = np.searchsorted(buckets, edges, side="left").astype(np.int64)
    return out


def directory_bytes(offsets: Int64Array) -> bytes:
    """A directory as stored: uint32 when every offset fits, else uint64."""
    dtype = "<u4" if (len(offsets) == 0 or int(offsets[-1]) < 1 << 32) else "<u8"
    return np.ascontiguousarray(offsets, dtype=dtype).tobytes()


def directory_from_bytes(raw: bytes, n_buckets: int) -> Int64Array:
    width = len(raw) // (n_buckets + 1) if n_buckets >= 0 else 0
    if width not in (4, 8) or len(raw) != width * (n_buckets + 1):
        raise ValueError(f"directory of {len(raw)} bytes for {n_buckets} buckets")
    out: Int64Array = np.frombuffer(raw, dtype="<u4" if width == 4 else "<u8").astype(np.int64)
    return out


def sort_postings(keys: UInt64Array, columns: dict[str, Int64Array]) -> Int64Array:
    """The order that sorts postings by (key, work, start, length): the order of their packed
    words inside a bucket."""
    if not len(keys):
        return np.zeros(0, np.int64)
    extra = [columns["length"]] if "length" in columns else []
    work, start = columns["work"], columns.get("start")
    if int(work.max()) < 1 << 32 and (start is None or int(start.max()) < 1 << 32):
        # work and start as one sort key: one pass fewer
        place = work.astype(np.uint64) << np.uint64(32)
        if start is not None:
            place |= start.astype(np.uint64)
        out: Int64Array = np.lexsort((*extra, place, keys))
    else:
        out = np.lexsort((*extra, *([start] if start is not None else []), work, keys))
    return out


#: Reads the records of the ranges ``[lo[i], hi[i])`` of a stored family, concatenated, as an
#: array of shape (total, words).
RecordReader = Callable[[Int64Array, Int64Array], UInt64Array]


def ragged(lo: Int64Array, hi: Int64Array) -> Int64Array:
    """The indices ``lo[0]..hi[0]-1, lo[1]..hi[1]-1, ...`` concatenated."""
    counts = hi - lo
    total = int(counts.sum())
    out: Int64Array = np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(
        total, dtype=np.int64
    )
    return out


def lookup(
    layout: Layout,
    query: UInt64Array,
    *,
    keys: UInt64Array | None = None,
    records: UInt64Array | None = None,
    offsets: Int64Array | None = None,
    read: RecordReader | None = None,
) -> tuple[Int64Array, UInt64Array]:
    """Records whose key is in `query` (sorted, unique posting keys).

    The family is searched whole when its `keys` and `records` are in memory; otherwise
    through its directory `offsets`, reading the buckets the query touches from `records` in
    memory (one gather) or with `read` (all of them at once).

    Returns
    -------
    qi : ndarray of shape (m,), dtype=int64
        For each record found, the index of its key in `query`.
    found : ndarray of shape (m, words), dtype=uint64
    """
    if keys is None or records is None:
        assert offsets is not None
        assert read is not None or records is not None
        buckets = query >> np.uint64(layout.key_bits)  # ascending, as `query` is
        if len(buckets) > 1:
            buckets = buckets[np.concatenate(([True], buckets[1:] != buckets[:-1]))]
        lo = offsets[buckets.astype(np.int64)]
        hi = offsets[buckets.astype(np.int64) + 1]
        keep = hi > lo
        buckets, lo, hi = buckets[keep], lo[keep], hi[keep]
        if not len(buckets):
            return np.zeros(0, np.int64), np.zeros((0, layout.words), np.uint64)
        if records is not None:
            records = records[ragged(lo, hi)]
        else:
            assert read is not None
            records = read(lo, hi)
        keys = keys_of_records(layout, records, np.repeat(buckets, hi - lo))
    a = np.searchsorted(keys, query, side="left")
    b = np.searchsorted(keys, query, side="right")
    qi = np.repeat(np.arange(len(query), dtype=np.int64), b - a)
    return qi, records[ragged(a, b)]


def layouts_to_json(layouts: dict[str, Layout]) -> str:
    return json.dumps({name: lay.to_json() for name, lay in sorted(layouts.items())})


def layouts_from_json(raw: str) -> dict[str, Layout]:
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("segment layouts must be a JSON object")
    return {str(name): Layout.from_json(value) for name, value in data.items()}


def concat(parts: Sequence[UInt64Array], words: int) -> UInt64Array:
    if not parts:
        return np.zeros((0, words), dtype=np.uint64)
    out: UInt64Array = np.concatenate(parts)
    return out
