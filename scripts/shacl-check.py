#!/usr/bin/env python3
"""SHACL check of an RDF graph (N-Triples/N-Quads, as microcred's JSON-LD processor writes it)
against shapes (Turtle), with pySHACL. Prints one JSON object:
{"conforms": bool, "violations": [{"focus", "path", "message"}]}.

Usage: shacl-check.py SHAPES.ttl DATA.nt
"""
import json
import sys

try:
    import pyshacl
    import rdflib
except ImportError:
    sys.exit("pySHACL is not installed: pip install pyshacl==0.40.0 (scripts/test.sh does this)")

shapes = rdflib.Graph().parse(sys.argv[1], format="turtle")
data = rdflib.Graph().parse(sys.argv[2], format="nt")
conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
violations = []
for r in report.subjects(rdflib.RDF.type, SH.ValidationResult):
    violations.append({
        "focus": str(report.value(r, SH.focusNode)),
        "path": str(report.value(r, SH.resultPath)),
        "message": str(report.value(r, SH.resultMessage)),
    })
print(json.dumps({"conforms": bool(conforms), "triples": len(data), "violations": violations}))
