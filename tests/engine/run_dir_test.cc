// The run directory on its own: what it creates, what it refuses, and what it reads back.
#include "engine/run/run_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "engine/base/durable_file.h"
#include "engine/base/identity.h"
#include "engine/run/saved_plan.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;
using testing::compile_text;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("ferry-run-dir-test-" + std::to_string(getpid()));
  TempDir() { fs::remove_all(path); }
  ~TempDir() { fs::remove_all(path); }
};

// A run directory as `ferry apply` leaves it: plan.json and a journal with one event.
void make_run(const std::string& dir, const dsl::Ir& ir) {
  SavedPlanText saved = saved_plan_text(ir, "plan.ferry");
  std::string error;
  ASSERT_TRUE(write_file_durably(plan_file(dir), saved.text, &error)) << error;
  Redactor redactor;
  auto journal = JournalWriter::open(journal_file(dir), journal_header(ir, saved.hash, "plan.ferry", "9.9.9"),
                                     &redactor, &error);
  ASSERT_TRUE(journal) << error;
  ASSERT_TRUE(journal->append({{"t", 1}, {"event", "step_succeeded"}, {"step", "a"}, {"outputs", json::object()}}, &error));
}

TEST(RunDir, IsCreated0700AndAnOccupiedOneIsRefused) {
  TempDir tmp;
  std::string error;
  auto dir = create_run_dir((tmp.path / "run").string(), "p", &error);
  ASSERT_TRUE(dir) << error;
  struct stat st;
  ASSERT_EQ(stat(dir->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::ofstream(*dir + "/journal.jsonl") << "{}\n";
  EXPECT_FALSE(create_run_dir(*dir, "p", &error));
  EXPECT_NE(error.find("already holds a run; resume it with `ferry resume"), std::string::npos) << error;
}

TEST(RunDir, ReadsBackThePlanAndTheStateTheJournalHolds) {
  TempDir tmp;
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step a = noop {}  step b = noop { after = [a] } } })");
  std::string error;
  auto dir = create_run_dir((tmp.path / "run").string(), "p", &error);
  ASSERT_TRUE(dir) << error;
  make_run(*dir, ir);
  auto run = read_run_dir(*dir, &error);
  ASSERT_TRUE(run) << error;
  EXPECT_EQ(run->hash, dsl::ir_hash(ir));
  EXPECT_EQ(run->state.header.value("ferry_version", ""), "9.9.9");
  // Who started the run, where: what a change ticket or a postmortem asks first (`ferry report`).
  EXPECT_EQ(run->state.header.value("user", ""), user_name());
  EXPECT_EQ(run->state.header.value("host", ""), host_name());
  EXPECT_FALSE(user_name().empty());
  EXPECT_EQ(run->state.steps["a"].state, StepState::kSucceeded);
  EXPECT_TRUE(run->ir.find("b"));
  EXPECT_EQ(run->source, plan_file(*dir));
}

TEST(RunDir, AnotherPlansPlanJsonIsRefusedWithWhatToPutBack) {
  TempDir tmp;
  dsl::Ir ir = compile_text(R"(plan "p" { phase a { step a = noop {} } })");
  dsl::Ir other = compile_text(R"(plan "p" { phase a { step a = noop {}  step z = noop {} } })");
  std::string error;
  auto dir = create_run_dir((tmp.path / "run").string(), "p", &error);
  ASSERT_TRUE(dir) << error;
  make_run(*dir, ir);
  ASSERT_TRUE(write_file_durably(plan_file(*dir), saved_plan_text(other, "plan.ferry").text, &error));
  EXPECT_FALSE(read_run_dir(*dir, &error));
  EXPECT_NE(error.find("not the journal's"), std::string::npos) << error;
  EXPECT_NE(error.find("put back its plan.json"), std::string::npos) << error;
}

}  // namespace
}  // namespace ferry::engine
