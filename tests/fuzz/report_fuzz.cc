// libFuzzer target for `ferry report`: a run's journal, whatever it holds, read back into the
// report's model (engine/report/report_model.cc: the timeline, attempts, compensations, the
// downtime window, transfers) and laid out in every format (Markdown with its Mermaid chart, HTML
// with its SVG, JSON). The plan is empty, so every step the journal names is one the plan lacks,
// as with a journal edited by hand or written by another ferry.
// Properties: no crash, no exception, no sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/report/render.h"
#include "engine/report/report_model.h"
#include "engine/run/journal.h"
#include "engine/run/run_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  std::string error;
  auto journal = engine::parse_journal(std::string(reinterpret_cast<const char*>(data), size), "fuzz.jsonl", &error);
  if (!journal) return 0;
  engine::RunDirContents run;
  run.source = "fuzz/plan.json";
  run.state = engine::replay(*journal);
  run.events = std::move(journal->events);
  const report::RunReport r = report::build_report(run, "fuzz");
  report::render_markdown(r);
  report::render_html(r);
  report::render_json(r);
  return 0;
}
