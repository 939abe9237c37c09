#include "dsl/types.h"

#include <gtest/gtest.h>

namespace ferry::dsl {

TEST(Types, ParsesDurations) {
  EXPECT_EQ(parse_duration("30s"), 30'000);
  EXPECT_EQ(parse_duration("1h30m"), 5'400'000);
  EXPECT_EQ(parse_duration("250ms"), 250);
  EXPECT_EQ(parse_duration("2d"), 172'800'000);
  EXPECT_EQ(parse_duration("90"), std::nullopt);
  EXPECT_EQ(parse_duration("1x"), std::nullopt);
  EXPECT_EQ(parse_duration(""), std::nullopt);
  EXPECT_EQ(parse_duration("s"), std::nullopt);
  EXPECT_EQ(parse_duration("99999999999999s"), std::nullopt);
}

TEST(Types, FormatsDurationsCanonically) {
  EXPECT_EQ(format_duration(90'000), "1m30s");
  EXPECT_EQ(format_duration(3'600'000), "1h");
  EXPECT_EQ(format_duration(1'500), "1s500ms");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(*parse_duration("120m")), "2h");
}

TEST(Types, ParsesAndSpellsTypes) {
  for (std::string spelling : {"string", "int", "list(string)", "map(list(int))", "duration", "cluster"}) {
    auto type = parse_type(spelling);
    ASSERT_TRUE(type) << spelling;
    EXPECT_EQ(type->str(), spelling);
  }
  EXPECT_EQ(parse_type("enum(a, b)")->str(), "enum(\"a\", \"b\")");
  EXPECT_FALSE(parse_type("strng"));
  EXPECT_FALSE(parse_type("list(strng)"));
}

TEST(Types, TellsSymbolicValuesApart) {
  EXPECT_TRUE(is_symbolic(json{{"$ref", "snap[etcd-0]"}}));
  EXPECT_FALSE(is_symbolic(json{{"ref", "x"}}));
  EXPECT_FALSE(is_symbolic(json::object()));
  EXPECT_TRUE(contains_symbolic(json::array({1, json{{"$secret", "token"}}})));
  EXPECT_FALSE(contains_symbolic(json{{"a", json::array({1, 2})}}));
}

}  // namespace ferry::dsl
