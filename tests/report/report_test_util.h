// Test helpers: a run directory's contents from a plan's text and a hand-written journal, as
// read_run_dir would give them, so the report is tested on exactly the journals we mean.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "engine/report/report_model.h"
#include "engine/run/journal.h"
#include "tests/engine/test_plan.h"

namespace ferry::report::testing {

// A plan with what the report looks for: a stop of the control plane (a scale of kube-apiserver
// to 0), an upload, the wait for the HostedCluster's Available on the destination, and a delete.
inline const char* const kMigrationPlan = R"(
plan "mig" {
  cluster source { kubeconfig = "/k/source" }
  cluster destination { kubeconfig = "/k/destination" }
  phase backup {
    step stop = scale {
      cluster = source
      namespace = "clusters-hc"
      names = ["kube-apiserver", "openshift-apiserver"]
      replicas = 0
      rollback = auto
    }
    step snap = shell { argv = ["true"]  after = [stop] }
    step up = upload { from = "/tmp/snap.db"  to = "s3://bucket/hc-snapshot.db"  after = [snap] }
  }
  phase restore {
    step available = wait {
      cluster = destination
      namespace = "clusters"
      object = "hostedclusters/hc"
      condition = "Available"
    }
    step gone = delete { cluster = source  namespace = "clusters-hc"  kind = "pods"  names = ["${snap.stdout}"] }
  }
}
)";

inline const char* const kHeader =
    R"({"ferry_journal":1,"plan":"mig","ir_hash":"HASH","ferry_version":"9.9.9","source":"mig.ferry","user":"jdoe","host":"bastion-1"})";

// The contents of a run directory whose plan is `plan_text` and whose journal is kHeader then
// `events` (one JSON object a line).
inline engine::RunDirContents run_of(const std::string& plan_text, const std::string& events) {
  engine::RunDirContents run;
  run.ir = engine::testing::compile_text(plan_text);
  run.hash = "HASH";
  run.source = "plan.json";
  // The events as written in the tests: one a line, with blank lines between for reading.
  std::string text = std::string(kHeader) + "\n";
  for (size_t at = 0; at < events.size();) {
    size_t end = events.find('\n', at);
    std::string line = events.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!line.empty()) text += line + (end == std::string::npos ? "" : "\n");
    at = end == std::string::npos ? events.size() : end + 1;
  }
  std::string error;
  auto journal = engine::parse_journal(text, "journal.jsonl", &error);
  EXPECT_TRUE(journal) << error;
  if (!journal) return run;
  run.state = engine::replay(*journal);
  run.events = journal->events;
  return run;
}

inline RunReport report_of(const std::string& plan_text, const std::string& events) {
  return build_report(run_of(plan_text, events), ".ferry/runs/test");
}

inline const StepTimeline* step_in(const RunReport& r, const std::string& id) {
  for (const StepTimeline& s : r.steps) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace ferry::report::testing
