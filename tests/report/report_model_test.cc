// The report model on hand-written journals: attempts and retries, a rollback, a crash mid-step
// (with and without a resume after it), the downtime window and when there is none, transfers,
// destructive steps, and secret outputs kept out.
#include "engine/report/report_model.h"

#include <gtest/gtest.h>

#include "tests/report/report_test_util.h"

namespace ferry::report {
namespace {

using testing::kMigrationPlan;
using testing::report_of;
using testing::step_in;

// The backup phase as far as the upload, which fails once and then succeeds.
const std::string kBackup = R"(
{"t":1000,"event":"run_started","mode":"apply","parallelism":4,"user":"jdoe","host":"bastion-1"}
{"t":1000,"event":"phase_started","phase":"backup"}
{"t":1010,"event":"step_started","step":"stop","attempt":1}
{"t":1011,"event":"undo","step":"stop","undo":{"previous":{"kube-apiserver":2}}}
{"t":1200,"event":"step_succeeded","step":"stop","attempts":1,"outputs":{"previous":{"kube-apiserver":2}}}
{"t":1210,"event":"step_started","step":"snap","attempt":1}
{"t":1220,"event":"step_succeeded","step":"snap","attempts":1,"outputs":{"stdout":"etcd-0"}}
{"t":1300,"event":"step_started","step":"up","attempt":1}
{"t":1400,"event":"attempt_failed","step":"up","attempt":1,"class":"transient","message":"connection reset","retry_in_ms":100}
{"t":1500,"event":"step_started","step":"up","attempt":2}
{"t":3500,"event":"step_succeeded","step":"up","attempts":2,"outputs":{"url":"s3://bucket/hc-snapshot.db","bucket":"bucket","key":"hc-snapshot.db","size":20971520,"sha256":"ab12","etag":"e","version_id":"","parts":3}}
{"t":3600,"event":"phase_started","phase":"restore"}
{"t":3600,"event":"step_started","step":"available","attempt":1}
)";

const std::string kSucceeded = kBackup + R"(
{"t":9600,"event":"step_succeeded","step":"available","attempts":1,"outputs":{}}
{"t":9700,"event":"step_started","step":"gone","attempt":1}
{"t":9800,"event":"step_succeeded","step":"gone","attempts":1,"outputs":{"deleted":["pods/etcd-0"]}}
{"t":9800,"event":"run_ended","result":"succeeded"}
)";

const std::string kRolledBack = kBackup + R"(
{"t":5600,"event":"step_failed","step":"available","attempts":1,"class":"timeout","message":"the step's timeout (2s) passed"}
{"t":5601,"event":"run_ended","result":"failed","next":"rollback"}
{"t":5602,"event":"rollback_started","reason":"step available failed"}
{"t":5603,"event":"compensation_skipped","step":"up","reason":"rollback = none"}
{"t":5603,"event":"compensation_skipped","step":"snap","reason":"rollback = none"}
{"t":5604,"event":"compensation_started","step":"stop"}
{"t":5900,"event":"compensation_succeeded","step":"stop"}
{"t":5901,"event":"run_ended","result":"rolled_back"}
)";

TEST(ReportModel, TheFactsOfTheRunComeFromTheHeaderAndTheEnd) {
  RunReport r = report_of(kMigrationPlan, kSucceeded);
  EXPECT_EQ(r.plan, "mig");
  EXPECT_EQ(r.result, "succeeded");
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(r.user, "jdoe");
  EXPECT_EQ(r.host, "bastion-1");
  EXPECT_EQ(r.ir_hash, "HASH");
  EXPECT_EQ(r.ferry_version, "9.9.9");
  EXPECT_EQ(r.source, "mig.ferry");
  EXPECT_EQ(r.dir, ".ferry/runs/test");
  EXPECT_EQ(r.started_ms, 1000);
  EXPECT_EQ(r.ended_ms, 9800);
  ASSERT_EQ(r.invocations.size(), 1u);
  EXPECT_EQ(r.invocations[0].mode, "apply");
  EXPECT_EQ(r.invocations[0].user, "jdoe");
  EXPECT_TRUE(r.not_reached.empty());
}

TEST(ReportModel, EveryAttemptIsASpanAndARetryEndsWhereTheNextBegins) {
  RunReport r = report_of(kMigrationPlan, kSucceeded);
  // Phase by phase, in the order the run reached them.
  std::vector<std::string> order;
  for (const StepTimeline& s : r.steps) order.push_back(s.id);
  EXPECT_EQ(order, (std::vector<std::string>{"stop", "snap", "up", "available", "gone"}));
  const StepTimeline* up = step_in(r, "up");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->attempts.size(), 2u);
  EXPECT_EQ(up->attempts[0].end, AttemptEnd::kRetried);
  EXPECT_EQ(up->attempts[0].start_ms, 1300);
  EXPECT_EQ(up->attempts[0].end_ms, 1400);
  EXPECT_EQ(up->attempts[0].error, "transient: connection reset");
  EXPECT_EQ(up->attempts[1].end, AttemptEnd::kSucceeded);
  EXPECT_EQ(up->attempts[1].number, 2);
  EXPECT_EQ(up->start_ms(), 1300);
  EXPECT_EQ(up->end_ms(), 3500);
  EXPECT_EQ(up->state, "succeeded");
}

TEST(ReportModel, TheDowntimeWindowRunsFromTheStopToAvailableOnTheDestination) {
  RunReport r = report_of(kMigrationPlan, kSucceeded);
  const DowntimeWindow& w = r.downtime;
  ASSERT_TRUE(w.found) << w.absent;
  EXPECT_EQ(w.start_step, "stop");
  EXPECT_EQ(w.end_step, "available");
  EXPECT_EQ(w.start_ms, 1010);
  EXPECT_EQ(w.end_ms, 9600);
  EXPECT_EQ(w.ended_by, "available");
  EXPECT_EQ(w.duration_ms(r.ended_ms), 8590);
}

TEST(ReportModel, AnUploadsSizeAndRateAreOverItsSuccessfulAttempt) {
  RunReport r = report_of(kMigrationPlan, kSucceeded);
  ASSERT_EQ(r.transfers.size(), 1u);
  const Transfer& t = r.transfers[0];
  EXPECT_EQ(t.step, "up");
  EXPECT_EQ(t.url, "s3://bucket/hc-snapshot.db");
  EXPECT_EQ(t.bytes, 20971520);
  EXPECT_EQ(t.ms, 2000);  // attempt 2, not the failed one nor the backoff between
  EXPECT_EQ(t.parts, 3);
  ASSERT_TRUE(t.bytes_per_second());
  EXPECT_DOUBLE_EQ(*t.bytes_per_second(), 10485760.0);
}

TEST(ReportModel, DestructiveStepsAreListedWithTheirArgumentsAsTheRunResolvedThem) {
  RunReport r = report_of(kMigrationPlan, kSucceeded);
  ASSERT_EQ(r.destructive.size(), 2u);
  EXPECT_EQ(r.destructive[0].id, "stop");
  EXPECT_EQ(r.destructive[0].args["replicas"], 0);
  EXPECT_EQ(r.destructive[0].args["kind"], "deployment");  // its type's default: what it ran with
  EXPECT_EQ(r.destructive[0].cluster, "source");
  EXPECT_EQ(r.destructive[1].id, "gone");
  EXPECT_EQ(r.destructive[1].args["names"], json::array({"etcd-0"}));  // ${snap.stdout}, from the journal
  EXPECT_EQ(r.destructive[1].outputs["deleted"], json::array({"pods/etcd-0"}));
  EXPECT_EQ(r.destructive[1].state, "succeeded");
  // Steps that are not destructive are not there: the upload, the wait, the shell.
  for (const DestructiveStep& d : r.destructive) EXPECT_TRUE(d.id == "stop" || d.id == "gone") << d.id;
}

TEST(ReportModel, ARolledBackRunShowsItsCompensationsAndTheWindowEndsWithTheStopsUndo) {
  RunReport r = report_of(kMigrationPlan, kRolledBack);
  EXPECT_EQ(r.result, "rolled back");
  ASSERT_EQ(r.rollbacks.size(), 1u);
  EXPECT_EQ(r.rollbacks[0].reason, "step available failed");
  const StepTimeline* stop = step_in(r, "stop");
  ASSERT_TRUE(stop);
  ASSERT_EQ(stop->compensations.size(), 1u);
  EXPECT_EQ(stop->compensations[0].result, "succeeded");
  EXPECT_EQ(stop->compensations[0].start_ms, 5604);
  EXPECT_EQ(stop->compensations[0].end_ms, 5900);
  const StepTimeline* up = step_in(r, "up");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->compensations.size(), 1u);
  EXPECT_EQ(up->compensations[0].result, "skipped");
  const StepTimeline* available = step_in(r, "available");
  ASSERT_TRUE(available);
  EXPECT_EQ(available->attempts.back().end, AttemptEnd::kFailed);
  EXPECT_EQ(available->attempts.back().error, "timeout: the step's timeout (2s) passed");
  EXPECT_EQ(r.not_reached, std::vector<std::string>{"gone"});
  // The control plane came back on the source when the rollback scaled it up again.
  ASSERT_TRUE(r.downtime.found);
  EXPECT_EQ(r.downtime.ended_by, "rollback");
  EXPECT_EQ(r.downtime.end_ms, 5900);
  EXPECT_EQ(r.downtime.end_step, "available");
  // The delete was not reached: listed, as not run.
  ASSERT_EQ(r.destructive.size(), 2u);
  EXPECT_EQ(r.destructive[1].id, "gone");
  EXPECT_EQ(r.destructive[1].state, "pending");
  EXPECT_EQ(r.destructive[1].args["names"], json::array({"etcd-0"}));
  EXPECT_EQ(r.destructive[0].undone, "rolled back");
}

TEST(ReportModel, AFailedRollbackSaysWhatItDidNotUndoAndTheWindowStaysOpen) {
  std::string journal = kRolledBack;
  journal.replace(journal.find(R"({"t":5900,"event":"compensation_succeeded")"), std::string::npos, R"(
{"t":5900,"event":"compensation_failed","step":"stop","class":"forbidden","message":"scale: forbidden"}
{"t":5901,"event":"run_ended","result":"rollback_failed","not_undone":["snap"]}
)");
  RunReport r = report_of(kMigrationPlan, journal);
  EXPECT_EQ(r.result, "rollback failed");
  EXPECT_EQ(r.not_undone, std::vector<std::string>{"snap"});
  const StepTimeline* stop = step_in(r, "stop");
  ASSERT_TRUE(stop);
  ASSERT_EQ(stop->compensations.size(), 1u);
  EXPECT_EQ(stop->compensations[0].result, "failed");
  EXPECT_EQ(stop->compensations[0].message, "forbidden: scale: forbidden");
  // Neither Available on the destination nor scaled back up on the source.
  ASSERT_TRUE(r.downtime.found);
  EXPECT_EQ(r.downtime.end_ms, 0);
  EXPECT_EQ(r.destructive[0].undone, "rollback failed");
}

TEST(ReportModel, ACrashMidStepLeavesAnUnfinishedRunWhoseWindowIsStillOpen) {
  // The journal as a kill -9 during the upload leaves it: a torn last line after the start.
  const std::string crashed = kBackup.substr(0, kBackup.find("{\"t\":1400")) + R"({"t":1350,"event":"step_suc)";
  RunReport r = report_of(kMigrationPlan, crashed);
  EXPECT_EQ(r.result, "unfinished");
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(r.torn_lines.size(), 1u);
  const StepTimeline* up = step_in(r, "up");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->attempts.size(), 1u);
  EXPECT_EQ(up->attempts[0].end, AttemptEnd::kUnfinished);
  EXPECT_EQ(up->attempts[0].end_ms, 1300);  // the last event: its last sign of life
  EXPECT_EQ(up->state, "running");
  ASSERT_TRUE(r.downtime.found);
  EXPECT_EQ(r.downtime.end_ms, 0);
  EXPECT_EQ(r.downtime.ended_by, "");
  EXPECT_EQ(r.downtime.duration_ms(r.ended_ms), 1300 - 1010);
  // The upload never ended: no size is claimed for it.
  ASSERT_EQ(r.transfers.size(), 1u);
  EXPECT_EQ(r.transfers[0].bytes, -1);
  EXPECT_FALSE(r.transfers[0].bytes_per_second());
  EXPECT_EQ(r.not_reached, (std::vector<std::string>{"available", "gone"}));
}

TEST(ReportModel, AnAttemptACrashCutShortEndsAtItsProcesssLastEventNotWhenTheResumeCame) {
  const std::string resumed = kBackup.substr(0, kBackup.find("{\"t\":1400")) + R"(
{"t":50000,"event":"run_started","mode":"resume","parallelism":4,"user":"asmith","host":"bastion-2"}
{"t":50010,"event":"step_started","step":"up","attempt":2}
{"t":52010,"event":"step_succeeded","step":"up","attempts":2,"outputs":{"size":100}}
)";
  RunReport r = report_of(kMigrationPlan, resumed);
  const StepTimeline* up = step_in(r, "up");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->attempts.size(), 2u);
  EXPECT_EQ(up->attempts[0].end, AttemptEnd::kInterrupted);
  EXPECT_EQ(up->attempts[0].end_ms, 1300);
  EXPECT_EQ(up->attempts[1].end, AttemptEnd::kSucceeded);
  ASSERT_EQ(r.invocations.size(), 2u);
  EXPECT_EQ(r.invocations[1].mode, "resume");
  EXPECT_EQ(r.invocations[1].user, "asmith");
  EXPECT_EQ(r.invocations[1].host, "bastion-2");
  EXPECT_EQ(r.transfers[0].ms, 2000);
}

TEST(ReportModel, AStepAssumedDoneIsMarkedAndItsCutShortAttemptEndsBeforeTheResume) {
  const std::string assumed = kBackup.substr(0, kBackup.find("{\"t\":1400")) + R"(
{"t":50000,"event":"step_assumed_done","step":"up","reason":"--assume-done"}
{"t":50001,"event":"run_started","mode":"resume","parallelism":4}
)";
  RunReport r = report_of(kMigrationPlan, assumed);
  const StepTimeline* up = step_in(r, "up");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->attempts[0].end, AttemptEnd::kInterrupted);
  EXPECT_EQ(up->attempts[0].end_ms, 1300);
  EXPECT_EQ(up->marked_ms, 50000);
  EXPECT_EQ(up->note, "assumed done (--assume-done)");
  EXPECT_EQ(up->state, "succeeded");
}

TEST(ReportModel, NoWindowWhenThePlanStopsNoControlPlane) {
  RunReport r = report_of(R"(plan "p" { phase a { step x = noop {} } })", R"(
{"t":1,"event":"run_started","mode":"apply","parallelism":4}
{"t":2,"event":"step_started","step":"x","attempt":1}
{"t":2,"event":"step_succeeded","step":"x","attempts":1,"outputs":{}}
{"t":3,"event":"run_ended","result":"succeeded"}
)");
  EXPECT_FALSE(r.downtime.found);
  EXPECT_NE(r.downtime.absent.find("the plan has no step that stops the control plane"), std::string::npos)
      << r.downtime.absent;
}

TEST(ReportModel, OnlyAScaleOfKubeApiserverToZeroIsAStop) {
  for (const char* scale : {R"(names = ["etcd"]  replicas = 0)", R"(names = ["kube-apiserver"]  replicas = 1)"}) {
    RunReport r = report_of(std::string(R"(plan "p" { cluster c { kubeconfig = "/k" } phase a {
      step s = scale { cluster = c  namespace = "n"  )") + scale + R"( } } })",
                            R"({"t":1,"event":"run_started","mode":"apply","parallelism":4}
{"t":2,"event":"step_started","step":"s","attempt":1}
)");
    EXPECT_FALSE(r.downtime.found) << scale;
    EXPECT_NE(r.downtime.absent.find("no step that stops the control plane"), std::string::npos) << scale;
  }
}

TEST(ReportModel, NoWindowWhenTheStopDidNotRun) {
  RunReport r = report_of(kMigrationPlan, R"({"t":1,"event":"run_started","mode":"apply","parallelism":4}
{"t":5,"event":"run_ended","result":"cancelled"}
)");
  EXPECT_FALSE(r.downtime.found);
  EXPECT_EQ(r.downtime.absent, "the control plane was not stopped: the run did not reach stop");
  EXPECT_EQ(r.result, "cancelled");
  EXPECT_TRUE(r.steps.empty());
}

TEST(ReportModel, AWaitForAvailableBeforeTheStopDoesNotEndTheWindow) {
  // A preflight that checks the HostedCluster is Available on the source, before anything stops.
  RunReport r = report_of(R"(plan "p" {
    cluster c { kubeconfig = "/k" }
    phase pre { step ok = wait { cluster = c  namespace = "n"  object = "hostedclusters/hc"  condition = "Available" } }
    phase go { step s = scale { cluster = c  namespace = "n"  names = ["kube-apiserver"]  replicas = 0 } }
  })",
                          R"({"t":1,"event":"run_started","mode":"apply","parallelism":4}
{"t":2,"event":"step_started","step":"ok","attempt":1}
{"t":3,"event":"step_succeeded","step":"ok","attempts":1,"outputs":{}}
{"t":4,"event":"step_started","step":"s","attempt":1}
{"t":5,"event":"step_succeeded","step":"s","attempts":1,"outputs":{}}
{"t":6,"event":"run_ended","result":"succeeded"}
)");
  EXPECT_FALSE(r.downtime.found);
  EXPECT_NE(r.downtime.absent.find("no wait for condition Available on a HostedCluster after s"), std::string::npos)
      << r.downtime.absent;
}

TEST(ReportModel, AWaitInTheSamePhaseEndsTheWindowOnlyWhenItDependsOnTheStop) {
  const std::string plan = R"(plan "p" {
    cluster c { kubeconfig = "/k" }
    phase all {
      step s = scale { cluster = c  namespace = "n"  names = ["kube-apiserver"]  replicas = 0 }
      step mid = noop { after = [s] }
      step up = wait { cluster = c  namespace = "n"  object = "hostedclusters/hc"  condition = "Available"  after = [mid] }
    }
  })";
  RunReport r = report_of(plan, R"({"t":1,"event":"run_started","mode":"apply","parallelism":4}
{"t":2,"event":"step_started","step":"s","attempt":1}
{"t":3,"event":"step_succeeded","step":"s","attempts":1,"outputs":{}}
{"t":4,"event":"step_started","step":"mid","attempt":1}
{"t":4,"event":"step_succeeded","step":"mid","attempts":1,"outputs":{}}
{"t":5,"event":"step_started","step":"up","attempt":1}
{"t":9,"event":"step_succeeded","step":"up","attempts":1,"outputs":{}}
{"t":9,"event":"run_ended","result":"succeeded"}
)");
  ASSERT_TRUE(r.downtime.found) << r.downtime.absent;
  EXPECT_EQ(r.downtime.end_step, "up");
  EXPECT_EQ(r.downtime.duration_ms(r.ended_ms), 7);
}

TEST(ReportModel, SecretOutputsAreLeftOutEvenIfAJournalHeldThem) {
  std::string journal = kSucceeded;
  const std::string plain = R"("outputs":{"stdout":"etcd-0"}})";
  journal.replace(journal.find(plain), plain.size(),
                  R"("outputs":{"stdout":"etcd-0","token":"SECRET-VALUE"},"secret_outputs":["token"]})");
  RunReport r = report_of(kMigrationPlan, journal);
  const StepTimeline* snap = step_in(r, "snap");
  ASSERT_TRUE(snap);
  EXPECT_FALSE(snap->outputs.contains("token"));
  EXPECT_EQ(snap->outputs["stdout"], "etcd-0");
}

TEST(ReportModel, EventsOfTheWrongShapeAreIgnoredNotThrown) {
  RunReport r = report_of(kMigrationPlan, R"({"t":"soon","event":"run_started"}
{"t":5,"event":"step_started","step":7}
{"t":6,"event":"from_a_newer_ferry","step":"stop"}
{"t":7,"event":"step_started","step":"stop","attempt":"one"}
{"t":8,"event":"compensation_succeeded","step":"stop"}
)");
  const StepTimeline* stop = step_in(r, "stop");
  ASSERT_TRUE(stop);
  ASSERT_EQ(stop->attempts.size(), 1u);
  EXPECT_EQ(stop->attempts[0].number, 1);
  ASSERT_EQ(stop->compensations.size(), 1u);
  EXPECT_EQ(stop->compensations[0].result, "succeeded");
}

TEST(ReportModel, AMissingRunDirectoryIsAOneLineError) {
  std::string error;
  EXPECT_FALSE(read_report("/nonexistent/ferry-run", &error));
  EXPECT_EQ(error, "no run directory at /nonexistent/ferry-run");
}

}  // namespace
}  // namespace ferry::report
