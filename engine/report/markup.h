// Escaping for the HTML and SVG renderers (one home, so neither forgets a character).
#pragma once

#include <string>
#include <string_view>

namespace ferry::report {

// `text` as XML/HTML character data or a quoted attribute value: & < > " ' escaped.
std::string xml_escape(std::string_view text);

}  // namespace ferry::report
