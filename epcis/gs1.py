"""The one home of what GS1's standard fixes and several modules repeat: the JSON-LD
context URL, the versions this repository speaks, and the header values it answers with."""

from __future__ import annotations

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"

# Sent with every capture and query answer.
VERSION_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}
# OPTIONS: the versions accepted (EPCIS 1.2 XML is captured; answers are 2.0).
SUPPORTED_VERSION_HEADERS = {
    "GS1-EPCIS-Min": "1.2.0",
    "GS1-EPCIS-Max": "2.0.0",
    "GS1-CBV-Min": "1.2.0",
    "GS1-CBV-Max": "2.0.0",
}
EPC_FORMATS = ("No_Preference", "Always_GS1_Digital_Link", "Always_EPC_URN", "Never_Translates")
DEFAULT_EPC_FORMAT = "Always_GS1_Digital_Link"
CBV_XML_FORMATS = ("No_Preference", "Always_Web_URI", "Always_URN", "Never_Translates")
