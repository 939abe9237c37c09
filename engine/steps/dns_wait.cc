// `dns_wait`: the procedure's route-cleanup wait. Polls Route53 (ListResourceRecordSets, every
// page) until the zone holds at most `max_records` records at or under `name`, as ExternalDNS
// removes them after the Routes are deleted. The step's timeout bounds the wait.
#include "engine/aws/route53.h"
#include "engine/steps/aws_steps.h"

namespace ferry::engine {
namespace {

std::vector<Action> render(const StepContext& ctx) {
  Action a;
  a.method = "GET";
  a.url = "https://route53.amazonaws.com/2013-04-01/hostedzone/" + ctx.arg("zone_id", "").get<std::string>() +
          "/rrset?name=" + ctx.arg("name", "").get<std::string>();
  a.note = "every " + ctx.arg("interval", "10s").get<std::string>() + " until at most " +
           std::to_string(ctx.arg("max_records", 2).get<int64_t>()) + " records remain";
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  const std::string zone = ctx.arg("zone_id", "").get<std::string>();
  const std::string name = ctx.arg("name", "").get<std::string>();
  const int64_t max_records = ctx.arg("max_records", 2).get<int64_t>();
  auto interval = dsl::parse_duration(ctx.arg("interval", "10s").get<std::string>());
  if (!interval || *interval <= 0) {
    r.status = Status::Invalid("interval: expected a duration like \"10s\"");
    return r;
  }
  aws::Route53Options o;
  if (r.status = aws_step::resolve_config(ctx, &o.config); !r.status.ok()) return r;
  o.retry = aws_step::retry_policy(ctx);
  auto log = ctx.log;
  if (log) o.on_retry = [log](const std::string& line) { log(line); };
  for (int polls = 1;; ++polls) {
    std::vector<aws::DnsRecord> records;
    aws::AwsError e = aws::list_domain_records(o, zone, name, &records);
    if (!e.ok()) {
      r.status = aws_step::to_status(e, "listing records of zone " + zone);
      return r;
    }
    const int64_t count = static_cast<int64_t>(records.size());
    if (count <= max_records) {
      r.outputs = {{"count", count}};
      return r;
    }
    ctx.log(std::to_string(count) + " records remain under " + name + " (waiting for at most " +
            std::to_string(max_records) + "); next poll in " + dsl::format_duration(*interval));
    if (Status s = ctx.sleep_for(Millis(*interval)); !s.ok()) {
      r.status = Status::Error(s.error_class(), s.message() + " (" + std::to_string(count) + " records still under " +
                                                    name + " after " + std::to_string(polls) + " polls)");
      return r;
    }
  }
}

}  // namespace

StepImpl dns_wait_step() {
  StepImpl impl;
  impl.type = "dns_wait";
  impl.render = render;
  impl.run = run;
  impl.preflight = aws_step::preflight;
  return impl;
}

}  // namespace ferry::engine
