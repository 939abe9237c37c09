#include "engine/diff/field_changes.h"

#include <gtest/gtest.h>

namespace ferry::diff {
namespace {

std::vector<std::string> paths(const std::vector<FieldChange>& changes) {
  std::vector<std::string> out;
  for (const FieldChange& c : changes) out.push_back(c.path);
  return out;
}

TEST(FieldChanges, NestedMapsByKey) {
  json a = {{"args", {{"merge", {{"spec", {{"pausedUntil", "true"}}}}}}}};
  json b = {{"args", {{"merge", {{"spec", {{"pausedUntil", "false"}}}}}}}};
  auto changes = field_changes(a, b);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].path, "args.merge.spec.pausedUntil");
  EXPECT_EQ(changes[0].old_value, "true");
  EXPECT_EQ(changes[0].new_value, "false");
  EXPECT_TRUE(changes[0].has_old && changes[0].has_new);
}

TEST(FieldChanges, ListItemsByIndexInOrder) {
  json a = {{"names", {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}}};
  json b = {{"names", {"a", "B"}}};
  auto changes = field_changes(a, b);
  ASSERT_EQ(changes.size(), 11u);
  EXPECT_EQ(changes[0].path, "names[1]");
  EXPECT_EQ(changes[1].path, "names[2]");
  EXPECT_EQ(changes[10].path, "names[11]");  // numeric order: [2] before [10]
  EXPECT_FALSE(changes[1].has_new);
  EXPECT_EQ(changes[1].old_value, "c");
}

TEST(FieldChanges, AppendedItemsGetTheirIndex) {
  auto changes = field_changes({{"names", {"a"}}}, {{"names", {"a", "b", "c"}}});
  EXPECT_EQ(paths(changes), (std::vector<std::string>{"names[1]", "names[2]"}));
  EXPECT_FALSE(changes[0].has_old);
  EXPECT_EQ(changes[1].new_value, "c");
}

TEST(FieldChanges, KeysThatAreNotNamesAreQuoted) {
  json a = {{"set", {{"app.kubernetes.io/name", "x"}, {"0", 1}, {"a~b", 1}}}};
  json b = {{"set", {{"app.kubernetes.io/name", "y"}, {"0", 2}, {"a~b", 2}}}};
  EXPECT_EQ(paths(field_changes(a, b)),
            (std::vector<std::string>{"set[\"0\"]", "set[\"app.kubernetes.io/name\"]", "set[\"a~b\"]"}));
}

TEST(FieldChanges, AddedAndRemovedFields) {
  auto changes = field_changes({{"timeout", "5m"}}, {{"when", {{"$ref", "x"}}}});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].path, "timeout");
  EXPECT_FALSE(changes[0].has_new);
  EXPECT_EQ(changes[1].path, "when");
  EXPECT_FALSE(changes[1].has_old);
  EXPECT_EQ(changes[1].new_value, json({{"$ref", "x"}}));
}

TEST(FieldChanges, SymbolicValuesCompareAsJson) {
  json a = {{"url", {{"$ref", "etcd[etcd-0].upload"}, {"output", {"url"}}}}};
  json b = {{"url", {{"$ref", "etcd[etcd-1].upload"}, {"output", {"url"}}}}};
  EXPECT_EQ(paths(field_changes(a, b)), std::vector<std::string>{"url.$ref"});
  EXPECT_TRUE(field_changes(a, a).empty());
}

}  // namespace
}  // namespace ferry::diff
