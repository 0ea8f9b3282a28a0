//! AWS WAF logs: Athena's `waf_logs` table from the Athena User Guide ("Creating the table for
//! AWS WAF S3 logs in Athena using partition projection"), with `ja3Fingerprint`.
//! `excludedRules` is JSON text (an array in the record).

use super::{Column, Content, EventTime, Kind, Layout, Numeric, Table, column, text};

const MATCH_DETAILS: &[Column] = &[
    text("conditionType", "conditiontype"),
    text("sensitivityLevel", "sensitivitylevel"),
    text("location", "location"),
    column(
        "matchedData",
        "matcheddata",
        Kind::Array(&Kind::Text(Content::Str)),
    ),
];

const MATCH_DETAILS_ARRAY: Kind = Kind::Array(&Kind::Struct(MATCH_DETAILS));

const TERMINATING_RULE: &[Column] = &[
    text("ruleId", "ruleid"),
    text("action", "action"),
    column("ruleMatchDetails", "rulematchdetails", MATCH_DETAILS_ARRAY),
];

const GROUP_NON_TERMINATING: &[Column] = &[
    text("ruleId", "ruleid"),
    text("action", "action"),
    text("overriddenAction", "overriddenaction"),
    column("ruleMatchDetails", "rulematchdetails", MATCH_DETAILS_ARRAY),
];

const RULE_GROUP: &[Column] = &[
    text("ruleGroupId", "rulegroupid"),
    column(
        "terminatingRule",
        "terminatingrule",
        Kind::Struct(TERMINATING_RULE),
    ),
    column(
        "nonTerminatingMatchingRules",
        "nonterminatingmatchingrules",
        Kind::Array(&Kind::Struct(GROUP_NON_TERMINATING)),
    ),
    column("excludedRules", "excludedrules", Kind::Text(Content::Json)),
];

const RATE_BASED_RULE: &[Column] = &[
    text("rateBasedRuleId", "ratebasedruleid"),
    text("limitKey", "limitkey"),
    column(
        "maxRateAllowed",
        "maxrateallowed",
        Kind::Number(Numeric::Int),
    ),
];

const CAPTCHA: &[Column] = &[
    text("responseCode", "responsecode"),
    text("solveTimestamp", "solvetimestamp"),
];

const NON_TERMINATING: &[Column] = &[
    text("ruleId", "ruleid"),
    text("action", "action"),
    column("ruleMatchDetails", "rulematchdetails", MATCH_DETAILS_ARRAY),
    column("captchaResponse", "captcharesponse", Kind::Struct(CAPTCHA)),
];

const HEADER: &[Column] = &[text("name", "name"), text("value", "value")];

const HTTP_REQUEST: &[Column] = &[
    text("clientIp", "clientip"),
    text("country", "country"),
    column("headers", "headers", Kind::Array(&Kind::Struct(HEADER))),
    text("uri", "uri"),
    text("args", "args"),
    text("httpVersion", "httpversion"),
    text("httpMethod", "httpmethod"),
    text("requestId", "requestid"),
];

const LABEL: &[Column] = &[text("name", "name")];

const CAPTCHA_RESPONSE: &[Column] = &[
    text("responseCode", "responsecode"),
    text("solveTimestamp", "solvetimestamp"),
    text("failureReason", "failurereason"),
];

const COLUMNS: &[Column] = &[
    column("timestamp", "timestamp", Kind::Number(Numeric::BigInt)),
    column("formatVersion", "formatversion", Kind::Number(Numeric::Int)),
    text("webaclId", "webaclid"),
    text("terminatingRuleId", "terminatingruleid"),
    text("terminatingRuleType", "terminatingruletype"),
    text("action", "action"),
    column(
        "terminatingRuleMatchDetails",
        "terminatingrulematchdetails",
        MATCH_DETAILS_ARRAY,
    ),
    text("httpSourceName", "httpsourcename"),
    text("httpSourceId", "httpsourceid"),
    column(
        "ruleGroupList",
        "rulegrouplist",
        Kind::Array(&Kind::Struct(RULE_GROUP)),
    ),
    column(
        "rateBasedRuleList",
        "ratebasedrulelist",
        Kind::Array(&Kind::Struct(RATE_BASED_RULE)),
    ),
    column(
        "nonTerminatingMatchingRules",
        "nonterminatingmatchingrules",
        Kind::Array(&Kind::Struct(NON_TERMINATING)),
    ),
    column(
        "requestHeadersInserted",
        "requestheadersinserted",
        Kind::Array(&Kind::Struct(HEADER)),
    ),
    column(
        "responseCodeSent",
        "responsecodesent",
        Kind::Text(Content::Number),
    ),
    column("httpRequest", "httprequest", Kind::Struct(HTTP_REQUEST)),
    column("labels", "labels", Kind::Array(&Kind::Struct(LABEL))),
    column(
        "captchaResponse",
        "captcharesponse",
        Kind::Struct(CAPTCHA_RESPONSE),
    ),
    text("ja3Fingerprint", "ja3fingerprint"),
];

/// WAF's table.
pub(crate) const TABLE: Table = Table {
    service: "waf",
    name: "waf",
    columns: COLUMNS,
    time: EventTime::Epoch("timestamp"),
    layout: Layout::Json,
    athena_lowercases_keys: true,
};
