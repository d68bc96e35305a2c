"""Display labels of the product's enumerations, marked for translation (N_ only marks them;
templates translate with ``_(labels.role[value])``)."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate yet"
    return message


ROLE = {
    "rm": N_("Relationship manager"),
    "team_lead": N_("Team lead"),
    "research": N_("Research analyst"),
    "compliance": N_("Compliance officer"),
    "admin": N_("Administrator"),
}
RISK_LEVEL = {
    "C1": N_("C1 conservative"),
    "C2": N_("C2 cautious"),
    "C3": N_("C3 balanced"),
    "C4": N_("C4 growth"),
    "C5": N_("C5 aggressive"),
}
RELATIONSHIP = {
    "spouse": N_("spouse"),
    "child": N_("child"),
    "parent": N_("parent"),
    "sibling": N_("sibling"),
    "chairman": N_("chairman"),
    "decision_maker": N_("decision maker"),
    "cfo": N_("CFO"),
    "operator": N_("operator"),
    "shareholder": N_("shareholder"),
    "other": N_("other"),
}
CHANNEL = {
    "phone": N_("phone"),
    "visit": N_("visit"),
    "wechat": N_("WeChat"),
    "sms": N_("SMS"),
    "email": N_("e-mail"),
    "event": N_("event"),
    "branch": N_("branch"),
    "app": N_("app"),
    "all": N_("all channels"),
}
MEMORY_CATEGORY = {
    "family": N_("family"),
    "hobby": N_("hobby"),
    "food_drink": N_("food and drink"),
    "health": N_("health"),
    "important_date": N_("important date"),
    "aversion": N_("aversion"),
    "other": N_("other"),
}
CONSENT_PURPOSE = {
    "marketing": N_("marketing"),
    "profiling": N_("profiling"),
    "do_not_disturb": N_("do not disturb"),
}
ASSET_CLASS = {
    "cash": N_("cash"),
    "bond": N_("bonds"),
    "equity": N_("equity"),
    "commodity": N_("commodities and gold"),
    "real_estate": N_("real estate"),
    "alternative": N_("alternatives"),
}
# The nightly batch's vocabulary (fincrm.intelligence): tiers, signals, attrition reasons, RFM cells.
TIER = {"hnw": N_("high-net-worth"), "mass": N_("mass affluent"), "long_tail": N_("long tail")}
SIGNAL = {
    "renovation_need": N_("renovation need after a property purchase"),
    "education_fund": N_("education fund for a child"),
    "salary_plan": N_("salary investment plan (rising social-security base)"),
    "marriage": N_("marriage"),
    "pension_planning": N_("pension planning before statutory retirement"),
    "succession_planning": N_("succession and tax planning"),
    "working_capital": N_("working-capital financing (receivables lengthening)"),
    "research_outreach": N_("research outreach (industry policy event)"),
}
ATTRITION_REASON = {
    "salary_stopped": N_("salary credits stopped"),
    "outflow_trend": N_("assets flowing out"),
    "inactivity": N_("inactive"),
    "complaints": N_("complaints"),
}
ATTRITION_REASON.update(
    spending_drop=N_("card spending dropped"),
    asset_decline=N_("assets declining"),
    redemptions=N_("heavy redemptions"),
)
RFM_CELL = {  # keys and names as in fincrm.intelligence.domain.CELLS (a test keeps them in step)
    "long_term_loyal": N_("Long-term loyal"),
    "locked_in_laggard": N_("Locked-in laggard"),
    "performance_chaser": N_("Performance chaser"),
    "struggling_newcomer": N_("Struggling newcomer"),
    "stable_core": N_("Stable core"),
    "idle_cash": N_("Idle cash"),
    "nimble_trader": N_("Nimble trader"),
    "liquidity_parker": N_("Liquidity parker"),
    "no_assets": N_("No assets"),
}
INTELLIGENCE_LABELS = {"tier": TIER, "signal": SIGNAL, "reason": ATTRITION_REASON, "cell": RFM_CELL}
INTERACTION_PURPOSE = {  # free text in the store; these are the codes fincrm and the demo use
    "periodic_review": N_("periodic review"),
    "maturity_reminder": N_("maturity reminder"),
    "birthday_greeting": N_("birthday greeting"),
    "kyc_update": N_("KYC update"),
    "service_request": N_("service request"),
    "risk_assessment": N_("risk questionnaire"),
    "event_invitation": N_("event invitation"),
    "product_recommendation": N_("product recommendation"),
    "market_concern": N_("market concern"),
    "market_update": N_("market update"),
    "complaint": N_("complaint"),
}
