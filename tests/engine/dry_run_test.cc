// The dry runner on its own: what `ferry plan` shows comes from the same scheduler with a runner
// that records, never acts.
#include "engine/run/dry_run.h"

#include <gtest/gtest.h>

#include <sstream>

#include "dsl/utf8.h"
#include "engine/steps/registry.h"
#include "engine/steps/services.h"
#include "tests/engine/test_plan.h"

namespace ferry::engine {
namespace {

using testing::compile_text;

const PlannedStep& planned(const PlanReport& r, const std::string& id) {
  for (const PlannedStep& p : r.steps) {
    if (p.id == id) return p;
  }
  ADD_FAILURE() << "no planned step " << id;
  static PlannedStep none;
  return none;
}

PlanReport plan(const dsl::Ir& ir, std::function<const StepImpl*(const std::string&)> impls = find_step_impl) {
  RunOptions options;
  options.impls = std::move(impls);
  Services services;
  return dry_run(ir, dsl::ir_hash(ir), options, services);
}

TEST(DryRun, ActsOnNothingAndShowsLaterOutputsAsPlaceholdersInWaves) {
  const std::string marker = ::testing::TempDir() + "/ferry-dry-run-marker";
  std::remove(marker.c_str());
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step make = shell { argv = ["touch", ")" + marker + R"("] }
    step other = noop {}
    step use = shell { argv = ["echo", "${make.stdout}"]  after = [make] }
    step maybe = noop { when = make.stdout == "x" }
  } })");
  PlanReport r = plan(ir);
  EXPECT_EQ(std::fopen(marker.c_str(), "r"), nullptr) << "the dry run ran the command";
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_EQ(planned(r, "use").args["argv"][1], "<make.stdout>");
  EXPECT_EQ(planned(r, "make").wave, planned(r, "other").wave);
  EXPECT_GT(planned(r, "use").wave, planned(r, "make").wave);
  EXPECT_EQ(planned(r, "maybe").error, "");  // its `when` is decided at run time, not an error
  EXPECT_FALSE(planned(r, "make").actions.empty());
}

TEST(DryRun, SecretsShowRedactedAndAStepThatCannotBePlannedSaysWhyWhileTheOthersArePlanned) {
  dsl::Ir ir = compile_text(R"(plan "p" {
    on_failure = "rollback"
    param token : secret string
    phase a {
      step first = noop {}
      step needs = shell { argv = ["echo", "${token}"]  after = [first] }
    } })");
  EXPECT_EQ(plan(ir).steps.back().args["argv"][1], "<redacted>");
  // A build without the shell type: that step fails in the dry run; the plan is still shown whole.
  PlanReport r = plan(ir, [](const std::string& type) { return type == "shell" ? nullptr : find_step_impl(type); });
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_NE(planned(r, "needs").error.find("no implementation of step type 'shell'"), std::string::npos)
      << planned(r, "needs").error;
  EXPECT_TRUE(planned(r, "first").error.empty());
}

// The args of the only step of `text` (a plan_text report) put back together: the first line
// after "args ", each continuation line after its indent, nothing between them. Fails the test
// for an args line over 100 characters (commands are not wrapped: they are copied and pasted).
std::string args_in_text(const std::string& text) {
  const std::string first = "      args ", indent(11, ' ');
  std::istringstream lines(text);
  std::string line, args;
  bool in_args = false;
  while (std::getline(lines, line)) {
    if (line.starts_with(first)) {
      in_args = true;
      args = line.substr(first.size());
    } else if (in_args && line.starts_with(indent)) {
      args += line.substr(indent.size());
    } else {
      in_args = false;
      continue;
    }
    size_t columns = 0;
    for (char c : line) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    EXPECT_LE(columns, 100u) << line;
    EXPECT_EQ(dsl::invalid_utf8_at(line), std::string_view::npos) << "a character cut in two: " << line;
    EXPECT_FALSE(line.ends_with("\\")) << "an escape cut in two: " << line;
  }
  return args;
}

// 450 characters of words, then a run with no comma or space that only hard breaks fit in
// lines: two-byte characters, where the first break falls, then quotes (each `\"` in JSON)
// where the next one would fall between a backslash and its quote.
std::string long_value() {
  std::string words;
  while (words.size() < 450) words += "restore the hosted cluster from the snapshot ";
  std::string run;
  for (int i = 0; i < 101; ++i) run += "é";
  for (int i = 0; i < 60; ++i) run += "\\\"";
  return words + run;
}

TEST(DryRun, TextShowsAnArgOfOver400CharactersWholeWrappedAtTheWidth) {
  dsl::Ir ir = compile_text(R"(plan "p" { phase a {
    step say = shell { argv = ["echo", ")" + long_value() + R"(", "short"] }
  } })");
  PlanReport r = plan(ir);
  std::string text = plan_text(r, false);
  ASSERT_GT(r.steps.at(0).args.dump().size(), 600u);
  EXPECT_EQ(args_in_text(text), r.steps.at(0).args.dump()) << text;
  EXPECT_EQ(text.find("..."), std::string::npos) << "an arg was cut:\n" << text;
}

TEST(DryRun, MarkdownShowsEveryArgWithLongBodiesFolded) {
  dsl::Ir ir = compile_text(R"(plan "p" {
    cluster src { kubeconfig = "/kubeconfig" }
    phase a {
      step pause = patch {
        cluster = src
        namespace = "clusters"
        object = "hostedclusters/jdoe"
        merge = {
          spec = { pausedUntil = "true", restoreSnapshotURL = ["https://bucket.example.com/jdoe/etcd-0.db"] }
        }
      }
      step small = patch {
        cluster = src  object = "hostedclusters/jdoe"  merge = { spec = { a = 1 } }  after = [pause]
      }
      step join = noop {}
    } })");
  PlanReport r = plan(ir);
  std::string md = plan_markdown(r);
  // Short values inline, the long body folded with its summary and pretty-printed whole.
  EXPECT_NE(md.find("#### `pause`\n\n- `ignore_not_found`: `false`\n- `namespace`: `\"clusters\"`\n"
                    "- `object`: `\"hostedclusters/jdoe\"`\n"),
            std::string::npos)
      << md;
  std::string folded = "<details><summary><code>merge</code> (1 key)</summary>\n\n```json\n" +
                       planned(r, "pause").args["merge"].dump(2) + "\n```\n\n</details>\n";
  EXPECT_NE(md.find(folded), std::string::npos) << md;
  EXPECT_NE(md.find("- `merge`: `{\"spec\":{\"a\":1}}`"), std::string::npos) << md;
  EXPECT_EQ(md.find("#### `join`"), std::string::npos) << "a step without args has no args section:\n" << md;
}

// The reports show args and commands whole now, so nothing long hides a secret: a secret param
// inside a long string and a presigned URL written into the plan are redacted in all three.
TEST(DryRun, LongSecretBearingArgsShowWholeAndRedactedInEveryReport) {
  const std::string canary = "CANARY-do-not-print-7e1";
  const std::string url =
      "https://bucket.s3.amazonaws.com/etcd.db?X-Amz-Algorithm=AWS4-HMAC-SHA256"
      "&X-Amz-Credential=AKIACANARYKEY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=feedfacecanary";
  dsl::Ir ir = compile_text(R"(plan "p" {
    param token : secret string
    phase a {
      step use = shell {
        argv = ["curl", "-H", "Authorization: Bearer ${token} )" + long_value() + R"(", ")" + url + R"("]
      }
    } })");
  RunOptions options;
  options.impls = find_step_impl;
  options.secrets["token"] = canary;
  Services services;
  PlanReport r = dry_run(ir, dsl::ir_hash(ir), options, services);
  std::string text = plan_text(r, false);
  std::string args = args_in_text(text);
  EXPECT_NE(args.find("Bearer <redacted> " + long_value().substr(0, 400)), std::string::npos) << text;
  EXPECT_NE(args.find("X-Amz-Credential=<redacted>%2F20260101"), std::string::npos) << text;
  for (const std::string& report : {text, plan_markdown(r), plan_json(r).dump()}) {
    EXPECT_EQ(report.find(canary), std::string::npos) << report;
    EXPECT_EQ(report.find("AKIACANARYKEY"), std::string::npos) << report;
    EXPECT_EQ(report.find("feedfacecanary"), std::string::npos) << report;
    EXPECT_NE(report.find("<redacted>"), std::string::npos) << report;
  }
}

}  // namespace
}  // namespace ferry::engine
