#!/usr/bin/env python3
"""Checks META.json against the PGXN Meta Spec 1.0.0 and the repository.

Debian has no PGXN::Meta::Validator, so this checks what the spec requires
(keys, SemVer versions, license, provides, prereqs) and what must agree
with the tree (the control file's version, the files that provides names).
Prints one line per problem and exits 1 if there is any.
"""
import json
import os
import re
import sys

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+)?$")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
            "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
            "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay",
            "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}
PHASES = {"configure", "build", "test", "runtime", "develop"}
RELATIONS = {"requires", "recommends", "suggests", "conflicts"}


def main(path):
    problems = []
    root = os.path.dirname(os.path.abspath(path))
    with open(path) as f:
        meta = json.load(f)

    for key in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec"):
        if key not in meta:
            problems.append(f"missing required key {key!r}")
    if meta.get("meta-spec", {}).get("version") != "1.0.0":
        problems.append("meta-spec.version must be 1.0.0")
    if not SEMVER.match(meta.get("version", "")):
        problems.append(f"version {meta.get('version')!r} is not SemVer")
    if not re.match(r"^[A-Za-z0-9_-]{2,}$", meta.get("name", "")):
        problems.append("name must be at least two characters of letters, digits, - or _")
    lic = meta.get("license")
    names = [lic] if isinstance(lic, str) else list(lic or {}) if isinstance(lic, dict) else []
    if not names or any(isinstance(lic, str) and n not in LICENSES for n in names):
        problems.append(f"license {lic!r} is not a known license string or a name -> URL map")
    if meta.get("release_status", "stable") not in ("stable", "testing", "unstable"):
        problems.append("release_status must be stable, testing or unstable")

    for ext, spec in meta.get("provides", {}).items():
        for key in ("file", "version"):
            if key not in spec:
                problems.append(f"provides.{ext} lacks {key!r}")
        if not SEMVER.match(spec.get("version", "")):
            problems.append(f"provides.{ext}.version is not SemVer")
        for key in ("file", "docfile"):
            if key in spec and not os.path.exists(os.path.join(root, spec[key])):
                problems.append(f"provides.{ext}.{key} {spec[key]!r} does not exist")
        control = os.path.join(root, f"{ext}.control")
        if os.path.exists(control):
            m = re.search(r"^default_version\s*=\s*'([^']*)'", open(control).read(), re.M)
            if not m or m.group(1) != spec.get("version"):
                problems.append(f"{ext}.control default_version does not match provides.{ext}.version")

    for phase, relations in meta.get("prereqs", {}).items():
        if phase not in PHASES:
            problems.append(f"prereqs phase {phase!r} is not one of {sorted(PHASES)}")
        for relation, reqs in relations.items():
            if relation not in RELATIONS:
                problems.append(f"prereqs.{phase}.{relation} is not one of {sorted(RELATIONS)}")
            for name, version in reqs.items():
                if not (version == 0 or SEMVER.match(str(version))):
                    problems.append(f"prereqs.{phase}.{relation}.{name} {version!r} is not SemVer")

    for p in problems:
        print(f"META.json: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "META.json"))
