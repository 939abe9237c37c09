#include "engine/report/format.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace ferry::report {
namespace {

std::string printf_text(const char* format, auto... args) {
  char buf[96];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

std::string cut(std::string text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;  // not inside a UTF-8 character
  return text.substr(0, end) + "...";
}

std::string value_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + value_text(v[i]);
    return out + "]";
  }
  return v.dump();
}

}  // namespace

std::string utc_time(int64_t ms) {
  std::time_t seconds = ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
  return printf_text("%s.%03d UTC", date, static_cast<int>(ms % 1000));
}

std::string clock_time(int64_t ms) {
  std::time_t seconds = ms / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return printf_text("%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

std::string duration_text(int64_t ms) {
  if (ms < 10'000) return printf_text("%.3f s", ms / 1000.0);
  if (ms < 60'000) return printf_text("%.1f s", ms / 1000.0);
  if (ms < 3'600'000) return printf_text("%" PRId64 " min %04.1f s", ms / 60'000, (ms % 60'000) / 1000.0);
  return printf_text("%" PRId64 " h %02" PRId64 " min %02" PRId64 " s", ms / 3'600'000, ms % 3'600'000 / 60'000,
                     ms % 60'000 / 1000);
}

std::string seconds_text(int64_t ms) { return printf_text("%.1f s", ms / 1000.0); }

std::string bytes_text(int64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  if (unit == 0) return printf_text("%" PRId64 " bytes", bytes);
  return printf_text("%.1f %s (%" PRId64 " bytes)", value, units[unit], bytes);
}

std::string rate_text(double bytes_per_second) {
  const char* units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s"};
  int unit = 0;
  while (bytes_per_second >= 1024 && unit < 3) {
    bytes_per_second /= 1024;
    ++unit;
  }
  return printf_text("%.1f %s", bytes_per_second, units[unit]);
}

std::string args_summary(const json& args) {
  std::string out;
  if (!args.is_object()) return cut(value_text(args), 160);
  for (const auto& [name, value] : args.items()) {
    out += (out.empty() ? "" : " ") + name + "=" + cut(value_text(value), 160);
  }
  return out;
}

std::string result_sentence(const RunReport& r) {
  if (r.finished) return r.result;
  return "unfinished: still running, or stopped by a crash (the journal ends at " + utc_time(r.ended_ms) + ")";
}

std::string downtime_sentence(const RunReport& r) {
  const DowntimeWindow& w = r.downtime;
  if (!w.found) return "No downtime window: " + w.absent;
  std::string from = "from the start of " + w.start_step + " (" + utc_time(w.start_ms) + ")";
  if (w.ended_by == "available") {
    return seconds_text(w.duration_ms(r.ended_ms)) + ", " + from + " to the success of " + w.end_step + " (" +
           utc_time(w.end_ms) + ")";
  }
  if (w.ended_by == "rollback") {
    return seconds_text(w.duration_ms(r.ended_ms)) + ", " + from + " until the rollback scaled it back up (" +
           utc_time(w.end_ms) + "); " + w.end_step + " did not succeed";
  }
  return "At least " + seconds_text(w.duration_ms(r.ended_ms)) + ", " + from + "; still down when the journal ends (" +
         utc_time(r.ended_ms) + "): " + w.end_step + " has not succeeded";
}

std::string who_where(const std::string& user, const std::string& host) {
  if (user.empty() && host.empty()) return "not recorded";
  return (user.empty() ? "someone" : user) + (host.empty() ? "" : " on " + host);
}

std::string invocation_text(const Invocation& i) {
  std::string text = i.mode.empty() ? "run" : i.mode;
  if (!i.user.empty() || !i.host.empty()) text += " by " + who_where(i.user, i.host);
  return text + " at " + utc_time(i.t_ms);
}

}  // namespace ferry::report
