// Package segment is ecrm's one engine for selecting people: campaigns,
// journeys, service rules and portals all pick contacts through a segment
// definition. It parses and validates a definition against a field catalog
// and compiles it into one parameterised SQL condition over `contacts c`.
// It executes nothing and knows no HTTP; the store runs what it compiles.
//
// # Definition schema
//
// A definition is a JSON tree of AND/OR groups of predicates:
//
//	{
//	  "op": "and",                       // "and" | "or": how the groups combine
//	  "groups": [
//	    {
//	      "op": "and",                   // how this group's predicates and subgroups combine
//	      "predicates": [
//	        {"field": "purchase.orders", "op": "eq", "value": 1},
//	        {"field": "purchase.last_order", "op": "more_than_days_ago", "value": 60},
//	        {"field": "web.viewed_product", "op": "at_least", "value": 1, "since_last_order": true},
//	        {"field": "consent", "op": "granted", "purpose": "marketing", "channel": "email"}
//	      ],
//	      "groups": []                   // nested groups, same shape, up to MaxDepth levels
//	    }
//	  ]
//	}
//
// Every predicate has "field" (a key of Catalog, or "custom.<key>" for a
// contact custom field), "op" (one of the field's operators) and, for
// operators that take one, "value". Some fields take extra parameters
// beside value, listed in the field's Params:
//
//	within_days       int 1..3650: only events/orders of the last N days
//	since, until      "YYYY-MM-DD": only events/orders on or after / on or before these days
//	since_last_order  true: only events after the contact's last order
//	skus              ["SKU", …]: only these products (empty: any)
//	categories        ["category", …]: only products of these categories
//	url               text the page URL contains
//	forms             [form id, …]: only these forms (empty: any)
//	survey_id         survey id: only this survey (absent: any of the kind)
//	purpose, channel  the consent topic (crm.ConsentTopics)
//
// Value shapes by operator: a scalar for eq/neq/gt/gte/lt/lte/contains/
// not_contains/starts_with/before/after/on (a number for number and money
// fields — money in minor units —, a string for text and enum fields,
// "YYYY-MM-DD" for dates); a non-empty array for in/not_in/has_any/
// has_all/has_none; a two-element array [low, high] (inclusive) for
// between; a whole number of days for more_than_days_ago/
// less_than_days_ago; a count for at_least/fewer_than/exactly; a segment
// id for in_segment/not_in_segment; nothing for is_empty/is_not_empty/
// is_true/is_false/granted/not_granted/withdrawn/never_asked.
//
// An empty definition ({"op":"and","groups":[]}) selects every contact.
// Validation errors name the JSON path of the offending part
// (groups[0].predicates[2].value); the API prefixes it with
// body.definition.
package segment
