// Text the renderers share: times, durations, sizes, argument lists, and the sentences that say
// how the run ended and what the downtime window was.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/report/report_model.h"

namespace ferry::report {

std::string utc_time(int64_t ms);     // "2026-11-26 12:00:00.123 UTC"
std::string clock_time(int64_t ms);   // "12:00:00.123" (UTC)
std::string duration_text(int64_t ms);  // "0.012 s", "12.3 s", "2 min 03.4 s", "1 h 02 min 03 s"
std::string seconds_text(int64_t ms);   // "123.4 s": the downtime, in seconds as a change ticket wants it
std::string bytes_text(int64_t bytes);  // "104.9 MiB (110000000 bytes)"
std::string rate_text(double bytes_per_second);  // "32.7 MiB/s"

// `kind=deployment names=[kube-apiserver, openshift-apiserver] replicas=0`: strings bare, other
// values as compact JSON, each cut at 160 characters.
std::string args_summary(const json& args);

// How the run ended, for the headline: "succeeded", "failed", ..., or for an unfinished run
// "unfinished: still running, or stopped by a crash".
std::string result_sentence(const RunReport& r);
// The downtime window in a sentence: its length in seconds and what started and ended it; or
// "No downtime window: <why>".
std::string downtime_sentence(const RunReport& r);
// "apply by jdoe on host-1 at 2026-11-26 12:00:00.000 UTC"
std::string invocation_text(const Invocation& i);
// "jdoe on host-1", or what is known of it.
std::string who_where(const std::string& user, const std::string& host);

}  // namespace ferry::report
