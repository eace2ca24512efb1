"""CBV 2.0 vocabularies and the three spellings of a standard value.

A standard CBV value has three forms: the bare word used in JSON (`shipping`), the
Web URI behind it in the JSON-LD context (`https://ref.gs1.org/cbv/BizStep-shipping`)
and the legacy URN used in XML (`urn:epcglobal:cbv:bizstep:shipping`). We store the
bare word; any other value (a partner's own URI) is kept exactly as given.

Kinds: "bizStep", "disposition", "bizTransactionType", "sourceDestType",
"errorReason", "measurementType", "alertType", "component".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

_CBV_WEB = "https://ref.gs1.org/cbv/"
_GS1_VOC = "https://gs1.org/voc/"

# A custom value must be an absolute URI (RFC 3986 scheme, then something).
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+")

# Namespaces where a value that is not a standard word can only be a typo.
# The JSON Schema reserves urn:epcglobal:cbv and ns.gs1.org/cbv (`vocab-other-uri`);
# ref.gs1.org/cbv is where CBV 2.0 publishes the terms, so it is reserved too.
_RESERVED_CBV = ("urn:epcglobal:cbv:", "https://ns.gs1.org/cbv/", "http://ns.gs1.org/cbv/")


@dataclass(frozen=True, slots=True)
class Vocabulary:
    label: str  # words for messages: "a CBV business step"
    words: frozenset[str]
    web_prefix: str  # prefix of the Web URI form
    urn_prefix: str | None  # prefix of the XML URN form; None when CBV defines none
    reserved: tuple[str, ...]  # namespaces no custom value may use


def _vocabulary(
    label: str, words: str, web_prefix: str, urn_prefix: str | None, reserved: tuple[str, ...]
) -> Vocabulary:
    return Vocabulary(label, frozenset(words.split()), web_prefix, urn_prefix, reserved)


_CBV_RESERVED = (*_RESERVED_CBV, _CBV_WEB)

VOCABULARIES: dict[str, Vocabulary] = {
    "bizStep": _vocabulary(
        "a CBV business step",
        """accepting arriving assembling collecting commissioning consigning
        creating_class_instance cycle_counting decommissioning departing destroying
        disassembling dispensing encoding entering_exiting holding inspecting installing
        killing loading other packing picking receiving removing repackaging repairing
        replacing reserving retail_selling sampling sensor_reporting shipping
        staging_outbound stock_taking stocking storing transporting unloading unpacking
        void_shipping""",
        _CBV_WEB + "BizStep-",
        "urn:epcglobal:cbv:bizstep:",
        _CBV_RESERVED,
    ),
    "disposition": _vocabulary(
        "a CBV disposition",
        """active available completeness_inferred completeness_verified conformant
        container_closed container_open damaged destroyed dispensed disposed encoded
        expired in_progress in_transit inactive mismatch_class mismatch_instance
        mismatch_quantity needs_replacement no_pedigree_match non_conformant
        non_sellable_other partially_dispensed recalled reserved retail_sold returned
        sellable_accessible sellable_not_accessible stolen unavailable unknown""",
        _CBV_WEB + "Disp-",
        "urn:epcglobal:cbv:disp:",
        _CBV_RESERVED,
    ),
    "bizTransactionType": _vocabulary(
        "a CBV business transaction type",
        "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt",
        _CBV_WEB + "BTT-",
        "urn:epcglobal:cbv:btt:",
        _CBV_RESERVED,
    ),
    "sourceDestType": _vocabulary(
        "a CBV source/destination type",
        "owning_party possessing_party location",
        _CBV_WEB + "SDT-",
        "urn:epcglobal:cbv:sdt:",
        _CBV_RESERVED,
    ),
    "errorReason": _vocabulary(
        "a CBV error reason",
        "did_not_occur incorrect_data",
        _CBV_WEB + "ER-",
        "urn:epcglobal:cbv:er:",
        _CBV_RESERVED,
    ),
    # Measurement and alert types live in the GS1 Web Vocabulary, not in CBV. The JSON
    # Schema reserves gs1.org/voc for them, but GS1's own XML examples use terms that the
    # vocabulary has since dropped (gs1:Molar_concentration, gs1:EffectiveDoseRate), so an
    # unknown gs1.org/voc term is accepted as a custom URI rather than rejected.
    "measurementType": _vocabulary(
        "a GS1 measurement type",
        """AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Altitude
        AmountOfSubstance AmountOfSubstancePerUnitVolume Angle AngularAcceleration
        AngularMomentum AngularVelocity Area Capacitance Conductance Conductivity Count
        Density Dimensionless DoseEquivalent DoseEquivalentRate DynamicViscosity
        ElectricCharge ElectricCurrent ElectricCurrentDensity ElectricFieldStrength Energy
        Exposure Force Frequency Illuminance Inductance Irradiance KinematicViscosity Length
        LinearMomentum Luminance LuminousFlux LuminousIntensity MagneticFlux
        MagneticFluxDensity MagneticVectorPotential Mass MassConcentration MassFlowRate
        MassPerAreaTime MemoryCapacity MolalityOfSolute MolarEnergy MolarMass MolarVolume
        Power Pressure Radioactivity RadiantFlux RadiantIntensity RelativeHumidity
        Resistance Resistivity SolidAngle SpecificVolume Speed SurfaceDensity SurfaceTension
        Temperature Time Torque Voltage Volume VolumeFlowRate VolumeFraction VolumetricFlux
        Wavenumber""",
        _GS1_VOC,
        None,
        (),
    ),
    "alertType": _vocabulary(
        "a GS1 sensor alert type", "ALARM_CONDITION ERROR_CONDITION", _GS1_VOC, None, ()
    ),
    "component": _vocabulary(
        "a CBV sensor component",
        """x y z axial_distance azimuth height spherical_radius polar_angle elevation_angle
        easting northing latitude longitude altitude""",
        _CBV_WEB + "Comp-",
        None,
        _CBV_RESERVED,
    ),
}

# JSON-LD CURIEs of the protected prefixes of GS1's context ("cbv:BizStep-shipping",
# "gs1:Temperature"); GS1's examples use both forms.
_CURIE_EXPANSIONS = (("cbv:", _CBV_WEB), ("gs1:", _GS1_VOC))


def _bare_word(vocabulary: Vocabulary, value: str) -> str | None:
    """The standard word `value` spells, in any of its forms; None if it is not standard."""
    for curie, namespace in _CURIE_EXPANSIONS:
        if value.startswith(curie):
            value = namespace + value[len(curie) :]
            break
    for prefix in (vocabulary.web_prefix, vocabulary.urn_prefix):
        # Case-insensitive: GS1's own examples write "https://ref.gs1.org/cbv/Bizstep-...".
        if prefix and value[: len(prefix)].lower() == prefix.lower():
            word = value[len(prefix) :]
            return word if word in vocabulary.words else None
    return None


@lru_cache(maxsize=4096)  # a feed repeats the same few values in every event
def normalise(kind: str, value: str) -> str:
    """The bare word for a standard value in any form; any other value unchanged."""
    vocabulary = VOCABULARIES[kind]
    if value in vocabulary.words:
        return value
    return _bare_word(vocabulary, value) or value


def web_uri(kind: str, value: str) -> str:
    """The Web URI of a standard value (`https://ref.gs1.org/cbv/BizStep-shipping`)."""
    vocabulary = VOCABULARIES[kind]
    word = normalise(kind, value)
    return vocabulary.web_prefix + word if word in vocabulary.words else value


def urn(kind: str, value: str) -> str:
    """The XML form of a standard value: its URN where CBV defines one, else its Web URI."""
    vocabulary = VOCABULARIES[kind]
    word = normalise(kind, value)
    if word not in vocabulary.words:
        return value
    return (vocabulary.urn_prefix or vocabulary.web_prefix) + word


def problem(kind: str, value: str) -> str | None:
    """Why `value` is not acceptable for `kind`, or None when it is.

    Acceptable: a standard value (in any form) or a custom absolute URI outside the
    namespaces CBV reserves for itself.
    """
    vocabulary = VOCABULARIES[kind]
    if value in vocabulary.words or _bare_word(vocabulary, value):
        return None
    if not _ABSOLUTE_URI.fullmatch(value):
        return f"{kind} {value!r} is not {vocabulary.label}; custom values must be URIs"
    if value.startswith(vocabulary.reserved) or value.startswith("cbv:"):
        return f"{kind} {value!r} is in the CBV namespace but is not {vocabulary.label}"
    return None


def closest(kind: str, value: str) -> str | None:
    """The standard word `value` most likely misspells, for a "did you mean ...?"; None when
    none is close. Case is ignored, and so is a CBV prefix (`urn:epcglobal:cbv:bizstep:shiping`
    -> shipping)."""
    vocabulary = VOCABULARIES[kind]
    word = re.split(r"[/:#]", value)[-1]
    term = vocabulary.web_prefix.rpartition("/")[2]  # "BizStep-" of .../cbv/BizStep-shipping
    if term and word[: len(term)].lower() == term.lower():
        word = word[len(term) :]
    return closest_word(word, vocabulary.words)


def closest_word(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to `word` ignoring case (difflib's ratio, at least 0.6), or None."""
    by_lower = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(word.lower(), sorted(by_lower), n=1)
    return by_lower[found[0]] if found else None
