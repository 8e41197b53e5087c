"""Names for the codes pages show (channels, touchpoints, segments, categories, root causes...).

A code is named from the catalogue where the configuration gives it names (channels and
touchpoints carry name_zh / name_en), else from the translation catalog (`CODE_LABELS`), else
shown as it is. Dotted root-cause paths ("logistics.delay") are named part by part. Templates
call `label(code)`; Python code calls `code_label(i, code, names)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from sqlalchemy.orm import Session

from trustpulse.feedback import catalogue
from trustpulse.metrics import cache
from trustpulse.web.i18n import N_, Formatter

Names = Mapping[str, tuple[str, str]]  # code -> (name_en, name_zh)
DRIVER_PREFIX = "tp_"  # a touchpoint's score metric is tp_<touchpoint code>

# codes the configuration names nowhere; the demo company's values first
CODE_LABELS: dict[str, str] = {
    # customer segments
    "new_home": N_("new home owners"),
    "upgrade": N_("upgraders"),
    "landlord": N_("landlords"),
    "family": N_("families"),
    "student": N_("students"),
    "young_professional": N_("young professionals"),
    "silver": N_("seniors"),
    # complaint categories
    "product_quality": N_("product quality"),
    "delivery": N_("delivery"),
    "service_failure": N_("service failure"),
    "billing": N_("billing"),
    "system_fault": N_("system fault"),
    "general_complaint": N_("general complaint"),
    "enquiry": N_("enquiry"),
    # root causes (the demo's and the default tree's)
    "manufacturing_defect": N_("manufacturing defect"),
    "design_defect": N_("design defect"),
    "design_defect_valve_seal": N_("design defect: valve seal"),
    "customer_misuse": N_("customer misuse"),
    "third_party_installer": N_("third-party installer"),
    "courier_delay": N_("courier delay"),
    "warehouse_stockout": N_("warehouse stock-out"),
    "wrong_address": N_("wrong address"),
    "agent_error": N_("agent error"),
    "process_gap": N_("process gap"),
    "expectation_gap": N_("expectation gap"),
    "price_display_error": N_("price display error"),
    "double_charge": N_("double charge"),
    "coupon_rule_misread": N_("coupon rule misread"),
    "payment_gateway": N_("payment gateway"),
    "app_outage": N_("app outage"),
    "information_request": N_("information request"),
    "policy_disagreement": N_("policy disagreement"),
    "refund_delay": N_("refund delay"),
    "force_majeure": N_("force majeure"),
    "third_party": N_("third party"),
    # text aspects and watch lists (config/text.yaml names neither)
    "after_sales": N_("after-sales"),
    "customer_service": N_("customer service"),
    "price_info": N_("price information"),
    "product_info": N_("product information"),
    "promise_keeping": N_("keeping promises"),
    "staff_expertise": N_("staff expertise"),
    "consumer_rights": N_("consumer rights"),
    "safety_incident": N_("safety incidents"),
    # SLA policies (config/sla.yaml)
    "p1_system_fault": N_("P1 system fault"),
    "p2_service_failure": N_("P2 service failure"),
    "contract_enterprise_gold": N_("enterprise gold contract"),
}


def code_label(i: Formatter, code: str | None, names: Names | None = None) -> str:
    """The name of `code` in the formatter's language; "—" for none, the code if unnamed."""
    if code is None or code == "":
        return "—"
    known = names or {}
    found = known.get(code)
    if found is None and code.startswith(DRIVER_PREFIX):
        found = known.get(code.removeprefix(DRIVER_PREFIX))
    if found is not None:
        return found[1] if i.locale == "zh-CN" else found[0]
    if code in CODE_LABELS:
        return i.gettext(CODE_LABELS[code])
    if "." in code:
        return " / ".join(code_label(i, part, names) for part in code.split("."))
    return code


def catalogue_names(session: Session) -> dict[str, tuple[str, str]]:
    """Channel and touchpoint names from the catalogue (cached with the page results)."""
    return cache.cached(session, ("catalogue_names",), lambda: catalogue.names(session))


@pass_context
def label(context: Context, code: Any) -> str:
    """Template helper: `{{ label(row.channel) }}` (names from the page's `code_names`)."""
    names: Names | None = context.get("code_names")
    return code_label(context["i"], None if code is None else str(code), names)
