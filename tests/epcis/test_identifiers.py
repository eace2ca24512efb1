"""Tests for epcis.identifiers.

Expected values come from the worked examples in shared/reference/epcis-2.0.md §8 (arithmetic
done by hand there) and from RalphTro/epcis-event-hash-generator tests/dl_normaliser_test.py
(MIT, (c) 2019 RalphTro), used as input/expected data. Where that file disagrees with the GS1
standards it is noted next to the vector. Nothing here is computed by the code under test.
"""

import pytest

from epcis.identifiers import (
    IdentifierError,
    _fast_canonical,
    _key_of,
    _render_dl,
    canonical,
    element_string_key,
    from_element_string,
    gs1_check_digit,
    identifier_problem,
    lgtin,
    matching_key,
    pattern_match_key,
    to_digital_link,
    to_epc_urn,
)

# --------------------------------------------------------------------------- reference §8

WORKED_EXAMPLES = [
    ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
    ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
    ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"),
    ("urn:epc:id:sgln:0012345.11111.0", "https://id.gs1.org/414/0012345111112"),
    ("urn:epc:class:lgtin:4012345.012345.998877", "https://id.gs1.org/01/04012345123456/10/998877"),
    ("urn:epc:idpat:sgtin:4012345.098765.*", "https://id.gs1.org/01/04012345987652"),
]


@pytest.mark.parametrize(("urn", "dl"), WORKED_EXAMPLES)
def test_worked_examples_urn_to_dl(urn: str, dl: str) -> None:
    assert canonical(urn) == dl
    assert to_digital_link(urn) == dl


@pytest.mark.parametrize(("urn", "dl"), WORKED_EXAMPLES)
def test_worked_examples_dl_to_urn(urn: str, dl: str) -> None:
    # 0614141, 0012345 and 4012345 are 7-digit company prefixes in GS1's prefix table.
    assert to_epc_urn(dl) == urn


# --------------------------------------------------------------------------- RalphTro vectors

RALPHTRO_EPC = [
    ("urn:epc:id:sgtin:4012345.011111.98%22", "https://id.gs1.org/01/04012345111118/21/98%22"),
    ("urn:epc:id:sgtin:415056789012.0.987654", "https://id.gs1.org/01/04150567890128/21/987654"),
    (
        "urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()",
        "https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22%21%3F%28%29",
    ),
    # RalphTro's vector expects a 19-digit "SSCC" (its normaliser keeps the extension digit
    # twice); the reference (§8) and GS1 give 18 digits: 3 + 4012345 + 111111111 + check 1.
    ("urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"),
    ("urn:epc:id:sgln:4012345.00005.122", "https://id.gs1.org/414/4012345000054/254/122"),
    ("urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"),
    ("urn:epc:id:grai:4012345.00022.334455", "https://id.gs1.org/8003/04012345000221334455"),
    ("urn:epc:id:giai:4012345.ABC345", "https://id.gs1.org/8004/4012345ABC345"),
    ("urn:epc:id:gsrn:4012345.0000006765", "https://id.gs1.org/8018/401234500000067657"),
    ("urn:epc:id:gsrnp:4012345.0000000007", "https://id.gs1.org/8017/401234500000000074"),
    ("urn:epc:id:gdti:4012345.00009.PO-4711", "https://id.gs1.org/253/4012345000092PO-4711"),
    ("urn:epc:id:gdti:987659999999..9", "https://id.gs1.org/253/98765999999929"),
    (
        "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
        "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234",
    ),
    ("urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11"),
    ("urn:epc:id:gsin:4012345.222333444", "https://id.gs1.org/402/40123452223334442"),
    (
        "urn:epc:id:itip:4012345.011111.01.02.987",
        "https://id.gs1.org/8006/040123451111180102/21/987",
    ),
    (
        "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7SDB",
        "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7SDB",
    ),
    # As in RalphTro's vector (and its hash vector epclist_normalisation): ' stays literal.
    (
        "urn:epc:id:upui:1234567.098765.51qIgY)%3C%26Jp3*j7'SDB",
        "https://id.gs1.org/01/01234567987651/235/51qIgY%29%3C%26Jp3%2Aj7'SDB",
    ),
    ("urn:epc:id:pgln:4000001.00000", "https://id.gs1.org/417/4000001000005"),
    ("urn:epc:id:pgln:999999999999.", "https://id.gs1.org/417/9999999999994"),
    ("urn:epc:class:lgtin:4012345.012345.Lot987", "https://id.gs1.org/01/04012345123456/10/Lot987"),
    # patterns
    ("urn:epc:idpat:sgtin:4012345.012345.*", "https://id.gs1.org/01/04012345123456"),
    ("urn:epc:idpat:grai:4012345.99999.*", "https://id.gs1.org/8003/04012345999990"),
    ("urn:epc:idpat:gdti:4012345.11111.*", "https://id.gs1.org/253/4012345111118"),
    ("urn:epc:idpat:sgcn:4012345.22222.*", "https://id.gs1.org/255/4012345222227"),
    ("urn:epc:idpat:cpi:4012345.AB12.*", "https://id.gs1.org/8010/4012345AB12"),
    ("urn:epc:idpat:itip:4012345.012345.01.02.*", "https://id.gs1.org/8006/040123451234560102"),
    ("urn:epc:idpat:upui:4012345.012345.*", "https://id.gs1.org/01/04012345123456"),
]

RALPHTRO_DL = [
    ("https://id.gs1.org/gtin/09780345418913", "https://id.gs1.org/01/09780345418913"),
    (
        "https://example.com/gtin/09780345418913/21/765tz?abc=211121",
        "https://id.gs1.org/01/09780345418913/21/765tz",
    ),
    # GTIN-12 / GTIN-13 padding
    ("http://us-company-with-UPC.com/01/001122334455", "https://id.gs1.org/01/00001122334455"),
    (
        "http://us-company-with-UPC.com/01/001122334455/ser/GHB",
        "https://id.gs1.org/01/00001122334455/21/GHB",
    ),
    (
        "https://ean-13.de/gtin/4012345123456/ser/ABC524",
        "https://id.gs1.org/01/04012345123456/21/ABC524",
    ),
    ("http://id.gs1.org/gtin/9780345418913", "https://id.gs1.org/01/09780345418913"),
    # key qualifiers: keep only the most fine-grained one, drop cpv (22)
    (
        "https://id.gs1.org/gtin/9780345418913/cpv/344/lot/1223/ser/765tz",
        "https://id.gs1.org/01/09780345418913/21/765tz",
    ),
    ("https://id.gs1.org/gtin/9780345418913/cpv/344", "https://id.gs1.org/01/09780345418913"),
    (
        "https://example.de/gtin/04012345123456/cpv/344/ser/987654",
        "https://id.gs1.org/01/04012345123456/21/987654",
    ),
    (
        "https://id.gs1.org/01/9780345418913/22/344/10/1223/21/765tz",
        "https://id.gs1.org/01/09780345418913/21/765tz",
    ),
    (
        "https://id.gs1.org/itip/123456789101100190/cpv/ABCD",
        "https://id.gs1.org/8006/123456789101100190",
    ),
    (
        "https://fashion-corp.com/8006/040123451234560102/22/AB/21/443322",
        "https://id.gs1.org/8006/040123451234560102/21/443322",
    ),
    (
        "https://id.gs1.org/8006/040123451234560102/22/ABCD/10/XYZ",
        "https://id.gs1.org/8006/040123451234560102/10/XYZ",
    ),
    (
        "https://fashion-corp.com/8006/040123451234560102/10/Lot-123/21/ser987",
        "https://id.gs1.org/8006/040123451234560102/21/ser987",
    ),
    # sub-domains, query strings
    (
        "https://gs1.test.example.org/01/9780345418913/10/1223",
        "https://id.gs1.org/01/09780345418913/10/1223",
    ),
    (
        "https://example.org/01/9780345418913/21/765tz?11=221109",
        "https://id.gs1.org/01/09780345418913/21/765tz",
    ),
    (
        "https://example.org/01/9780345418913/21/765tz?abc=211121",
        "https://id.gs1.org/01/09780345418913/21/765tz",
    ),
    # other keys
    ("https://id.gs1.org/00/340123453111111115", "https://id.gs1.org/00/340123453111111115"),
    ("https://id.gs1.org/414/4226350800008", "https://id.gs1.org/414/4226350800008"),
    ("https://example.co.uk/party/4226350800008", "https://id.gs1.org/417/4226350800008"),
    ("https://id.gs1.org/414/4280000000002/254/12", "https://id.gs1.org/414/4280000000002/254/12"),
    ("https://id.gs1.org/8003/03870585000552987", "https://id.gs1.org/8003/03870585000552987"),
    ("https://id.gs1.org/8004/0180451111ABC987", "https://id.gs1.org/8004/0180451111ABC987"),
    ("https://id.gs1.org/8018/385888700111111111", "https://id.gs1.org/8018/385888700111111111"),
    ("https://id.gs1.org/8017/440018922222222226", "https://id.gs1.org/8017/440018922222222226"),
    ("https://id.gs1.org/253/4602443000331XYZ", "https://id.gs1.org/253/4602443000331XYZ"),
    (
        "https://id.gs1.org/8010/0628165987/8011/9876",
        "https://id.gs1.org/8010/0628165987/8011/9876",
    ),
    ("https://id.gs1.org/255/0811625999996554433", "https://id.gs1.org/255/0811625999996554433"),
    (
        "http://fashion.com/itip/040123451234560102/ser/ABC145",
        "https://id.gs1.org/8006/040123451234560102/21/ABC145",
    ),
]

# Not GS1 keys: RalphTro's normaliser returns None, canonical() returns them unchanged.
NOT_GS1 = [
    "http://example.org/123/4012345ABC987/456/4711",
    "http://id.gs1.org/99/9780345418913",
    "http://example.de/abc/9780345418913",
    "42",
    "Hello World!",
    "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
    "urn:example:product:1234",
    "https://example.com/products/01/summer-sale",
    "https://ref.gs1.org/cbv/BizStep-shipping",
    "urn:epcglobal:cbv:bizstep:shipping",
    "urn:epc:id:gid:95100000.12345.400",
    "urn:epc:idpat:sscc:0614141.*",  # a company-prefix pattern denotes no single key
]


@pytest.mark.parametrize(("uri", "expected"), RALPHTRO_EPC + RALPHTRO_DL)
def test_ralphtro_vectors(uri: str, expected: str) -> None:
    assert canonical(uri) == expected


@pytest.mark.parametrize("uri", NOT_GS1)
def test_not_gs1_unchanged(uri: str) -> None:
    assert canonical(uri) == uri
    assert canonical(f"  {uri}\n") == uri
    assert to_digital_link(uri) == uri


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        # GTIN-8/12/13 padded (check digits worked by hand: 60 -> 0, 78 -> 2, 83 -> 7)
        ("https://id.gs1.org/01/12345670", "https://id.gs1.org/01/00000012345670"),
        ("https://id.gs1.org/01/614141123452", "https://id.gs1.org/01/00614141123452"),
        ("https://id.gs1.org/01/5901234123457", "https://id.gs1.org/01/05901234123457"),
        # custom domain with a path prefix, trailing slash, fragment, http
        (
            "http://brand.example.com/shop/p/01/10614141073464/21/2017/?x=1#top",
            "https://id.gs1.org/01/10614141073464/21/2017",
        ),
        # serials: GS1 DL Table 7-1 characters are encoded, escapes normalised to upper case
        (
            "https://id.gs1.org/01/10614141073464/21/A%2fb",
            "https://id.gs1.org/01/10614141073464/21/A%2Fb",
        ),
        # ' ; = stay literal in the canonical key, as in the hash reference (to_digital_link
        # encodes them, see test_digital_link_encodes_what_the_canonical_key_keeps_literal)
        (
            "urn:epc:id:sgtin:0614141.107346.a'b;c=d+e,f:g",
            "https://id.gs1.org/01/10614141073464/21/a'b;c=d%2Be%2Cf%3Ag",
        ),
        (
            "urn:epc:id:sgtin:0614141.107346.x.y_z-1",
            "https://id.gs1.org/01/10614141073464/21/x.y_z-1",
        ),
        # DL /254/0 is the same location as an SGLN with extension "0"
        ("https://id.gs1.org/414/0614141073467/254/0", "https://id.gs1.org/414/0614141073467"),
        # URN namespace parts are case-insensitive
        ("URN:EPC:ID:SGTIN:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        ("urn:epc:id:upui:0614141.107346.TPX1", "https://id.gs1.org/01/10614141073464/235/TPX1"),
    ],
)
def test_canonical_edge_cases(uri: str, expected: str) -> None:
    assert canonical(uri) == expected


SERIAL_WITH_APOSTROPHE = [  # one identifier, every way it may be written
    "urn:epc:id:sgtin:0614141.107346.a'b;c=d",
    "urn:epc:id:sgtin:0614141.107346.a%27b%3Bc%3Dd",
    "https://id.gs1.org/01/10614141073464/21/a'b;c=d",
    "https://id.gs1.org/01/10614141073464/21/a%27b%3bc%3Dd",
    "https://brand.example.com/gtin/10614141073464/ser/a%27b;c%3Dd?x=1",
]


@pytest.mark.parametrize("uri", SERIAL_WITH_APOSTROPHE)
def test_digital_link_encodes_what_the_canonical_key_keeps_literal(uri: str) -> None:
    # GS1 Digital Link's grammar (XSYMBOL) percent-encodes ' ; = ; the CBV 2.0 hash reference,
    # whose form the canonical key follows, keeps them. Either way one form per identifier.
    assert canonical(uri) == "https://id.gs1.org/01/10614141073464/21/a'b;c=d"
    assert to_digital_link(uri) == "https://id.gs1.org/01/10614141073464/21/a%27b%3Bc%3Dd"
    assert to_epc_urn(uri) == "urn:epc:id:sgtin:0614141.107346.a'b;c=d"


# --------------------------------------------------------------------------- rejections

REJECTED = [
    # (uri, words the message must contain)
    (
        "https://id.gs1.org/01/10614141073465",
        "GTIN 10614141073465 has a wrong check digit (expected 4)",
    ),
    # RalphTro expects these two to normalise, but their GTIN check digits are wrong:
    # 9780311 -> weighted sum 71 -> 9; 04012345123 -> 45 -> 5.
    ("http://example.de/gtin-8/01/97803111", "wrong check digit (expected 9)"),
    ("http://example.de/01/040123451234/cpv/344/lot/ABD", "wrong check digit (expected 5)"),
    ("http://example.de/01/97803", "GTIN"),
    ("https://id.gs1.org/8006/04012345123456/22/ABCD/10/XYZ", "ITIP"),
    ("http://id.gs1.org/01/9780345418913/99/utfgf", "AI 99"),
    ("https://id.gs1.org/00/106141412345678907", "SSCC 106141412345678907 has a wrong check digit"),
    ("https://id.gs1.org/414/0614141073468", "GLN 0614141073468 has a wrong check digit"),
    ("https://id.gs1.org/01/10614141073464/21", "without a value"),
    ("https://id.gs1.org/01/10614141073464/21/" + "X" * 21, "longer than 20"),
    ("https://id.gs1.org/01/10614141073464/21/a%ZZ", "%-escape"),
    ("https://id.gs1.org/01/10614141073464/21/a%23b", "character set 82"),
    ("urn:epc:id:sgtin:0614141.10734.2017", "6 digits"),
    ("urn:epc:id:sgtin:0614141.1073467.2017", "6 digits"),
    ("urn:epc:id:sgtin:0614141.107346", "3 '.'-separated fields"),
    ("urn:epc:id:sgtin:061414.1073460.", "empty"),
    ("urn:epc:id:sgtin:06141.11073460.1", "Company Prefix"),
    ("urn:epc:id:sscc:0614141.123456789", "10 digits"),
    ("urn:epc:id:sscc:0614141.1234567890x", "10 digits"),
    ("urn:epc:id:sgln:0614141.07346", "3 '.'-separated fields"),
    ("urn:epc:id:gsin:4012345.22233344", "9 digits"),
    ("urn:epc:id:sgcn:4012345.22222.12AB", "digits only"),
    ("urn:epc:idpat:lgtin:4012345.012345.*", "not defined"),
    ("urn:epc:class:sgtin:4012345.012345.1", "not defined"),
]


@pytest.mark.parametrize(("uri", "words"), REJECTED)
def test_rejections(uri: str, words: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        canonical(uri)
    assert words in str(excinfo.value)
    assert words in (identifier_problem(uri) or "")


@pytest.mark.parametrize(
    "uri",
    [
        "urn:epc:id:sgtin:0614141.107346.2017",
        "https://example.com/01/10614141073464/21/2017",
        "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "urn:example:thing:1",
        "https://example.com/not/a/digital/link",
    ],
)
def test_identifier_problem_none(uri: str) -> None:
    assert identifier_problem(uri) is None


@pytest.mark.parametrize(
    ("uri", "words"),
    [("", "empty"), ("   ", "empty"), ("42", "not an absolute URI"), ("a b:c", "not an absolute")],
)
def test_identifier_problem_not_uri(uri: str, words: str) -> None:
    assert words in (identifier_problem(uri) or "")


# --------------------------------------------------------------------------- to_epc_urn


@pytest.mark.parametrize(
    ("uri", "urn"),
    [
        (
            "https://example.com/01/10614141073464/21/A%2FB!",
            "urn:epc:id:sgtin:0614141.107346.A%2FB!",
        ),
        ("https://id.gs1.org/01/10614141073464", "urn:epc:idpat:sgtin:0614141.107346.*"),
        ("https://id.gs1.org/01/10614141073464/10/L1", "urn:epc:class:lgtin:0614141.107346.L1"),
        ("https://id.gs1.org/00/340123451111111111", "urn:epc:id:sscc:4012345.3111111111"),
        ("https://id.gs1.org/417/4000001000005", "urn:epc:id:pgln:4000001.00000"),
        ("https://id.gs1.org/8003/04012345000221334455", "urn:epc:id:grai:4012345.00022.334455"),
        ("https://id.gs1.org/8004/4012345ABC345", "urn:epc:id:giai:4012345.ABC345"),
        ("https://id.gs1.org/8018/401234500000067657", "urn:epc:id:gsrn:4012345.0000006765"),
        ("https://id.gs1.org/8017/401234500000000074", "urn:epc:id:gsrnp:4012345.0000000007"),
        ("https://id.gs1.org/253/4012345000092PO-4711", "urn:epc:id:gdti:4012345.00009.PO-4711"),
        ("https://id.gs1.org/255/4012345222227", "urn:epc:idpat:sgcn:4012345.22222.*"),
        ("https://id.gs1.org/401/0614141xyz47%2F11", "urn:epc:id:ginc:0614141.xyz47%2F11"),
        ("https://id.gs1.org/402/40123452223334442", "urn:epc:id:gsin:4012345.222333444"),
        (
            "https://id.gs1.org/8006/040123451111180102/21/987",
            "urn:epc:id:itip:4012345.011111.01.02.987",
        ),
        (
            "https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234",
            "urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234",
        ),
        ("https://id.gs1.org/01/04012345123456/235/T1", "urn:epc:id:upui:4012345.012345.T1"),
        # URNs come back normalised (escapes for TDS-safe characters removed, case fixed)
        ("urn:epc:id:sgtin:0614141.107346.%21x", "urn:epc:id:sgtin:0614141.107346.!x"),
        ("URN:EPC:ID:SSCC:0614141.1234567890", "urn:epc:id:sscc:0614141.1234567890"),
        # company prefix length unknown (Bookland 978 has no GCP) or not a GS1 key
        ("https://id.gs1.org/01/09780345418913/21/1", None),
        ("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", None),
    ],
)
def test_to_epc_urn(uri: str, urn: str | None) -> None:
    assert to_epc_urn(uri) == urn


# --------------------------------------------------------------------------- lgtin


@pytest.mark.parametrize(
    ("unit", "lot", "expected"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "LOT1", "urn:epc:class:lgtin:0614141.107346.LOT1"),
        (
            "urn:epc:id:sgtin:4012345.012345.9",
            "998877",
            "urn:epc:class:lgtin:4012345.012345.998877",
        ),
        (
            "https://example.com/01/10614141073464/21/2017",
            "L/1",
            "https://id.gs1.org/01/10614141073464/10/L%2F1",
        ),
    ],
)
def test_lgtin(unit: str, lot: str, expected: str) -> None:
    assert lgtin(unit, lot) == expected


@pytest.mark.parametrize(
    ("unit", "lot"),
    [
        ("urn:epc:id:sscc:0614141.1234567890", "L1"),
        ("urn:uuid:x", "L1"),
        ("urn:epc:id:sgtin:0614141.107346.2017", ""),
    ],
)
def test_lgtin_rejects(unit: str, lot: str) -> None:
    with pytest.raises(IdentifierError):
        lgtin(unit, lot)


# --------------------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (
            "urn:epc:idpat:sgtin:0614141.107346.*",
            ("prefix", "https://id.gs1.org/01/10614141073464/21/"),
        ),
        ("urn:epc:idpat:sgln:0614141.07346.*", ("prefix", "https://id.gs1.org/414/0614141073467")),
        ("urn:epc:idpat:sgln:0614141.*.*", ("prefix", "https://id.gs1.org/414/0614141")),
        (
            "urn:epc:idpat:grai:4012345.99999.*",
            ("prefix", "https://id.gs1.org/8003/04012345999990"),
        ),
        ("urn:epc:idpat:giai:4012345.*", ("prefix", "https://id.gs1.org/8004/4012345")),
        (
            "urn:epc:idpat:cpi:4012345.AB12.*",
            ("prefix", "https://id.gs1.org/8010/4012345AB12/8011/"),
        ),
        (
            "urn:epc:idpat:itip:4012345.012345.01.02.*",
            ("prefix", "https://id.gs1.org/8006/040123451234560102/21/"),
        ),
        (
            "urn:epc:idpat:sgtin:0614141.107346.2017",
            ("exact", "https://id.gs1.org/01/10614141073464/21/2017"),
        ),
        (
            "urn:epc:id:sgtin:0614141.107346.2017",
            ("exact", "https://id.gs1.org/01/10614141073464/21/2017"),
        ),
        (
            "https://example.com/01/10614141073464",
            ("exact", "https://id.gs1.org/01/10614141073464"),
        ),
        (
            "urn:epc:class:lgtin:4012345.012345.998877",
            ("exact", "https://id.gs1.org/01/04012345123456/10/998877"),
        ),
        ("urn:example:thing", ("exact", "urn:example:thing")),
    ],
)
def test_pattern_match_key(pattern: str, expected: tuple[str, str]) -> None:
    assert pattern_match_key(pattern) == expected


@pytest.mark.parametrize(
    ("pattern", "matches", "non_matches"),
    [
        (
            # the extension digit precedes the company prefix: no string prefix can express this
            "urn:epc:idpat:sscc:0614141.*",
            [
                "https://id.gs1.org/00/106141412345678908",
                "https://id.gs1.org/00/006141410000000014",
            ],
            ["https://id.gs1.org/00/340123451111111111", "https://id.gs1.org/01/10614141073464"],
        ),
        (
            "urn:epc:idpat:sgtin:0614141.*.*",
            [
                "https://id.gs1.org/01/10614141073464/21/2017",
                "https://id.gs1.org/01/80614141123458/21/x",
            ],
            [
                "https://id.gs1.org/01/10614141073464/10/L1",
                "https://id.gs1.org/01/04012345123456/21/1",
            ],
        ),
        (
            "urn:epc:idpat:sgtin:*.*.*",
            ["https://id.gs1.org/01/04012345123456/21/1"],
            ["https://id.gs1.org/01/04012345123456", "https://id.gs1.org/00/340123451111111111"],
        ),
    ],
)
def test_pattern_match_key_regex(pattern: str, matches: list[str], non_matches: list[str]) -> None:
    import re

    kind, regex = pattern_match_key(pattern)
    assert kind == "regex"
    assert all(re.search(regex, m) for m in matches)
    assert not any(re.search(regex, m) for m in non_matches)


@pytest.mark.parametrize(
    "pattern",
    [
        "urn:epc:idpat:sgtin:0614141.*.2017",
        "urn:epc:idpat:sgtin:0614141.10734.*",
        "urn:epc:idpat:itip:4012345.012345.*.02.*",
        "urn:epc:idpat:lgtin:4012345.012345.*",
        "urn:epc:idpat:sscc:06141x.*",
    ],
)
def test_pattern_match_key_rejects(pattern: str) -> None:
    with pytest.raises(IdentifierError):
        pattern_match_key(pattern)


# --------------------------------------------------------------------------- element strings

SGTIN_2017 = "https://id.gs1.org/01/10614141073464/21/2017"
LGTIN_LOT1 = "https://id.gs1.org/01/10614141073464/10/LOT1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(01)10614141073464(21)2017(10)LOT1(17)251231", [SGTIN_2017, LGTIN_LOT1]),
        ("(01) 10614141073464 (10) LOT1 (21) 2017", [SGTIN_2017, LGTIN_LOT1]),
        ("0110614141073464212017\x1d10LOT1\x1d17251231", [SGTIN_2017, LGTIN_LOT1]),
        ("011061414107346417251231" + "10LOT1\x1d212017", [SGTIN_2017, LGTIN_LOT1]),
        ("]d2011061414107346417251231" + "10LOT1\x1d212017", [SGTIN_2017, LGTIN_LOT1]),
        ("]Q3011061414107346421" + "2017", [SGTIN_2017]),
        ("(01)10614141073464", ["https://id.gs1.org/01/10614141073464"]),
        ("(01)10614141073464(10)LOT1", [LGTIN_LOT1]),
        ("(00)106141412345678908", ["https://id.gs1.org/00/106141412345678908"]),
        ("00106141412345678908", ["https://id.gs1.org/00/106141412345678908"]),
        ("]C100106141412345678908", ["https://id.gs1.org/00/106141412345678908"]),
        ("]E04012345123456", ["https://id.gs1.org/01/04012345123456"]),  # EAN-13 scan
        ("106141412345678908", ["https://id.gs1.org/00/106141412345678908"]),
        ("10614141073464", ["https://id.gs1.org/01/10614141073464"]),
        ("614141123452", ["https://id.gs1.org/01/00614141123452"]),
        ("(414)0614141073467(254)1234", ["https://id.gs1.org/414/0614141073467/254/1234"]),
        ("(8003)04012345000221334455", ["https://id.gs1.org/8003/04012345000221334455"]),
        ("(01)10614141073464(21)A/B", ["https://id.gs1.org/01/10614141073464/21/A%2FB"]),
        ("urn:epc:id:sgtin:0614141.107346.2017", [SGTIN_2017]),
        ("https://example.com/01/10614141073464/21/2017?17=251231", [SGTIN_2017]),
    ],
)
def test_from_element_string(text: str, expected: list[str]) -> None:
    assert from_element_string(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("(01)10614141073465(21)1", "wrong check digit (expected 4)"),
        ("(17)251231(10)LOT1", "no GS1 key"),
        ("hello", "element string"),
        ("urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", "not a GS1 identifier"),
    ],
)
def test_from_element_string_rejects(text: str, words: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        from_element_string(text)
    assert words in str(excinfo.value)


# The identifiers of the query repository (fixtures/epcis/query/) written as barcodes.
# Check digits by hand (GS1 mod 10: weights 3, 1, 3, ... from the right, then up to a ten).
# GTIN 0401234511111?: from the right 1*3 + 1 + 1*3 + 1 + 1*3 + 5 + 4*3 + 3 + 2*3 + 1 + 0*3
# + 4 + 0*3 = 42, so the check digit is 8: 04012345111118 (urn:epc:id:sgtin:4012345.011111.*,
# the indicator digit 0 moved in front). Likewise GTIN 0401234522222 -> 53 -> 7;
# SSCC 0 4012345 000000001 -> 34 -> 6 and ...002 -> 37 -> 3; GLN 401234500001 -> 34 -> 6,
# 401234500002 -> 37 -> 3; party GLN 401234500000 -> 31 -> 9.
UNIT_1001 = "https://id.gs1.org/01/04012345111118/21/1001"
LOT_A = "https://id.gs1.org/01/04012345111118/10/LOTA"
SSCC_1 = "https://id.gs1.org/00/040123450000000016"
GS = "\x1d"

ELEMENT_STRINGS = [
    # (barcode data, what a parameter wants, the key, the URN of the same identifier)
    ("(01)04012345111118(21)1001", "any", UNIT_1001, "urn:epc:id:sgtin:4012345.011111.1001"),
    ("0104012345111118211001", "instance", UNIT_1001, "urn:epc:id:sgtin:4012345.011111.1001"),
    (f"]d2010401234511111810LOTA{GS}211001", "instance", UNIT_1001, None),
    (f"]d2010401234511111810LOTA{GS}211001", "class", LOT_A, None),
    (
        "(01)04012345111118(21)1001(10)LOTA",
        "class",
        LOT_A,
        "urn:epc:class:lgtin:4012345.011111.LOTA",
    ),
    ("(01)04012345111118(10)LOTA", "class", LOT_A, "urn:epc:class:lgtin:4012345.011111.LOTA"),
    (
        "(01)04012345222227(10)LOTB",
        "class",
        "https://id.gs1.org/01/04012345222227/10/LOTB",
        "urn:epc:class:lgtin:4012345.022222.LOTB",
    ),
    ("(01)04012345111118", "class", "https://id.gs1.org/01/04012345111118", None),
    ("(00)040123450000000016", "instance", SSCC_1, "urn:epc:id:sscc:4012345.0000000001"),
    ("]C100040123450000000016", "any", SSCC_1, "urn:epc:id:sscc:4012345.0000000001"),
    (
        "(00)040123450000000023",
        "instance",
        "https://id.gs1.org/00/040123450000000023",
        "urn:epc:id:sscc:4012345.0000000002",
    ),
    (
        "(414)4012345000016(254)1",
        "location",
        "https://id.gs1.org/414/4012345000016/254/1",
        "urn:epc:id:sgln:4012345.00001.1",
    ),
    (
        "(414)4012345000016",
        "location",
        "https://id.gs1.org/414/4012345000016",
        "urn:epc:id:sgln:4012345.00001.0",
    ),
    (  # extension 0 means "no extension" (TDS)
        "(414) 4012345000016 (254) 0",
        "location",
        "https://id.gs1.org/414/4012345000016",
        "urn:epc:id:sgln:4012345.00001.0",
    ),
    (
        "(414)4012345000023",
        "location",
        "https://id.gs1.org/414/4012345000023",
        "urn:epc:id:sgln:4012345.00002.0",
    ),
    (
        "(417)4012345000009",
        "any",
        "https://id.gs1.org/417/4012345000009",
        "urn:epc:id:pgln:4012345.00000",
    ),
    # A logistic label: the SSCC is the instance, the GTIN of the contents the class.
    ("(00)040123450000000016(01)04012345111118(37)10", "instance", SSCC_1, None),
    (
        "(00)040123450000000016(01)04012345111118(37)10",
        "class",
        "https://id.gs1.org/01/04012345111118",
        None,
    ),
    ("urn:epc:id:sgtin:4012345.011111.1001", "instance", UNIT_1001, None),
]


@pytest.mark.parametrize(("text", "want", "key", "urn"), ELEMENT_STRINGS)
def test_element_string_key_is_the_key_matching_key_gives_its_urn(
    text: str, want: str, key: str, urn: str | None
) -> None:
    assert element_string_key(text, want) == key
    if urn is not None:
        assert matching_key(urn) == key


@pytest.mark.parametrize(
    ("text", "want", "words"),
    [
        ("(01)04012345111118(10)LOTA", "instance", "names a lot (GTIN and batch/lot number)"),
        ("(01)04012345111118", "instance", "names a GTIN, not an instance"),
        ("(01)04012345111118(21)1001", "class", "names a unit (GTIN and serial number)"),
        ("(00)040123450000000016", "class", "names an SSCC, not a class"),
        ("(417)4012345000009", "location", "names a party GLN, not a location"),
        ("(01)04012345111118(21)1001", "location", "names a unit"),
    ],
)
def test_element_string_key_says_what_the_data_names_instead(
    text: str, want: str, words: str
) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        element_string_key(text, want)
    assert words in str(excinfo.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # biip's messages, reworded (no regular expressions shown to people)
        (
            "(01)0401234511111",
            "AI (01) Global Trade Item Number (GTIN): '0401234511111' does not fit its"
            " format (14 digits)",
        ),
        ("(01)04012345111118(21)" + "x" * 21, "does not fit its format (up to 20 characters)"),
        ("(01)04012345111118(17)991332", "AI (17) Expiration date (YYMMDD): '991332'"),
        ("(23)1", "(23) is not a GS1 Application Identifier"),
        ("]d2xyz", "'xyz' does not start with a GS1 Application Identifier"),
        ("]E04012345111117", "GTIN 4012345111117 has a wrong check digit (expected 8)"),
        ("(01)04012345111117(21)1001", "GTIN 04012345111117 has a wrong check digit (expected 8)"),
        ("((01)", "not a sequence of (AI)value pairs"),
        # biip skips what does not read as (AI)value; we do not
        ("(01)04012345111118(21)", "not a sequence of (AI)value pairs"),
        ("(01)04012345111118(9x", "not a sequence of (AI)value pairs"),
        ("(01)04012345111118(21)1001(21)1002", "AI (21) appears twice with different values"),
    ],
)
def test_malformed_element_string_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(IdentifierError) as excinfo:
        element_string_key(text)
    assert words in str(excinfo.value)
    assert "pattern" not in str(excinfo.value)


# --------------------------------------------------------------------------- check digit


@pytest.mark.parametrize(
    ("digits", "check"),
    [
        ("1061414107346", "4"),  # reference §8 worked example (weighted sum 86)
        ("10614141234567890", "8"),  # SSCC worked example
        ("061414107346", "7"),  # GLN worked example
        ("9780311", "9"),
        ("04012345123", "5"),
        ("0000000", "0"),
    ],
)
def test_gs1_check_digit(digits: str, check: str) -> None:
    assert gs1_check_digit(digits) == check


def test_gs1_check_digit_rejects_non_digits() -> None:
    with pytest.raises(IdentifierError):
        gs1_check_digit("12a")


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("https://id.gs1.org/01/10614141073464/21/%FF", "not UTF-8"),
        ("urn:epc:id:sgtin:0614141.107346.%C3%A9", "character set 82"),
        ("https://id.gs1.org/01/1061414107346\u0664", "GTIN"),
    ],
)
def test_rejects_non_ascii(uri: str, words: str) -> None:
    assert words in (identifier_problem(uri) or "")


# --------------------------------------------------------------------------- fast path
# canonical() answers common shapes with a regex shortcut; the general path must give the same
# string for them, and the shortcut must stay out of everything else (expected values by hand).

FAST_PATH = [
    *WORKED_EXAMPLES,
    ("urn:epc:id:sgtin:415056789012.0.987654", "https://id.gs1.org/01/04150567890128/21/987654"),
    ("urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"),
    ("urn:epc:id:sgln:999999999999..7", "https://id.gs1.org/414/9999999999994/254/7"),
    ("urn:epc:id:sgln:0614141.07346.0", "https://id.gs1.org/414/0614141073467"),
    ("urn:epc:idpat:sgln:0614141.07346.*", "https://id.gs1.org/414/0614141073467"),
    ("urn:epc:id:sgtin:0614141.107346.x.y_z-1", "https://id.gs1.org/01/10614141073464/21/x.y_z-1"),
    (
        "urn:epc:id:sgtin:0614141.107346.ABCDEFGHIJabcdefghij",
        "https://id.gs1.org/01/10614141073464/21/ABCDEFGHIJabcdefghij",
    ),
    (
        "https://id.gs1.org/01/10614141073464/21/2017",
        "https://id.gs1.org/01/10614141073464/21/2017",
    ),
    (
        "http://brand.example.com/01/04012345123456/10/998877?x=1",
        "https://id.gs1.org/01/04012345123456/10/998877",
    ),
    ("https://example.com/00/106141412345678908#f", "https://id.gs1.org/00/106141412345678908"),
    (
        "https://id.gs1.org/414/0614141073467/254/1234",
        "https://id.gs1.org/414/0614141073467/254/1234",
    ),
]

# Valid, but left to the general path (escapes, aliases, upper case, dropped qualifiers ...).
GENERAL_PATH = [
    ("URN:EPC:ID:SGTIN:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
    ("urn:epc:id:sgtin:0614141.107346.A%2Fb", "https://id.gs1.org/01/10614141073464/21/A%2Fb"),
    ("urn:epc:id:sgtin:0614141.107346.*", "https://id.gs1.org/01/10614141073464/21/%2A"),
    ("urn:epc:idpat:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
    ("https://id.gs1.org/414/0614141073467/254/0", "https://id.gs1.org/414/0614141073467"),
    (
        "https://id.gs1.org/01/10614141073464/21/2017/",
        "https://id.gs1.org/01/10614141073464/21/2017",
    ),
    ("https://id.gs1.org/01/10614141073464/22/344", "https://id.gs1.org/01/10614141073464"),
    ("https://id.gs1.org/01/10614141073464/235/T1", "https://id.gs1.org/01/10614141073464/235/T1"),
    ("https://id.gs1.org/01/614141123452", "https://id.gs1.org/01/00614141123452"),
    ("https://id.gs1.org/gtin/10614141073464", "https://id.gs1.org/01/10614141073464"),
    ("https://example.com/shop/01/10614141073464", "https://id.gs1.org/01/10614141073464"),
]


@pytest.mark.parametrize(("uri", "expected"), FAST_PATH)
def test_fast_path_agrees_with_general_path(uri: str, expected: str) -> None:
    assert _fast_canonical(uri) == expected
    key = _key_of(uri)
    assert key is not None
    assert _render_dl(key) == expected
    assert canonical(uri) == expected


@pytest.mark.parametrize(("uri", "expected"), GENERAL_PATH)
def test_fast_path_declines_uncommon_shapes(uri: str, expected: str) -> None:
    assert _fast_canonical(uri) is None
    assert canonical(uri) == expected


@pytest.mark.parametrize("uri", [uri for uri, _ in REJECTED] + NOT_GS1)
def test_fast_path_declines_invalid_and_non_gs1(uri: str) -> None:
    # Only the general path produces error messages and passes non-GS1 values through.
    assert _fast_canonical(uri) is None


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        (
            "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a1001",
            "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a1001",
        ),
        # A wrong check digit (should be 4) is not a GS1 key: matched by its text as given.
        (
            "https://id.gs1.org/01/10614141073465/21/2017",
            "https://id.gs1.org/01/10614141073465/21/2017",
        ),
    ],
)
def test_matching_key_is_the_canonical_form_or_the_text_as_given(uri: str, expected: str) -> None:
    assert matching_key(uri) == expected
