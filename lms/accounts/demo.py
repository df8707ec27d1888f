"""The accounts part of the demo world: agencies and units of the seven programme countries,
one user per role with a known password, and a few dozen learners named in their scripts."""

from __future__ import annotations

import sqlalchemy as sa

from lms.accounts import organisations as orgs
from lms.accounts import services
from lms.accounts.models import Agency, AgencyType, Role, Sex, Unit, User
from lms.demo import DemoWorld
from lms.extensions import db

P, PR, J, B, L, F = (
    AgencyType.POLICE,
    AgencyType.PROSECUTION,
    AgencyType.JUDICIARY,
    AgencyType.BORDER,
    AgencyType.LABOUR_INSPECTION,
    AgencyType.FINANCIAL_INTELLIGENCE,
)

#: country → [(agency, agency in Latin/English, type, [(unit, unit in English, specialised)])]
ORGANISATIONS: dict[str, list[tuple[str, str, AgencyType, list[tuple[str, str, bool]]]]] = {
    "KG": [
        ("Министерство внутренних дел Кыргызской Республики", "Ministry of Internal Affairs", P, [
            ("Отдел по противодействию торговле людьми", "Anti-Trafficking Department", True),
            ("Следственная служба", "Investigation Service", False),
        ]),
        ("Генеральная прокуратура Кыргызской Республики", "Prosecutor General's Office", PR, [
            ("Управление по надзору за следствием", "Investigation Oversight Directorate", False),
        ]),
        ("Верховный суд Кыргызской Республики", "Supreme Court", J, []),
        ("Пограничная служба", "Border Service", B, [
            ("Пограничный отряд «Ош»", "Osh Border Detachment", False),
        ]),
    ],
    "KZ": [
        ("Министерство внутренних дел Республики Казахстан", "Ministry of Internal Affairs", P, [
            ("Управление по борьбе с торговлей людьми", "Counter-Trafficking Directorate", True),
        ]),
        ("Генеральная прокуратура Республики Казахстан", "Prosecutor General's Office", PR, []),
        ("Агентство по финансовому мониторингу", "Financial Monitoring Agency", F, [
            ("Департамент финансовых расследований", "Financial Investigations Department", True),
        ]),
        ("Государственная инспекция труда", "State Labour Inspectorate", L, []),
    ],
    "UZ": [
        ("Oʻzbekiston Respublikasi Ichki ishlar vazirligi", "Ministry of Internal Affairs", P, [
            ("Odam savdosiga qarshi kurashish boshqarmasi", "Anti-Trafficking Directorate", True),
        ]),
        ("Oʻzbekiston Respublikasi Bosh prokuraturasi", "Prosecutor General's Office", PR, []),
        ("Oʻzbekiston Respublikasi Oliy sudi", "Supreme Court", J, []),
    ],
    "TJ": [
        ("Вазорати корҳои дохилии Ҷумҳурии Тоҷикистон", "Ministry of Internal Affairs", P, [
            ("Шуъбаи мубориза бо хариду фурӯши одамон", "Anti-Trafficking Division", True),
        ]),
        ("Прокуратураи генералии Ҷумҳурии Тоҷикистон", "Prosecutor General's Office", PR, []),
    ],
    "PK": [
        ("وفاقی تحقیقاتی ادارہ", "Federal Investigation Agency", P, [
            ("انسداد انسانی اسمگلنگ سرکل لاہور", "Anti-Human Trafficking Circle Lahore", True),
        ]),
        ("محکمہ استغاثہ پنجاب", "Punjab Prosecution Department", PR, []),
        ("Financial Monitoring Unit", "Financial Monitoring Unit", F, []),
    ],
    "AF": [
        ("وزارت امور داخله", "Ministry of Interior Affairs", P, [
            ("ریاست مبارزه با قاچاق انسان", "Counter-Trafficking Directorate", True),
        ]),
        ("لوی څارنوالي", "Attorney General's Office", PR, []),
    ],
    "IQ": [
        ("وزارة الداخلية", "Ministry of Interior", P, [
            ("مديرية مكافحة الاتجار بالبشر", "Counter-Trafficking Directorate", True),
        ]),
        ("مجلس القضاء الأعلى", "Supreme Judicial Council", J, []),
    ],
}  # fmt: skip

#: Demo people with a login: role → (username, full name, Latin spelling, sex).
#: The coordinator coordinates Kyrgyzstan only, so the demo shows country scoping.
DEMO_PEOPLE = {
    Role.ADMIN: ("demo.admin", "Aigerim Sadykova", None, Sex.FEMALE),
    Role.COORDINATOR: ("demo.coordinator", "Динара Асанова", "Dinara Asanova", Sex.FEMALE),
    Role.MENTOR: ("demo.mentor", "Бахтиёр Назаров", "Bakhtiyor Nazarov", Sex.MALE),
    Role.TRAINER: ("demo.trainer", "Гульнара Абдуллаева", "Gulnara Abdullaeva", Sex.FEMALE),
    Role.LEARNER: ("demo.learner", "Азамат Токтогулов", "Azamat Toktogulov", Sex.MALE),
}
DEMO_COUNTRY = "KG"

#: Learners without a password yet (coordinators print them activation slips):
#: country → [(full name in their script, Latin spelling, sex, position)].
LEARNERS: dict[str, list[tuple[str, str | None, Sex, str]]] = {
    "KG": [
        ("Айбек Жумабаев", "Aibek Zhumabaev", Sex.MALE, "Старший оперуполномоченный"),
        ("Нургуль Осмонова", "Nurgul Osmonova", Sex.FEMALE, "Следователь"),
        ("Эрлан Садыров", "Erlan Sadyrov", Sex.MALE, "Прокурор"),
        ("Чолпон Бекова", "Cholpon Bekova", Sex.FEMALE, "Судья"),
        ("Талант Мамытов", "Talant Mamytov", Sex.MALE, "Офицер пограничной службы"),
        ("Жылдыз Иманалиева", "Zhyldyz Imanalieva", Sex.FEMALE, "Инспектор"),
        ("Бакыт Абдыкадыров", "Bakyt Abdykadyrov", Sex.MALE, "Оперуполномоченный"),
        ("Гүлмира Токтосунова", "Gulmira Toktosunova", Sex.FEMALE, "Следователь"),
        ("Нурбек Эсенгулов", "Nurbek Esengulov", Sex.MALE, "Инспектор по миграции"),
        ("Айжан Сыдыкова", "Aizhan Sydykova", Sex.FEMALE, "Помощник прокурора"),
    ],
    "KZ": [
        ("Ерлан Нурпеисов", "Yerlan Nurpeisov", Sex.MALE, "Следователь"),
        ("Айгуль Жаксылыкова", "Aigul Zhaksylykova", Sex.FEMALE, "Прокурор"),
        ("Данияр Сейткали", "Daniyar Seitkali", Sex.MALE, "Финансовый аналитик"),
        ("Сауле Мукашева", "Saule Mukasheva", Sex.FEMALE, "Государственный инспектор труда"),
        ("Асхат Ермеков", "Askhat Yermekov", Sex.MALE, "Оперуполномоченный"),
        ("Бауыржан Жолдасбеков", "Bauyrzhan Zholdasbekov", Sex.MALE, "Тергеуші"),
        ("Әйгерім Қасымова", "Aigerim Kassymova", Sex.FEMALE, "Прокурор"),
        ("Нұрсұлтан Байжанов", "Nursultan Baizhanov", Sex.MALE, "Учасковый инспектор"),
        ("Динара Смағұлова", "Dinara Smagulova", Sex.FEMALE, "Судья"),
    ],
    "UZ": [
        ("Dilshod Karimov", None, Sex.MALE, "Katta tergovchi"),
        ("Мухаммад Каримов", "Muhammad Karimov", Sex.MALE, "Tergovchi"),
        ("Muhammed Karimov", None, Sex.MALE, "Tergovchi"),
        ("Nodira Yusupova", None, Sex.FEMALE, "Prokuror"),
        ("Oʻgʻiloy Rahimova", None, Sex.FEMALE, "Sudya"),
        ("Jasur Toshmatov", None, Sex.MALE, "Inspektor"),
        ("Sherzod Abdullayev", None, Sex.MALE, "Tezkor vakil"),
        ("Gulnoza Ergasheva", None, Sex.FEMALE, "Tergovchi"),
        ("Bobur Xolmatov", None, Sex.MALE, "Chegarachi"),
        ("Zarina Qodirova", None, Sex.FEMALE, "Mehnat inspektori"),
        ("Oybek Rasulov", None, Sex.MALE, "Prokuror yordamchisi"),
    ],
    "TJ": [
        ("Фарҳод Раҳимов", "Farhod Rahimov", Sex.MALE, "Муфаттиш"),
        ("Мадина Саидова", "Madina Saidova", Sex.FEMALE, "Прокурор"),
        ("Ҷамшед Одинаев", "Jamshed Odinaev", Sex.MALE, "Корманди милитсия"),
        ("Рустам Назаров", "Rustam Nazarov", Sex.MALE, "Прокурор"),
        ("Зарина Шарипова", "Zarina Sharipova", Sex.FEMALE, "Муфаттиш"),
        ("Далер Қурбонов", "Daler Qurbonov", Sex.MALE, "Корманди сарҳадӣ"),
        ("Шаҳло Раҳмонова", "Shahlo Rahmonova", Sex.FEMALE, "Нозири меҳнат"),
    ],
    "PK": [
        ("محمد عمران خان", "Muhammad Imran Khan", Sex.MALE, "Inspector"),
        ("عائشہ بی بی", "Ayesha Bibi", Sex.FEMALE, "Deputy District Public Prosecutor"),
        ("علی رضا", "Ali Raza", Sex.MALE, "Sub-Inspector"),
        ("فاطمہ نقوی", "Fatima Naqvi", Sex.FEMALE, "Assistant Director"),
        ("ثناء اللہ", "Sanaullah", Sex.MALE, "Inspector"),
        ("سدرہ بتول", "Sidra Batool", Sex.FEMALE, "Sub-Inspector"),
        ("عثمان طارق", "Usman Tariq", Sex.MALE, "Assistant Director"),
        ("مریم نواز خان", "Maryam Nawaz Khan", Sex.FEMALE, "Public Prosecutor"),
    ],
    "AF": [
        ("احمد ولی", "Ahmad Wali", Sex.MALE, "افسر تحقیق"),
        ("فرشته احمدی", "Fereshta Ahmadi", Sex.FEMALE, "څارنواله"),
        ("نقیب‌الله یوسفزی", "Naqibullah Yousafzai", Sex.MALE, "مامور پولیس"),
        ("محمد نعیم", "Mohammad Naeem", Sex.MALE, "د پولیسو افسر"),
        ("زرغونه ستانکزۍ", "Zarghuna Stanikzai", Sex.FEMALE, "څارنواله"),
        ("عبدالرحمن کریمی", "Abdul Rahman Karimi", Sex.MALE, "افسر تحقیق"),
        ("مریم حسینی", "Maryam Hosseini", Sex.FEMALE, "افسر پولیس"),
    ],
    "IQ": [
        ("مصطفى حسن", "Mustafa Hassan", Sex.MALE, "ضابط تحقيق"),
        ("زينب علي", "Zainab Ali", Sex.FEMALE, "قاضية تحقيق"),
        ("حيدر كاظم", "Haider Kadhim", Sex.MALE, "نقيب شرطة"),
        ("علي جاسم", "Ali Jasim", Sex.MALE, "ضابط شرطة"),
        ("نور الهدى كريم", "Noor Al-Huda Karim", Sex.FEMALE, "محققة قضائية"),
        ("أحمد عبد الله", "Ahmed Abdullah", Sex.MALE, "قاضي تحقيق"),
        ("سارة محمود", "Sara Mahmoud", Sex.FEMALE, "مدعية عامة"),
    ],
}


def _ensure_organisations(world: DemoWorld) -> dict[str, list[Agency]]:
    """Create missing agencies and units (two queries to see what exists)."""
    existing_agencies = {
        (a.country_code, a.name): a for a in db.session.scalars(sa.select(Agency)).all()
    }
    existing_units = {(u.agency_id, u.name) for u in db.session.scalars(sa.select(Unit)).all()}
    by_country: dict[str, list[Agency]] = {}
    for code, agencies in ORGANISATIONS.items():
        for name, latin, kind, units in agencies:
            agency = existing_agencies.get((code, name))
            if agency is None:
                agency = orgs.create_agency(
                    country_code=code, name=name, name_latin=latin, type=kind,
                    actor=None, now=world.now,
                )  # fmt: skip
                world.count("agencies", created=True)
            else:
                world.count("agencies", created=False)
            by_country.setdefault(code, []).append(agency)
            for unit_name, unit_latin, specialised in units:
                if (agency.id, unit_name) in existing_units:
                    world.count("units", created=False)
                    continue
                orgs.create_unit(
                    agency, name=unit_name, name_latin=unit_latin, is_specialised=specialised,
                    actor=None, now=world.now,
                )  # fmt: skip
                world.count("units", created=True)
    return by_country


def demo_password(role: Role) -> str:
    return f"demo-{role.value}-password"


def seed(world: DemoWorld) -> None:
    """Create whatever of the demo organisations and people does not exist yet."""
    agencies = _ensure_organisations(world)
    db.session.flush()
    taken = set(db.session.scalars(sa.select(User.username)).all())

    def place(code: str, index: int) -> tuple[int | None, int | None]:
        agency = agencies[code][index % len(agencies[code])]
        unit = agency.units[0] if agency.units else None
        return agency.id, unit.id if unit else None

    for index, (role, (username, full_name, latin, sex)) in enumerate(DEMO_PEOPLE.items()):
        password = demo_password(role)
        world.logins[role.value] = {"username": username, "password": password}
        if username in taken:
            world.count("users", created=False)
            continue
        agency_id, unit_id = place(DEMO_COUNTRY, index) if role is not Role.ADMIN else (None, None)
        services.create_user(
            username=username, full_name=full_name, full_name_latin=latin, sex=sex,
            password=password, roles=[role], coordinator_country=DEMO_COUNTRY,
            country_code=DEMO_COUNTRY if role is not Role.ADMIN else None,
            agency_id=agency_id, unit_id=unit_id, actor=None, now=world.now,
        )  # fmt: skip
        world.count("users", created=True)

    for code, people in LEARNERS.items():
        for index, (full_name, latin, sex, position) in enumerate(people, start=1):
            username = f"{code.lower()}.learner{index:02d}"
            if username in taken:
                world.count("learners", created=False)
                continue
            agency_id, unit_id = place(code, index - 1)
            services.create_user(
                username=username, full_name=full_name, full_name_latin=latin, sex=sex,
                position=position, password=None, roles=[Role.LEARNER], country_code=code,
                agency_id=agency_id, unit_id=unit_id, actor=None, now=world.now,
            )  # fmt: skip
            world.count("learners", created=True)
