"""Sample certificates for names in every script of the programme, as PDF and PNG.

    .venv/bin/python scripts/certificate_samples.py [OUTPUT_DIR]

(default OUTPUT_DIR: reports/screenshots/certificates)

Renders through the shipped templates (no database): Cyrillic (Kyrgyz, Kazakh, Tajik),
Uzbek Latin, Dari, Pashto, Urdu (Nastaliq) and Arabic names, then turns each PDF into a
PNG with pdftoppm. Look at them: a missing glyph shows as an empty box.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lms.certificates import render, serials  # noqa: E402

#: (file name, template, country, name, Latin spelling, course title)
SAMPLES = [
    ("kyrgyz", "completion-ru", "KG", "Гүлмира Токтосунова", "Gulmira Toktosunova",
     "Расследование торговли людьми и незаконного ввоза мигрантов"),
    ("kazakh", "completion-ru", "KZ", "Әйгерім Құдайбергенқызы", "Aigerim Kudaibergenkyzy",
     "Расследование торговли людьми и незаконного ввоза мигрантов"),
    ("tajik", "completion-ru", "TJ", "Ҷамшед Ҳақназаров", "Jamshed Haqnazarov",
     "Расследование торговли людьми и незаконного ввоза мигрантов"),
    ("uzbek", "completion-en", "UZ", "Oʻgʻiloy Gʻulomova", None,
     "Investigating trafficking in persons and smuggling of migrants"),
    ("dari", "completion-fa", "AF", "فرشته احمدی", "Fereshta Ahmadi",
     "تحقیق قاچاق انسان و قاچاق مهاجرین"),
    ("pashto", "completion-fa", "AF", "زرغونه ستانکزۍ", "Zarghuna Stanikzai",
     "تحقیق قاچاق انسان و قاچاق مهاجرین"),
    ("urdu", "completion-en", "PK", "عائشہ بی بی", "Ayesha Bibi",
     "Investigating trafficking in persons and smuggling of migrants"),
    ("arabic", "completion-en", "IQ", "نور الهدى كريم", "Noor Al-Huda Karim",
     "Investigating trafficking in persons and smuggling of migrants"),
]  # fmt: skip


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    templates = render.load_templates([ROOT / "certificates"])
    for slug, template_name, country, name, latin, course in SAMPLES:
        template = templates[template_name]
        serial = serials.new_serial()
        arabic = any("\u0600" <= c <= "\u06ff" for c in name)
        facts = render.Facts(
            serial=serials.grouped(serial), holder_name=name, holder_name_latin=latin,
            course_title=course, completed_on="2026-11-27", pre_score="38%", post_score="81%",
            gain="+43", hours="12", issuers=render.issuers_for(template, country),
            verify_url=f"https://lms.example.org/verify/{serial}",
            extra={"name_lang": "ur"} if country == "PK" and arabic else {},
        )  # fmt: skip
        pdf = output / f"certificate-{slug}.pdf"
        pdf.write_bytes(render.pdf(template, facts))
        command = ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf)]
        subprocess.run([*command, str(pdf.with_suffix(""))], check=True)  # noqa: S603
        print(pdf.with_suffix(".png"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "reports/screenshots/certificates")
