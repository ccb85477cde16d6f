"""The words (keys, English and Russian names) by which a park's SMART categories and values
are recognised as snares, and as a find's type, state and action or a patrol's transport."""

from __future__ import annotations

import re

from patrol.vocabulary import Action, FindState, FindType, Transport

__all__ = [
    "ACTION_WORDS",
    "COUNT_KEYS",
    "FIELD_KEYS",
    "SNARE_WORDS",
    "STATE_WORDS",
    "TRANSPORT_WORDS",
    "TYPE_WORDS",
    "WordTable",
    "looks_like_snare",
    "norm_key",
    "word",
]

#: A value and the pattern whose match in a text means it, most specific first.
WordTable = list[tuple[str, str]]

#: Words (in keys and in English or Russian names) that make a category a snare or trap one.
SNARE_WORDS = re.compile(
    r"snare|trap|petl|kapkan|silok|silk|lovush|петл|капкан|ловушк|силок|силк", re.IGNORECASE
)
# Value words, most specific first ("inactive" before "active", "leghold" before "trap").
TYPE_WORDS: WordTable = [
    (FindType.LEGHOLD, r"leg.?hold|foot.?hold|jaw|kapkan|капкан"),
    (FindType.CABLE, r"cable|steel|tros|трос"),
    (FindType.WIRE, r"wire|provolo|проволо"),
    (FindType.ROPE, r"rope|nylon|string|twine|verev|верёв|верев|шнур"),
    (FindType.PIT, r"\bpit|yama|\bям"),
]
STATE_WORDS: WordTable = [
    (FindState.INACTIVE, r"inactive|neaktiv|old|rust|неактив|старая|старый|ржав"),
    (FindState.TRIGGERED, r"trigger|sprung|srabot|сработ"),
    (FindState.ACTIVE, r"activ|aktiv|\bset\b|working|актив|рабоч|настор"),
]
ACTION_WORDS: WordTable = [
    (Action.DESTROYED, r"destroy|unichtozh|уничтож"),
    (Action.LEFT_IN_PLACE, r"left|in.?place|ostavl|оставл"),
    (Action.MARKED, r"mark|pomech|otmech|помеч|отмеч"),
    (Action.REMOVED, r"remov|confiscat|collect|seiz|snyat|izyat|снят|изъят|убран"),
]
TRANSPORT_WORDS: WordTable = [
    (Transport.SKI, r"ski|лыж"),
    (Transport.FOOT, r"foot|walk|hik|пеш"),
    (Transport.MOTORBIKE, r"motor.?bike|motorcycle|quad|atv|snowmobile|мото|снегоход|квадро"),
    (Transport.BOAT, r"boat|canoe|kayak|ship|лодк|катер"),
    (
        Transport.VEHICLE,
        r"vehicle|car\b|truck|auto|jeep|4x4|air|plane|heli|автомоб|машин|вертол",
    ),
]
COUNT_KEYS = re.compile(r"count|number|num|qty|quant|kolich|колич|число|кол-во", re.IGNORECASE)
FIELD_KEYS = {
    "type": re.compile(r"type|kind|тип|вид.?(петл|ловуш)", re.IGNORECASE),
    "state": re.compile(r"state|status|condition|состоян|статус", re.IGNORECASE),
    "action": re.compile(r"action|действ|мер", re.IGNORECASE),
    "species": re.compile(r"species|animal|вид\b|животн", re.IGNORECASE),
}


def word(table: WordTable, text: str) -> str | None:
    """The first value of ``table`` whose pattern the text matches (the table's order decides).

    >>> word(STATE_WORDS, "Inactive (rusty)"), word(TRANSPORT_WORDS, "Пешком")
    (<FindState.INACTIVE: 'inactive'>, <Transport.FOOT: 'foot'>)
    >>> word(TYPE_WORDS, "unknown") is None
    True
    """
    for value, pattern in table:
        if re.search(pattern, text, re.IGNORECASE):
            return value
    return None


def looks_like_snare(key: str, names: list[str] = ()) -> bool:
    """A snare or trap category, by its key or any of its names (English, Russian)."""
    return bool(SNARE_WORDS.search(key) or any(SNARE_WORDS.search(n) for n in names))


def norm_key(key: str) -> str:
    """A category or item key without the surrounding blanks and dots SMART sometimes writes.

    >>> norm_key(" humanactivity.weaponsequipment.trap. ")
    'humanactivity.weaponsequipment.trap'
    """
    return key.strip().strip(".")
