// Markdown that quotes what it shows, whatever that holds.
#include "engine/base/markdown.h"
#include "engine/base/markup.h"

#include <gtest/gtest.h>

namespace ferry::engine {
namespace {

TEST(Markdown, ACodeSpanIsFencedLongerThanTheBackticksItHolds) {
  EXPECT_EQ(markdown_code("kubectl get pods"), "`kubectl get pods`");
  EXPECT_EQ(markdown_code("echo `date`"), "`` echo `date` ``");
  EXPECT_EQ(markdown_code("a``b"), "``` a``b ```");
  EXPECT_EQ(markdown_code("a|b"), "`a|b`");
  EXPECT_EQ(markdown_table_code("a|b"), "`a\\|b`");
}

TEST(Markdown, ACodeBlockIsFencedLongerThanTheBackticksItHolds) {
  EXPECT_EQ(markdown_block("{}", "json"), "```json\n{}\n```\n");
  EXPECT_EQ(markdown_block("a\n````\nb\n", ""), "`````\na\n````\nb\n`````\n");
}

TEST(Markdown, HtmlEscapeLeavesNoTag) {
  EXPECT_EQ(xml_escape("<a href=\"x\">&'</a>"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace ferry::engine
