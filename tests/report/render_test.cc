// The renderers on a hand-written run: the Mermaid chart follows the Gantt grammar it relies on
// (the CLI test also reads it back with the real Mermaid parser), names are escaped for Mermaid,
// Markdown and HTML, and the HTML fetches nothing.
#include "engine/report/render.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "tests/report/report_test_util.h"

namespace ferry::report {
namespace {

using testing::kMigrationPlan;
using testing::report_of;

const std::string kRun = R"(
{"t":1000,"event":"run_started","mode":"apply","parallelism":4,"user":"jdoe","host":"bastion-1"}
{"t":1010,"event":"step_started","step":"stop","attempt":1}
{"t":1200,"event":"step_succeeded","step":"stop","attempts":1,"outputs":{}}
{"t":1210,"event":"step_started","step":"snap","attempt":1}
{"t":1220,"event":"step_succeeded","step":"snap","attempts":1,"outputs":{"stdout":"etcd-0"},"secret_outputs":["token"]}
{"t":1300,"event":"step_started","step":"up","attempt":1}
{"t":1400,"event":"attempt_failed","step":"up","attempt":1,"class":"transient","message":"reset: by peer; #2","retry_in_ms":100}
{"t":1500,"event":"step_started","step":"up","attempt":2}
{"t":3500,"event":"step_succeeded","step":"up","attempts":2,"outputs":{"url":"s3://bucket/hc-snapshot.db","size":20971520,"parts":3,"sha256":"ab12"}}
{"t":3600,"event":"step_started","step":"available","attempt":1}
{"t":5600,"event":"step_failed","step":"available","attempts":1,"class":"timeout","message":"too slow"}
{"t":5601,"event":"run_ended","result":"failed","next":"rollback"}
{"t":5602,"event":"rollback_started","reason":"step available failed"}
{"t":5603,"event":"compensation_skipped","step":"up","reason":"rollback = none"}
{"t":5604,"event":"compensation_started","step":"stop"}
{"t":5900,"event":"compensation_succeeded","step":"stop"}
{"t":5901,"event":"run_ended","result":"rolled_back"}
)";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Mermaid, NamesLoseTheCharactersTheGanttGrammarReadsAsSyntax) {
  EXPECT_EQ(mermaid_text("etcd[etcd-0].upload"), "etcd[etcd-0].upload");
  EXPECT_EQ(mermaid_text("a:b#c;d"), "a#58;b#35;c#59;d");
  EXPECT_EQ(mermaid_text("<b>x</b>"), "#60;b#62;x#60;/b#62;");
  EXPECT_EQ(mermaid_text("two\nlines`"), "two lines#96;");
}

TEST(Mermaid, ANameThatWouldReadAsAStatementStartsWithAnEntity) {
  EXPECT_EQ(mermaid_text("title"), "#116;itle");
  EXPECT_EQ(mermaid_text("Section-b.undo"), "#83;ection-b.undo");
  EXPECT_EQ(mermaid_text("click x"), "#99;lick x");
  EXPECT_EQ(mermaid_text("2024-01-01"), "#50;024-01-01");
  EXPECT_EQ(mermaid_text("%comment"), "#37;comment");
  EXPECT_EQ(mermaid_text("subtitle"), "subtitle");
  EXPECT_EQ(mermaid_text(""), "");
}

// The grammar the chart relies on (mermaid's gantt.jison): a header, then `title`, `dateFormat`,
// `axisFormat` and `section` lines, and task lines `NAME :TAGS, ID, START, END` whose NAME has
// no ':' '#' ';' and whose times are Unix ms (dateFormat x).
TEST(Mermaid, TheChartIsWrittenToTheGanttGrammar) {
  RunReport r = report_of(kMigrationPlan, kRun);
  std::vector<std::string> lines = lines_of(mermaid_gantt(r));
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0], "gantt");
  EXPECT_EQ(lines[1], "  title mig, rolled back");
  EXPECT_EQ(lines[2], "  dateFormat x");
  EXPECT_EQ(lines[3], "  axisFormat %H:%M:%S");
  const std::regex task(R"(  [^:#;\n]+ :(done|active|crit|milestone), (t[0-9]+), ([0-9]+), ([0-9]+))");
  const std::regex section(R"(  section [^:#;\n]+)");
  std::vector<std::string> sections;
  std::set<std::string> ids;
  int tasks = 0;
  for (size_t i = 4; i < lines.size(); ++i) {
    std::smatch m;
    if (std::regex_match(lines[i], m, task)) {
      ++tasks;
      EXPECT_TRUE(ids.insert(m[2]).second) << "duplicate id: " << lines[i];
      EXPECT_LE(std::stoll(m[3]), std::stoll(m[4])) << lines[i];
    } else {
      EXPECT_TRUE(std::regex_match(lines[i], section)) << "neither a task nor a section: " << lines[i];
      sections.push_back(lines[i].substr(10));
    }
  }
  EXPECT_EQ(sections, (std::vector<std::string>{"control-plane downtime", "backup", "restore", "rollback"}));
  // The window, 5 attempts (the upload's two), 2 compensations (one skipped).
  EXPECT_EQ(tasks, 1 + 5 + 2);
}

TEST(Mermaid, TagsSayHowEachAttemptEnded) {
  std::string chart = mermaid_gantt(report_of(kMigrationPlan, kRun));
  EXPECT_NE(chart.find("  up (attempt 1, retried) :crit, "), std::string::npos) << chart;
  EXPECT_NE(chart.find("  up (attempt 2, succeeded) :done, "), std::string::npos) << chart;
  EXPECT_NE(chart.find("  stop :done, "), std::string::npos) << chart;
  EXPECT_NE(chart.find("  available (attempt 1, failed) :crit, "), std::string::npos) << chart;
  EXPECT_NE(chart.find("  undo stop (succeeded) :done, "), std::string::npos) << chart;
  EXPECT_NE(chart.find("  undo up (skipped) :milestone, "), std::string::npos) << chart;
  EXPECT_NE(chart.find("  control plane down, 4.9 s :crit, t1, 1010, 5900"), std::string::npos) << chart;
}

TEST(Mermaid, AnUnfinishedAttemptIsActive) {
  std::string chart = mermaid_gantt(report_of(kMigrationPlan, kRun.substr(0, kRun.find("{\"t\":1400"))));
  EXPECT_NE(chart.find("  up (attempt 1, unfinished) :active, "), std::string::npos) << chart;
  EXPECT_NE(chart.find("  control plane down, at least 0.3 s :crit, t1, 1010, 1300"), std::string::npos) << chart;
}

TEST(Markdown, HasTheFactsTheChartTheWindowTheTransfersAndTheDestructiveSteps) {
  std::string md = render_markdown(report_of(kMigrationPlan, kRun));
  EXPECT_EQ(md.rfind("# ferry report: plan `mig`, rolled back\n", 0), 0u) << md;
  EXPECT_NE(md.find("| Started by | jdoe on bastion-1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| IR hash | `HASH` |"), std::string::npos) << md;
  EXPECT_NE(md.find("| ferry version | 9.9.9 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| Control-plane downtime | **4.9 s** |"), std::string::npos) << md;
  EXPECT_NE(md.find("```mermaid\ngantt\n"), std::string::npos) << md;
  EXPECT_NE(md.find("4.9 s, from the start of stop (1970-01-01 00:00:01.010 UTC) until the rollback scaled it back up"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| `up` | `s3://bucket/hc-snapshot.db` | 20.0 MiB (20971520 bytes) | 2.000 s | 10.0 MiB/s |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("- `up` attempt 1, retried, at 1970-01-01 00:00:01.300 UTC for 0.100 s: transient: reset: by peer; \\#2"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| `stop` | scale | source | `kind=deployment names=[kube-apiserver, openshift-apiserver] "
                    "namespace=clusters-hc replicas=0` | succeeded, 1 attempt, 0.190 s; rolled back |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| `gone` | delete | source | `ignore_not_found=false kind=pods names=[etcd-0] "
                    "namespace=clusters-hc strip_finalizers=false wait=true wait_timeout=5m` | not reached |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("## Not reached\n\n`gone`\n"), std::string::npos) << md;
}

TEST(Markdown, AFailedRollbackSaysHowToGoOn) {
  std::string run = kRun;
  run.replace(run.find(R"({"t":5900,"event":"compensation_succeeded")"), std::string::npos, R"(
{"t":5900,"event":"compensation_failed","step":"stop","class":"forbidden","message":"scale: forbidden"}
{"t":5901,"event":"run_ended","result":"rollback_failed","not_undone":["snap"]}
)");
  std::string md = render_markdown(report_of(kMigrationPlan, run));
  EXPECT_NE(md.find("| `stop` | failed | 1970-01-01 00:00:05.604 UTC | 0.296 s | forbidden: scale: forbidden |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("The rollback stopped before undoing `snap`; fix its cause, then `ferry rollback .ferry/runs/test` "
                    "goes on from there."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Not undone (rollback = none): `up`."), std::string::npos) << md;
}

TEST(Markdown, APipeOrABacktickCannotBreakATableCell) {
  RunReport r = report_of(R"(plan "p" { cluster c { kubeconfig = "/k" } phase a {
    step d = delete { cluster = c  namespace = "n"  kind = "pods"  selector = "app in (a|b)`x" } } })",
                          R"({"t":1,"event":"run_started","mode":"apply","parallelism":4}
{"t":2,"event":"step_started","step":"d","attempt":1}
{"t":3,"event":"step_failed","step":"d","attempts":1,"class":"failed","message":"no | way"}
{"t":4,"event":"run_ended","result":"failed"}
)");
  std::string md = render_markdown(r);
  std::string row;
  for (const std::string& line : lines_of(md)) {
    if (line.rfind("| `d` |", 0) == 0) row = line;
  }
  ASSERT_FALSE(row.empty()) << md;
  EXPECT_NE(row.find(" selector=app in (a\\|b)`x "), std::string::npos) << row;
  EXPECT_EQ(row.rfind("| `d` | delete | c | ``ignore_not_found=false ", 0), 0u) << row;
  EXPECT_NE(row.find("failed: no \\| way |"), std::string::npos) << row;
  int cells = 0;  // unescaped pipes: 5 columns
  for (size_t i = 0; i < row.size(); ++i) cells += row[i] == '|' && (i == 0 || row[i - 1] != '\\');
  EXPECT_EQ(cells, 6) << row;
}

TEST(Html, IsOnePageThatFetchesNothingAndHoldsTheSvgTimeline) {
  std::string html = render_html(report_of(kMigrationPlan, kRun));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  for (const char* fetch : {"<script", "src=", "href=", "url(", "@import", "<link"}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }
  EXPECT_EQ(count(html, "<svg "), 1u);
  EXPECT_EQ(count(html, "<g class=\"step\""), 4u);  // stop, snap, up, available
  EXPECT_EQ(count(html, "class=\"bar attempt "), 5u);
  EXPECT_EQ(count(html, "<g class=\"compensation\""), 2u);
  EXPECT_EQ(count(html, "<rect class=\"downtime\""), 1u);
  EXPECT_NE(html.find("data-start-ms=\"1010\" data-end-ms=\"5900\""), std::string::npos);
  // Text from the journal is escaped, not markup.
  EXPECT_NE(html.find("<td><code>stop</code></td>"), std::string::npos);
}

TEST(Html, TheAxisHasAboutEightTicksHoweverLongTheRun) {
  for (const char* end : {"1800", "400000", "90000000000", "253402300799999"}) {  // ms, hours, years, 9999
    std::string run = std::string(R"({"t":1000,"event":"run_started","mode":"apply","parallelism":4}
{"t":1010,"event":"step_started","step":"stop","attempt":1}
{"t":)") + end + R"(,"event":"step_succeeded","step":"stop","attempts":1,"outputs":{}}
)";
    const size_t ticks = count(render_html(report_of(kMigrationPlan, run)), "<g class=\"tick\"");
    EXPECT_GE(ticks, 2u) << end;
    EXPECT_LE(ticks, 9u) << end;
  }
}

TEST(Html, TimesBeyondTheYearsAJournalCanHoldAreKeptWithinThem) {
  // A hand-edited journal's times at the ends of int64: the spans are computed without overflow.
  const std::string run = R"({"t":-9223372036854775808,"event":"run_started","mode":"apply","parallelism":4}
{"t":-5,"event":"step_started","step":"stop","attempt":1}
{"t":9223372036854775807,"event":"step_succeeded","step":"stop","attempts":1,"outputs":{}}
)";
  const std::string html = render_html(report_of(kMigrationPlan, run));
  EXPECT_NE(html.find("data-start-ms=\"0\" data-end-ms=\"253402300799999\""), std::string::npos);
}

TEST(Html, TextFromTheJournalIsEscaped) {
  std::string run = kRun;
  run.replace(run.find("too slow"), 8, R"(<img src=x onerror=alert(1)> & \"q\")");
  std::string html = render_html(report_of(kMigrationPlan, run));
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;"), std::string::npos);
}

TEST(Json, HoldsTheModel) {
  json j = json::parse(render_json(report_of(kMigrationPlan, kRun)));
  EXPECT_EQ(j["result"], "rolled back");
  EXPECT_EQ(j["downtime"]["start_step"], "stop");
  EXPECT_EQ(j["downtime"]["ended_by"], "rollback");
  EXPECT_DOUBLE_EQ(j["downtime"]["seconds"].get<double>(), 4.89);
  EXPECT_EQ(j["transfers"][0]["bytes"], 20971520);
  EXPECT_EQ(j["steps"][2]["attempts"][0]["end"], "retried");
  EXPECT_EQ(j["not_reached"], json::array({"gone"}));
}

TEST(Json, AnUnfinishedWindowSaysSo) {
  json j = json::parse(render_json(report_of(kMigrationPlan, kRun.substr(0, kRun.find("{\"t\":1400")))));
  EXPECT_EQ(j["result"], "unfinished");
  EXPECT_FALSE(j["finished"].get<bool>());
  EXPECT_FALSE(j["downtime"]["ended"].get<bool>());
  EXPECT_FALSE(j["downtime"].contains("end_ms"));
}

}  // namespace
}  // namespace ferry::report
