//! CloudTrail: Athena's table for CloudTrail logs as the Athena User Guide documents it
//! ("Creating the table for CloudTrail logs in Athena using partition projection"), with the
//! record fields CloudTrail has added since (`vpcEndpointAccountId`, `eventCategory`,
//! `addendum`, `sessionCredentialFromConsole`, `edgeDeviceDetails`, `tlsDetails`).
//!
//! `requestParameters`, `responseElements`, `additionalEventData` and `serviceEventDetails`
//! are JSON text; `readOnly` is a JSON boolean held as text; `resources` an array of structs.

use super::{Column, Content, EventTime, Kind, Layout, Table, column, text};

const JSON: Kind = Kind::Text(Content::Json);

const ON_BEHALF_OF: &[Column] = &[
    text("userId", "userid"),
    text("identityStoreArn", "identitystorearn"),
];

const ATTRIBUTES: &[Column] = &[
    text("mfaAuthenticated", "mfaauthenticated"),
    text("creationDate", "creationdate"),
];

const SESSION_ISSUER: &[Column] = &[
    text("type", "type"),
    text("principalId", "principalid"),
    text("arn", "arn"),
    text("accountId", "accountid"),
    text("userName", "username"),
];

const WEB_ID_FEDERATION: &[Column] = &[
    text("federatedProvider", "federatedprovider"),
    column(
        "attributes",
        "attributes",
        Kind::Opaque(
            "MAP<STRING,STRING>",
            "the table holds it as a map, whose keys Athena compares differently",
        ),
    ),
];

const SESSION_CONTEXT: &[Column] = &[
    column("attributes", "attributes", Kind::Struct(ATTRIBUTES)),
    column(
        "sessionIssuer",
        "sessionissuer",
        Kind::Struct(SESSION_ISSUER),
    ),
    text("ec2RoleDelivery", "ec2roledelivery"),
    column(
        "webIdFederationData",
        "webidfederationdata",
        Kind::Struct(WEB_ID_FEDERATION),
    ),
];

const USER_IDENTITY: &[Column] = &[
    text("type", "type"),
    text("principalId", "principalid"),
    text("arn", "arn"),
    text("accountId", "accountid"),
    text("invokedBy", "invokedby"),
    text("accessKeyId", "accesskeyid"),
    text("userName", "username"),
    column("onBehalfOf", "onbehalfof", Kind::Struct(ON_BEHALF_OF)),
    column(
        "sessionContext",
        "sessioncontext",
        Kind::Struct(SESSION_CONTEXT),
    ),
];

const RESOURCE: &[Column] = &[
    text("ARN", "arn"),
    text("accountId", "accountid"),
    text("type", "type"),
];

const ADDENDUM: &[Column] = &[
    text("reason", "reason"),
    text("updatedFields", "updatedfields"),
    text("originalRequestID", "originalrequestid"),
    text("originalEventID", "originaleventid"),
];

const TLS_DETAILS: &[Column] = &[
    text("tlsVersion", "tlsversion"),
    text("cipherSuite", "ciphersuite"),
    text("clientProvidedHostHeader", "clientprovidedhostheader"),
];

const COLUMNS: &[Column] = &[
    text("eventVersion", "eventversion"),
    column("userIdentity", "useridentity", Kind::Struct(USER_IDENTITY)),
    text("eventTime", "eventtime"),
    text("eventSource", "eventsource"),
    text("eventName", "eventname"),
    text("awsRegion", "awsregion"),
    text("sourceIPAddress", "sourceipaddress"),
    text("userAgent", "useragent"),
    text("errorCode", "errorcode"),
    text("errorMessage", "errormessage"),
    column("requestParameters", "requestparameters", JSON),
    column("responseElements", "responseelements", JSON),
    column("additionalEventData", "additionaleventdata", JSON),
    text("requestID", "requestid"),
    text("eventID", "eventid"),
    column("readOnly", "readonly", Kind::Text(Content::Bool)),
    column(
        "resources",
        "resources",
        Kind::Array(&Kind::Struct(RESOURCE)),
    ),
    text("eventType", "eventtype"),
    text("apiVersion", "apiversion"),
    text("recipientAccountId", "recipientaccountid"),
    column("serviceEventDetails", "serviceeventdetails", JSON),
    text("sharedEventID", "sharedeventid"),
    text("vpcEndpointId", "vpcendpointid"),
    text("vpcEndpointAccountId", "vpcendpointaccountid"),
    text("eventCategory", "eventcategory"),
    column("addendum", "addendum", Kind::Struct(ADDENDUM)),
    text(
        "sessionCredentialFromConsole",
        "sessioncredentialfromconsole",
    ),
    column("edgeDeviceDetails", "edgedevicedetails", JSON),
    column("tlsDetails", "tlsdetails", Kind::Struct(TLS_DETAILS)),
];

/// CloudTrail's table.
pub(crate) const TABLE: Table = Table {
    service: "cloudtrail",
    name: "cloudtrail",
    columns: COLUMNS,
    time: EventTime::Iso("eventtime"),
    layout: Layout::Json,
    athena_lowercases_keys: false,
};
