"""The demo company's generative model: every parameter and the ground truth it implies.

Everything the generator does is driven by the constants here, so docs/demo.md and the truth
file (demo_truth.json) can state the true effects that analyses should recover.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

GENERATOR_VERSION = "2"  # 2: agent replies and the closed loop
SOURCE = "demo"
TIMEZONE = "Asia/Shanghai"
TZ_OFFSET = timedelta(hours=8)  # Asia/Shanghai has had no DST since 1991: a fixed offset is exact

PERIOD_START = date(2025, 5, 1)
PERIOD_END = date(2026, 10, 31)  # inclusive; also the demo's "now" for open complaints
HISTORY_START = date(2024, 5, 1)  # customers' first orders may precede the feedback period
N_DAYS = (PERIOD_END - PERIOD_START).days + 1
NOW = datetime(2026, 11, 1, tzinfo=UTC) - TZ_OFFSET  # end of the period, Shanghai midnight


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name_zh: str
    name_en: str
    price: float  # mean order amount in CNY


@dataclass(frozen=True)
class BrandSpec:
    code: str
    name_zh: str
    name_en: str
    industry: str
    customers: int  # at scale 1.0
    feedback: int  # at scale 1.0, before the crisis extras
    products: tuple[ProductSpec, ...]
    segments: tuple[str, ...]


BRANDS: tuple[BrandSpec, ...] = (
    BrandSpec(
        code="aurora",
        name_zh="极光家电",
        name_en="Aurora Home Appliances",
        industry="home_appliances",
        customers=13_000,
        feedback=66_000,
        products=(
            ProductSpec("AWH-60", "极光 AWH-60 燃气热水器", "Aurora AWH-60 water heater", 2899),
            ProductSpec("AAC-35", "极光 AAC-35 变频空调", "Aurora AAC-35 air conditioner", 3599),
            ProductSpec("ARF-500", "极光 ARF-500 对开门冰箱", "Aurora ARF-500 fridge", 4999),
            ProductSpec("AWM-10", "极光 AWM-10 滚筒洗衣机", "Aurora AWM-10 washer", 2599),
            ProductSpec("ARH-90", "极光 ARH-90 油烟机", "Aurora ARH-90 range hood", 1999),
        ),
        segments=("new_home", "upgrade", "landlord", "family"),
    ),
    BrandSpec(
        code="nimbus",
        name_zh="云栖优品",
        name_en="Nimbus Online Store",
        industry="ecommerce",
        customers=11_000,
        feedback=54_000,
        products=(
            ProductSpec("NB-Pods", "云栖 NB-Pods 蓝牙耳机", "Nimbus NB-Pods earbuds", 399),
            ProductSpec("NB-Watch", "云栖 NB-Watch 智能手表", "Nimbus NB-Watch smartwatch", 899),
            ProductSpec("NB-Pad", "云栖 NB-Pad 平板电脑", "Nimbus NB-Pad tablet", 1999),
            ProductSpec("NB-Power", "云栖 NB-Power 充电宝", "Nimbus NB-Power power bank", 149),
        ),
        segments=("student", "young_professional", "family", "silver"),
    ),
)

# channel code, English name, Chinese name, feedback kind
CHANNELS: tuple[tuple[str, str, str, str], ...] = (
    ("survey_email", "Email survey", "邮件问卷", "survey"),
    ("survey_sms", "SMS survey", "短信问卷", "survey"),
    ("app_review", "App store review", "应用商店评价", "review"),
    ("tmall", "Tmall review", "天猫评价", "review"),
    ("jd", "JD.com review", "京东评价", "review"),
    ("weibo", "Weibo", "微博", "social"),
    ("douyin", "Douyin", "抖音", "social"),
    ("wechat", "WeChat", "微信", "social"),
    ("hotline", "Service hotline", "客服热线", "complaint"),
    ("web_form", "Web complaint form", "网站投诉表单", "complaint"),
)
KIND_CHANNELS: dict[str, tuple[tuple[str, float], ...]] = {
    "survey": (("survey_email", 0.45), ("survey_sms", 0.55)),
    "review": (("tmall", 0.45), ("jd", 0.40), ("app_review", 0.15)),
    "social": (("weibo", 0.45), ("douyin", 0.35), ("wechat", 0.20)),
    "complaint": (("hotline", 0.60), ("web_form", 0.40)),
}
KIND_SHARES: dict[str, float] = {"survey": 0.42, "review": 0.26, "social": 0.24, "complaint": 0.08}
SURVEY_COMMENT_SHARE = 0.40  # surveys with a free-text comment
ENGLISH_SHARE = 0.20  # customers who write in English; everyone else writes Chinese

# touchpoint code (score metric is "tp_" + code), stage, English name, Chinese name.
# All touchpoint scores are 0-10 ("how would you rate ..."), like the NPS question.
TOUCHPOINTS: tuple[tuple[str, str, str, str], ...] = (
    ("ad_clarity", "awareness", "Advertising clarity", "广告清晰度"),
    ("website_info", "information", "Website information", "官网信息"),
    ("price_transparency", "information", "Price transparency", "价格透明"),
    ("checkout", "purchase", "Checkout", "下单支付"),
    ("delivery_speed", "delivery", "Delivery speed", "配送速度"),
    ("installation", "delivery", "Installation", "安装服务"),
    ("product_quality", "use", "Product quality", "产品质量"),
    ("ease_of_use", "use", "Ease of use", "易用性"),
    ("hotline_wait", "service", "Hotline waiting time", "热线等待"),
    ("agent_competence", "service", "Agent competence", "客服专业度"),
    ("return_process", "service", "Return process", "退换货流程"),
    ("loyalty_program", "sharing", "Loyalty programme", "会员计划"),
)
TP_METRICS: tuple[str, ...] = tuple(f"tp_{code}" for code, *_ in TOUCHPOINTS)

# The NPS equation (0-10, rounded and clipped):
#   nps = NPS_INTERCEPT + sum(DRIVERS[k] * tp_k) + NPS_TRUST_COEF * trust + N(0, NPS_NOISE_SD)
# Exactly three touchpoints drive it; the other nine share the halo (they move with the same
# latent experience factor) but their true coefficient is zero.
DRIVERS: dict[str, float] = {
    "tp_product_quality": 0.34,
    "tp_agent_competence": 0.24,
    "tp_price_transparency": 0.18,
}
NPS_INTERCEPT = 2.6
NPS_TRUST_COEF = 0.6
NPS_NOISE_SD = 1.0
# Touchpoint scores: tp_k = clip(round(TP_MEAN + TP_SD * (HALO * g + sqrt(1 - HALO^2) * e_k)))
# where the experience factor g = EXPERIENCE_TRUST * trust + sqrt(1 - EXPERIENCE_TRUST^2) * z.
TP_MEAN = 7.2
TP_SD = 1.6
HALO = 0.55
EXPERIENCE_TRUST = 0.5

# trust dimensions (score metric is "dim_" + code, Likert 1-5) and the aspects that carry them
DIMENSIONS: tuple[tuple[str, str, str], ...] = (
    ("product_reliability", "Product reliability", "产品可靠"),
    ("service_responsiveness", "Service responsiveness", "服务响应"),
    ("information_transparency", "Information transparency", "信息透明"),
    ("professionalism", "Professionalism", "专业能力"),
    ("responsibility", "Responsibility", "担当负责"),
)
# aspect -> (trust dimension, touchpoint code the aspect is about)
ASPECTS: dict[str, tuple[str, str]] = {
    "product_quality": ("product_reliability", "product_quality"),
    "durability": ("product_reliability", "product_quality"),
    "safety": ("product_reliability", "product_quality"),
    "delivery": ("service_responsiveness", "delivery_speed"),
    "customer_service": ("service_responsiveness", "hotline_wait"),
    "installation": ("professionalism", "installation"),
    "staff_expertise": ("professionalism", "agent_competence"),
    "price_info": ("information_transparency", "price_transparency"),
    "product_info": ("information_transparency", "website_info"),
    "after_sales": ("responsibility", "return_process"),
    "promise_keeping": ("responsibility", "ad_clarity"),
}

# Latent trust: N(TIER_TRUST[tier], 1) per customer. Repurchase within the period:
#   P(repurchase) = 1 / (1 + exp(-(REPURCHASE_ALPHA + REPURCHASE_BETA * trust)))
TIERS: tuple[tuple[str, float], ...] = (("vip", 0.05), ("gold", 0.20), ("regular", 0.75))
TIER_TRUST: dict[str, float] = {"vip": 0.4, "gold": 0.2, "regular": -0.05}
REPURCHASE_ALPHA = -0.3
REPURCHASE_BETA = 1.1
EXTRA_ORDERS_POISSON = 0.6  # a repurchaser places 1 + Poisson(0.6) further orders
BUSINESS_SHARE = 0.02  # B2B customers (segment "business")

REGIONS: tuple[tuple[str, float], ...] = (
    ("广东省/深圳市", 0.10),
    ("广东省/广州市", 0.08),
    ("上海市", 0.10),
    ("北京市", 0.09),
    ("浙江省/杭州市", 0.08),
    ("江苏省/南京市", 0.06),
    ("江苏省/苏州市", 0.06),
    ("四川省/成都市", 0.07),
    ("湖北省/武汉市", 0.06),
    ("陕西省/西安市", 0.05),
    ("重庆市", 0.05),
    ("山东省/青岛市", 0.05),
    ("福建省/厦门市", 0.04),
    ("湖南省/长沙市", 0.04),
    ("河南省/郑州市", 0.04),
    ("天津市", 0.03),
)


@dataclass(frozen=True)
class Promotion:
    name: str
    start: date
    end: date  # inclusive
    volume_factor: float  # feedback and complaint volume multiplier on these days
    response_slowdown: float  # complaint handling times multiplier


PROMOTIONS: tuple[Promotion, ...] = (
    Promotion("618 (2025)", date(2025, 6, 1), date(2025, 6, 18), 1.8, 2.0),
    Promotion("双11 (2025)", date(2025, 11, 1), date(2025, 11, 12), 2.6, 2.6),
    Promotion("618 (2026)", date(2026, 6, 1), date(2026, 6, 18), 1.8, 2.0),
)
PROMO_DELIVERY_PENALTY = 1.2  # tp_delivery_speed points lost during promotions
# Monday..Sunday volume factors by kind (social and reviews rise at weekends, surveys fall)
WEEKDAY_FACTORS: dict[str, tuple[float, ...]] = {
    "survey": (1.1, 1.05, 1.05, 1.0, 1.0, 0.75, 0.7),
    "review": (0.9, 0.9, 0.9, 0.95, 1.0, 1.35, 1.4),
    "social": (0.85, 0.85, 0.9, 0.95, 1.05, 1.4, 1.45),
    "complaint": (1.15, 1.05, 1.0, 1.0, 1.0, 0.85, 0.8),
}
GROWTH = 0.35  # volumes grow linearly by 35% over the 18 months


@dataclass(frozen=True)
class Crisis:
    brand: str
    product: str
    start: date  # the spike of negative social posts
    end: date
    social_posts: int  # extra negative posts about the product in the window, at scale 1.0
    complaints: int  # extra complaints in the weeks after, at scale 1.0
    complaint_lag_days: int  # complaints run from start + 3 days ...
    aftermath_days: int  # ... to end + aftermath_days; NPS dips over the same span
    trust_shock: float  # added to the brand's customers' trust while the dip lasts
    quality_shock: float  # tp_product_quality points lost for the brand in the dip


CRISIS = Crisis(
    brand="aurora",
    product="AWH-60",
    start=date(2026, 3, 9),
    end=date(2026, 3, 29),
    social_posts=1_500,
    complaints=450,
    complaint_lag_days=3,
    aftermath_days=35,
    trust_shock=-0.9,
    quality_shock=-1.5,
)

# complaint category -> (probability, severity weights P1..P4, team index, root causes)
# root cause -> responsibility (ours / shared / not_ours)
CATEGORIES: dict[str, tuple[float, tuple[float, float, float, float], int]] = {
    "product_quality": (0.26, (0.05, 0.35, 0.50, 0.10), 1),
    "delivery": (0.18, (0.0, 0.15, 0.70, 0.15), 2),
    "service_failure": (0.14, (0.05, 0.55, 0.35, 0.05), 0),
    "billing": (0.10, (0.05, 0.40, 0.45, 0.10), 0),
    "system_fault": (0.07, (0.55, 0.35, 0.10, 0.0), 2),
    "general_complaint": (0.13, (0.0, 0.10, 0.75, 0.15), 0),
    "enquiry": (0.12, (0.0, 0.0, 0.15, 0.85), 0),
}
ROOT_CAUSES: dict[str, tuple[tuple[str, str, float], ...]] = {
    "product_quality": (
        ("manufacturing_defect", "ours", 0.45),
        ("design_defect", "ours", 0.15),
        ("customer_misuse", "not_ours", 0.25),
        ("third_party_installer", "shared", 0.15),
    ),
    "delivery": (
        ("courier_delay", "shared", 0.5),
        ("warehouse_stockout", "ours", 0.3),
        ("wrong_address", "not_ours", 0.2),
    ),
    "service_failure": (
        ("agent_error", "ours", 0.5),
        ("process_gap", "ours", 0.3),
        ("understaffing", "ours", 0.2),
    ),
    "billing": (
        ("price_display_error", "ours", 0.4),
        ("coupon_rule_misread", "not_ours", 0.4),
        ("double_charge", "ours", 0.2),
    ),
    "system_fault": (("app_outage", "ours", 0.6), ("payment_gateway", "shared", 0.4)),
    "general_complaint": (
        ("expectation_gap", "shared", 0.6),
        ("policy_disagreement", "not_ours", 0.4),
    ),
    "enquiry": (("information_request", "not_ours", 1.0),),
}
CRISIS_ROOT_CAUSE = ("design_defect_valve_seal", "ours")
# category -> aspects its texts speak about
CATEGORY_ASPECTS: dict[str, tuple[str, ...]] = {
    "product_quality": ("product_quality", "durability", "safety"),
    "delivery": ("delivery", "installation"),
    "service_failure": ("customer_service", "staff_expertise", "after_sales"),
    "billing": ("price_info", "promise_keeping"),
    "system_fault": ("customer_service", "product_info"),
    "general_complaint": ("after_sales", "promise_keeping", "customer_service"),
    "enquiry": ("product_info", "price_info"),
}
# handling times: lognormal, median by severity (P1..P4) and a common sigma
FIRST_RESPONSE_MEDIAN_MIN = (15.0, 60.0, 240.0, 480.0)
RESOLVE_MEDIAN_HOURS = (6.0, 24.0, 60.0, 30.0)
CLOSE_MEDIAN_HOURS = 48.0
HANDLING_SIGMA = 0.8
CRISIS_SLOWDOWN = 1.6
COMPENSATION_SHARE = 0.25  # of resolved complaints where we are (partly) responsible
WAITING_ON_CUSTOMER_SHARE = 0.15  # of open, acknowledged complaints
# resolved with one agent reply (first-contact resolution), by severity P1..P4; the others
# took one or two more replies
FIRST_CONTACT_SHARE = (0.45, 0.6, 0.72, 0.8)
# closed loop after resolution: an improvement action linked (ours / shared) or "no action
# needed" with its reason (not ours), for this share of resolved cases, after lognormal days
LOOP_LINKED_SHARE = 0.85
LOOP_MEDIAN_DAYS = 3.0

# teams per brand: (name, category team index); a lead plus 4-8 agents each
TEAMS: dict[str, tuple[str, ...]] = {
    "aurora": ("客户关怀组", "售后维修组", "物流安装组"),
    "nimbus": ("在线客服组", "品质保障组", "物流技术组"),
}

KPI_METRICS = ("defect_rate", "reinspection_pass_rate", "system_availability",
               "information_completeness")  # fmt: skip
PII_SHARE = 0.03  # texts carrying one planted piece of personal data
PII_TYPES = ("mobile", "id_card", "email", "bank_card", "landline", "plate")


def promotion_on(day: date) -> Promotion | None:
    return next((p for p in PROMOTIONS if p.start <= day <= p.end), None)


def day_of(index: int) -> date:
    return PERIOD_START + timedelta(days=index)


def local_midnight_utc(day: date) -> datetime:
    """The UTC instant at which `day` starts in Asia/Shanghai."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - TZ_OFFSET


@dataclass(frozen=True)
class DemoConfig:
    """What one run generates: the seed and a volume scale (tests use ~0.03)."""

    seed: int = 42
    scale: float = 1.0

    def customers(self, brand: BrandSpec) -> int:
        return max(50, round(brand.customers * self.scale))

    def feedback(self, brand: BrandSpec) -> int:
        return max(200, round(brand.feedback * self.scale))

    def crisis_posts(self) -> int:
        return max(20, round(CRISIS.social_posts * self.scale))

    def crisis_complaints(self) -> int:
        return max(8, round(CRISIS.complaints * self.scale))

    def expected_minimums(self) -> dict[str, int]:
        """Lower bounds the generated tables meet, computed from the model alone."""
        feedback = sum(self.feedback(b) for b in BRANDS) + self.crisis_posts()
        surveys = sum(round(self.feedback(b) * KIND_SHARES["survey"]) for b in BRANDS)
        return {
            "brands": len(BRANDS),
            "customers": sum(self.customers(b) for b in BRANDS),
            "orders": sum(self.customers(b) for b in BRANDS),
            "feedback": feedback,
            "scores": surveys * (3 + len(TOUCHPOINTS) + len(DIMENSIONS)),
        }
