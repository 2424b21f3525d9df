"""China's provinces (and province-level municipalities, autonomous regions and SARs) with
their major cities, in English and Simplified Chinese.

A factory's `region` and `city` hold the English names below (the API keeps publishing
them as before); pages show the reader's language. `place_resolve` is the lenient reading
of what someone typed ("ningbo", "宁波", "Zhejiang Province", "zhejiang/ningbo") used by
search and by the migration that cleaned up the free-text values (ADR 0017).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import get_language

# (English, Chinese, [(city English, city Chinese), ...]); municipalities are their own city.
_DATA: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("Beijing", "北京", (("Beijing", "北京"),)),
    ("Tianjin", "天津", (("Tianjin", "天津"),)),
    ("Shanghai", "上海", (("Shanghai", "上海"),)),
    ("Chongqing", "重庆", (("Chongqing", "重庆"),)),
    (
        "Hebei",
        "河北",
        (
            ("Shijiazhuang", "石家庄"),
            ("Baoding", "保定"),
            ("Tangshan", "唐山"),
            ("Cangzhou", "沧州"),
        ),
    ),
    ("Shanxi", "山西", (("Taiyuan", "太原"), ("Datong", "大同"))),
    ("Inner Mongolia", "内蒙古", (("Hohhot", "呼和浩特"), ("Baotou", "包头"))),
    ("Liaoning", "辽宁", (("Shenyang", "沈阳"), ("Dalian", "大连"), ("Anshan", "鞍山"))),
    ("Jilin", "吉林", (("Changchun", "长春"), ("Jilin City", "吉林市"))),
    ("Heilongjiang", "黑龙江", (("Harbin", "哈尔滨"), ("Daqing", "大庆"))),
    (
        "Jiangsu",
        "江苏",
        (
            ("Nanjing", "南京"),
            ("Suzhou", "苏州"),
            ("Wuxi", "无锡"),
            ("Changzhou", "常州"),
            ("Nantong", "南通"),
            ("Yangzhou", "扬州"),
            ("Xuzhou", "徐州"),
        ),
    ),
    (
        "Zhejiang",
        "浙江",
        (
            ("Hangzhou", "杭州"),
            ("Ningbo", "宁波"),
            ("Wenzhou", "温州"),
            ("Shaoxing", "绍兴"),
            ("Huzhou", "湖州"),
            ("Jiaxing", "嘉兴"),
            ("Jinhua", "金华"),
            ("Yiwu", "义乌"),
            ("Taizhou", "台州"),
        ),
    ),
    ("Anhui", "安徽", (("Hefei", "合肥"), ("Wuhu", "芜湖"))),
    (
        "Fujian",
        "福建",
        (("Fuzhou", "福州"), ("Xiamen", "厦门"), ("Quanzhou", "泉州"), ("Putian", "莆田")),
    ),
    ("Jiangxi", "江西", (("Nanchang", "南昌"), ("Ganzhou", "赣州"))),
    (
        "Shandong",
        "山东",
        (
            ("Jinan", "济南"),
            ("Qingdao", "青岛"),
            ("Yantai", "烟台"),
            ("Weifang", "潍坊"),
            ("Linyi", "临沂"),
        ),
    ),
    ("Henan", "河南", (("Zhengzhou", "郑州"), ("Luoyang", "洛阳"))),
    ("Hubei", "湖北", (("Wuhan", "武汉"), ("Xiangyang", "襄阳"), ("Yichang", "宜昌"))),
    ("Hunan", "湖南", (("Changsha", "长沙"), ("Zhuzhou", "株洲"))),
    (
        "Guangdong",
        "广东",
        (
            ("Guangzhou", "广州"),
            ("Shenzhen", "深圳"),
            ("Dongguan", "东莞"),
            ("Foshan", "佛山"),
            ("Zhongshan", "中山"),
            ("Huizhou", "惠州"),
            ("Jiangmen", "江门"),
            ("Shantou", "汕头"),
            ("Zhuhai", "珠海"),
        ),
    ),
    ("Guangxi", "广西", (("Nanning", "南宁"), ("Liuzhou", "柳州"))),
    ("Hainan", "海南", (("Haikou", "海口"), ("Sanya", "三亚"))),
    ("Sichuan", "四川", (("Chengdu", "成都"), ("Mianyang", "绵阳"))),
    ("Guizhou", "贵州", (("Guiyang", "贵阳"),)),
    ("Yunnan", "云南", (("Kunming", "昆明"),)),
    ("Tibet", "西藏", (("Lhasa", "拉萨"),)),
    ("Shaanxi", "陕西", (("Xi'an", "西安"), ("Baoji", "宝鸡"))),
    ("Gansu", "甘肃", (("Lanzhou", "兰州"),)),
    ("Qinghai", "青海", (("Xining", "西宁"),)),
    ("Ningxia", "宁夏", (("Yinchuan", "银川"),)),
    ("Xinjiang", "新疆", (("Urumqi", "乌鲁木齐"),)),
    ("Hong Kong", "香港", (("Hong Kong", "香港"),)),
    ("Macau", "澳门", (("Macau", "澳门"),)),
    ("Taiwan", "台湾", (("Taipei", "台北"), ("Taichung", "台中"))),
)


@dataclass(frozen=True)
class City:
    name: str
    name_zh: str
    province: str  # the province's English name

    @property
    def code(self) -> str:
        return f"{self.province}/{self.name}"

    def label(self) -> str:
        return self.name_zh if _chinese() else self.name


@dataclass(frozen=True)
class Province:
    name: str
    name_zh: str
    cities: tuple[City, ...]

    @property
    def code(self) -> str:
        return self.name

    def label(self) -> str:
        return self.name_zh if _chinese() else self.name


PROVINCES: tuple[Province, ...] = tuple(
    Province(
        name=name,
        name_zh=name_zh,
        cities=tuple(City(city, city_zh, name) for city, city_zh in cities),
    )
    for name, name_zh, cities in _DATA
)
PROVINCE_BY_NAME = {province.name: province for province in PROVINCES}
CITY_BY_CODE = {city.code: city for province in PROVINCES for city in province.cities}


def _chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


_NOISE = re.compile(
    r"[\s\-_.,'’()（）·/]+|province$|city$|shi$|sheng$|省$|市$|"
    r"autonomous region$|自治区$|壮族$|回族$|维吾尔$|special administrative region$|特别行政区$"
)


def normalize(text: str) -> str:
    """Lower case without spaces, punctuation or the words "province"/"city" (either
    language) at the end: the key lenient matching compares."""
    key = text.strip().lower()
    previous = None
    while previous != key:
        previous = key
        key = _NOISE.sub("", key)
    return key


_PROVINCE_KEYS: dict[str, Province] = {}
_CITY_KEYS: dict[str, City] = {}
for _province in PROVINCES:
    for _key in (_province.name, _province.name_zh):
        _PROVINCE_KEYS[normalize(_key)] = _province
for _province in PROVINCES:
    for _city in _province.cities:
        for _key in (_city.name, _city.name_zh):
            _CITY_KEYS.setdefault(normalize(_key), _city)


@dataclass(frozen=True)
class Place:
    """What a search for a place means: a province (city None) or a city in it."""

    province: Province
    city: City | None = None

    @property
    def code(self) -> str:
        return self.city.code if self.city else self.province.code

    def label(self) -> str:
        if self.city is None or self.city.name == self.province.name:
            return (self.city or self.province).label()
        return f"{self.city.label()}, {self.province.label()}"


def province_resolve(text: str) -> Province | None:
    return _PROVINCE_KEYS.get(normalize(text)) if text else None


def city_resolve(text: str, *, province: Province | None = None) -> City | None:
    """The city `text` names, preferring one in `province` (two places can share a name)."""
    if not text:
        return None
    key = normalize(text)
    if province is not None:
        for city in province.cities:
            if key in (normalize(city.name), normalize(city.name_zh)):
                return city
    return _CITY_KEYS.get(key)


def place_resolve(text: str) -> Place | None:
    """Leniently read a place: a code ("Zhejiang" or "Zhejiang/Ningbo"), a province or a
    city in English or Chinese, with or without "province"/"city"; None if unknown.
    A municipality's name is the province (Shanghai the place, not only the city)."""
    text = (text or "").strip()
    if not text:
        return None
    if text in CITY_BY_CODE:
        coded = CITY_BY_CODE[text]
        return Place(PROVINCE_BY_NAME[coded.province], coded)
    if "/" in text:
        province_text, _slash, city_text = text.partition("/")
        province = province_resolve(province_text)
        city = city_resolve(city_text, province=province)
        if city is not None:
            return Place(PROVINCE_BY_NAME[city.province], city)
        return Place(province) if province else None
    province = province_resolve(text)
    if province is not None:
        return Place(province)
    found = city_resolve(text)
    if found is not None:
        return Place(PROVINCE_BY_NAME[found.province], found)
    return None


def place_choices() -> list[tuple[str, object]]:
    """Form choices grouped by province: the province itself, then its cities (labels in
    the active language; call per form instance)."""
    groups: list[tuple[str, object]] = []
    for province in PROVINCES:
        options = [(province.code, province.label())]
        options += [
            (city.code, city.label()) for city in province.cities if city.name != province.name
        ]
        groups.append((province.label(), options))
    return groups


def place_label(region: str, city: str = "") -> str:
    """A stored region/city pair in the reader's language (unknown text as stored)."""
    province = PROVINCE_BY_NAME.get(region)
    city_row = CITY_BY_CODE.get(f"{region}/{city}") if city else None
    parts = []
    if city:
        parts.append(city_row.label() if city_row else city)
    if region and (city_row is None or city_row.name != region):
        parts.append(province.label() if province else region)
    return ", ".join(part for part in parts if part)
