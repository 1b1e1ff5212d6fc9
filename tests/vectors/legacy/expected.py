#!/usr/bin/env python3
"""The legacy conversion vectors of MAPPING.md section 9, and their expected results.

    python3 tests/vectors/legacy/expected.py          # writes what is missing, checks the rest

This is a second implementation of MAPPING.md, in Python, sharing no code with the Rust or
TypeScript converters: it writes the legacy documents and mappings below, computes each case's
expected session (its JSON form, SPEC.md section 10) from the document, the mapping and the
dictionaries' keys alone, and checks that every refusal written by hand in CASES is the one this
implementation finds (rule, kind and path). The dictionaries' `.bin` files are written from the
manifest by `cargo run --example legacy_vectors` (the library's dictionary writer, checked by
the dictionary vectors of SPEC.md section 16.5).

Released vectors never change: a file that exists with other content is an error, never
rewritten. Add a case at the end of CASES and run this again.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------
# The dictionaries.

TENANT = "65a0f0c2e1a9d3f4a5b6c700"
FACILITIES = ["65a0f0c2e1a9d3f4a5b6%04x" % (0xF000 + i) for i in range(8)]
GROUPS = ["65a0f0c2e1a9d3f4a5b6%04x" % (0x6000 + i) for i in range(6)]
NEW_FACILITIES = ["65a0f0c2e1a9d3f4a5b6%04x" % (0xF100 + i) for i in range(3)]

DICTIONARIES = [
    {
        "file": "tenant.facility.dict.bin",
        "tenant": TENANT,
        "kind": "facility",
        "key_type": "objectid",
        "lineage": "4c45474143590001",
        "keys": FACILITIES,
    },
    {
        "file": "tenant.group.dict.bin",
        "tenant": TENANT,
        "kind": "group",
        "key_type": "objectid",
        "lineage": "4c45474143590002",
        "keys": GROUPS,
    },
    {
        "file": "other-tenant.facility.dict.bin",
        "tenant": "65a0f0c2e1a9d3f4a5b6c7ff",
        "kind": "facility",
        "key_type": "objectid",
        "lineage": "4c45474143590003",
        "keys": FACILITIES,
    },
]

# ---------------------------------------------------------------------------------------------
# The mappings.

GENERATOR_MAPPING = {
    "sessionpack_mapping": 1,
    "user_id": "/user/_id",
    "tenant_id": "/tenant/_id",
    "token": "/token",
    "issued_at": {"path": "/issuedAt", "unit": "ms"},
    "expires_at": {"path": "/expiresAt", "unit": "ms"},
    "roles": "/user/roles",
    "settings": "/settings",
    "attributes": {
        "email": "/user/email",
        "firstName": "/user/firstName",
        "lastName": "/user/lastName",
        "tenantName": "/tenant/name",
        "tenantSlug": "/tenant/slug",
    },
    "facilities": "/facilities[]/_id",
    "groups": "/groups[]/_id",
}

SECONDS_MAPPING = dict(
    GENERATOR_MAPPING,
    issued_at={"path": "/issuedAt", "unit": "s"},
    expires_at={"path": "/expiresAt", "unit": "s"},
)

MINIMAL_MAPPING = {
    "sessionpack_mapping": 1,
    "user_id": "/user/_id",
    "tenant_id": "/tenant/_id",
    "token": "/token",
    "issued_at": {"path": "/issuedAt", "unit": "ms"},
    "expires_at": {"path": "/expiresAt", "unit": "ms"},
}

# Roles from an array of objects, settings as an object of paths (one through `~1` and one
# through `~2`), facilities flattened from every group's facility ids, an index step.
NESTED_MAPPING = {
    "sessionpack_mapping": 1,
    "user_id": "/account/ids/0",
    "tenant_id": "/account/tenant",
    "token": "/auth/token",
    "issued_at": {"path": "/auth/iat", "unit": "s"},
    "expires_at": {"path": "/auth/exp", "unit": "s"},
    "roles": "/account/roles[]/name",
    "settings": {"lang": "/prefs/ui~1lang", "tz": "/prefs/tz~2utc]", "absent": "/prefs/none"},
    "attributes": "/profile",
    "facilities": "/groups[]/facilityIds[]",
    "groups": "/groups[]/_id",
}

MAPPINGS = {
    "generator.mapping.json": GENERATOR_MAPPING,
    "seconds.mapping.json": SECONDS_MAPPING,
    "minimal.mapping.json": MINIMAL_MAPPING,
    "nested.mapping.json": NESTED_MAPPING,
}

# Mappings that are refused, written as text.
RAW_MAPPINGS = {
    "version-2.mapping.json": json.dumps(dict(GENERATOR_MAPPING, sessionpack_mapping=2)),
    "no-unit.mapping.json": json.dumps(dict(GENERATOR_MAPPING, issued_at={"path": "/issuedAt"})),
    "bad-escape.mapping.json": json.dumps(dict(GENERATOR_MAPPING, token="/to~3ken")),
    "list-in-string.mapping.json": json.dumps(dict(GENERATOR_MAPPING, user_id="/users[]/_id")),
}

# ---------------------------------------------------------------------------------------------
# The legacy documents: the generator's shape (synth/src/legacy.rs), then variants.


def facility(oid, n):
    return {
        "_id": oid,
        "name": "Riverside Clinic %d" % n,
        "timezone": "America/Chicago",
        "address": {
            "line1": "%d Main Street" % (100 + n),
            "city": "Springfield",
            "state": "IL",
            "zip": "627%02d" % n,
            "country": "US",
        },
        "phone": "+1-217-555-%04d" % n,
        "npi": "%010d" % (1234567890 + n),
        "settings": {
            "ePrescribingEnabled": n % 2 == 0,
            "labInterface": "quest",
            "billingMode": "professional",
            "appointmentSlotMinutes": 15,
            "licensedBeds": 0,
        },
    }


def group(oid, n, facility_ids):
    return {
        "_id": oid,
        "name": "Care team %d" % n,
        "type": "care-team",
        "facilityIds": facility_ids,
        "createdAt": "2024-03-0%dT10:00:00Z" % (n + 1),
        "updatedAt": "2025-01-0%dT10:00:00Z" % (n + 1),
        "permissions": ["read", "chart"],
    }


def generator_doc():
    return {
        "token": "tok-3f9a1c2e7b",
        "user": {
            "_id": "65a0f0c2e1a9d3f4a5b6c701",
            "email": "dana.reyes@example.com",
            "firstName": "Dana",
            "lastName": "Reyes",
            "roles": ["clinician", "scheduler"],
        },
        "tenant": {"_id": TENANT, "name": "Acme Health", "slug": "acme-health"},
        "issuedAt": 1764147600000,
        "expiresAt": 1764151200000,
        "settings": {"language": "en", "theme": "dark", "timezone": "America/Chicago"},
        "facilities": [facility(FACILITIES[i], i) for i in (5, 1, 3)],
        "groups": [group(GROUPS[i], i, [FACILITIES[1]]) for i in (0, 4)],
    }


def extended_doc():
    d = generator_doc()
    d["user"]["_id"] = {"$oid": "65A0F0C2E1A9D3F4A5B6C701"}
    d["tenant"]["_id"] = {"$oid": TENANT}
    d["issuedAt"] = {"$date": "2025-11-26T09:00:00.000Z"}
    d["expiresAt"] = {"$date": {"$numberLong": "1764151200000"}}
    d["facilities"][0]["_id"] = {"$oid": FACILITIES[5].upper()}
    d["facilities"][2]["_id"] = FACILITIES[3].upper()
    d["groups"][1]["_id"] = {"$oid": GROUPS[4]}
    return d


def seconds_doc():
    d = generator_doc()
    d["issuedAt"] = 1764147600
    d["expiresAt"] = 1764151200
    return d


def iso_doc():
    d = generator_doc()
    # 11:00:00.123456+02:00 is 09:00:00.123 UTC; the digits after the third are dropped.
    d["issuedAt"] = "2025-11-26T11:00:00.123456+02:00"
    d["expiresAt"] = {"$date": 1764151200000}
    return d


def missing_optional_doc():
    d = generator_doc()
    del d["user"]["roles"]
    del d["settings"]
    del d["user"]["email"]
    d["tenant"]["slug"] = None
    d["facilities"] = []
    d["groups"] = None
    return d


def append_doc():
    d = generator_doc()
    d["facilities"] = [facility(k, i) for i, k in enumerate(
        [FACILITIES[2], NEW_FACILITIES[1], FACILITIES[0], NEW_FACILITIES[0], NEW_FACILITIES[1]])]
    return d


def nested_doc():
    return {
        "account": {
            "ids": ["u-1001", "u-legacy-7"],
            "tenant": TENANT,
            "roles": [{"name": "nurse", "since": 2019}, {"name": "charge-nurse"}],
        },
        "auth": {"token": "opaque/ä\u00e9/\"quoted\"", "iat": 1700000000, "exp": 1700003600},
        "prefs": {"ui/lang": "fr", "tz[utc]": "Europe/Paris", "none": None},
        "profile": {"badge": "B-17", "unit": "4 West"},
        "groups": [
            {"_id": GROUPS[2], "facilityIds": [FACILITIES[7], FACILITIES[6]]},
            {"_id": GROUPS[3], "facilityIds": []},
            {"_id": GROUPS[2], "facilityIds": [FACILITIES[6]]},
        ],
    }


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def with_changes(change):
    d = generator_doc()
    change(d)
    return compact(d)


def setter(*steps_and_value):
    *steps, value = steps_and_value

    def change(d):
        for s in steps[:-1]:
            d = d[s]
        if value is DELETE:
            del d[steps[-1]]
        else:
            d[steps[-1]] = value

    return change


DELETE = object()

# Raw text for the documents that need it (numbers written with a fraction, broken JSON).
DOCUMENTS = {
    "generator.legacy.json": compact(generator_doc()),
    "extended-json.legacy.json": compact(extended_doc()),
    "seconds.legacy.json": compact(seconds_doc()),
    "iso-offset.legacy.json": compact(iso_doc()),
    "missing-optional.legacy.json": compact(missing_optional_doc()),
    "append.legacy.json": compact(append_doc()),
    "nested.legacy.json": compact(nested_doc()),
    "bom-whitespace.legacy.json": "\ufeff \n" + json.dumps(generator_doc(), indent=2) + "\n",
    "missing-token.legacy.json": with_changes(setter("token", DELETE)),
    "null-user.legacy.json": with_changes(setter("user", None)),
    "user-id-number.legacy.json": with_changes(setter("user", "_id", 1001)),
    "user-string.legacy.json": with_changes(setter("user", "dana")),
    "oid-23.legacy.json": with_changes(setter("facilities", 1, "_id", FACILITIES[1][:23])),
    "facility-without-id.legacy.json": with_changes(
        lambda d: d["facilities"].append({"name": "no id"})),
    "facilities-object.legacy.json": with_changes(setter("facilities", {"_id": FACILITIES[0]})),
    "unknown-facility.legacy.json": with_changes(
        setter("facilities", 1, "_id", NEW_FACILITIES[2])),
    "time-fraction.legacy.json": compact(generator_doc()).replace(
        '"issuedAt":1764147600000', '"issuedAt":1764147600000.0'),
    "time-exponent.legacy.json": compact(generator_doc()).replace(
        '"expiresAt":1764151200000', '"expiresAt":1.7641512e12'),
    "time-space.legacy.json": with_changes(setter("issuedAt", "2025-11-26 09:00:00Z")),
    "time-feb-30.legacy.json": with_changes(setter("issuedAt", "2025-02-30T09:00:00Z")),
    "time-bool.legacy.json": with_changes(setter("issuedAt", True)),
    "seconds-overflow.legacy.json": with_changes(setter("expiresAt", 9223372036854776)),
    "number-long-bad.legacy.json": with_changes(
        setter("expiresAt", {"$date": {"$numberLong": "01764151200000"}})),
    "time-order.legacy.json": with_changes(setter("expiresAt", 1764147599999)),
    "trailing.legacy.json": compact(generator_doc()) + " {}",
    "role-number.legacy.json": with_changes(setter("user", "roles", ["clinician", 7])),
    "setting-object.legacy.json": with_changes(setter("settings", "theme", {"mode": "dark"})),
}

# The cases added after the first release (MAPPING.md's open questions: nesting, -0, lone
# surrogates, which of two faults is named).


def with_text(old, new):
    text = compact(generator_doc())
    assert text.count(old) == 1, old
    return text.replace(old, new)


def padded(text):
    """The generator's document with an unread member `pad` holding `text`."""
    return compact(generator_doc())[:-1] + ',"pad":' + text + "}"


def nested_arrays(levels):
    return "[" * levels + "]" * levels


def two_facility_faults(first, second):
    def change(d):
        for n, fault in ((1, first), (2, second)):
            if fault is DELETE:
                del d["facilities"][n]["_id"]
            else:
                d["facilities"][n]["_id"] = fault
    return change


DOCUMENTS.update({
    # The root object is one level: 126 arrays in `pad` make 127 levels, 127 make 128.
    "depth-127.legacy.json": padded(nested_arrays(126)),
    "depth-128.legacy.json": padded(nested_arrays(127)),
    "time-zero.legacy.json": with_text('"issuedAt":1764147600000', '"issuedAt":0'),
    "time-minus-zero.legacy.json": with_text('"issuedAt":1764147600000', '"issuedAt":-0'),
    "time-minus-zero-fraction.legacy.json": with_text('"issuedAt":1764147600000', '"issuedAt":-0.0'),
    "time-zero-exponent.legacy.json": with_text('"issuedAt":1764147600000', '"issuedAt":0e0'),
    "time-date-minus-zero.legacy.json": with_text(
        '"issuedAt":1764147600000', '"issuedAt":{"$date":-0}'),
    "time-number-long-minus-zero.legacy.json": with_text(
        '"issuedAt":1764147600000', '"issuedAt":{"$date":{"$numberLong":"-0"}}'),
    "surrogate-unread.legacy.json": padded('"x\\ud800"'),
    "surrogate-unread-low.legacy.json": padded('"\\udc00x"'),
    "surrogate-unread-unpaired.legacy.json": padded('"\\ud800\\u0041"'),
    "surrogate-unread-name.legacy.json": padded('{"\\ud800":1}'),
    "surrogate-token.legacy.json": with_text('"token":"tok-', '"token":"\\ud800tok-'),
    "surrogate-pair-token.legacy.json": with_text('"token":"tok-', '"token":"\\ud83d\\ude00tok-'),
    "roles-number-then-null.legacy.json": with_changes(setter("user", "roles", ["a", 5, None])),
    "roles-null-then-number.legacy.json": with_changes(setter("user", "roles", ["a", None, 5])),
    "facilities-bad-then-missing.legacy.json": with_changes(
        two_facility_faults(FACILITIES[1][:23], DELETE)),
    "facilities-missing-then-bad.legacy.json": with_changes(
        two_facility_faults(DELETE, FACILITIES[1][:23])),
    "facilities-absent-then-bad.legacy.json": with_changes(
        two_facility_faults(NEW_FACILITIES[0], FACILITIES[2][:23])),
    "facility-absent-group-bad.legacy.json": with_changes(lambda d: (
        setter("facilities", 0, "_id", NEW_FACILITIES[0])(d),
        setter("groups", 1, "_id", 6001)(d))),
    "settings-two-faults.legacy.json": with_changes(
        setter("settings", {"theme": 5, "language": "en", "format": ["x"]})),
    "settings-repeated.legacy.json": with_text('"theme":"dark"', '"theme":5,"theme":"dark"'),
    "token-number-user-missing.legacy.json": with_changes(lambda d: (
        setter("token", 5)(d), setter("user", "_id", DELETE)(d))),
    "role-number-time-order.legacy.json": with_changes(lambda d: (
        setter("user", "roles", [5])(d), setter("expiresAt", 1)(d))),
    # Found by a differential run of the three converters on mutated documents.
    "surrogate-repeated-name.legacy.json": with_text('"token":"tok-', '"token":"\\udc00","token":"tok-'),
    "number-long-number.legacy.json": with_changes(
        setter("expiresAt", {"$date": {"$numberLong": 1764151200000}})),
})

RAW_MAPPINGS.update({
    "facilities-whole.mapping.json": json.dumps(dict(GENERATOR_MAPPING, facilities="")),
    "attributes-two-faults.mapping.json": json.dumps(
        dict(GENERATOR_MAPPING, attributes={"z": 5, "a": "/a[b"})),
    "two-unknown.mapping.json": json.dumps(
        {"user_~1id": "/user/_id", **{k: v for k, v in GENERATOR_MAPPING.items() if k != "token"},
         "t/oken": "/token"}),
    "user-id-number-no-tenant.mapping.json": json.dumps(
        {k: (5 if k == "user_id" else v) for k, v in GENERATOR_MAPPING.items() if k != "tenant_id"}),
})

RAW_MAPPINGS.update({
    "version-minus-zero.mapping.json": json.dumps(GENERATOR_MAPPING).replace(
        '"sessionpack_mapping": 1', '"sessionpack_mapping": -0'),
    "surrogate.mapping.json": json.dumps(dict(GENERATOR_MAPPING, token="/tok\udc00en")),
    "steps-128.mapping.json": json.dumps(dict(GENERATOR_MAPPING, roles="/a" * 128)),
    "steps-129.mapping.json": json.dumps(dict(GENERATOR_MAPPING, roles="/a" * 129)),
})


def refuse(kind, rule, path):
    return {"kind": kind, "rule": rule, "path": path}


T = "tenant.facility.dict.bin"
G = "tenant.group.dict.bin"

# name, about, mapping, document, facility dict, group dict, append, refusal (None: converts)
CASES = [
    ("generator", "the generator's legacy shape with its mapping (examples/legacy-mapping.json)",
     "generator.mapping.json", "generator.legacy.json", T, G, False, None),
    ("extended_json", "$oid for ids (upper-case hex too), $date as ISO text and as $numberLong",
     "generator.mapping.json", "extended-json.legacy.json", T, G, False, None),
    ("seconds", "times as Unix seconds, the mapping's unit \"s\"",
     "seconds.mapping.json", "seconds.legacy.json", T, G, False, None),
    ("iso_offset", "ISO-8601 with an offset and 6 fraction digits; $date with integer ms",
     "generator.mapping.json", "iso-offset.legacy.json", T, G, False, None),
    ("missing_optional", "no roles, settings or email; null slug and groups; no facilities",
     "generator.mapping.json", "missing-optional.legacy.json", T, G, False, None),
    ("append", "two keys the facility dictionary lacks (one twice), appended in document order",
     "generator.mapping.json", "append.legacy.json", T, G, True, None),
    ("append_nothing_new", "append with every key known: the dictionaries gain nothing",
     "generator.mapping.json", "generator.legacy.json", T, G, True, None),
    ("minimal_mapping", "only the required fields mapped: empty sets without lineage",
     "minimal.mapping.json", "generator.legacy.json", T, G, False, None),
    ("nested", "roles[]/name, settings by path with ~1 and ~2, an index step, groups[]/facilityIds[]",
     "nested.mapping.json", "nested.legacy.json", T, G, False, None),
    ("bom_whitespace", "a byte order mark, whitespace and indentation around the document",
     "generator.mapping.json", "bom-whitespace.legacy.json", T, G, False, None),
    # Refusals.
    ("missing_token", "no token", "generator.mapping.json", "missing-token.legacy.json", T, G,
     False, refuse("invalid_input", "M-FIELD-REQUIRED", "/token")),
    ("null_user", "the user is null, so /user/_id is missing", "generator.mapping.json",
     "null-user.legacy.json", T, G, False, refuse("invalid_input", "M-FIELD-REQUIRED", "/user/_id")),
    ("user_id_number", "a number where a string belongs", "generator.mapping.json",
     "user-id-number.legacy.json", T, G, False, refuse("invalid_input", "M-VALUE-TYPE", "/user/_id")),
    ("user_string", "a string where the path steps into an object", "generator.mapping.json",
     "user-string.legacy.json", T, G, False, refuse("invalid_input", "M-PATH-TYPE", "/user")),
    ("oid_23_digits", "an ObjectId of 23 hex digits", "generator.mapping.json",
     "oid-23.legacy.json", T, G, False, refuse("invalid_input", "M-OID-TEXT", "/facilities/1/_id")),
    ("facility_without_id", "a facility object without _id", "generator.mapping.json",
     "facility-without-id.legacy.json", T, G, False,
     refuse("invalid_input", "M-PATH-ELEMENT", "/facilities/3/_id")),
    ("facilities_object", "facilities is an object, not an array", "generator.mapping.json",
     "facilities-object.legacy.json", T, G, False,
     refuse("invalid_input", "M-PATH-ARRAY", "/facilities")),
    ("unknown_facility", "a key the dictionary lacks, without append", "generator.mapping.json",
     "unknown-facility.legacy.json", T, G, False,
     refuse("invalid_input", "M-DICT-ABSENT", "/facilities/1/_id")),
    ("time_fraction", "1764147600000.0: integral, but written with a fraction",
     "generator.mapping.json", "time-fraction.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/issuedAt")),
    ("time_exponent", "1.7641512e12: written with an exponent", "generator.mapping.json",
     "time-exponent.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/expiresAt")),
    ("time_space", "ISO-8601 with a space for T", "generator.mapping.json",
     "time-space.legacy.json", T, G, False, refuse("invalid_input", "M-TIME-ISO", "/issuedAt")),
    ("time_feb_30", "February 30th", "generator.mapping.json", "time-feb-30.legacy.json", T, G,
     False, refuse("invalid_input", "M-TIME-ISO", "/issuedAt")),
    ("time_bool", "a boolean for a time", "generator.mapping.json", "time-bool.legacy.json", T, G,
     False, refuse("invalid_input", "M-TIME-TYPE", "/issuedAt")),
    ("seconds_overflow", "seconds whose milliseconds do not fit i64", "seconds.mapping.json",
     "seconds-overflow.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/expiresAt")),
    ("number_long_leading_zero", "$numberLong with a leading zero", "generator.mapping.json",
     "number-long-bad.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/expiresAt")),
    ("time_order", "expires before it was issued", "generator.mapping.json",
     "time-order.legacy.json", T, G, False, refuse("invalid_input", "M-TIME-ORDER", "/expiresAt")),
    ("trailing", "a second JSON value after the document", "generator.mapping.json",
     "trailing.legacy.json", T, G, False, refuse("invalid_input", "M-DOC-JSON", "")),
    ("role_number", "a number among the roles", "generator.mapping.json", "role-number.legacy.json",
     T, G, False, refuse("invalid_input", "M-VALUE-TYPE", "/user/roles/1")),
    ("setting_object", "an object as a setting's value", "generator.mapping.json",
     "setting-object.legacy.json", T, G, False,
     refuse("invalid_input", "M-VALUE-TYPE", "/settings/theme")),
    ("oversize", "a 64 MiB document, refused before it is parsed", "generator.mapping.json",
     {"generate": "oversize", "bytes": 67108864}, T, G, True,
     refuse("limit", "M-DOC-SIZE", "")),
    ("other_tenant", "a facility dictionary of another tenant", "generator.mapping.json",
     "generator.legacy.json", "other-tenant.facility.dict.bin", G, False,
     refuse("wrong_dictionary", "M-DICT-TENANT", "/tenant/_id")),
    ("dictionaries_swapped", "the group dictionary given for facilities",
     "generator.mapping.json", "generator.legacy.json", G, T, False,
     refuse("wrong_dictionary", "M-DICT-KIND", "")),
    ("mapping_version_2", "a mapping of version 2", "version-2.mapping.json",
     "generator.legacy.json", T, G, False,
     refuse("unsupported", "M-MAP-VERSION", "/sessionpack_mapping")),
    ("mapping_no_unit", "a time without its unit", "no-unit.mapping.json", "generator.legacy.json",
     T, G, False, refuse("invalid_input", "M-MAP-UNIT", "/issued_at/unit")),
    ("mapping_bad_escape", "~3 in a path", "bad-escape.mapping.json", "generator.legacy.json",
     T, G, False, refuse("invalid_input", "M-PATH-SYNTAX", "/token")),
    ("mapping_list_in_string", "[] in a single-value field", "list-in-string.mapping.json",
     "generator.legacy.json", T, G, False, refuse("invalid_input", "M-MAP-PATH", "/user_id")),
]

CASES += [
    # Nesting: at most 127 levels (serde_json's recursion limit), counted anywhere in the text.
    ("depth_127", "arrays and objects nested 127 levels deep in an unread member: read",
     "generator.mapping.json", "depth-127.legacy.json", T, G, False, None),
    ("depth_128", "nested 128 levels deep in an unread member: refused as JSON",
     "generator.mapping.json", "depth-128.legacy.json", T, G, False,
     refuse("invalid_input", "M-DOC-JSON", "")),
    # Zero is written 0: -0 (bare, $date, $numberLong), -0.0 and 0e0 are refused.
    ("time_zero", "an issue time of 0 ms", "generator.mapping.json", "time-zero.legacy.json",
     T, G, False, None),
    ("time_minus_zero_ms", "-0 as a time in milliseconds", "generator.mapping.json",
     "time-minus-zero.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/issuedAt")),
    ("time_minus_zero_s", "-0 as a time in seconds", "seconds.mapping.json",
     "time-minus-zero.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/issuedAt")),
    ("time_minus_zero_fraction", "-0.0 as a time", "generator.mapping.json",
     "time-minus-zero-fraction.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/issuedAt")),
    ("time_zero_exponent_s", "0e0 as a time in seconds", "seconds.mapping.json",
     "time-zero-exponent.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/issuedAt")),
    ("time_date_minus_zero", "{\"$date\": -0}", "generator.mapping.json",
     "time-date-minus-zero.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/issuedAt")),
    ("time_number_long_minus_zero", "{\"$date\": {\"$numberLong\": \"-0\"}}",
     "generator.mapping.json", "time-number-long-minus-zero.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/issuedAt")),
    ("mapping_version_minus_zero", "sessionpack_mapping -0: not an integer as the mapping writes one",
     "version-minus-zero.mapping.json", "generator.legacy.json", T, G, False,
     refuse("invalid_input", "M-MAP-VERSION", "/sessionpack_mapping")),
    # Lone surrogates: refused wherever they are, read or not.
    ("surrogate_unread", "a lone \\ud800 in a member the mapping does not read",
     "generator.mapping.json", "surrogate-unread.legacy.json", T, G, False,
     refuse("invalid_input", "M-DOC-JSON", "")),
    ("surrogate_unread_low", "a lone \\udc00 in a member the mapping does not read",
     "generator.mapping.json", "surrogate-unread-low.legacy.json", T, G, False,
     refuse("invalid_input", "M-DOC-JSON", "")),
    ("surrogate_unread_unpaired", "\\ud800 followed by \\u0041, not a low surrogate",
     "generator.mapping.json", "surrogate-unread-unpaired.legacy.json", T, G, False,
     refuse("invalid_input", "M-DOC-JSON", "")),
    ("surrogate_unread_name", "a lone \\ud800 in a member name the mapping does not read",
     "generator.mapping.json", "surrogate-unread-name.legacy.json", T, G, False,
     refuse("invalid_input", "M-DOC-JSON", "")),
    ("surrogate_token", "a lone \\ud800 in the token", "generator.mapping.json",
     "surrogate-token.legacy.json", T, G, False, refuse("invalid_input", "M-DOC-JSON", "")),
    ("surrogate_pair_token", "an escaped surrogate pair (U+1F600) in the token: read",
     "generator.mapping.json", "surrogate-pair-token.legacy.json", T, G, False, None),
    ("mapping_surrogate", "a lone \\udc00 in a path of the mapping", "surrogate.mapping.json",
     "generator.legacy.json", T, G, False, refuse("invalid_input", "M-MAP-JSON", "")),
    ("mapping_steps_128", "a path of 128 steps (missing: roles are [])", "steps-128.mapping.json",
     "generator.legacy.json", T, G, False, None),
    ("mapping_steps_129", "a path of 129 steps", "steps-129.mapping.json",
     "generator.legacy.json", T, G, False, refuse("invalid_input", "M-PATH-SYNTAX", "/roles")),
    # Two faults: the first in the order of section 8 is named.
    ("roles_number_then_null", "roles [\"a\", 5, null]: the number, before the null",
     "generator.mapping.json", "roles-number-then-null.legacy.json", T, G, False,
     refuse("invalid_input", "M-VALUE-TYPE", "/user/roles/1")),
    ("roles_null_then_number", "roles [\"a\", null, 5]: the null, before the number",
     "generator.mapping.json", "roles-null-then-number.legacy.json", T, G, False,
     refuse("invalid_input", "M-PATH-ELEMENT", "/user/roles/1")),
    ("facilities_bad_then_missing", "the 2nd facility's id has 23 digits, the 3rd has none",
     "generator.mapping.json", "facilities-bad-then-missing.legacy.json", T, G, False,
     refuse("invalid_input", "M-OID-TEXT", "/facilities/1/_id")),
    ("facilities_missing_then_bad", "the 2nd facility has no id, the 3rd's has 23 digits",
     "generator.mapping.json", "facilities-missing-then-bad.legacy.json", T, G, False,
     refuse("invalid_input", "M-PATH-ELEMENT", "/facilities/1/_id")),
    ("facilities_absent_then_bad", "a key the dictionary lacks, then a bad one: keys are read "
     "before the dictionary is asked", "generator.mapping.json",
     "facilities-absent-then-bad.legacy.json", T, G, False,
     refuse("invalid_input", "M-OID-TEXT", "/facilities/2/_id")),
    ("facility_absent_group_bad", "a facility the dictionary lacks, a group id that is a number",
     "generator.mapping.json", "facility-absent-group-bad.legacy.json", T, G, False,
     refuse("invalid_input", "M-KEY-TEXT", "/groups/1/_id")),
    ("settings_two_faults", "settings theme 5 and format [\"x\"]: by name, format first",
     "generator.mapping.json", "settings-two-faults.legacy.json", T, G, False,
     refuse("invalid_input", "M-VALUE-TYPE", "/settings/format")),
    ("settings_repeated_name", "theme 5 then theme \"dark\": the last counts", "generator.mapping.json",
     "settings-repeated.legacy.json", T, G, False, None),
    ("token_number_user_missing", "the token (first in the document) a number, no user id: "
     "user_id is read first", "generator.mapping.json", "token-number-user-missing.legacy.json",
     T, G, False, refuse("invalid_input", "M-FIELD-REQUIRED", "/user/_id")),
    ("role_number_time_order", "a number among the roles, and it expires before it is issued: "
     "the fields before M-TIME-ORDER", "generator.mapping.json",
     "role-number-time-order.legacy.json", T, G, False,
     refuse("invalid_input", "M-VALUE-TYPE", "/user/roles/0")),
    # Found by a differential run of the three converters on mutated documents.
    ("surrogate_repeated_name", "a lone \\udc00 in a token that a repeated token replaces",
     "generator.mapping.json", "surrogate-repeated-name.legacy.json", T, G, False,
     refuse("invalid_input", "M-DOC-JSON", "")),
    ("number_long_number", "{\"$date\": {\"$numberLong\": 1764151200000}}: a number, not the "
     "digits as a string", "generator.mapping.json", "number-long-number.legacy.json", T, G, False,
     refuse("invalid_input", "M-TIME-NUMBER", "/expiresAt")),
    # Found by a differential run on mutated mappings.
    ("mapping_facilities_whole", "facilities \"\": the whole document as the one key (no step "
     "to read as ending with [])", "facilities-whole.mapping.json", "generator.legacy.json", T, G,
     False, refuse("invalid_input", "M-KEY-TEXT", "")),
    ("mapping_attributes_two_faults", "attributes {\"z\": 5, \"a\": \"/a[b\"}: by name, a first",
     "attributes-two-faults.mapping.json", "generator.legacy.json", T, G, False,
     refuse("invalid_input", "M-PATH-SYNTAX", "/attributes/a")),
    ("mapping_two_unknown", "unknown members user_~1id (first in the text) and t/oken: by name",
     "two-unknown.mapping.json", "generator.legacy.json", T, G, False,
     refuse("invalid_input", "M-MAP-FIELD", "/t~1oken")),
    ("mapping_user_id_number_no_tenant", "user_id a number, tenant_id absent: user_id first",
     "user-id-number-no-tenant.mapping.json", "generator.legacy.json", T, G, False,
     refuse("invalid_input", "M-MAP-FIELD", "/user_id")),
]

# ---------------------------------------------------------------------------------------------
# The converter (MAPPING.md), in Python.

I64_MIN, I64_MAX = -(2**63), 2**63 - 1


class Refused(Exception):
    def __init__(self, kind, rule, path):
        super().__init__("%s %s %s" % (kind, rule, path))
        self.refusal = refuse(kind, rule, path)


def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def pointer(tokens):
    return "".join("/" + escape(str(t)) for t in tokens)


MISSING = object()

# MAPPING.md section 7: arrays and objects nested at most this deep (M-DOC-JSON, M-MAP-JSON).
MAX_DEPTH = 127
# Section 2.1: a path has at most this many steps (M-PATH-SYNTAX).
MAX_STEPS = 128


class NegativeZero:
    """The number `-0` as written (json.loads would read it as 0): not an integer here."""


def number_int(text):
    return NegativeZero() if text == "-0" else int(text)


def nesting(text):
    """The deepest nesting of arrays and objects in JSON text (strings skipped)."""
    depth = most = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            most = max(most, depth)
        elif ch in "]}":
            depth -= 1
    return most


def lone_surrogate(value):
    """Whether a string (or a member name) anywhere in `value` holds a lone surrogate: json.loads
    reads an escaped pair as one character, so a surrogate left is an unpaired `\\uD800`."""
    if isinstance(value, str):
        return re.search("[\ud800-\udfff]", value) is not None
    if isinstance(value, list):
        return any(lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(lone_surrogate(k) or lone_surrogate(v) for k, v in value.items())
    return False


def read_json(text, object_pairs_hook=dict):
    """One JSON value as MAPPING.md section 7 reads it, or ValueError."""
    if nesting(text) > MAX_DEPTH:
        raise ValueError("nested deeper than %d levels" % MAX_DEPTH)

    def members(pairs):
        # Every member, a repeated name's earlier values too (the last one counts, but the
        # text of all of them must be JSON in UTF-8).
        if any(lone_surrogate(k) or lone_surrogate(v) for k, v in pairs):
            raise ValueError("a lone surrogate")
        return object_pairs_hook(pairs)

    value = json.loads(text, parse_int=number_int, object_pairs_hook=members,
                       parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    if lone_surrogate(value):
        raise ValueError("a lone surrogate")
    return value


def parse_path(text, where, lists_allowed):
    """[(token, each)] from a mapping path, or a refusal at `where` in the mapping."""
    if not isinstance(text, str):
        raise Refused("invalid_input", "M-MAP-FIELD", where)
    if text == "":
        return []
    if not text.startswith("/"):
        raise Refused("invalid_input", "M-PATH-SYNTAX", where)
    steps = []
    if len(text[1:].split("/")) > MAX_STEPS:
        raise Refused("invalid_input", "M-PATH-SYNTAX", where)
    for raw in text[1:].split("/"):
        each = raw.endswith("[]")
        if each:
            raw = raw[:-2]
        if "[" in raw or re.search(r"~(?![012])", raw):
            raise Refused("invalid_input", "M-PATH-SYNTAX", where)
        token = raw.replace("~1", "/").replace("~2", "[").replace("~0", "~")
        steps.append((token, each))
    if any(e for _, e in steps) and not lists_allowed:
        raise Refused("invalid_input", "M-MAP-PATH", where)
    return steps


def parse_mapping(text):
    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        if len(set(keys)) != len(keys):
            raise Refused("invalid_input", "M-MAP-JSON", "")
        return dict(pairs)

    try:
        m = read_json(text.decode("utf-8") if isinstance(text, bytes) else text,
                      object_pairs_hook=no_dupes)
    except ValueError:
        raise Refused("invalid_input", "M-MAP-JSON", "")
    if not isinstance(m, dict):
        raise Refused("invalid_input", "M-MAP-JSON", "")
    v = m.get("sessionpack_mapping")
    if isinstance(v, int) and not isinstance(v, bool):
        if v != 1:
            raise Refused("unsupported", "M-MAP-VERSION", "/sessionpack_mapping")
    else:
        raise Refused("invalid_input", "M-MAP-VERSION", "/sessionpack_mapping")
    known = ["user_id", "tenant_id", "token", "issued_at", "expires_at",
             "roles", "settings", "attributes", "facilities", "groups"]
    for k in sorted(m, key=lambda k: k.encode()):
        if k != "sessionpack_mapping" and k not in known:
            raise Refused("invalid_input", "M-MAP-FIELD", pointer([k]))
    out = {}
    for k in known:
        where = pointer([k])
        if k not in m:
            if k in known[:5]:
                raise Refused("invalid_input", "M-MAP-FIELD", where)
            continue
        v = m[k]
        if k in ("issued_at", "expires_at"):
            if not isinstance(v, dict) or set(v) - {"path", "unit"}:
                raise Refused("invalid_input", "M-MAP-FIELD", where)
            if "path" not in v:
                raise Refused("invalid_input", "M-MAP-FIELD", where + "/path")
            path = parse_path(v["path"], where + "/path", False)
            if v.get("unit") not in ("s", "ms"):
                raise Refused("invalid_input", "M-MAP-UNIT", where + "/unit")
            out[k] = (path, v["unit"])
        elif k in ("settings", "attributes") and isinstance(v, dict):
            out[k] = {name: parse_path(p, where + pointer([name]), False)
                      for name, p in sorted(v.items(), key=lambda kv: kv[0].encode())}
        else:
            out[k] = parse_path(v, where, k in ("roles", "facilities", "groups"))
    return out


def follow(doc, steps, visit=lambda value, tokens: (value, tokens)):
    """visit(value, tokens) of each value at `steps`, as a list, or MISSING; refusals per
    MAPPING.md 2. Each value is visited as it is found, before the next element is walked: the
    first fault in document order is the one refused (section 8)."""

    def walk(value, tokens, i, inside):
        if value is None:
            return MISSING
        if i == len(steps):
            return [visit(value, tokens)]
        token, each = steps[i]
        if isinstance(value, dict):
            nxt = value.get(token, None)
        elif isinstance(value, list):
            if not re.fullmatch(r"0|[1-9][0-9]*", token):
                raise Refused("invalid_input", "M-PATH-TYPE", pointer(tokens))
            nxt = value[int(token)] if int(token) < len(value) else None
        else:
            raise Refused("invalid_input", "M-PATH-TYPE", pointer(tokens))
        here = tokens + [token]
        if not each:
            return walk(nxt, here, i + 1, inside)
        if nxt is None:
            return MISSING
        if not isinstance(nxt, list):
            raise Refused("invalid_input", "M-PATH-ARRAY", pointer(here))
        values = []
        for j, element in enumerate(nxt):
            got = walk(element, here + [j], i + 1, True)
            if got is MISSING:
                rest = [t for t, _ in steps[i + 1:]]
                raise Refused("invalid_input", "M-PATH-ELEMENT", pointer(here + [j] + rest))
            values.extend(got)
        return values

    return walk(doc, [], 0, False)


def requested(steps):
    return pointer([t for t, _ in steps])


def as_list(steps):
    if steps and not any(e for _, e in steps):
        steps = steps[:-1] + [(steps[-1][0], True)]
    return steps


def oid_text(value, where):
    if not re.fullmatch(r"[0-9a-fA-F]{24}", value):
        raise Refused("invalid_input", "M-OID-TEXT", where)
    return value.lower()


def is_oid(value):
    return isinstance(value, dict) and list(value) == ["$oid"]


def string_value(value, tokens):
    if isinstance(value, str):
        return value
    if is_oid(value) and isinstance(value["$oid"], str):
        return oid_text(value["$oid"], pointer(tokens))
    raise Refused("invalid_input", "M-VALUE-TYPE", pointer(tokens))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def iso_ms(text, where):
    m = re.fullmatch(
        r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
        r"(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})", text)
    if not m:
        raise Refused("invalid_input", "M-TIME-ISO", where)
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if not 1 <= mo <= 12 or not 1 <= d <= DAYS[mo - 1] + (mo == 2 and leap):
        raise Refused("invalid_input", "M-TIME-ISO", where)
    if h > 23 or mi > 59 or s > 59:
        raise Refused("invalid_input", "M-TIME-ISO", where)
    ms = int(((m.group(7) or "") + "000")[:3])
    offset = 0
    if m.group(8) != "Z":
        oh, om = int(m.group(8)[1:3]), int(m.group(8)[4:6])
        if oh > 23 or om > 59:
            raise Refused("invalid_input", "M-TIME-ISO", where)
        offset = (oh * 60 + om) * (1 if m.group(8)[0] == "+" else -1)
    secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset * 60
    return secs * 1000 + ms


def time_value(value, tokens, unit, raw_numbers):
    where = pointer(tokens)
    if isinstance(value, (float, NegativeZero)) or (is_int(value) and not I64_MIN <= value <= I64_MAX):
        raise Refused("invalid_input", "M-TIME-NUMBER", where)
    if is_int(value):
        ms = value * 1000 if unit == "s" else value
        if not I64_MIN <= ms <= I64_MAX:
            raise Refused("invalid_input", "M-TIME-NUMBER", where)
        return ms
    if isinstance(value, str):
        return iso_ms(value, where)
    if isinstance(value, dict) and list(value) == ["$date"]:
        inner = value["$date"]
        if isinstance(inner, str):
            return iso_ms(inner, where)
        if is_int(inner):
            if not I64_MIN <= inner <= I64_MAX:
                raise Refused("invalid_input", "M-TIME-NUMBER", where)
            return inner
        if isinstance(inner, (float, NegativeZero)):
            raise Refused("invalid_input", "M-TIME-NUMBER", where)
        if isinstance(inner, dict) and list(inner) == ["$numberLong"]:
            d = inner["$numberLong"]
            if not isinstance(d, str) or not re.fullmatch(r"0|-?[1-9][0-9]{0,18}", d) \
                    or not I64_MIN <= int(d) <= I64_MAX:
                raise Refused("invalid_input", "M-TIME-NUMBER", where)
            return int(d)
    raise Refused("invalid_input", "M-TIME-TYPE", where)


def required(doc, steps):
    got = follow(doc, steps)
    if got is MISSING:
        raise Refused("invalid_input", "M-FIELD-REQUIRED", requested(steps))
    return got[0]


def string_map(doc, spec):
    if spec is None:
        return {}
    out = {}
    if isinstance(spec, dict):
        for name, steps in sorted(spec.items(), key=lambda kv: kv[0].encode()):
            got = follow(doc, steps)
            if got is not MISSING:
                out[name] = string_value(*got[0])
        return out
    got = follow(doc, spec)
    if got is MISSING:
        return {}
    value, tokens = got[0]
    if not isinstance(value, dict):
        raise Refused("invalid_input", "M-VALUE-TYPE", pointer(tokens))
    # Members in the byte-wise order of their names (section 8), not as the document wrote them.
    for k, v in sorted(value.items(), key=lambda kv: kv[0].encode()):
        if v is None:
            continue
        out[k] = string_value(v, tokens + [k])
    return out


def key_of(value, tokens, key_type):
    where = pointer(tokens)
    if key_type == "objectid":
        if isinstance(value, str):
            return oid_text(value, where)
        if is_oid(value) and isinstance(value["$oid"], str):
            return oid_text(value["$oid"], where)
    elif isinstance(value, str):
        if key_type == "string":
            return value
        if re.fullmatch(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}", value):
            return value.lower()
        raise Refused("invalid_input", "M-KEY-TEXT", where)
    raise Refused("invalid_input", "M-KEY-TEXT", where)


def convert(mapping, doc_text, dicts, append, max_len=16 * 1024 * 1024):
    if len(doc_text) > max_len:
        raise Refused("limit", "M-DOC-SIZE", "")
    try:
        text = doc_text.decode("utf-8")
        if text.startswith("\ufeff"):
            text = text[1:]
        doc = read_json(text)
    except ValueError:
        raise Refused("invalid_input", "M-DOC-JSON", "")
    s = {}
    for f in ("user_id", "tenant_id", "token"):
        s[f] = string_value(*required(doc, mapping[f]))
    where = {}
    for f in ("issued_at", "expires_at"):
        steps, unit = mapping[f]
        value, tokens = required(doc, steps)
        where[f] = pointer(tokens)
        s[f] = time_value(value, tokens, unit, None)
    roles = []
    if "roles" in mapping:
        got = follow(doc, as_list(mapping["roles"]), string_value)
        if got is not MISSING:
            roles = got
    s["roles"] = roles
    s["settings"] = string_map(doc, mapping.get("settings"))
    s["attributes"] = string_map(doc, mapping.get("attributes"))
    keys = {}
    for f in ("facilities", "groups"):
        if f not in mapping:
            continue
        d = dicts[f]
        got = follow(doc, as_list(mapping[f]), lambda v, t: (key_of(v, t, d["key_type"]), t))
        keys[f] = [] if got is MISSING else got
    if s["issued_at"] > s["expires_at"]:
        raise Refused("invalid_input", "M-TIME-ORDER", where["expires_at"])
    if dicts["facilities"]["kind"] != "facility" or dicts["groups"]["kind"] != "group":
        raise Refused("wrong_dictionary", "M-DICT-KIND", "")
    added = {"facilities": [], "groups": []}
    lineages = {}
    for f in ("facilities", "groups"):
        s[f] = []
        if f not in keys:
            continue
        d = dicts[f]
        if d["tenant"] != s["tenant_id"]:
            raise Refused("wrong_dictionary", "M-DICT-TENANT", pointer(required(doc, mapping["tenant_id"])[1]))
        known = list(d["keys"])
        ids = set()
        for key, tokens in keys[f]:
            if key not in known:
                if not append:
                    raise Refused("invalid_input", "M-DICT-ABSENT", pointer(tokens))
                known.append(key)
                added[f].append(key)
            ids.add(known.index(key))
        s[f] = sorted(ids)
        lineages[f] = d["lineage"]
    # Default limits of SPEC.md section 8 are far above these vectors' sizes.
    out = {k: s[k] for k in ("user_id", "tenant_id", "token", "issued_at", "expires_at", "roles")}
    out["settings"] = dict(sorted(s["settings"].items(), key=lambda kv: kv[0].encode()))
    out["attributes"] = dict(sorted(s["attributes"].items(), key=lambda kv: kv[0].encode()))
    out["facilities"] = s["facilities"]
    out["groups"] = s["groups"]
    if "facilities" in lineages:
        out["facility_lineage"] = lineages["facilities"]
    if "groups" in lineages:
        out["group_lineage"] = lineages["groups"]
    return compact(out), added


# ---------------------------------------------------------------------------------------------


def put(name, data):
    path = os.path.join(HERE, name)
    if isinstance(data, str):
        data = data.encode()
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() != data:
                sys.exit("%s exists with other content: released vectors never change" % name)
        return
    with open(path, "wb") as f:
        f.write(data)
    print("wrote", name)


def main():
    for name, m in MAPPINGS.items():
        put(name, json.dumps(m, indent=2) + "\n")
    for name, text in RAW_MAPPINGS.items():
        put(name, text + "\n")
    for name, text in DOCUMENTS.items():
        put(name, text)
    by_file = {d["file"]: d for d in DICTIONARIES}
    cases = []
    for name, about, mapping, document, fdict, gdict, append, refusal in CASES:
        case = {"name": name, "about": about, "mapping": mapping, "document": document,
                "facility_dict": fdict, "group_dict": gdict, "append": append}
        dicts = {"facilities": by_file[fdict], "groups": by_file[gdict]}
        with open(os.path.join(HERE, mapping), "rb") as f:
            mapping_text = f.read()
        if isinstance(document, dict):
            n = document["bytes"]
            doc_text = b'{"pad":"' + b"x" * (n - 10) + b'"}'
        else:
            with open(os.path.join(HERE, document), "rb") as f:
                doc_text = f.read()
        try:
            got = convert(parse_mapping(mapping_text), doc_text, dicts, append)
            found = None
        except Refused as r:
            found = r.refusal
        if found != refusal:
            sys.exit("case %s: expected %s, this implementation finds %s" % (name, refusal, found))
        if refusal is None:
            text, added = got
            expect = name.replace("_", "-") + ".session.json"
            put(expect, text)
            case["expect"] = expect
            if append:
                case["facility_keys_added"] = added["facilities"]
                case["group_keys_added"] = added["groups"]
        else:
            case["refuse"] = refusal
        cases.append(case)
    manifest = {"dictionaries": DICTIONARIES, "cases": cases}
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    # The manifest only grows: its released cases stay as they are, new ones follow them.
    path = os.path.join(HERE, "manifest.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
        if old["dictionaries"] != DICTIONARIES or old["cases"] != cases[:len(old["cases"])]:
            sys.exit("manifest.json: its released cases differ from CASES: released vectors never change")
        if len(old["cases"]) < len(cases):
            os.remove(path)
    put("manifest.json", text)


if __name__ == "__main__":
    main()
