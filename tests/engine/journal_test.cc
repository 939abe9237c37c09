// The journal: what is written is what is read back, a torn last line is ignored, a foreign
// or newer file is refused; and replay() rebuilds each step's state from the events.
#include "engine/run/journal.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/run/run_state.h"

namespace ferry::engine {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ferry-journal-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "journal.jsonl").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<JournalWriter> open() {
    std::string error;
    auto w = JournalWriter::open(path_, {{"ferry_journal", kJournalVersion}, {"plan", "p"}}, &redactor_, &error);
    EXPECT_TRUE(w) << error;
    return w;
  }
  void append_raw(const std::string& text) { std::ofstream(path_, std::ios::app) << text; }

  fs::path dir_;
  std::string path_;
  Redactor redactor_;
};

TEST_F(JournalTest, WritesEventsThatReadBackInOrderWithMode0600) {
  auto w = open();
  std::string error;
  ASSERT_TRUE(w->append({{"t", 1}, {"event", "step_started"}, {"step", "a"}, {"attempt", 1}}, &error));
  ASSERT_TRUE(w->append({{"t", 2}, {"event", "step_succeeded"}, {"step", "a"}, {"outputs", {{"x", 1}}}}, &error));
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto j = read_journal(path_, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(j->header["plan"], "p");
  ASSERT_EQ(j->events.size(), 2u);
  EXPECT_EQ(j->events[1]["event"], "step_succeeded");
  EXPECT_EQ(j->events[1]["t"], 2);
  EXPECT_TRUE(j->torn_lines.empty());
}

TEST_F(JournalTest, ATornLastLineIsIgnoredAndAReopenEndsIt) {
  {
    auto w = open();
    std::string error;
    ASSERT_TRUE(w->append({{"t", 1}, {"event", "step_started"}, {"step", "a"}}, &error));
  }
  append_raw(R"({"t":2,"event":"step_succ)");
  std::string error;
  auto j = read_journal(path_, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(j->events.size(), 1u);
  EXPECT_EQ(j->torn_lines, std::vector<size_t>{3});
  // Resuming cuts the torn line off before appending: every line but the last stays whole.
  auto w = open();
  ASSERT_TRUE(w->append({{"t", 3}, {"event", "step_succeeded"}, {"step", "a"}}, &error));
  j = read_journal(path_, &error);
  ASSERT_TRUE(j) << error;
  ASSERT_EQ(j->events.size(), 2u);
  EXPECT_EQ(j->events[1]["event"], "step_succeeded");
  EXPECT_TRUE(j->torn_lines.empty());
}

TEST_F(JournalTest, ABadLineInTheMiddleIsCorruptionNotACrash) {
  {
    auto w = open();
    std::string error;
    ASSERT_TRUE(w->append({{"t", 1}, {"event", "step_started"}, {"step", "a"}}, &error));
  }
  append_raw("{\"t\":2,\"event\":\"step_succ\n");  // a whole line (it has its newline) that is no event
  append_raw(R"({"t":3,"event":"step_started","step":"b"})" "\n");
  std::string error;
  EXPECT_FALSE(read_journal(path_, &error));
  EXPECT_NE(error.find("journal.jsonl:3: the journal is damaged"), std::string::npos) << error;
  EXPECT_NE(error.find("before resuming"), std::string::npos) << error;
}

TEST_F(JournalTest, ABinaryLastLineWithItsNewlineIsCorruptionWithoutItATornLine) {
  {
    auto w = open();
    std::string error;
    ASSERT_TRUE(w->append({{"t", 1}, {"event", "step_started"}, {"step", "a"}}, &error));
  }
  append_raw(std::string("\x00\x01\xff\xfe", 4));
  std::string error;
  auto j = read_journal(path_, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(j->torn_lines, std::vector<size_t>{3});
  append_raw("\n");
  EXPECT_FALSE(read_journal(path_, &error));
  EXPECT_NE(error.find(":3: the journal is damaged"), std::string::npos) << error;
}

TEST_F(JournalTest, AJournalCutInsideItsHeaderGetsItAgain) {
  append_raw(R"({"ferry_journal":1,"pl)");
  auto w = open();
  std::string error;
  ASSERT_TRUE(w->append({{"t", 1}, {"event", "run_started"}}, &error));
  auto j = read_journal(path_, &error);
  ASSERT_TRUE(j) << error;
  EXPECT_EQ(j->header["plan"], "p");
  EXPECT_EQ(j->events.size(), 1u);
}

TEST_F(JournalTest, RefusesAFileThatIsNotAJournalOrIsTooNew) {
  append_raw("hello\n");
  std::string error;
  EXPECT_FALSE(read_journal(path_, &error));
  EXPECT_NE(error.find("not a ferry journal"), std::string::npos) << error;
  fs::remove(path_);
  append_raw(R"({"ferry_journal":99})" "\n");
  EXPECT_FALSE(read_journal(path_, &error));
  EXPECT_NE(error.find("version 99"), std::string::npos) << error;
}

TEST_F(JournalTest, RedactsSecretsBeforeWriting) {
  redactor_.add("hunter2-secret");
  auto w = open();
  std::string error;
  ASSERT_TRUE(w->append({{"t", 1}, {"event", "step_failed"}, {"step", "a"}, {"message", "login hunter2-secret refused"}}, &error));
  std::ifstream in(path_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("hunter2-secret"), std::string::npos);
  EXPECT_NE(text.find("login <redacted> refused"), std::string::npos);
}

TEST(RunState, ReplayKeepsTheFirstUndoAndTheCompletionOrder) {
  JournalContents j;
  j.header = {{"ferry_journal", 1}};
  j.events = {
      {{"event", "step_started"}, {"step", "b"}, {"attempt", 1}, {"t", 10}},
      {{"event", "undo"}, {"step", "b"}, {"undo", {{"replicas", 3}}}},
      {{"event", "attempt_failed"}, {"step", "b"}, {"class", "transient"}},
      {{"event", "step_started"}, {"step", "b"}, {"attempt", 2}},
      {{"event", "undo"}, {"step", "b"}, {"undo", {{"replicas", 0}}}},
      {{"event", "step_succeeded"}, {"step", "b"}, {"outputs", {{"x", 1}}}, {"t", 20}},
      {{"event", "step_started"}, {"step", "a"}, {"attempt", 1}},
      {{"event", "step_succeeded"}, {"step", "a"}},
      {{"event", "step_started"}, {"step", "c"}, {"attempt", 1}},
  };
  RunState s = replay(j);
  EXPECT_EQ(s.steps["b"].undo, json({{"replicas", 3}}));
  EXPECT_EQ(s.steps["b"].attempts, 2);
  EXPECT_EQ(s.steps["b"].outputs, json({{"x", 1}}));
  EXPECT_LT(s.steps["b"].completed_seq, s.steps["a"].completed_seq);
  EXPECT_EQ(s.steps["c"].state, StepState::kRunning);
  EXPECT_EQ(s.result, "");
}

// Outputs are read by `${s.out}` and by a step's retaint on resume (a backup's `files`): ones
// that are not an object (a damaged or edited journal) read as none.
TEST(RunState, ReplayReadsOutputsThatAreNotAnObjectAsNone) {
  JournalContents j;
  j.header = {{"ferry_journal", 1}};
  j.events = {
      {{"event", "step_succeeded"}, {"step", "a"}, {"outputs", 5}},
      {{"event", "step_succeeded"}, {"step", "b"}, {"outputs", json::array({"x"})}},
  };
  RunState s = replay(j);
  EXPECT_EQ(s.steps["a"].outputs, json::object());
  EXPECT_EQ(s.steps["b"].outputs, json::object());
}

}  // namespace
}  // namespace ferry::engine
