"""Benchmark: rendering certificates.

    .venv/bin/python bench/certificates.py [--count 1000] [--sample 20]

1. Overhead: renders ``--sample`` certificates through lms.certificates.render (template,
   QR code, restricted URL fetcher, the credential attached) and the very same HTML
   through WeasyPrint alone, alternating, in one run; prints both medians and the ratio
   (the target is at most 1.3).
2. Throughput: renders ``--count`` certificates with one process, then with two, and
   prints the wall time of each (fonts are loaded once per process, as in a worker).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lms.certificates import render, serials  # noqa: E402

NAMES = [
    ("Айгерим Садыкова", "Aigerim Sadykova", "KG"),
    ("Oʻgʻiloy Rahimova", None, "UZ"),
    ("فرشته احمدی", "Fereshta Ahmadi", "AF"),
    ("عائشہ بی بی", "Ayesha Bibi", "PK"),
    ("Ҷамшед Одинаев", "Jamshed Odinaev", "TJ"),
]
TOKEN = "eyJhbGciOiJFZERTQSJ9." + "x" * 1400 + ".signature"


def _facts(n: int, template: render.Template) -> render.Facts:
    name, latin, country = NAMES[n % len(NAMES)]
    serial = serials.new_serial()
    arabic = any("\u0600" <= c <= "\u06ff" for c in name)
    return render.Facts(
        serial=serials.grouped(serial), holder_name=name, holder_name_latin=latin,
        course_title="Investigating trafficking in persons and smuggling of migrants",
        completed_on="27 November 2026", pre_score="42%", post_score="78%", gain="+36",
        hours="12", issuers=render.issuers_for(template, country),
        verify_url=f"https://lms.example.org/verify/{serial}",
        extra={"name_lang": "ur"} if country == "PK" and arabic else {},
    )  # fmt: skip


def _template() -> render.Template:
    return render.load_templates([ROOT / "certificates"])["completion-en"]


def _render_many(count: int) -> int:
    template = _template()
    for n in range(count):
        render.pdf(template, _facts(n, template), {"credential.jwt": TOKEN})
    return count


def overhead(sample: int) -> None:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    template = _template()
    render.pdf(template, _facts(0, template))  # load the fonts once, for both
    ours, alone = [], []
    for n in range(sample):
        facts = _facts(n, template)
        started = time.perf_counter()
        render.pdf(template, facts, {"credential.jwt": TOKEN})
        ours.append(time.perf_counter() - started)
        html = render.html(template, facts)
        started = time.perf_counter()
        HTML(string=html, base_url=template.folders[0].as_uri() + "/").write_pdf(
            font_config=FontConfiguration()
        )
        alone.append(time.perf_counter() - started)
    ratio = statistics.median(ours) / statistics.median(alone)
    print(
        f"one certificate: ours {statistics.median(ours) * 1000:.0f} ms, WeasyPrint alone "
        f"{statistics.median(alone) * 1000:.0f} ms (medians of {sample}): ratio {ratio:.2f}"
    )


def throughput(count: int, processes: int) -> None:
    started = time.perf_counter()
    if processes == 1:
        _render_many(count)
    else:
        shares = [count // processes + (i < count % processes) for i in range(processes)]
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            pool.map(_render_many, shares)
    elapsed = time.perf_counter() - started
    print(
        f"{count} certificates, {processes} process(es): {elapsed:.1f} s "
        f"({count / elapsed:.1f} a second)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20)
    options = parser.parse_args()
    overhead(options.sample)
    for processes in (1, 2):
        throughput(options.count, processes)


if __name__ == "__main__":
    main()
