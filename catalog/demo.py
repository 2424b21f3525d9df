"""The platform's category tree, in English and Simplified Chinese."""

from catalog.services import category_tree_ensure

CATEGORY_TREE = [
    {
        "slug": "apparel",
        "name": "Apparel",
        "name_zh": "服装",
        "children": [
            {"slug": "shirts", "name": "Shirts", "name_zh": "衬衫"},
            {"slug": "jeans", "name": "Jeans", "name_zh": "牛仔裤"},
            {"slug": "knitwear", "name": "Knitwear", "name_zh": "针织衫"},
        ],
    },
    {
        "slug": "furniture",
        "name": "Furniture",
        "name_zh": "家具",
        "children": [
            {"slug": "panels", "name": "Panels", "name_zh": "板材"},
            {"slug": "cabinets", "name": "Cabinets", "name_zh": "橱柜"},
        ],
    },
    {
        "slug": "appliances",
        "name": "Appliances",
        "name_zh": "家电",
        "children": [
            {"slug": "air-conditioners", "name": "Air conditioners", "name_zh": "空调"},
        ],
    },
    {
        "slug": "industrial",
        "name": "Industrial equipment",
        "name_zh": "工业设备",
        "children": [
            {"slug": "cnc-machines", "name": "CNC machines", "name_zh": "数控机床"},
            {"slug": "pumps", "name": "Pumps", "name_zh": "泵"},
            {"slug": "compressors", "name": "Compressors", "name_zh": "压缩机"},
        ],
    },
]


def seed() -> None:
    category_tree_ensure(tree=CATEGORY_TREE)
