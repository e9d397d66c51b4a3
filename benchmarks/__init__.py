"""textprint's benchmarks: each page of docs/benchmarks/ and the one command behind it.

Every ``bench_*`` module is a protocol and its tables; the harness (`benchmarks.harness`) does
the rest. From the repository root, in the dev environment:

    python -m benchmarks                     # every page, full size (see __main__ for the list)
    python -m benchmarks.bench_minhash       # one page: benchmarks/results/minhash.json, docs page
    python -m benchmarks.bench_minhash --quick --out /tmp/bench   # a small slice, elsewhere
    python -m benchmarks.bench_minhash --render                   # the page again, from its JSON

The corpora are read where docs/benchmarks/corpora.md says (``$TEXTPRINT_CORPORA`` overrides);
a benchmark whose corpus is missing says so and exits with status 0. Text generators live in
`benchmarks.textgen`, the quality measures and page in `benchmarks.quality`.
"""
