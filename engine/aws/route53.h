// Route53's ListResourceRecordSets, enough for the procedure's route-cleanup wait: how many
// records of a hosted zone are at or under a domain (ExternalDNS removes them once the Routes
// are gone). Signed with SigV4 under the non-S3 rules (global service, us-east-1).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "engine/aws/credentials.h"
#include "engine/aws/error.h"
#include "engine/aws/s3_client.h"

namespace ferry::aws {

struct DnsRecord {
  std::string name;  // as Route53 lists it, without the trailing dot, "\052" shown as '*'
  std::string type;
};

struct Route53Options {
  AwsConfig config;  // credentials; service_endpoints["route53"] overrides the AWS endpoint
  RetryPolicy retry;
  std::function<int64_t()> now;
  std::function<void(const std::string&)> on_retry;
  size_t page_size = 0;  // maxitems per page; 0: Route53's default (300)
};

// The records of `zone_id` ("Z0734..." or "/hostedzone/Z0734...") named `domain` or a name
// under it, reading every page from `domain` on. `domain` may end with a dot.
AwsError list_domain_records(const Route53Options& options, const std::string& zone_id, const std::string& domain,
                             std::vector<DnsRecord>* out);

}  // namespace ferry::aws
