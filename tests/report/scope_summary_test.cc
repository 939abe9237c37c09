// One line per failure scope (`ferry status` of a fleet run) on hand-written journals: where each
// scope is, its elapsed time, and its own control plane's downtime, open or ended by Available or
// by the compensation that scaled it back up.
#include "engine/report/scope_summary.h"

#include <gtest/gtest.h>

#include "engine/report/timeline.h"
#include "tests/report/report_test_util.h"

namespace ferry::report {
namespace {

// Two hosted clusters, each in a scope: the stop of its control plane, then the wait for its
// HostedCluster's Available.
const char* const kFleetPlan = R"(
plan "fleet" {
  cluster source { kubeconfig = "/k/source" }
  cluster destination { kubeconfig = "/k/destination" }
  template move(name : string) {
    step stop = scale {
      cluster = source
      namespace = "clusters-${name}"
      names = ["kube-apiserver"]
      replicas = 0
      rollback = auto
    }
    step available = wait {
      cluster = destination
      namespace = "clusters"
      object = "hostedclusters/${name}"
      condition = "Available"
      after = [stop]
    }
  }
  phase migrate {
    for n in ["a", "b"] {
      isolated step hc[n] = move(name = n)
    }
  }
}
)";

const std::string kStarted = R"(
{"t":1000,"event":"run_started","mode":"apply","parallelism":4,"user":"jdoe","host":"bastion-1"}
{"t":1000,"event":"phase_started","phase":"migrate"}
{"t":1010,"event":"step_started","step":"hc[a].stop","attempt":1}
{"t":1011,"event":"undo","step":"hc[a].stop","undo":{"previous":{"kube-apiserver":1}}}
{"t":1100,"event":"step_succeeded","step":"hc[a].stop","attempts":1,"outputs":{"previous":{"kube-apiserver":1}}}
{"t":1020,"event":"step_started","step":"hc[b].stop","attempt":1}
{"t":1021,"event":"undo","step":"hc[b].stop","undo":{"previous":{"kube-apiserver":1}}}
{"t":1200,"event":"step_succeeded","step":"hc[b].stop","attempts":1,"outputs":{"previous":{"kube-apiserver":1}}}
{"t":1200,"event":"step_started","step":"hc[a].available","attempt":1}
{"t":1300,"event":"step_started","step":"hc[b].available","attempt":1}
{"t":4010,"event":"step_succeeded","step":"hc[a].available","attempts":1,"outputs":{}}
)";

std::vector<ScopeSummary> summaries_of(const std::string& events, int64_t now_ms) {
  engine::RunDirContents run = testing::run_of(kFleetPlan, events);
  return summarize_scopes(run.ir, run.state, fold_timeline(run.events).steps, now_ms);
}

TEST(ScopeSummary, EachScopeSaysWhereItIsAndHowLongItsControlPlaneHasBeenDown) {
  auto s = summaries_of(kStarted, 9020);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].scope, "hc[a]");
  EXPECT_EQ(s[0].phase, "migrate");
  EXPECT_EQ(s[0].state, "succeeded");
  EXPECT_EQ(s[0].at, "hc[a].available");
  EXPECT_EQ(s[0].elapsed_ms, 3000);
  ASSERT_TRUE(s[0].downtime.found) << s[0].downtime.absent;
  EXPECT_EQ(s[0].downtime.ended_by, "available");
  EXPECT_EQ(s[0].downtime.duration_ms(9020), 3000);
  // b still waits: it runs to now, and so does its downtime, from its own stop.
  EXPECT_EQ(s[1].state, "unfinished");
  EXPECT_EQ(s[1].at, "hc[b].available");
  EXPECT_EQ(s[1].elapsed_ms, 8000);
  ASSERT_TRUE(s[1].downtime.found);
  EXPECT_EQ(s[1].downtime.start_step, "hc[b].stop");
  EXPECT_EQ(s[1].downtime.end_ms, 0);
  EXPECT_EQ(s[1].downtime.duration_ms(9020), 8000);
}

TEST(ScopeSummary, AScopeRolledBackIsDownUntilItsStopIsUndoneAndItsElapsedTimeCountsTheUndo) {
  auto s = summaries_of(kStarted + R"(
{"t":6000,"event":"step_failed","step":"hc[b].available","attempts":1,"class":"timeout","message":"the step's timeout (2s) passed"}
{"t":6001,"event":"scope_failed","scope":"hc[b]","step":"hc[b].available","class":"timeout","message":"the step's timeout (2s) passed"}
{"t":6002,"event":"compensation_started","step":"hc[b].stop"}
{"t":6520,"event":"compensation_succeeded","step":"hc[b].stop"}
{"t":6521,"event":"scope_compensated","scope":"hc[b]","result":"rolled_back"}
{"t":6522,"event":"run_ended","result":"partially_failed","failed_scopes":["hc[b]"]}
)",
                        6522);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].state, "rolled_back");
  EXPECT_EQ(s[1].at, "hc[b].available");
  EXPECT_EQ(s[1].elapsed_ms, 5500);
  ASSERT_TRUE(s[1].downtime.found);
  EXPECT_EQ(s[1].downtime.ended_by, "rollback");
  EXPECT_EQ(s[1].downtime.duration_ms(6522), 5500);
  // a's window is its own: b's failure did not touch it.
  EXPECT_EQ(s[0].downtime.duration_ms(6522), 3000);
}

TEST(ScopeSummary, AScopeNotStartedHasNoStepNoTimeAndNoWindow) {
  auto s = summaries_of(R"(
{"t":1000,"event":"run_started","mode":"apply","parallelism":4,"user":"jdoe","host":"bastion-1"}
{"t":1000,"event":"phase_started","phase":"migrate"}
)",
                        2000);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].state, "unfinished");
  EXPECT_EQ(s[0].at, "");
  EXPECT_EQ(s[0].elapsed_ms, 0);
  EXPECT_FALSE(s[0].downtime.found);
}

// A scope whose every step was skipped (it depends on one that failed) says so, at no step.
TEST(ScopeSummary, AScopeWhoseStepsWereAllSkippedIsSkippedAtNoStep) {
  auto s = summaries_of(R"(
{"t":1000,"event":"run_started","mode":"apply","parallelism":4,"user":"jdoe","host":"bastion-1"}
{"t":1000,"event":"phase_started","phase":"migrate"}
{"t":1010,"event":"step_skipped","step":"hc[a].stop","reason":"scope x failed"}
{"t":1011,"event":"step_skipped","step":"hc[a].available","reason":"scope x failed"}
{"t":1012,"event":"step_started","step":"hc[b].stop","attempt":1}
{"t":1013,"event":"step_succeeded","step":"hc[b].stop","attempts":1,"outputs":{"previous":{"kube-apiserver":1}}}
{"t":1014,"event":"step_skipped","step":"hc[b].available","reason":"`when` is false"}
)",
                        2000);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].state, "skipped");
  EXPECT_EQ(s[0].at, "");
  EXPECT_EQ(s[0].elapsed_ms, 0);
  // Skipped steps beside one that ran: done, at the one that ran.
  EXPECT_EQ(s[1].state, "succeeded");
  EXPECT_EQ(s[1].at, "hc[b].stop");
}

}  // namespace
}  // namespace ferry::report
