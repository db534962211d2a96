"""The Danish words the texts share: sector labels, youth bodies, and a loop's own words.

Defined once here so the planner's titles, the calendar texts and the emails say the same thing.
A framework names its talks, roles and bodies (cycle.framework); `words(framework)` turns them into
the ready-made forms the email templates use ("læringssamtalen", "bestyrelsens" ...). Pure data
and string functions: no I/O.
"""

from __future__ import annotations

from cycle.framework import AARHUS_DATA_BASIS, AARHUS_ROLE_LABELS, DEFAULT_TIMEZONE, Bodies, Framework

SECTOR_LABELS: dict[str, str] = {"dagtilbud": "dagtilbud", "skole": "skole", "fu": "FU"}
# The children's formal bodies that give input before a talk [000]: pupils' councils in schools,
# youth senates in FU. Sectors without one get CHILDREN.
YOUTH_BODIES: dict[str, str] = {"skole": "elevrådet", "fu": "senatet"}
CHILDREN = "børnene og de unge"
AREA_LABELS: dict[str, str] = {"0-6": "0-6-årsområdet", "6-18": "6-18-årsområdet"}

# How the email invitation to a talk sums up Aarhus's data basis A-E [000] in one sentence.
_AARHUS_BASIS_SENTENCE = ("{The_talk} bygger på datapakken, data fra egen praksis, input fra 1:1 "
                          "ledelsesopfølgningerne, fra forældre og bestyrelse og fra børnene og de unge.")


def number(n: int) -> str:
    """A whole number as Danish writes it: thousands with a dot (4.400)."""
    return f"{n:,}".replace(",", ".")


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def definite(noun: str) -> str:
    """The definite form of a Danish common noun: chef -> chefen, samtale -> samtalen."""
    if noun.endswith("en"):
        return noun
    return noun + ("n" if noun.endswith("e") else "en")


def plural(noun: str) -> str:
    """The indefinite plural of the nouns frameworks use for talks: samtale -> samtaler,
    dialog -> dialoger (the common Danish rule; irregular nouns would need their own label)."""
    return noun + ("r" if noun.endswith("e") else "er")


def genitive(noun: str) -> str:
    return noun + ("'" if noun[-1:] in ("s", "x", "z") else "s")


def youth_body(sector: str | None) -> str:
    return YOUTH_BODIES.get(sector or "", CHILDREN)


def sector_label(sector: str | None) -> str:
    return SECTOR_LABELS.get(sector or "", sector or "")


def words(framework: Framework | None = None) -> dict[str, str]:
    """The words of a loop's emails, from its framework; without one, the standard (Aarhus) words.

    Keys: talk / Talk / the_talk / The_talk (the framework's talk label), data_package /
    Data_package / the_data_package, board / Board / board_s / Board_s (the board's role label,
    definite, and its genitive), chief, leader, administration / administration_s, children,
    talk_basis (what a talk builds on, one sentence) and timezone.
    """
    if framework is None:
        talk_label = Framework.model_fields["talk_label"].default
        package_label = Framework.model_fields["data_package_label"].default
        roles = AARHUS_ROLE_LABELS
        administration = Bodies().administration
        basis = AARHUS_DATA_BASIS
        zone = DEFAULT_TIMEZONE
    else:
        talk_label, package_label = framework.talk_label, framework.data_package_label
        roles = {**AARHUS_ROLE_LABELS, **framework.role_labels}
        administration = framework.bodies.administration
        basis = tuple(framework.talks.data_basis)
        zone = framework.timezone
    talk = talk_label.lower()
    package = package_label.lower()
    board = roles["board"]
    out = {
        "talk": talk, "Talk": cap(talk), "the_talk": definite(talk), "The_talk": cap(definite(talk)),
        "data_package": package, "Data_package": cap(package), "the_data_package": definite(package),
        "board": board, "Board": cap(board), "board_s": genitive(board), "Board_s": cap(genitive(board)),
        "chief": roles["chief"], "leader": roles["leader"],
        "administration": administration, "administration_s": genitive(administration),
        "children": CHILDREN, "timezone": zone,
    }
    if basis == AARHUS_DATA_BASIS:
        out["talk_basis"] = _AARHUS_BASIS_SENTENCE.format(**out)
    else:
        out["talk_basis"] = f"{out['The_talk']} bygger på: " + "; ".join(b[:1].lower() + b[1:] for b in basis) + "."
    return out
