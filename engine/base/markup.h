// Escaping for XML and HTML: the report's HTML and SVG, the dry run's Markdown <details>, the S3
// requests' XML bodies (one home, so none forgets a character).
#pragma once

#include <string>
#include <string_view>

namespace ferry::engine {

// `text` as XML/HTML character data or a quoted attribute value: & < > " ' escaped.
std::string xml_escape(std::string_view text);

}  // namespace ferry::engine
