"""Planetary satellites by name and NAIF id: the one table of orbitfit (readers, data sets, event files, CLI).

NAIF ids of planetary satellites are 100 x planet + IAU number ("NAIF IDs" required reading): 506 Himalia,
544 Kallichore. Provisional designations (S/2003 J 11) map to an id only when the IAU number is known.
"""
from __future__ import annotations

import re


class UnknownBody(ValueError):
    """A name, designation or number that names no satellite orbitfit knows; the message says which."""


# NAIF ids of planetary satellites: 100*planet + IAU number (NAIF "NAIF IDs" required reading).
PLANET_INDEX = {"M": 4, "J": 5, "S": 6, "U": 7, "N": 8}
PLANET_NAMES = {4: "Mars", 5: "Jupiter", 6: "Saturn", 7: "Uranus", 8: "Neptune"}
NAIF_NAMES = {
    501: "Io", 502: "Europa", 503: "Ganymede", 504: "Callisto", 505: "Amalthea", 506: "Himalia", 507: "Elara",
    508: "Pasiphae", 509: "Sinope", 510: "Lysithea", 511: "Carme", 512: "Ananke", 513: "Leda", 514: "Thebe",
    515: "Adrastea", 516: "Metis", 517: "Callirrhoe", 518: "Themisto", 519: "Megaclite", 520: "Taygete",
    521: "Chaldene", 522: "Harpalyke", 523: "Kalyke", 524: "Iocaste", 525: "Erinome", 526: "Isonoe",
    527: "Praxidike", 528: "Autonoe", 529: "Thyone", 530: "Hermippe", 531: "Aitne", 532: "Eurydome",
    533: "Euanthe", 534: "Euporie", 535: "Orthosie", 536: "Sponde", 537: "Kale", 538: "Pasithee", 539: "Hegemone",
    540: "Mneme", 541: "Aoede", 542: "Thelxinoe", 543: "Arche", 544: "Kallichore", 545: "Helike", 546: "Carpo",
    547: "Eukelade", 548: "Cyllene", 549: "Kore", 550: "Herse",
    609: "Phoebe", 620: "Paaliaq", 626: "Albiorix", 629: "Siarnaq", 717: "Sycorax", 802: "Nereid",
}
NAIF_BY_NAME = {name.lower(): naif for naif, name in NAIF_NAMES.items()}
NAIF_BY_NAME.update({"europe": 502, "callirhoe": 517, "kallikore": 544, "callikore": 544, "eurydone": 532,
                     "helice": 545, "cale": 537})   # spellings found in NSDB unit descriptions

# Provisional designations of Jovian moons with the IAU number each received, exactly as the NSDB unit descriptions
# state them ("8 - S/2003 J 8 - Hegemone J-39", units jo1001-jo1035). Designations that the NSDB does not number
# are deliberately absent: their records are rejected rather than guessed.
PROVISIONAL_JUPITER = {
    "S/1975 J 1": 18, "S/2000 J 1": 18, "S/1999 J 1": 17,
    "S/2000 J 2": 23, "S/2000 J 3": 24, "S/2000 J 4": 25, "S/2000 J 5": 22, "S/2000 J 6": 26, "S/2000 J 7": 27,
    "S/2000 J 8": 19, "S/2000 J 9": 20, "S/2000 J 10": 21,
    "S/2001 J 1": 28, "S/2001 J 2": 29, "S/2001 J 3": 30, "S/2001 J 4": 32, "S/2001 J 5": 36, "S/2001 J 6": 38,
    "S/2001 J 7": 33, "S/2001 J 8": 37, "S/2001 J 9": 35, "S/2001 J 10": 34, "S/2001 J 11": 31,
    "S/2002 J 1": 43,
    "S/2003 J 1": 47, "S/2003 J 6": 45, "S/2003 J 7": 41, "S/2003 J 8": 39, "S/2003 J 11": 44, "S/2003 J 13": 48,
    "S/2003 J 14": 49, "S/2003 J 20": 46, "S/2003 J 21": 40, "S/2003 J 22": 42,
}


def body_name(naif: int) -> str:
    naif = int(naif)
    if naif in NAIF_NAMES:
        return NAIF_NAMES[naif]
    planet = PLANET_NAMES.get(naif // 100)
    return f"{planet} {naif % 100}" if planet else str(naif)


def satellite_naif(planet: int, number_: int) -> int:
    """NAIF id of satellite `number_` of planet index `planet` (5 = Jupiter)."""
    if planet not in PLANET_NAMES or not 1 <= number_ <= 99:
        raise UnknownBody(f"no NAIF id for satellite {number_} of planet {planet}")
    return 100 * planet + number_


def normalize_provisional(text: str) -> str | None:
    """"S/2003 J11", "S/2003_J11", "S2003 J 11" -> "S/2003 J 11"; None if the text is no satellite designation."""
    m = re.match(r"^\s*S/?\s*(\d{4})[\s_]*([MJSUN])[\s_]*0*(\d{1,3})\s*$", text)
    return f"S/{m.group(1)} {m.group(2)} {int(m.group(3))}" if m else None


def provisional_naif(designation: str) -> int:
    """NAIF id of a provisionally designated moon, if the NSDB descriptions give it a number; else UnknownBody."""
    if designation.split()[1] == "J" and designation in PROVISIONAL_JUPITER:
        return satellite_naif(5, PROVISIONAL_JUPITER[designation])
    raise UnknownBody(f"provisional designation {designation}: no permanent number known (no NAIF 5xx id)")


def naif_id(body) -> int:
    """NAIF id from an id (506, "506") or a name ("Himalia", case and known misspellings ignored)."""
    if isinstance(body, str) and not body.strip().isdigit():
        naif = NAIF_BY_NAME.get(body.strip().lower())
        if naif is None:
            raise UnknownBody(f"unknown satellite name {body!r}")
        return naif
    return int(body)
