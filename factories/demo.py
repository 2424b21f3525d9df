"""Demo factories: ~40 audited (and a few pending) factories with profiles, lines,
equipment, certificates, generated workshop photos, performance figures and 30-day
calendars with realistic gaps. Idempotent: a second run adds nothing and changes nothing
already published (it only fills calendar days not yet published)."""

from __future__ import annotations

import datetime
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from catalog.models import Category
from factories import selectors, services
from factories.models import (
    AuditEvidence,
    AuditSubmission,
    CapacityDay,
    Certification,
    Equipment,
    FactoryPhoto,
    ProductionLine,
)
from marketplace.models import Organization

REGIONS = {
    "Zhejiang": ["Ningbo", "Hangzhou", "Wenzhou", "Shaoxing", "Huzhou"],
    "Guangdong": ["Dongguan", "Foshan", "Guangzhou", "Shenzhen", "Zhongshan"],
    "Jiangsu": ["Suzhou", "Wuxi", "Changzhou", "Nantong"],
    "Fujian": ["Quanzhou", "Xiamen", "Putian"],
    "Shandong": ["Qingdao", "Yantai", "Weifang"],
}
# Category slug -> (name words, processes, equipment, certificates, daily output range)
PROFILES = {
    "shirts": (
        ["Garments", "Shirt Works", "Apparel"],
        ["pattern making", "cutting", "sewing", "buttonholing", "pressing", "packing"],
        [("Lockstitch machine", "Juki", "DDL-9000C"), ("Automatic cutter", "Gerber", "Z7")],
        ["BSCI", "OEKO-TEX Standard 100", "ISO 9001"],
        (150, 600),
    ),
    "jeans": (
        ["Denim", "Jeans Co."],
        ["cutting", "sewing", "washing", "laser finishing", "riveting"],
        [("Laser finishing system", "Jeanologia", "Light Elite"), ("Washer", "Tonello", "G1")],
        ["BSCI", "ISO 14001", "ISO 9001"],
        (120, 400),
    ),
    "knitwear": (
        ["Knitting", "Knitwear"],
        ["flat knitting", "linking", "washing", "steaming"],
        [("Flat knitting machine", "Shima Seiki", "SWG091N2"), ("Linking machine", "Stoll", "L1")],
        ["OEKO-TEX Standard 100", "ISO 9001"],
        (80, 300),
    ),
    "panels": (
        ["Board", "Panel Works"],
        ["panel cutting", "edge banding", "CNC drilling", "bar-code labelling"],
        [("Panel saw", "Homag", "HPP 300"), ("Edge bander", "Biesse", "Akron 1100")],
        ["FSC", "CARB P2", "ISO 9001"],
        (200, 900),
    ),
    "cabinets": (
        ["Cabinetry", "Home Furnishing"],
        ["panel cutting", "assembly", "painting", "hardware fitting"],
        [("CNC nesting router", "SCM", "Morbidelli"), ("Spray booth", "Cefla", "iBotic")],
        ["FSC", "ISO 9001"],
        (40, 160),
    ),
    "air-conditioners": (
        ["Cooling", "Climate Appliances"],
        ["coil winding", "brazing", "assembly", "refrigerant charging", "run testing"],
        [("Fin press", "Burr Oak", "FP-300"), ("Helium leak tester", "Inficon", "LDS3000")],
        ["CCC", "CE", "ISO 9001"],
        (60, 250),
    ),
    "cnc-machines": (
        ["Machine Tools", "Precision Machinery"],
        ["casting machining", "spindle assembly", "geometry calibration", "run-in test"],
        [
            ("5-axis machining centre", "DMG Mori", "DMU 65"),
            ("Laser interferometer", "Renishaw", "XL-80"),
        ],
        ["CE", "ISO 9001"],
        (2, 12),
    ),
    "pumps": (
        ["Pump", "Fluid Equipment"],
        ["casting", "impeller balancing", "assembly", "hydrostatic testing"],
        [("Dynamic balancer", "Schenck", "HM20"), ("Pump test bench", "KSB", "TB-5")],
        ["CE", "ISO 9001", "API 610"],
        (20, 120),
    ),
    "compressors": (
        ["Compressor", "Air Systems"],
        ["rotor grinding", "assembly", "leak testing", "performance testing"],
        [("Rotor grinder", "Holroyd", "TG350E"), ("Test rig", "Atlas Copco", "TR-90")],
        ["CE", "ISO 9001"],
        (10, 60),
    ),
}
SIBLINGS = {
    "shirts": ["knitwear"],
    "jeans": ["shirts"],
    "knitwear": [],
    "panels": ["cabinets"],
    "cabinets": ["panels"],
    "air-conditioners": [],
    "cnc-machines": [],
    "pumps": ["compressors"],
    "compressors": ["pumps"],
}
BRANDS = ["Hengda", "Xinyuan", "Jinfeng", "Huamei", "Tianli", "Dongfang", "Yongsheng", "Baoli"]
FACTORY_COUNT = 40
UNVERIFIED = {7, 19, 31}  # these wait for the operator's audit
STALE = {11, 27}  # these stopped publishing after about a week


def _photo(seed: int, label: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A generated workshop picture: a lit hall with machines in rows."""
    rng = random.Random(seed)
    image = Image.new("RGB", (960, 640), (236, 239, 243))
    draw = ImageDraw.Draw(image)
    for y in range(0, 260, 4):  # ceiling gradient with light strips
        shade = 200 + y // 8
        draw.rectangle([0, y, 960, y + 4], fill=(shade - 30, shade - 20, shade))
    for x in range(60, 960, 180):
        draw.rectangle([x, 40, x + 90, 52], fill=(255, 255, 235))
    draw.polygon([(0, 640), (960, 640), (960, 330), (0, 330)], fill=(188, 192, 186))
    for row in range(3):
        for column in range(6):
            x = 40 + column * 150 + row * 20
            y = 300 + row * 95
            width, height = 110 - row * 10, 60 - row * 8
            tone = tuple(max(0, min(255, c + rng.randint(-25, 25))) for c in colour)
            draw.rectangle([x, y, x + width, y + height], fill=tone, outline=(60, 60, 60))
            draw.rectangle([x + 10, y - 18, x + 40, y], fill=(90, 96, 110))
    draw.rectangle([0, 580, 960, 640], fill=(30, 36, 51))
    draw.text((24, 598), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return SimpleUploadedFile(f"demo-{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def _specs(categories: dict[str, Category]) -> list[dict]:
    rng = random.Random(2026)
    main_slugs = [slug for slug in PROFILES if slug in categories]
    specs = []
    for number in range(1, FACTORY_COUNT + 1):
        main = main_slugs[(number - 1) % len(main_slugs)]
        region = rng.choice(sorted(REGIONS))
        city = rng.choice(REGIONS[region])
        words = PROFILES[main][0]
        made = [main] + [
            slug for slug in SIBLINGS[main] if slug in categories and rng.random() < 0.6
        ]
        specs.append(
            {
                "slug": f"demo-factory-{number:02d}",
                "name": f"{city} {rng.choice(BRANDS)} {rng.choice(words)}",
                "region": region,
                "city": city,
                "categories": made,
                "seed": number,
                "verified": number not in UNVERIFIED,
                "stale": number in STALE,
            }
        )
    return specs


def _fill_profile(organization: Organization, spec: dict, categories: dict[str, Category]):
    rng = random.Random(spec["seed"])
    main = spec["categories"][0]
    _words, processes, equipment, certificates, (low, high) = PROFILES[main]
    services.factory_profile_update(
        organization=organization,
        categories=[categories[slug] for slug in spec["categories"]],
        description=(
            f"{organization.name} makes {', '.join(spec['categories']).replace('-', ' ')} for "
            "online brands and retailers. Small orders from 30 units, free proofing on "
            "request, and production within about a week."
        ),
        region=spec["region"],
        city=spec["city"],
        address=f"No. {rng.randint(1, 300)} Industrial Park Road, {spec['city']}",
        established_year=rng.randint(1995, 2019),
        workers_count=rng.randint(40, 900),
        floor_area_m2=rng.randint(1500, 40000),
        processes="\n".join(processes),
        technology="MES-tracked work orders; digital pattern library; bar-coded bundles.",
        quality_control=(
            "Incoming material inspection, in-line checks every 2 hours, AQL 2.5 final "
            "inspection, photo report shared with the buyer before shipping."
        ),
        min_order_quantity=rng.choice([30, 30, 30, 50, 100]),
        standard_lead_days=rng.choice([5, 7, 7, 7, 10, 14]),
        free_sampling=rng.random() < 0.6,
        price_level=rng.randint(1, 5),
    )
    for index, slug in enumerate(spec["categories"]):
        name = f"Line {chr(65 + index)}"
        if not ProductionLine.objects.filter(organization=organization, name=name).exists():
            services.production_line_save(
                organization=organization,
                name=name,
                category=categories[slug],
                daily_output=rng.randint(low, high),
                workers=rng.randint(8, 60),
                description="",
            )
    for name, manufacturer, model_number in equipment:
        if not Equipment.objects.filter(organization=organization, name=name).exists():
            services.equipment_save(
                organization=organization,
                name=name,
                manufacturer=manufacturer,
                model_number=model_number,
                quantity=rng.randint(1, 40),
                year=rng.randint(2012, 2025),
            )
    today = timezone.localdate()
    for index, name in enumerate(certificates[: rng.randint(1, len(certificates))]):
        if not Certification.objects.filter(organization=organization, name=name).exists():
            # One factory in ten carries a certificate that has just expired.
            expired = spec["seed"] % 10 == 3 and index == 0
            expires = today + datetime.timedelta(days=-5 if expired else rng.randint(60, 900))
            services.certification_save(
                organization=organization,
                name=name,
                issuer=rng.choice(["SGS", "TÜV SÜD", "Bureau Veritas", "Intertek"]),
                number=f"{name[:3].upper()}-{rng.randint(10000, 99999)}",
                issued_on=expires - datetime.timedelta(days=3 * 365),
                expires_on=expires,
            )
    if not FactoryPhoto.objects.filter(organization=organization).exists():
        colour = (rng.randint(40, 200), rng.randint(60, 160), rng.randint(60, 200))
        for shot, caption in enumerate(("Production hall", "Finishing and QC")):
            services.factory_photo_add(
                organization=organization,
                upload=_photo(spec["seed"] * 10 + shot, f"{organization.name} · {caption}", colour),
                caption=caption,
            )


def _fill_calendar(organization: Organization, spec: dict, categories: dict[str, Category]):
    """Units from the lines' daily output, Sundays mostly closed, a few random closed days
    and busy weeks; a stale factory published only its first week. Only unpublished days
    are written, so a re-run never touches what is there."""
    rng = random.Random(spec["seed"] * 7)
    today = timezone.localdate()
    horizon = 7 if spec["stale"] else 30
    outputs = {
        line.category_id: line.daily_output
        for line in ProductionLine.objects.filter(organization=organization)
    }
    published = set(
        CapacityDay.objects.filter(organization=organization, date__gte=today).values_list(
            "category_id", "date"
        )
    )
    cells = []
    for slug in spec["categories"]:
        category = categories[slug]
        base = outputs.get(category.pk, 100)
        for offset in range(horizon):
            day = today + datetime.timedelta(days=offset)
            if (category.pk, day) in published:
                continue
            closed = (day.weekday() == 6 and rng.random() < 0.8) or rng.random() < 0.05
            busy = 0.4 if (offset // 7) % 3 == 1 and rng.random() < 0.5 else 1.0
            units = 0 if closed else max(int(base * busy * rng.uniform(0.6, 1.0)), 1)
            cells.append(services.CapacityCell(date=day, category_id=category.pk, units=units))
    if cells:
        cells.sort(key=lambda cell: (cell.category_id, cell.date))
        services.capacity_cells_set(organization=organization, cells=cells)


def _fill_performance(organization: Organization, spec: dict) -> None:
    rng = random.Random(spec["seed"] * 13)
    if not spec["verified"]:
        return
    services.factory_performance_update(
        factory=organization,
        on_time_rate=round(rng.uniform(0.78, 0.995), 3),
        defect_rate=round(rng.uniform(0.002, 0.04), 3),
        repeat_buyer_rate=round(rng.uniform(0.15, 0.7), 3),
        median_quote_response_hours=round(rng.uniform(0.5, 30), 1),
        rating=round(rng.uniform(3.6, 4.9), 1),
        rating_count=rng.randint(3, 240),
    )


def _pending_audit(organization: Organization, spec: dict) -> None:
    if AuditSubmission.objects.filter(organization=organization).exists():
        return
    submission = AuditSubmission.objects.create(
        organization=organization,
        legal_name=f"{organization.name} Co., Ltd.",
        business_registration_number=f"9133{spec['seed']:04d}MA2DEMO",
        note="Please review our new profile.",
    )
    AuditEvidence.objects.create(
        organization=organization,
        submission=submission,
        kind=AuditEvidence.Kind.BUSINESS_REGISTRATION,
        file=_photo(spec["seed"] + 900, "Business licence (demo)", (180, 40, 40)),
        description="Business licence",
    )
    AuditEvidence.objects.create(
        organization=organization,
        submission=submission,
        kind=AuditEvidence.Kind.PHOTO,
        file=_photo(spec["seed"] + 950, "Workshop (demo)", (60, 120, 180)),
        description="Workshop",
    )
    services.factory_profile_ensure(organization=organization)
    organization.factory_profile.audit_status = "submitted"
    organization.factory_profile.save(update_fields=["audit_status"])


def _approved_history(organization: Organization) -> None:
    if AuditSubmission.objects.filter(organization=organization).exists():
        return
    AuditSubmission.objects.create(
        organization=organization,
        status=AuditSubmission.Status.APPROVED,
        legal_name=f"{organization.name} Co., Ltd.",
        business_registration_number="91330200MA2EVERGRN",
        reviewed_at=timezone.now(),
        decision_reason="Registration, BSCI certificate and workshop photos match the profile.",
    )
    organization.factory_profile.audit_status = "approved"
    organization.factory_profile.save(update_fields=["audit_status"])


def _demo_reservations(organization: Organization, category: Category) -> None:
    """Show held and booked units on the demo factory's calendar."""
    today = timezone.localdate()
    plan = [
        ("demo:evergreen-booking-1", 5, 3, None),
        ("demo:evergreen-hold-1", 9, 2, datetime.timedelta(days=2)),
    ]
    for reference, first, span, hold_for in plan:
        if selectors.reservation_by_reference(reference=reference) is not None:
            continue
        allocations = {}
        for offset in range(first, first + span):
            day = today + datetime.timedelta(days=offset)
            cell = CapacityDay.objects.filter(
                organization=organization, category=category, date=day
            ).first()
            if cell is not None and cell.free >= 40:
                allocations[day] = 40
        if not allocations:
            continue
        try:
            if hold_for is None:
                services.capacity_book(
                    factory=organization,
                    category=category,
                    allocations=allocations,
                    reference=reference,
                )
            else:
                services.capacity_hold(
                    factory=organization,
                    category=category,
                    allocations=allocations,
                    reference=reference,
                    expires_at=timezone.now() + hold_for,
                )
        except services.CapacityUnavailable:
            continue


@transaction.atomic
def seed() -> None:
    categories = {category.slug: category for category in Category.objects.all()}
    if "shirts" not in categories:
        return  # catalog.demo has not run
    evergreen = Organization.objects.filter(slug="ningbo-evergreen").first()
    specs = _specs(categories)
    if evergreen is not None:
        specs.insert(
            0,
            {
                "slug": evergreen.slug,
                "name": evergreen.name,
                "region": "Zhejiang",
                "city": "Ningbo",
                "categories": [
                    slug for slug in ("shirts", "knitwear", "apparel") if slug in categories
                ],
                "seed": 0,
                "verified": True,
                "stale": False,
            },
        )
    for spec in specs:
        organization, _created = Organization.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "kind": Organization.Kind.FACTORY,
                "verified": spec["verified"],
            },
        )
        _fill_profile(organization, spec, categories)
        _fill_calendar(organization, spec, categories)
        _fill_performance(organization, spec)
        if not spec["verified"]:
            _pending_audit(organization, spec)
    if evergreen is not None:
        _approved_history(evergreen)
        _demo_reservations(evergreen, categories["shirts"])
    for spec in specs:  # what the nightly task would compute (bookings, utilisation)
        organization = Organization.objects.get(slug=spec["slug"])
        services.factory_performance_refresh(factory=organization)
