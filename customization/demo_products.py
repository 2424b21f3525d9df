"""The demo's customizable products, as data: an air conditioner (6 of 22 functions and a
logo), a made-to-measure suit (19 body measurements, fabrics, styles, a monogram) and a
modular cabinet (panels by size and material). `customization.demo` and the tests set them
up with `customizable_product_setup`."""

from __future__ import annotations

from typing import Any

from customization.models import ModuleRecipe

AIR_CONDITIONER_FUNCTIONS = [
    ("inverter", "Inverter compressor", "变频压缩机", 32000),
    ("heating", "Heating (heat pump)", "制热", 18000),
    ("wifi", "Wi-Fi control", "WiFi控制", 6000),
    ("self-cleaning", "Self-cleaning coil", "自清洁", 4000),
    ("pm25-filter", "PM2.5 filter", "PM2.5过滤", 5000),
    ("ionizer", "Ionizer", "负离子", 3000),
    ("dehumidify", "Dehumidify mode", "除湿", 1500),
    ("sleep-mode", "Sleep mode", "睡眠模式", 500),
    ("turbo-cooling", "Turbo cooling", "强力制冷", 2000),
    ("eco-mode", "Eco mode", "节能模式", 500),
    ("auto-restart", "Auto restart", "来电自启", 500),
    ("timer", "24 h timer", "定时", 300),
    ("follow-me", "Follow-me sensor", "随身感", 2500),
    ("quiet-mode", "Quiet mode (19 dB)", "静音", 3500),
    ("airflow-3d", "3D airflow", "立体送风", 4500),
    ("anti-mildew", "Anti-mildew", "防霉", 1500),
    ("uv-sterilization", "UV sterilization", "紫外杀菌", 7000),
    ("fresh-air", "Fresh-air intake", "新风", 16000),
    ("voice-control", "Voice control", "语音控制", 5500),
    ("energy-monitor", "Energy monitor", "电量统计", 2500),
    ("child-lock", "Child lock", "童锁", 300),
    ("low-voltage-start", "Low-voltage start", "低电压启动", 2000),
]

AIR_CONDITIONER: dict[str, Any] = {
    "recipe": ModuleRecipe.OPTIONS,
    "groups": [
        {
            "code": "functions",
            "name": "Functions",
            "name_zh": "功能",
            "kind": "multi",
            "min_choices": 6,
            "max_choices": 6,
            "help_text": "Choose exactly 6 of the 22 functions.",
            "options": [
                {
                    "code": code,
                    "name": name,
                    "name_zh": name_zh,
                    "price_delta_minor": delta,
                    "module": {"code": f"function-{code}", "name": f"{name} module"},
                }
                for code, name, name_zh, delta in AIR_CONDITIONER_FUNCTIONS
            ],
        },
        {
            "code": "panel-colour",
            "name": "Panel colour",
            "name_zh": "面板颜色",
            "kind": "single",
            "options": [
                {
                    "code": colour,
                    "name": label,
                    "price_delta_minor": delta,
                    "module": {
                        "code": "front-panel",
                        "name": f"Front panel, {label.lower()}",
                        "attributes": {"colour": colour},
                    },
                }
                for colour, label, delta in (
                    ("white", "White", 0),
                    ("silver", "Silver", 8000),
                    ("graphite", "Graphite", 12000),
                )
            ],
        },
        {
            "code": "refrigerant",
            "name": "Refrigerant",
            "name_zh": "冷媒",
            "kind": "single",
            "options": [
                {
                    "code": gas,
                    "name": gas.upper(),
                    "price_delta_minor": delta,
                    "module": {
                        "code": "outdoor-unit",
                        "name": f"Outdoor unit ({gas.upper()})",
                        "attributes": {"refrigerant": gas},
                    },
                }
                for gas, delta in (("r32", 0), ("r290", 9000))
            ],
        },
        {
            "code": "logo",
            "name": "Brand logo on the panel",
            "name_zh": "面板品牌标志",
            "kind": "image",
            "required": False,
            "price_delta_minor": 500,
            "module_name": "Logo pad print",
            "help_text": "PNG, JPEG or WebP up to 5 MB.",
        },
    ],
    "rules": [
        ("functions.voice-control", "requires", "functions.wifi"),
        ("functions.energy-monitor", "requires", "functions.wifi"),
        ("functions.uv-sterilization", "excludes", "functions.ionizer"),
        ("functions.fresh-air", "excludes", "functions.quiet-mode"),
    ],
}

SUIT_MEASUREMENTS = [
    ("neck", "Neck", "领围", 30, 55),
    ("chest", "Chest", "胸围", 70, 160),
    ("waist", "Waist", "腰围", 55, 150),
    ("hip", "Hip", "臀围", 70, 160),
    ("shoulder", "Shoulder width", "肩宽", 35, 60),
    ("sleeve", "Sleeve length", "袖长", 50, 75),
    ("bicep", "Bicep", "臂围", 22, 50),
    ("wrist", "Wrist", "腕围", 13, 25),
    ("jacket_length", "Jacket length", "衣长", 60, 90),
    ("back_width", "Back width", "背宽", 30, 55),
    ("front_width", "Front width", "胸宽", 30, 55),
    ("armhole", "Armhole", "袖窿", 38, 65),
    ("trouser_waist", "Trouser waist", "裤腰围", 55, 150),
    ("outseam", "Outseam", "裤长", 85, 120),
    ("inseam", "Inseam", "内长", 65, 95),
    ("thigh", "Thigh", "大腿围", 45, 85),
    ("knee", "Knee", "膝围", 35, 60),
    ("hem", "Leg opening", "脚口", 30, 50),
    ("rise", "Front rise", "前浪", 20, 35),
]


def _style(code: str, name: str, name_zh: str, key: str, choices: list[tuple]) -> dict:
    return {
        "code": code,
        "name": name,
        "name_zh": name_zh,
        "kind": "single",
        "options": [
            {
                "code": value,
                "name": label,
                "price_delta_minor": delta,
                "module": {"recipe": {key: value}},
            }
            for value, label, delta in choices
        ],
    }


SUIT: dict[str, Any] = {
    "recipe": ModuleRecipe.SUIT,
    "groups": [
        _style(
            "fabric",
            "Fabric",
            "面料",
            "fabric",
            [
                ("wool-navy", "Navy worsted wool", 0),
                ("wool-charcoal", "Charcoal worsted wool", 0),
                ("wool-cashmere", "Wool-cashmere, grey", 42000),
                ("linen-sand", "Sand linen", 8000),
            ],
        ),
        _style(
            "lapel",
            "Lapel",
            "驳领",
            "lapel",
            [("notch", "Notch", 0), ("peak", "Peak", 6000), ("shawl", "Shawl", 9000)],
        ),
        _style(
            "buttons",
            "Buttons",
            "纽扣",
            "buttons",
            [
                ("one", "Single-breasted, one button", 0),
                ("two", "Single-breasted, two buttons", 0),
                ("double", "Double-breasted", 12000),
            ],
        ),
        _style(
            "vents",
            "Vents",
            "开衩",
            "vents",
            [
                ("none", "No vent", 0),
                ("single", "Single vent", 0),
                ("double", "Double vents", 3000),
            ],
        ),
        _style(
            "trouser-pleats",
            "Trouser front",
            "裤前褶",
            "trouser_pleats",
            [("flat", "Flat front", 0), ("single", "Single pleat", 2000)],
        ),
        *[
            {
                "code": code,
                "name": name,
                "name_zh": name_zh,
                "kind": "measurement",
                "unit": "cm",
                "min_value": low,
                "max_value": high,
            }
            for code, name, name_zh, low, high in SUIT_MEASUREMENTS
        ],
        {
            "code": "monogram",
            "name": "Monogram",
            "name_zh": "刺绣字母",
            "kind": "text",
            "required": False,
            "max_length": 12,
            "price_delta_minor": 3000,
            "module_name": "Monogram embroidery",
            "help_text": "Up to 12 characters, embroidered inside the jacket.",
        },
    ],
    "rules": [
        ("lapel.shawl", "requires", "buttons.one"),
        ("buttons.double", "excludes", "lapel.notch"),
    ],
}

CABINET: dict[str, Any] = {
    "recipe": ModuleRecipe.CABINET,
    "groups": [
        {
            "code": "width",
            "name": "Width",
            "name_zh": "宽",
            "kind": "measurement",
            "unit": "cm",
            "min_value": 30,
            "max_value": 120,
        },
        {
            "code": "height",
            "name": "Height",
            "name_zh": "高",
            "kind": "measurement",
            "unit": "cm",
            "min_value": 40,
            "max_value": 220,
        },
        {
            "code": "depth",
            "name": "Depth",
            "name_zh": "深",
            "kind": "measurement",
            "unit": "cm",
            "min_value": 30,
            "max_value": 60,
        },
        _style(
            "material",
            "Board",
            "板材",
            "material",
            [
                ("white-mdf", "White melamine MDF", 0),
                ("birch-plywood", "Birch plywood", 9000),
                ("oak-veneer", "Oak veneer", 16000),
            ],
        ),
        _style(
            "doors",
            "Doors",
            "门",
            "doors",
            [(0, "Open, no doors", 0), (1, "One door", 6000), (2, "Two doors", 11000)],
        ),
        _style(
            "shelves",
            "Shelves",
            "层板",
            "shelves",
            [(count, f"{count} shelves", count * 2500) for count in range(5)],
        ),
        {
            "code": "handles",
            "name": "Handles",
            "name_zh": "拉手",
            "kind": "single",
            "options": [
                {"code": "none", "name": "No handles (push to open)", "price_delta_minor": 0},
                {
                    "code": "steel-bar",
                    "name": "Brushed steel bar",
                    "price_delta_minor": 1800,
                    "module": {
                        "code": "handle",
                        "name": "Steel bar handle",
                        "attributes": {"finish": "brushed-steel"},
                    },
                },
                {
                    "code": "brass-knob",
                    "name": "Brass knob",
                    "price_delta_minor": 2600,
                    "module": {
                        "code": "handle",
                        "name": "Brass knob",
                        "attributes": {"finish": "brass"},
                    },
                },
            ],
        },
    ],
    "rules": [
        ("handles.steel-bar", "excludes", "doors.0"),
        ("handles.brass-knob", "excludes", "doors.0"),
    ],
}

# Option codes are slugs: the door and shelf counts become "0", "1", ...
for _group in CABINET["groups"]:
    for _option in _group.get("options", []):
        _option["code"] = str(_option["code"])

CUSTOMIZABLE = {
    "split-air-conditioner-35": AIR_CONDITIONER,
    "bespoke-two-piece-suit": SUIT,
    "modular-cabinet": CABINET,
}
