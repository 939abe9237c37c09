// A small XML reader for the few S3 and Route53 answers ferry reads (errors, ListObjectsV2,
// CreateMultipartUpload, CompleteMultipartUpload, ListResourceRecordSets). It builds a tree of
// elements with their text; namespaces prefixes are dropped, attributes are skipped, DTDs and
// processing instructions are skipped, the five named entities and numeric ones are decoded.
// It is strict about structure (mismatched tags are an error) so a truncated body is caught.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::aws {

struct XmlNode {
  std::string name;
  std::string text;  // the element's own character data, concatenated
  std::vector<XmlNode> children;

  // The first child named `name`, or nullptr.
  const XmlNode* child(std::string_view name) const;
  // The text of the first child named `name`, or "".
  std::string child_text(std::string_view name) const;
  std::vector<const XmlNode*> children_named(std::string_view name) const;
};

// Parses a whole document into *root (the document element). false with *error
// ("line N: what") when it is not well-formed.
bool parse_xml(std::string_view text, XmlNode* root, std::string* error);

}  // namespace ferry::aws
