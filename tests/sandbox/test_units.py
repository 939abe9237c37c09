"""Unit tests of the simulator's parts that need no server: the YAML reader, the CEL subset, schema
validation messages, JSON / merge patches, selectors and the protobuf envelope."""

import glob
import json
import os
import unittest

import apisim
import simcel
import simproto
import simschema
import simyaml
from simtest import CRDS, CRD_TESTS, needs


class TestYaml(unittest.TestCase):
    def test_block_and_flow(self):
        doc = simyaml.load("""
a: 1
b: "two\\tx"
c: 'it''s'
d:
- x
- k: v
  n: [1, 2, {z: true}]
e: |-
  line1
  line2
f: >
  folded
  text
g: plain scalar
  continued here
h: ~
i: {}
list:
- - nested
""")
        self.assertEqual(doc, {"a": 1, "b": "two\tx", "c": "it's", "d": ["x", {"k": "v", "n": [1, 2, {"z": True}]}],
                               "e": "line1\nline2", "f": "folded text\n", "g": "plain scalar continued here",
                               "h": None, "i": {}, "list": [["nested"]]})

    def test_multiline_quoted(self):
        doc = simyaml.load("""
m: 'type must not be one of: Ready,
  Available'
r: "a \\
  b"
""")
        self.assertEqual(doc, {"m": "type must not be one of: Ready, Available", "r": "a b"})

    def test_documents(self):
        self.assertEqual(simyaml.load_all("a: 1\n---\nb: 2\n"), [{"a": 1}, {"b": 2}])

    @needs(os.path.isdir(CRDS), "no CRDs")
    def test_every_crd_parses(self):
        files = glob.glob(os.path.join(CRDS, "*.yaml"))
        self.assertEqual(len(files), 10)
        for path in files:
            with open(path) as f:
                crd = simyaml.load(f.read())
            self.assertEqual(crd["kind"], "CustomResourceDefinition", path)
            for v in crd["spec"]["versions"]:
                self.assertEqual(v["schema"]["openAPIV3Schema"]["type"], "object")

    @needs(os.path.isdir(CRDS), "no CRDs")
    def test_crd_rule_text(self):
        with open(os.path.join(CRDS, "hostedclusters-Hypershift-Default.crd.yaml")) as f:
            crd = simyaml.load(f.read())
        s = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        url = s["properties"]["spec"]["properties"]["etcd"]["properties"]["managed"]["properties"]["storage"][
            "properties"]["restoreSnapshotURL"]
        self.assertEqual([r["message"] for r in url["x-kubernetes-validations"]],
                         ["RestoreSnapshotURL shouldn't contain more than 1 entry", "restoreSnapshotURL is immutable",
                          "restoreSnapshotURL must be a valid URL with scheme https or s3"])
        self.assertEqual(url["x-kubernetes-validations"][2]["rule"], "self.size() == 0 || self[0].matches('^(https|s3)://.*')")


class TestCel(unittest.TestCase):
    def ev(self, rule, self_val, old=simcel.ABSENT):
        return simcel.compile_rule(rule).eval(self_val, old)

    def test_rules(self):
        self.assertTrue(self.ev("self.size() <= 1", ["a"]))
        self.assertFalse(self.ev("self.size() <= 1", ["a", "b"]))
        self.assertTrue(self.ev("self.size() == 0 || self[0].matches('^(https|s3)://.*')", ["s3://b/k"]))
        self.assertFalse(self.ev("self.size() == 0 || self[0].matches('^(https|s3)://.*')", ["http://b/k"]))
        self.assertFalse(self.ev("self == oldSelf", ["a"], ["b"]))
        self.assertTrue(self.ev("has(self.x) == has(oldSelf.x)", {"x": 1}, {"x": 2}))
        self.assertFalse(self.ev("has(self.x) == has(oldSelf.x)", {}, {"x": 2}))
        self.assertTrue(self.ev("self.type == 'Route' ? !has(self.nodePort) && !has(self.loadBalancer) : !has(self.route)",
                                {"type": "Route", "route": {}}))
        self.assertTrue(self.ev("self.all(x, self.exists_one(y, x == y))", ["a", "b"]))
        self.assertFalse(self.ev("self.all(x, self.exists_one(y, x == y))", ["a", "a"]))
        self.assertEqual(self.ev("[1, 2, 3].filter(x, x > 1).size()", None), 2)
        self.assertTrue(self.ev("self.?a.b.orValue('') == ''", {}))
        self.assertTrue(self.ev("isCIDR(self) && cidr(self).prefixLength() <= 30", "10.0.0.0/16"))
        self.assertTrue(self.ev("int(self.split('/')[1]) <= 30", "10.0.0.0/16"))
        self.assertTrue(self.ev("duration(self).getSeconds() >= 300", "5m"))
        self.assertTrue(self.ev("url(self).getScheme() == 'https'", "https://x/y"))

    def test_unsupported_is_reported(self):
        with self.assertRaises(simcel.Unsupported):
            simcel.compile_rule("self.frobnicate() ~ 3")

    @needs(os.path.isdir(CRDS), "no CRDs")
    def test_every_rule_in_the_crds_compiles(self):
        rules = set()

        def walk(n):
            if isinstance(n, dict):
                for v in n.get("x-kubernetes-validations") or []:
                    rules.add(v["rule"])
                for v in n.values():
                    walk(v)
            elif isinstance(n, list):
                for v in n:
                    walk(v)
        for path in glob.glob(os.path.join(CRDS, "*.yaml")):
            with open(path) as f:
                walk(simyaml.load(f.read()))
        self.assertGreater(len(rules), 100)
        for r in rules:
            simcel.compile_rule(r)


class TestSchema(unittest.TestCase):
    schema = {"type": "object", "properties": {
        "spec": {"type": "object", "required": ["mode"], "properties": {
            "mode": {"type": "string", "enum": ["A", "B"]},
            "n": {"type": "integer", "minimum": 0},
            "urls": {"type": "array", "maxItems": 1, "items": {"type": "string", "maxLength": 5},
                     "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "urls is immutable"}]},
            "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "d": {"type": "string", "default": "dflt"}}}}}

    def test_messages(self):
        obj = {"spec": {"mode": "C", "n": "x", "urls": ["123456", "b"], "extra": 1, "free": {"any": 1}}}
        errs, unknown = simschema.validate(self.schema, obj)
        self.assertEqual(unknown, ["spec.extra"])
        self.assertNotIn("extra", obj["spec"])
        self.assertIn({"any": 1}, [obj["spec"]["free"]])
        self.assertEqual(errs, [
            ("spec.mode", "FieldValueNotSupported", 'Unsupported value: "C": supported values: "A", "B"'),
            ("spec.n", "FieldValueTypeInvalid", 'Invalid value: "string": spec.n in body must be of type integer: "string"'),
            ("spec.urls", "FieldValueTooMany", "Too many: 2: must have at most 1 items"),
            ("spec.urls[0]", "FieldValueTooLong", "Too long: may not be more than 5 bytes")])

    def test_required_defaults_and_transition_rules(self):
        obj = {"spec": {}}
        simschema.apply_defaults(self.schema, obj)
        self.assertEqual(obj["spec"]["d"], "dflt")
        errs, _ = simschema.validate(self.schema, obj)
        self.assertEqual(errs, [("spec.mode", "FieldValueRequired", "Required value")])
        new = {"spec": {"mode": "A", "urls": ["b"]}}
        self.assertEqual(simschema.validate(self.schema, new)[0], [])          # create: no oldSelf
        errs, _ = simschema.validate(self.schema, new, {"spec": {"mode": "A", "urls": ["a"]}})
        self.assertEqual(errs, [("spec.urls", "FieldValueInvalid", 'Invalid value: "array": urls is immutable')])


class TestPatches(unittest.TestCase):
    def test_merge_patch(self):
        self.assertEqual(apisim.merge_patch({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": None, "d": 3}, "l": [2]}),
                         {"a": {"c": 2, "d": 3}, "l": [2]})

    def test_json_patch(self):
        doc = {"metadata": {"finalizers": ["x"]}, "spec": {"l": [1, 2]}}
        out = apisim.json_patch(doc, [{"op": "remove", "path": "/metadata/finalizers"},
                                      {"op": "add", "path": "/spec/l/-", "value": 3},
                                      {"op": "replace", "path": "/spec/l/0", "value": 0},
                                      {"op": "copy", "from": "/spec/l", "path": "/spec/m"},
                                      {"op": "move", "from": "/spec/m", "path": "/spec/n"},
                                      {"op": "test", "path": "/spec/n/2", "value": 3}])
        self.assertEqual(out, {"metadata": {}, "spec": {"l": [0, 2, 3], "n": [0, 2, 3]}})
        self.assertEqual(doc["metadata"]["finalizers"], ["x"])
        with self.assertRaises(apisim.JsonPatchError):
            apisim.json_patch(out, [{"op": "remove", "path": "/metadata/finalizers"}])
        with self.assertRaises(apisim.JsonPatchError):
            apisim.json_patch(out, [{"op": "test", "path": "/spec/l/0", "value": 9}])

    def test_strategic_merge_patch(self):
        dep = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:1", "args": ["x"]},
                                                             {"name": "b", "image": "b:1"}]}}},
               "metadata": {"finalizers": ["f1"], "labels": {"x": "1"}}}
        out = apisim.strategic_merge_patch(dep, {
            "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:2"},
                                                          {"name": "b", "$patch": "delete"},
                                                          {"name": "c", "image": "c:1"}]}}},
            "metadata": {"finalizers": ["f2"], "labels": {"x": None}}})
        self.assertEqual(out["spec"]["template"]["spec"]["containers"],
                         [{"name": "a", "image": "a:2", "args": ["x"]}, {"name": "c", "image": "c:1"}])
        self.assertEqual(out["metadata"], {"finalizers": ["f1", "f2"], "labels": {}})
        out = apisim.strategic_merge_patch(out, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["f1"]}})
        self.assertEqual(out["metadata"]["finalizers"], ["f2"])

    def test_remove_dropped(self):
        obj = {"data": {"a": 1, "b": 2}, "metadata": {"labels": {"x": "1"}, "name": "n"}}
        apisim._remove_dropped(obj, {"data": {"a": 1, "b": 2}, "metadata": {"labels": {"x": "1"}}},
                               {"data": {"a": 1}, "metadata": {}})
        self.assertEqual(obj, {"data": {"a": 1}, "metadata": {"name": "n"}})


class TestSelectors(unittest.TestCase):
    def test_labels(self):
        reqs = apisim.parse_label_selector("app=etcd,tier!=x,zone in (a, b),!gone,present")
        self.assertTrue(apisim.labels_match({"app": "etcd", "zone": "a", "present": ""}, reqs))
        self.assertFalse(apisim.labels_match({"app": "etcd", "zone": "c", "present": ""}, reqs))
        self.assertFalse(apisim.labels_match({"app": "etcd", "zone": "a", "present": "", "gone": "1"}, reqs))
        self.assertFalse(apisim.labels_match({"app": "etcd", "zone": "a"}, reqs))

    def test_fields(self):
        obj = {"metadata": {"name": "n", "namespace": "ns"}, "status": {"phase": "Running"}}
        self.assertTrue(apisim.fields_match(obj, apisim.parse_field_selector("metadata.name=n,status.phase!=Failed")))
        self.assertFalse(apisim.fields_match(obj, apisim.parse_field_selector("metadata.name==m")))

    def test_jsonpath_for_printer_columns(self):
        o = {"status": {"conditions": [{"type": "Progressing", "status": "False"},
                                       {"type": "Available", "status": "True", "message": "ok"}],
                        "history": [{"state": "Completed", "version": "4.15"}]}}
        self.assertEqual(apisim.jsonpath_get(o, '.status.conditions[?(@.type=="Available")].status'), ["True"])
        self.assertEqual(apisim.jsonpath_get(o, '.status.history[?(@.state!="")].state'), ["Completed"])
        self.assertEqual(apisim.jsonpath_get(o, ".status.history[0].version"), ["4.15"])
        self.assertEqual(apisim.jsonpath_get(o, ".status.nothing"), [])

    def test_human_duration(self):
        self.assertEqual([apisim.human_duration(s) for s in (5, 150, 3600 * 5, 86400 * 3)],
                         ["5s", "2m30s", "5h", "3d"])


class TestProtobuf(unittest.TestCase):
    @staticmethod
    def field(num, payload):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload)
        out = bytes([(num << 3) | 2])
        while True:
            b = n & 0x7F
            n >>= 7
            out += bytes([b | (0x80 if n else 0)])
            if not n:
                return out + payload

    def test_configmap_envelope(self):
        f = self.field
        meta = f(1, "cm") + f(3, "ns") + f(11, f(1, "app") + f(2, "x"))
        raw = f(1, meta) + f(2, f(1, "from") + f(2, "jdoe-dev"))
        body = simproto.MAGIC + f(1, f(1, "v1") + f(2, "ConfigMap")) + f(2, raw)
        self.assertEqual(simproto.decode(body), {"apiVersion": "v1", "kind": "ConfigMap",
                                                 "metadata": {"name": "cm", "namespace": "ns", "labels": {"app": "x"}},
                                                 "data": {"from": "jdoe-dev"}})
        with self.assertRaises(simproto.ProtoError):
            simproto.decode(simproto.MAGIC + f(1, f(1, "apps/v1") + f(2, "Deployment")))


@needs(os.path.isdir(CRDS), "no CRDs")
class TestFixtures(unittest.TestCase):
    def test_fixtures_load_and_validate(self):
        types, docs = apisim.load_crds(CRDS)
        counts = {}
        for name in ("source", "destination", "hosted"):
            c = apisim.Cluster(name, apisim.builtin_types() + types, docs, "/nonexistent")
            apisim.seed(c, os.path.join(os.path.dirname(__file__), "fixtures", name + ".json"))
            counts[name] = {t.kind: len(c.objects[t.key]) for t in c.types if c.objects[t.key]}
        src = counts["source"]
        self.assertEqual((src["HostedCluster"], src["NodePool"], src["HostedControlPlane"], src["Cluster"]), (1, 3, 1, 1))
        self.assertEqual((src["Machine"], src["AWSMachine"], src["MachineSet"], src["MachineDeployment"]), (3, 3, 2, 2))
        self.assertEqual(src["Pod"], 3)
        self.assertEqual(counts["hosted"]["Node"], 3)
        self.assertNotIn("HostedCluster", counts["destination"])

    def test_fixture_json_is_what_the_generator_writes(self):
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
        import importlib.util
        spec = importlib.util.spec_from_file_location("make_fixtures", os.path.join(here, "make_fixtures.py"))
        mf = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mf)
        for name in ("source", "destination", "hosted"):
            with open(os.path.join(here, name + ".json")) as f:
                self.assertEqual(json.load(f), json.loads(json.dumps(getattr(mf, name)())), name)


@needs(os.path.isdir(CRD_TESTS), "no crd-tests")
class TestCrdSuiteAtSchemaLevel(unittest.TestCase):
    def test_expected_errors(self):
        types, _ = apisim.load_crds(CRDS)
        hc = next(t for t in types if t.kind == "HostedCluster")
        schema = hc.schemas["v1beta1"]
        with open(os.path.join(CRD_TESTS, "stable.hostedclusters.etcd.testsuite.yaml")) as f:
            suite = simyaml.load(f.read())

        def errors(text, old=None):
            o = simyaml.load(text)
            o["metadata"] = {"name": "x"}
            simschema.apply_defaults(schema, o)
            return o, " ".join(m for _, _, m in simschema.validate(schema, o, old)[0])
        for case in suite["tests"]["onCreate"]:
            _, msg = errors(case["initial"])
            if case.get("expectedError"):
                self.assertIn(case["expectedError"], msg, case["name"])
            else:
                self.assertEqual(msg, "", case["name"])
        for case in suite["tests"]["onUpdate"]:
            old, msg = errors(case["initial"])
            self.assertEqual(msg, "")
            _, msg = errors(case["updated"], old)
            if case.get("expectedError"):
                self.assertIn(case["expectedError"], msg, case["name"])
            else:
                self.assertEqual(msg, "", case["name"])


if __name__ == "__main__":
    unittest.main()
