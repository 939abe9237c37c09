// The local step types on their own: shell (argv, env, cwd, stdin, exit codes, a missing
// command), wait's probe form, and approve with and without a human.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/steps/local_steps.h"
#include "engine/steps/services.h"

namespace ferry::engine {
namespace {

struct Ctx {
  dsl::IrStep step;
  Services services;
  Redactor redactor;
  FakeClock clock;
  std::vector<std::string> lines;
  StepContext ctx;

  explicit Ctx(json args) {
    step.id = "s";
    ctx.step = &step;
    ctx.args = std::move(args);
    ctx.clock = &clock;
    ctx.services = &services;
    ctx.redactor = &redactor;
    ctx.log = [this](const std::string& line) { lines.push_back(line); };
  }
};

TEST(ShellStep, PassesEnvCwdAndStdinAndCapturesStdout) {
  auto dir = std::filesystem::temp_directory_path();
  Ctx c(json{{"argv", {"sh", "-c", "echo \"$GREETING from $(pwd)\"; cat; exit 3"}},
         {"env", {{"GREETING", "hello"}}},
         {"cwd", dir.string()},
         {"stdin", "piped text\n"},
         {"accept_exit_codes", {0, 3}}});
  StepResult r = shell_step().run(c.ctx);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outputs["stdout"], "hello from " + dir.string() + "\npiped text\n");
  EXPECT_EQ(r.outputs["exit_code"], 3);
}

TEST(ShellStep, AnUnacceptedExitStatusFailsWithTheTailOfStderr) {
  Ctx c(json{{"argv", {"sh", "-c", "echo first >&2; echo 'the real reason' >&2; exit 2"}}});
  StepResult r = shell_step().run(c.ctx);
  EXPECT_EQ(r.status.error_class(), ErrorClass::kFailed);
  EXPECT_EQ(r.status.message(), "'sh' exited with status 2: first\nthe real reason");
}

TEST(ShellStep, AMissingCommandIsInvalidAndSaysWhich) {
  Ctx c(json{{"argv", {"no-such-command-ferry"}}});
  StepResult r = shell_step().run(c.ctx);
  EXPECT_EQ(r.status.error_class(), ErrorClass::kInvalid);
  EXPECT_NE(r.status.message().find("cannot run 'no-such-command-ferry'"), std::string::npos) << r.status.message();
  EXPECT_EQ(shell_step().render(c.ctx)[0].text(), "no-such-command-ferry");
}

TEST(WaitStep, PollsTheProbeUntilItsTimeout) {
  Ctx c(json{{"probe", {"false"}}, {"interval", "10s"}});
  c.ctx.deadline = Millis(35'000);
  StepResult r = wait_step().run(c.ctx);
  EXPECT_EQ(r.status.error_class(), ErrorClass::kTimeout);
  EXPECT_NE(r.status.message().find("after 4 polls"), std::string::npos) << r.status.message();
  EXPECT_EQ(c.clock.sleeps(), (std::vector<Millis>{Millis(10'000), Millis(10'000), Millis(10'000), Millis(5'000)}));
}

TEST(ApproveStep, NeedsAHumanOrYes) {
  Ctx c(json{{"message", "Delete the source?"}});
  StepResult r = approve_step().run(c.ctx);
  EXPECT_EQ(r.status.error_class(), ErrorClass::kInvalid);
  EXPECT_NE(r.status.message().find("--yes"), std::string::npos);
  c.services.ask = [](const std::string&) { return std::optional<bool>(false); };
  EXPECT_EQ(approve_step().run(c.ctx).status.error_class(), ErrorClass::kFailed);
  c.services.ask = [](const std::string& q) { return std::optional<bool>(q == "Delete the source?"); };
  EXPECT_TRUE(approve_step().run(c.ctx).status.ok());
  c.services.ask = nullptr;
  c.services.assume_yes = true;
  EXPECT_TRUE(approve_step().run(c.ctx).status.ok());
}

}  // namespace
}  // namespace ferry::engine
