// The .ferry grammar (PEGTL). Rules are small types; the parse tree they produce is turned into
// the AST by ferry_parser.cc. Once a keyword says what is being read, `must<>` turns a mismatch
// into an error written for a person (the messages are at the end of this file).
#pragma once

#include <tao/pegtl.hpp>

namespace ferry::dsl::grammar {

namespace pegtl = tao::pegtl;
using namespace pegtl;

// clang-format off
struct comment : seq< one< '#' >, until< eolf > > {};
struct ws : star< sor< space, comment > > {};

template< typename Key > struct keyword : seq< Key, not_at< identifier_other > > {};
struct kw_plan     : keyword< TAO_PEGTL_STRING( "plan" ) > {};
struct kw_module   : keyword< TAO_PEGTL_STRING( "module" ) > {};
struct kw_use      : keyword< TAO_PEGTL_STRING( "use" ) > {};
struct kw_param    : keyword< TAO_PEGTL_STRING( "param" ) > {};
struct kw_secret   : keyword< TAO_PEGTL_STRING( "secret" ) > {};
struct kw_cluster  : keyword< TAO_PEGTL_STRING( "cluster" ) > {};
struct kw_let      : keyword< TAO_PEGTL_STRING( "let" ) > {};
struct kw_phase    : keyword< TAO_PEGTL_STRING( "phase" ) > {};
struct kw_step     : keyword< TAO_PEGTL_STRING( "step" ) > {};
struct kw_for      : keyword< TAO_PEGTL_STRING( "for" ) > {};
struct kw_isolated : keyword< TAO_PEGTL_STRING( "isolated" ) > {};
struct kw_in       : keyword< TAO_PEGTL_STRING( "in" ) > {};
struct kw_when     : keyword< TAO_PEGTL_STRING( "when" ) > {};
struct kw_template : keyword< TAO_PEGTL_STRING( "template" ) > {};
struct kw_rollback : keyword< TAO_PEGTL_STRING( "rollback" ) > {};
struct kw_true     : keyword< TAO_PEGTL_STRING( "true" ) > {};
struct kw_false    : keyword< TAO_PEGTL_STRING( "false" ) > {};
struct kw_null     : keyword< TAO_PEGTL_STRING( "null" ) > {};

struct name : identifier {};
struct qualified_name : seq< identifier, opt< one< '.' >, identifier > > {};

// ---- expressions -------------------------------------------------------------------------
struct expr;

struct escape : seq< one< '\\' >, must< one< '"', '\\', 'n', 't', 'r', '$' > > > {};
struct dollar_escape : string< '$', '$', '{' > {};
struct interp_close : one< '}' > {};
struct interpolation : if_must< string< '$', '{' >, ws, expr, ws, interp_close > {};
struct text : plus< not_one< '"', '\\', '$', '\n' > > {};
struct lone_dollar : one< '$' > {};
struct string_close : one< '"' > {};
struct string_lit : if_must< one< '"' >, star< sor< escape, dollar_escape, interpolation, text, lone_dollar > >, string_close > {};

struct integer : plus< digit > {};
struct true_lit : kw_true {};
struct false_lit : kw_false {};
struct null_lit : kw_null {};

struct comma : seq< ws, one< ',' >, ws > {};
struct list_close : one< ']' > {};
struct list_lit : if_must< one< '[' >, ws, opt< list< expr, comma >, opt< comma > >, ws, list_close > {};

struct map_key : sor< name, string_lit > {};
struct map_equals : one< '=' > {};
struct map_entry : if_must< map_key, ws, map_equals, ws, expr > {};
struct map_close : one< '}' > {};
struct map_body : seq< ws, star< map_entry, ws, opt< one< ',' >, ws > >, must< map_close > > {};
struct map_lit : if_must< one< '{' >, map_body > {};

struct call_close : one< ')' > {};
struct call : seq< name, one< '(' >, ws, opt< list< expr, comma >, opt< comma > >, ws, call_close > {};
struct paren_close : one< ')' > {};
struct paren : if_must< one< '(' >, ws, expr, ws, paren_close > {};
struct ident_ref : name {};
struct primary : sor< string_lit, integer, true_lit, false_lit, null_lit, list_lit, map_lit, paren, call, ident_ref > {};

struct index_close : one< ']' > {};
struct index_suffix : if_must< one< '[' >, ws, expr, ws, index_close > {};
struct field_suffix : if_must< one< '.' >, name > {};
struct postfix : seq< primary, star< sor< index_suffix, field_suffix > > > {};

struct not_op : one< '!' > {};
struct neg_op : one< '-' > {};
struct unary_op : sor< seq< not_op, not_at< one< '=' > > >, neg_op > {};
struct unary : sor< seq< unary_op, ws, unary >, postfix > {};

struct add_op : one< '+', '-' > {};
struct add_expr : seq< unary, star< ws, add_op, ws, must< unary > > > {};
struct cmp_op : sor< string< '=', '=' >, string< '!', '=' >, string< '<', '=' >, string< '>', '=' >, one< '<' >, one< '>' > > {};
struct cmp_expr : seq< add_expr, opt< ws, cmp_op, ws, must< add_expr > > > {};
struct and_op : string< '&', '&' > {};
struct and_expr : seq< cmp_expr, star< ws, and_op, ws, must< cmp_expr > > > {};
struct or_op : string< '|', '|' > {};
struct or_expr : seq< and_expr, star< ws, or_op, ws, must< and_expr > > > {};
struct ternary_colon : one< ':' > {};
struct ternary : seq< or_expr, opt< ws, one< '?' >, ws, must< expr >, ws, must< ternary_colon >, ws, must< expr > > > {};
struct expr : ternary {};

// ---- types ---------------------------------------------------------------------------------
struct type_expr;
struct type_close : one< ')' > {};
struct enum_values : list< string_lit, comma > {};
struct enum_type : if_must< keyword< TAO_PEGTL_STRING( "enum" ) >, ws, one< '(' >, ws, enum_values, ws, type_close > {};
struct generic_type : seq< sor< TAO_PEGTL_STRING( "list" ), TAO_PEGTL_STRING( "map" ) >, ws, one< '(' >, ws, must< type_expr >, ws, must< type_close > > {};
struct simple_type : name {};
struct type_expr : sor< enum_type, generic_type, simple_type > {};

// ---- statements ----------------------------------------------------------------------------
struct equals : one< '=' > {};
struct field : seq< name, ws, equals, ws, must< expr > > {};
struct block_field : seq< name, ws, at< one< '{' > >, map_lit > {};
struct setting : sor< field, block_field > {};
// A name and then anything but '=' or '{' where only fields may stand: `namespace "x"`.
struct field_equals : one< '=' > {};
struct field_missing_equals : seq< name, ws, must< field_equals > > {};

struct body_item;
struct block_close : one< '}' > {};
struct block_open : one< '{' > {};

struct step_index : if_must< one< '[' >, ws, expr, ws, index_close > {};
struct step_type : name {};
struct rollback_block : seq< kw_rollback, ws, block_open, ws, star< body_item, ws >, must< block_close > > {};
struct step_item : sor< rollback_block, setting, field_missing_equals > {};
struct step_body : seq< step_type, ws, must< block_open >, ws, star< step_item, ws >, must< block_close > > {};
struct instance_args_close : one< ')' > {};
struct instance_arg : seq< name, ws, must< equals >, ws, must< expr > > {};
struct instance_call : seq< qualified_name, ws, one< '(' >, ws, opt< list< instance_arg, comma >, opt< comma > >, ws, must< instance_args_close > > {};
struct step_rhs : sor< instance_call, step_body > {};
// `isolated step ...`: only before `step` is `isolated` a keyword (elsewhere it is a name).
struct isolated_mark : seq< kw_isolated, ws, at< kw_step > > {};
struct step_decl : if_must< seq< opt< isolated_mark >, kw_step >, ws, name, opt< step_index >, ws, equals, ws, step_rhs > {};

struct let_decl : if_must< kw_let, ws, name, ws, equals, ws, expr > {};
struct for_decl : if_must< kw_for, ws, name, ws, kw_in, ws, expr, ws, block_open, ws, star< body_item, ws >, block_close > {};
struct when_decl : if_must< kw_when, ws, expr, ws, block_open, ws, star< body_item, ws >, block_close > {};
struct body_item : sor< step_decl, for_decl, when_decl, let_decl > {};

struct phase_item : sor< body_item, setting > {};
struct phase_decl : if_must< kw_phase, ws, name, ws, block_open, ws, star< phase_item, ws >, block_close > {};

struct param_default : seq< equals, ws, must< expr > > {};
struct secret_mark : kw_secret {};
struct param_decl : if_must< kw_param, ws, name, ws, one< ':' >, ws, opt< secret_mark, ws >, type_expr, opt< ws, param_default > > {};

struct template_param : seq< name, opt< ws, one< ':' >, ws, must< type_expr > >, opt< ws, param_default > > {};
struct template_params_close : one< ')' > {};
struct template_decl : if_must< kw_template, ws, name, ws, one< '(' >, ws, opt< list< template_param, comma >, opt< comma > >, ws, template_params_close, ws, block_open, ws, star< body_item, ws >, block_close > {};

struct use_decl : if_must< kw_use, ws, string_lit > {};
struct cluster_item : sor< setting, field_missing_equals > {};
struct cluster_decl : if_must< kw_cluster, ws, name, ws, block_open, ws, star< cluster_item, ws >, block_close > {};

struct plan_item : sor< use_decl, param_decl, cluster_decl, let_decl, phase_decl, template_decl, setting > {};
struct plan_close : one< '}' > {};
struct plan_decl : if_must< kw_plan, ws, string_lit, ws, block_open, ws, star< plan_item, ws >, plan_close > {};

struct module_item : sor< use_decl, let_decl, template_decl, setting > {};
struct module_close : one< '}' > {};
struct module_decl : if_must< kw_module, ws, string_lit, ws, block_open, ws, star< module_item, ws >, module_close > {};

struct top_level : sor< plan_decl, module_decl > {};

// The text of a TOML string: literal text with `${...}` interpolations (TOML did the unescaping).
struct raw_text : plus< not_one< '$' > > {};
struct template_string : seq< star< sor< dollar_escape, interpolation, raw_text, lone_dollar > >, eof > {};
struct end_of_file : eof {};
struct file : seq< ws, must< top_level >, ws, must< end_of_file > > {};
// clang-format on

// Messages for `must<>` failures: what was expected, in words.
template <typename Rule> inline constexpr const char* error_message = nullptr;
// clang-format off
template<> inline constexpr auto error_message< top_level > = "expected 'plan \"name\" {' or 'module \"name\" {'";
template<> inline constexpr auto error_message< end_of_file > = "unexpected text after the closing '}'";
template<> inline constexpr auto error_message< string_lit > = "expected a quoted string";
template<> inline constexpr auto error_message< string_close > = "unterminated string: expected '\"' before the end of the line";
template<> inline constexpr auto error_message< interp_close > = "expected '}' to close the '${' interpolation";
template<> inline constexpr auto error_message< one< '"', '\\', 'n', 't', 'r', '$' > > = "unknown escape sequence; use \\\" \\\\ \\n \\t \\r or \\$";
template<> inline constexpr auto error_message< list_close > = "expected ',' or ']' in the list";
template<> inline constexpr auto error_message< map_close > = "expected 'key = value' or '}' in the map";
template<> inline constexpr auto error_message< map_equals > = "expected '=' after the map key";
template<> inline constexpr auto error_message< call_close > = "expected ',' or ')' in the call";
template<> inline constexpr auto error_message< paren_close > = "expected ')'";
template<> inline constexpr auto error_message< index_close > = "expected ']' to close the index";
template<> inline constexpr auto error_message< name > = "expected a name";
template<> inline constexpr auto error_message< expr > = "expected an expression";
template<> inline constexpr auto error_message< unary > = "expected an expression after the operator";
template<> inline constexpr auto error_message< cmp_expr > = "expected an expression after the operator";
template<> inline constexpr auto error_message< add_expr > = "expected an expression after the operator";
template<> inline constexpr auto error_message< and_expr > = "expected an expression after '||'";
template<> inline constexpr auto error_message< ternary_colon > = "expected ':' in the 'condition ? a : b' expression";
template<> inline constexpr auto error_message< type_expr > = "expected a type: string, int, bool, duration, list(T), map(T), enum(...), cluster or any";
template<> inline constexpr auto error_message< enum_values > = "expected the enum's values as quoted strings, separated by ','";
template<> inline constexpr auto error_message< type_close > = "expected ')' to close the type";
template<> inline constexpr auto error_message< one< '(' > > = "expected '('";
template<> inline constexpr auto error_message< one< ':' > > = "expected ':' and a type after the parameter name";
template<> inline constexpr auto error_message< equals > = "expected '='";
template<> inline constexpr auto error_message< field_equals > = "expected '=' after the field name";
template<> inline constexpr auto error_message< step_rhs > = "expected a step type and '{' (e.g. 'patch {') or a template call (e.g. 'stop_control_plane(...)')";
template<> inline constexpr auto error_message< block_open > = "expected '{'";
template<> inline constexpr auto error_message< block_close > = "expected a field ('name = value'), a statement (step, for, when, let) or '}' to close the block";
template<> inline constexpr auto error_message< instance_args_close > = "expected 'name = value', ',' or ')' in the template arguments";
template<> inline constexpr auto error_message< template_params_close > = "expected a parameter name, ',' or ')' in the template parameters";
template<> inline constexpr auto error_message< kw_in > = "expected 'in' after the loop variable";
template<> inline constexpr auto error_message< plan_close > = "expected a declaration (use, param, cluster, let, template, phase), a setting ('name = value') or '}' to close the plan";
template<> inline constexpr auto error_message< module_close > = "expected 'use', 'let', 'template', a setting or '}' to close the module";
// clang-format on

}  // namespace ferry::dsl::grammar
