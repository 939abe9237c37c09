// The prior values a patch journals and the JSON patch that restores them.
#include "engine/kube/patch_undo.h"

#include <gtest/gtest.h>

namespace ferry::engine::kube {
namespace {

const json kHc = json::parse(R"({
  "metadata": {"name": "hc", "finalizers": ["a", "b"], "labels": {"x": "1"}},
  "spec": {"release": {"image": "i"}, "replicas": 3, "list": [1, 2, 3]}
})");

TEST(TouchedPaths, MergePatchLeavesAndAbsentPaths) {
  json merge = json::parse(R"({"spec": {"pausedUntil": "true", "replicas": 0, "release": {"image": "j"}}})");
  EXPECT_EQ(touched_paths(kHc, merge, nullptr), json::parse(R"([
    {"path": "/spec/pausedUntil", "absent": true},
    {"path": "/spec/release/image", "value": "i"},
    {"path": "/spec/replicas", "value": 3}])"));
}

TEST(TouchedPaths, MergeIntoAMissingObjectRecordsItsRoot) {
  json merge = json::parse(R"({"spec": {"etcd": {"managed": {"storage": {"x": 1}}}}, "metadata": {"finalizers": null}})");
  EXPECT_EQ(touched_paths(kHc, merge, nullptr), json::parse(R"([
    {"path": "/metadata/finalizers", "value": ["a", "b"]},
    {"path": "/spec/etcd", "absent": true}])"));
}

TEST(TouchedPaths, JsonPatchInsideAnArrayRecordsTheArray) {
  json ops = json::parse(R"([{"op": "remove", "path": "/metadata/finalizers/0"},
                             {"op": "test", "path": "/spec/replicas", "value": 3},
                             {"op": "add", "path": "/spec/list/-", "value": 4},
                             {"op": "move", "from": "/metadata/labels/x", "path": "/metadata/labels/y"}])");
  EXPECT_EQ(touched_paths(kHc, nullptr, ops), json::parse(R"([
    {"path": "/metadata/finalizers", "value": ["a", "b"]},
    {"path": "/metadata/labels/x", "value": "1"},
    {"path": "/metadata/labels/y", "absent": true},
    {"path": "/spec/list", "value": [1, 2, 3]}])"));
}

TEST(TouchedPaths, NestedPathsAreCoveredByTheirParent) {
  json ops = json::parse(R"([{"op": "replace", "path": "/spec", "value": {}},
                             {"op": "add", "path": "/spec-b", "value": 1},
                             {"op": "add", "path": "/spec/z", "value": 1}])");
  EXPECT_EQ(touched_paths(kHc, nullptr, ops), json::parse(R"([
    {"path": "/spec", "value": {"release": {"image": "i"}, "replicas": 3, "list": [1, 2, 3]}},
    {"path": "/spec-b", "absent": true}])"));
}

TEST(RestorePatch, PutsBackExactlyTheRecordedPaths) {
  json merge = json::parse(R"({"spec": {"pausedUntil": "true", "replicas": 0}, "metadata": {"finalizers": null}})");
  json paths = touched_paths(kHc, merge, nullptr);
  json after = kHc;
  after.merge_patch(merge);
  after["metadata"]["labels"]["changed-by-someone-else"] = "yes";
  json patch = restore_patch(after, paths);
  json restored = after.patch(patch);
  json want = kHc;
  want["metadata"]["labels"]["changed-by-someone-else"] = "yes";
  EXPECT_EQ(restored, want);
  EXPECT_TRUE(restore_patch(restored, paths).empty());
}

TEST(RestorePatch, RecreatesMissingParents) {
  json paths = json::parse(R"([{"path": "/spec/a/b", "value": 1}])");
  json current = json::parse(R"({"spec": {}})");
  EXPECT_EQ(current.patch(restore_patch(current, paths)), json::parse(R"({"spec": {"a": {"b": 1}}})"));
}

TEST(ValuesAt, OnlyTheTouchedPathsNotTheRestOfTheObject) {
  json after = json::parse(R"({
    "metadata": {"name": "hc", "labels": {"x": "1", "migrated": "yes"}},
    "spec": {"etcd": {"managed": {"storage": {"restoreSnapshotURL": "https://b/k?X-Amz-Signature=abc"}}}}
  })");
  json paths = json::parse(R"([{"path": "/metadata/labels/migrated", "absent": true},
                               {"path": "/spec/pausedUntil", "value": "true"}])");
  EXPECT_EQ(values_at(after, paths), json::parse(R"({"/metadata/labels/migrated": "yes"})"));
}

}  // namespace
}  // namespace ferry::engine::kube
