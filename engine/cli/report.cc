// `ferry report DIR`: what a change ticket or a postmortem needs of a run, from its directory.
#include <iostream>

#include "engine/base/redactor.h"
#include "engine/cli/command.h"
#include "engine/report/render.h"

namespace ferry::cli {
namespace {

int run_report(const Args& args) {
  const std::string& dir = args.positionals[0];
  std::string error;
  auto report = report::read_report(dir, &error);
  if (!report) {
    std::cerr << "ferry report: error: " << error << "\n";
    return kExitUsage;
  }
  const std::string format = args.get("--output", "markdown");
  std::string text = format == "html"   ? report::render_html(*report)
                     : format == "json" ? report::render_json(*report)
                                        : report::render_markdown(*report);
  // The journal is redacted as it is written (secret outputs are not even journaled); the
  // redactor's URL patterns also cover a journal an older ferry wrote.
  std::cout << engine::Redactor().redact(text);
  if (!report->torn_lines.empty()) {
    std::cerr << "ferry: note: the journal's last line (" << report->torn_lines.back()
              << ") was cut short by a crash and is ignored\n";
  }
  return kExitOk;
}

}  // namespace

Command report_command() {
  Command c{"report",
            "write a run's report: timeline, downtime, transfers, destructive steps",
            "ferry report DIR [--output markdown|html|json]",
            "Reads the run in DIR (its plan.json and journal) and writes what a change ticket or a postmortem\n"
            "needs: the plan, who ran it where, its IR hash and ferry version, start, end and result; a\n"
            "timeline of every step (each attempt, retries, the rollback's compensations) as a Mermaid\n"
            "Gantt chart (Markdown) or an SVG picture (HTML); the control plane's downtime window, from\n"
            "the step that scales kube-apiserver to 0 to the wait for the HostedCluster's Available\n"
            "condition; the S3 uploads with their size and rate; and what each destructive step did. A\n"
            "finished, failed, rolled-back or unfinished (running or crashed) run alike. Secrets never\n"
            "appear: the journal holds none.",
            {{"--output", true, "markdown (default), html (one self-contained page) or json", "FORMAT"}},
            run_report};
  c.output_formats = {"markdown", "html", "json"};
  c.operands = Operands::kRunDirs;
  return c;
}

}  // namespace ferry::cli
