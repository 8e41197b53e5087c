"""English phrase banks: clauses per aspect and polarity, openers, connectors and closers.

Slots filled by demo.texts: {p} product name, {n} a small number, {h} hours, {d} a date,
{m} an amount of money, {c} a city.
"""

from __future__ import annotations

ASPECT_CLAUSES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "product_quality": (
        (
            "the {p} feels solid and has worked flawlessly for {n} months",
            "build quality of the {p} is excellent",
            "the {p} is much better made than my old one",
            "the {p} performs better than I expected",
            "the finish on the {p} is really nice",
        ),
        (
            "the {p} broke down within {n} weeks",
            "the {p} is poorly made, rough edges everywhere",
            "the {p} started making a strange noise on day one",
            "the {p} failed again on {d}",
            "quality control on the {p} is terrible",
        ),
    ),
    "durability": (
        ("the {p} is still going strong after {n} years", "the {p} has held up to daily use"),
        ("parts of the {p} came loose after {n} months", "the {p} died right after warranty"),
    ),
    "safety": (
        ("the {p} has sensible safety features", "I feel safe using the {p} with kids around"),
        (
            "the {p} is leaking at the joint, which looks like a safety hazard",
            "the {p} smelled of burning plastic",
            "the casing of the {p} gets dangerously hot",
        ),
    ),
    "delivery": (
        (
            "delivery was quick, ordered on {d} and it arrived the next day",
            "it arrived {n} days earlier than promised",
            "the courier was on time and polite",
        ),
        (
            "delivery was promised in {n} days and took over a week",
            "I ordered on {d} and it still has not shipped",
            "the box arrived crushed and the {p} is dented",
            "tracking has not updated for {n} days",
        ),
    ),
    "customer_service": (
        (
            "support answered within {n} minutes",
            "the hotline picked up fast and sorted it out",
            "the chat agent was patient and friendly",
        ),
        (
            "I called the hotline {n} times and nobody answered",
            "I waited {h} hours for a reply from support",
            "support keeps telling me to wait, {n} days and counting",
            "the chat agent only pastes canned answers",
        ),
    ),
    "installation": (
        (
            "the installer came on {d} exactly as booked",
            "the technician installed it neatly and explained everything",
        ),
        (
            "the installer did not show up on {d}",
            "the installer charged me an extra {m} yuan",
            "installation was sloppy, the pipes were left loose",
            "it took {n} days to get anyone to install it",
        ),
    ),
    "staff_expertise": (
        (
            "the engineer knew exactly what was wrong",
            "the agent knew the specs of the {p} inside out",
            "the repair took only {h} hours",
        ),
        (
            "the agent could not explain basic features of the {p}",
            "the technician came {n} times and still could not fix it",
            "staff gave answers that made no sense",
        ),
    ),
    "price_info": (
        (
            "pricing is clear with no hidden fees",
            "the final price matched the listing",
            "great value at {m} yuan",
        ),
        (
            "I was charged {m} yuan more than the listed price",
            "the coupon rules are far too complicated",
            "the price dropped by {m} yuan right after I bought it",
            "installation and material fees were never mentioned",
        ),
    ),
    "product_info": (
        ("the product page is accurate and detailed", "the specs are explained clearly"),
        (
            "the item does not match the description",
            "the manual is vague about {n} of the functions",
            "the website specs are wrong",
        ),
    ),
    "after_sales": (
        (
            "the return was processed in {n} days",
            "after-sales called back and added an extended warranty",
            "they replaced the faulty unit without any fuss",
        ),
        (
            "my return request has been pending for {n} days",
            "after-sales keeps saying it is not their responsibility",
            "they want me to pay {m} yuan shipping for a warranty repair",
            "the refund still has not arrived after {n} days",
        ),
    ),
    "promise_keeping": (
        ("the promised gift arrived on time", "they called back on {d} as promised"),
        (
            "the feature in the ad simply does not exist",
            "the {m} yuan compensation they promised never came",
            "they promised an answer by {d} and then went silent",
        ),
    ),
}

OPENERS: dict[str, tuple[str, ...]] = {
    "review": (
        "",
        "",
        "Got it today, ",
        "After a few weeks: ",
        "Update: ",
        "Bought for my parents, ",
    ),
    "social": ("", "Honest take: ", "PSA: ", "Heads up {c} friends, ", "Quick review: ", "Ugh, "),
    "complaint": ("I want to complain: ", "Hello, ", "Order problem: ", "Third time asking: ", ""),
    "survey": ("", "", "Overall, ", "One more thing: ", "Suggestion: "),
}

DETAILS = (
    " (order ending {k})",
    ", ordered on {d}",
    ", ticket {k}",
    ", bought {n} of them",
    ", contacted them {n} times",
    ", received on {d}",
    " here in {c}",
    ", {h} hours so far",
    ", paid {m} yuan",
)
CONNECTORS_SAME = (", and ", ", also ", "; ", ", plus ", ". On top of that, ", ". Also ")
CONNECTORS_CONTRAST = (", but ", ", however ", "; sadly ", ", though ", ". Then again, ")

CLOSERS: dict[str, tuple[str, ...]] = {
    "positive": (".", ". Recommended!", ". Will buy again.", ". Five stars.", "!", ". Happy."),
    "negative": (".", ". Very disappointed.", ". Avoid.", ". Please fix this!", ". Not happy."),
    "mixed": (".", ". It's okay overall.", ". Could be better.", ". Average."),
}

SOCIAL_TAGS = ("", "", "", " #review", " #customerservice", " #dailylife", " #honestreview")

CRISIS_CLAUSES = (
    "my {p} is leaking from the valve",
    "the {p} started leaking after {n} months and flooded the floor",
    "the {p} leaked and smelled burnt, we shut the mains off",
    "{n} households in our group chat have a leaking {p}",
    "the valve seal of the {p} is faulty, it is a real safety risk",
    "my {p} suddenly leaked on the night of {d}",
)
CRISIS_CLOSERS = (". Recall it now!", ". Do not buy!", ". @Aurora answer us!", " #AuroraLeak")

COMPLAINT_TITLES: dict[str, tuple[str, ...]] = {
    "product_quality": ("{p} quality problem", "{p} fault", "Defective {p}"),
    "delivery": ("Late delivery", "Damaged parcel", "Installation delayed"),
    "service_failure": ("Rude support", "Unresolved service request", "Failed repair"),
    "billing": ("Overcharged", "Refund missing", "Coupon not applied"),
    "system_fault": ("App checkout error", "Payment failed", "Order status wrong"),
    "general_complaint": ("Poor experience", "Unhappy with outcome", "Unfair policy"),
    "enquiry": ("Question about {p}", "Warranty question", "Invoice request"),
}
CRISIS_TITLES = ("{p} leaking", "Water heater leak safety risk", "{p} leak damage")
