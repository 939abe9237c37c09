#include "dsl/spelling.h"

#include <gtest/gtest.h>

namespace ferry::dsl {

TEST(Spelling, EditDistanceCountsInsertionsDeletionsAndSubstitutions) {
  EXPECT_EQ(edit_distance("namespace", "namespace", 3), 0u);
  EXPECT_EQ(edit_distance("namespce", "namespace", 3), 1u);
  EXPECT_EQ(edit_distance("nmespac", "namespace", 3), 2u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 5), 3u);
}

TEST(Spelling, ASwapOfNeighboursIsOneEdit) {
  EXPECT_EQ(edit_distance("stpe", "step", 3), 1u);
  EXPECT_EQ(edit_distance("scael", "scale", 3), 1u);
  EXPECT_EQ(did_you_mean("puase", {"pause", "patch"}), "; did you mean 'pause'?");
}

TEST(Spelling, EditDistanceStopsPastTheLimit) { EXPECT_EQ(edit_distance("a", "abcdefgh", 2), 3u); }

TEST(Spelling, SuggestsTheClosestCandidate) {
  std::vector<std::string> fields = {"namespace", "names", "replicas", "kind"};
  EXPECT_EQ(did_you_mean("replcas", fields), "; did you mean 'replicas'?");
  EXPECT_EQ(did_you_mean("nmes", fields), "; did you mean 'names'?");
}

TEST(Spelling, SuggestsNothingForAnUnrelatedWord) {
  EXPECT_EQ(did_you_mean("zzzzzz", {"namespace", "kind"}), "");
  EXPECT_EQ(did_you_mean("x", {}), "");
}

TEST(Spelling, ListsAFewNamesAndNotMany) {
  EXPECT_EQ(listed_names("its fields", {"names", "replicas"}), " (its fields: names, replicas)");
  EXPECT_EQ(listed_names("its fields", {}), "");
  EXPECT_EQ(listed_names("its fields", std::vector<std::string>(kListedNamesAtMost + 1, "x")), "");
}

}  // namespace ferry::dsl
