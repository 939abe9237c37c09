#include "engine/diff/git_show.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ferry::diff {
namespace {

TEST(GitSpec, RevisionColonPathUnlessAFileHasThatName) {
  EXPECT_TRUE(is_git_spec("main:plans/controlplane.ferry"));
  EXPECT_TRUE(is_git_spec("HEAD~2:./plan.toml"));
  EXPECT_FALSE(is_git_spec("plans/controlplane.ferry"));
  EXPECT_FALSE(is_git_spec(":plan.ferry"));  // no revision
  EXPECT_FALSE(is_git_spec("main:"));        // no path
  // A file whose name has a colon is a file.
  auto path = std::filesystem::temp_directory_path() / ("ferry-diff-test:" + std::to_string(::getpid()) + ".ferry");
  std::ofstream(path) << "plan \"x\" {}\n";
  EXPECT_FALSE(is_git_spec(path.string()));
  std::filesystem::remove(path);
}

TEST(GitShow, MissingRevisionIsAnErrorNamingIt) {
  std::string contents, error;
  EXPECT_FALSE(git_show("no-such-revision-anywhere:plan.ferry", &contents, &error));
  EXPECT_NE(error.find("cannot read 'no-such-revision-anywhere:plan.ferry' from git"), std::string::npos) << error;
}

}  // namespace
}  // namespace ferry::diff
