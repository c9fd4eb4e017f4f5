"""One registration's answers, as a participant of the demo event might give them."""

ANSWERS = {
    "full_name": "Ana Example",
    "badge_name": "Ana",
    "organisation": "Example Collective",
    "country": "Examplestan",
    "safe_contact": "signal: +00 000 000",
    "track": "digital-security",
    "diet": "vegan",
    "access_needs": "Step-free access, please.",
    "photo_consent": "no-face",
    "safety_notes": "",
}
