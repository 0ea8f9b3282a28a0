//! The CloudTrail API catalogue: a few hundred `eventSource`/`eventName` pairs ranked by how
//! often a real account logs them, drawn with Zipf-like weights.
//!
//! [`HEAD`] lists the most frequent calls in rank order (role assumption, KMS data-key calls,
//! `Describe*`/`List*`/`Get*` polling by tools and the console). [`TAIL`] holds the long tail by
//! service; its calls are ranked after the head by taking one from each service in turn, so
//! every service has a few moderately common calls. The attack calls of the planted scenarios
//! (`StopLogging`, `DeleteTrail`, `ScheduleKeyDeletion`, `DeleteDetector`) are absent; their
//! benign look-alikes (`CreateAccessKey`, `AttachUserPolicy`, `PutBucketPolicy`, ...) are
//! present and get benign parameters.

use crate::pick::{Rng, Weighted};

/// The most frequent calls, most frequent first, as `service:EventName`.
const HEAD: &str = "\
sts:AssumeRole kms:Decrypt kms:GenerateDataKey ec2:DescribeInstances sts:GetCallerIdentity \
s3:ListBuckets logs:DescribeLogStreams ssm:GetParameter secretsmanager:GetSecretValue \
ec2:DescribeSecurityGroups iam:GetRole ec2:DescribeSubnets ec2:DescribeVpcs \
cloudwatch:DescribeAlarms ecr:GetAuthorizationToken ec2:DescribeNetworkInterfaces \
s3:GetBucketLocation lambda:ListFunctions20150331 iam:ListRoles ec2:DescribeRegions \
ssm:DescribeInstanceInformation ecs:DescribeTasks ecs:ListTasks logs:DescribeLogGroups \
s3:GetBucketAcl sts:AssumeRoleWithWebIdentity ssm:GetParameters iam:GetPolicyVersion \
ec2:DescribeVolumes autoscaling:DescribeAutoScalingGroups elasticloadbalancing:DescribeTargetHealth \
kms:DescribeKey rds:DescribeDBInstances dynamodb:DescribeTable ec2:DescribeRouteTables \
iam:ListAttachedRolePolicies cloudformation:DescribeStacks signin:ConsoleLogin \
ec2:DescribeImages s3:GetBucketPolicy ecs:DescribeServices iam:GetUser kms:Encrypt \
config:PutEvaluations sqs:GetQueueAttributes sns:ListTopics";

/// The long tail, one service per line: `service Call Call ...`.
const TAIL: &str = "
ec2 DescribeSnapshots DescribeAvailabilityZones DescribeAccountAttributes DescribeNatGateways DescribeInternetGateways DescribeNetworkAcls DescribeKeyPairs DescribeLaunchTemplates DescribeAddresses DescribeTags DescribeInstanceStatus DescribeVpcEndpoints DescribeInstanceTypes DescribeSpotPriceHistory DescribePrefixLists DescribeFlowLogs DescribeTransitGateways GetConsoleOutput RunInstances TerminateInstances StartInstances StopInstances CreateTags DeleteTags CreateSnapshot DeleteSnapshot CreateVolume AttachVolume DetachVolume CreateSecurityGroup AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress ModifyInstanceAttribute CreateNetworkInterface DeleteNetworkInterface AllocateAddress AssociateAddress CreateLaunchTemplateVersion ModifyVpcAttribute
iam ListUsers ListPolicies GetPolicy ListRolePolicies GetRolePolicy ListAttachedUserPolicies ListGroupsForUser ListAccessKeys GetAccessKeyLastUsed ListMFADevices GetAccountSummary GetAccountPasswordPolicy ListInstanceProfilesForRole GenerateCredentialReport GetCredentialReport ListServerCertificates ListOpenIDConnectProviders ListSAMLProviders CreateRole PutRolePolicy AttachRolePolicy DetachRolePolicy CreatePolicy CreatePolicyVersion DeletePolicyVersion UpdateAssumeRolePolicy TagRole CreateServiceLinkedRole CreateAccessKey UpdateAccessKey DeleteAccessKey AttachUserPolicy PutUserPolicy CreateInstanceProfile AddRoleToInstanceProfile
sts GetSessionToken AssumeRoleWithSAML DecodeAuthorizationMessage GetAccessKeyInfo
s3 GetBucketVersioning GetBucketEncryption GetBucketPublicAccessBlock GetBucketTagging GetBucketLogging GetBucketLifecycle GetBucketCors GetBucketWebsite GetBucketNotification GetBucketOwnershipControls GetBucketReplication GetBucketRequestPayment GetObjectLockConfiguration GetAccelerateConfiguration ListObjects GetObject PutObject HeadBucket CreateBucket PutBucketTagging PutBucketEncryption PutBucketVersioning PutBucketLifecycle PutBucketPolicy PutBucketAcl PutBucketPublicAccessBlock DeleteObject
kms ListKeys ListAliases GetKeyPolicy GetKeyRotationStatus ListResourceTags GenerateDataKeyWithoutPlaintext ReEncrypt CreateKey CreateAlias EnableKeyRotation TagResource CreateGrant RetireGrant
lambda GetFunction GetFunctionConfiguration ListVersionsByFunction ListAliases GetPolicy ListEventSourceMappings ListLayers UpdateFunctionCode UpdateFunctionConfiguration CreateFunction PublishVersion AddPermission
logs GetLogEvents FilterLogEvents DescribeMetricFilters DescribeSubscriptionFilters CreateLogGroup CreateLogStream PutRetentionPolicy PutSubscriptionFilter StartQuery GetQueryResults
cloudwatch GetMetricData ListMetrics DescribeAlarmHistory GetDashboard ListDashboards PutMetricAlarm PutDashboard DeleteAlarms
ssm GetParametersByPath DescribeParameters ListCommands ListCommandInvocations DescribeAssociation ListAssociations GetCommandInvocation PutParameter SendCommand StartSession TerminateSession UpdateInstanceInformation DescribeInstancePatchStates GetDocument
secretsmanager DescribeSecret ListSecrets GetResourcePolicy ListSecretVersionIds PutSecretValue CreateSecret RotateSecret TagResource
ecs ListClusters DescribeClusters ListServices DescribeTaskDefinition ListTaskDefinitions DescribeContainerInstances ListContainerInstances UpdateService RegisterTaskDefinition RunTask StopTask
ecr DescribeRepositories DescribeImages ListImages BatchGetImage GetDownloadUrlForLayer BatchCheckLayerAvailability GetRepositoryPolicy PutImage InitiateLayerUpload CompleteLayerUpload
rds DescribeDBClusters DescribeDBSnapshots DescribeDBSubnetGroups DescribeDBParameterGroups DescribeEvents DescribeDBEngineVersions DescribeOrderableDBInstanceOptions DescribePendingMaintenanceActions ListTagsForResource CreateDBSnapshot ModifyDBInstance
dynamodb ListTables DescribeContinuousBackups DescribeTimeToLive ListTagsOfResource DescribeKinesisStreamingDestination CreateTable UpdateTable CreateBackup
cloudformation ListStacks DescribeStackEvents DescribeStackResources GetTemplate ListStackResources GetTemplateSummary ValidateTemplate CreateChangeSet DescribeChangeSet ExecuteChangeSet UpdateStack CreateStack
elasticloadbalancing DescribeLoadBalancers DescribeTargetGroups DescribeListeners DescribeRules DescribeLoadBalancerAttributes DescribeTargetGroupAttributes DescribeTags RegisterTargets DeregisterTargets ModifyTargetGroup
autoscaling DescribeLaunchConfigurations DescribeScalingActivities DescribePolicies DescribeLifecycleHooks DescribeScheduledActions SetDesiredCapacity UpdateAutoScalingGroup CompleteLifecycleAction
sqs ListQueues GetQueueUrl ListQueueTags SetQueueAttributes CreateQueue PurgeQueue
sns GetTopicAttributes ListSubscriptions ListSubscriptionsByTopic ListTagsForResource Subscribe CreateTopic SetTopicAttributes
cloudtrail DescribeTrails GetTrailStatus GetEventSelectors ListTrails LookupEvents GetTrail GetInsightSelectors ListTags CreateTrail UpdateTrail StartLogging PutEventSelectors
guardduty ListDetectors GetDetector ListFindings GetFindings GetFindingsStatistics ListFilters ListPublishingDestinations GetMasterAccount ArchiveFindings UpdateDetector
config DescribeConfigRules DescribeConfigurationRecorders DescribeConfigurationRecorderStatus DescribeDeliveryChannels DescribeComplianceByConfigRule GetComplianceDetailsByConfigRule PutConfigRule
securityhub GetFindings DescribeHub GetEnabledStandards DescribeStandardsControls BatchImportFindings BatchUpdateFindings
organizations DescribeOrganization ListAccounts ListRoots ListOrganizationalUnitsForParent DescribeAccount ListPoliciesForTarget ListDelegatedAdministrators
route53 ListHostedZones GetHostedZone ListResourceRecordSets GetChange ChangeResourceRecordSets ListHealthChecks
cloudfront ListDistributions GetDistribution GetDistributionConfig CreateInvalidation ListInvalidations
elasticfilesystem DescribeFileSystems DescribeMountTargets DescribeAccessPoints DescribeBackupPolicy
eks ListClusters DescribeCluster ListNodegroups DescribeNodegroup ListAddons DescribeAddon
sso ListAccountAssignments ListPermissionSets DescribePermissionSet ListInstances
athena StartQueryExecution GetQueryExecution GetQueryResults ListWorkGroups GetWorkGroup
glue GetDatabases GetTables GetTable GetPartitions StartJobRun GetJobRuns
health DescribeEventAggregates DescribeEvents DescribeEventDetails
ce GetCostAndUsage GetCostForecast GetDimensionValues
access-analyzer ListAnalyzers ListFindings ValidatePolicy
events ListRules DescribeRule ListTargetsByRule PutRule PutTargets
states ListStateMachines DescribeStateMachine StartExecution DescribeExecution
kinesis DescribeStream ListStreams DescribeStreamSummary
tagging GetResources GetTagKeys
servicequotas ListServiceQuotas GetServiceQuota
backup ListBackupPlans ListBackupJobs StartBackupJob
acm ListCertificates DescribeCertificate
wafv2 ListWebACLs GetWebACL GetLoggingConfiguration
inspector2 ListFindings ListCoverage BatchGetAccountStatus
";

/// One API in the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Api {
    /// The service prefix, e.g. `ec2`; the event source is `<service>.amazonaws.com`.
    pub(super) service: &'static str,
    /// The event name.
    pub(super) name: &'static str,
}

impl Api {
    /// Whether CloudTrail marks the call `readOnly`.
    pub(super) fn read_only(self) -> bool {
        const READ_PREFIXES: &[&str] = &[
            "Describe",
            "List",
            "Get",
            "Head",
            "Lookup",
            "BatchGet",
            "BatchCheck",
            "Validate",
            "Decrypt",
            "Encrypt",
            "Generate",
            "ReEncrypt",
            "AssumeRole",
            "Decode",
        ];
        READ_PREFIXES
            .iter()
            .any(|prefix| self.name.starts_with(prefix))
            && self.name != "GenerateCredentialReport"
    }

    /// Whether the service has one global endpoint, logged in `us-east-1`.
    pub(super) fn is_global(self) -> bool {
        matches!(
            self.service,
            "iam" | "signin" | "organizations" | "route53" | "cloudfront" | "ce" | "health"
        )
    }

    /// Whether S3 logs this call as a data event (object-level).
    pub(super) fn is_data_event(self) -> bool {
        self.service == "s3" && matches!(self.name, "GetObject" | "PutObject" | "DeleteObject")
    }
}

/// The ranked catalogue and its Zipf-like distribution.
pub(super) struct Catalog {
    apis: Vec<Api>,
    popularity: Weighted,
}

impl Catalog {
    /// Parses [`HEAD`] and [`TAIL`] into the ranked list.
    pub(super) fn new() -> Self {
        let mut apis: Vec<Api> = HEAD
            .split_whitespace()
            .map(|pair| {
                let (service, name) = pair.split_once(':').expect("service:Name");
                Api { service, name }
            })
            .collect();
        let services: Vec<(&'static str, Vec<&'static str>)> = TAIL
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let service = words.next()?;
                Some((service, words.collect()))
            })
            .collect();
        let longest = services
            .iter()
            .map(|(_, names)| names.len())
            .max()
            .unwrap_or(0);
        for rank in 0..longest {
            for (service, names) in &services {
                if let Some(&name) = names.get(rank) {
                    let api = Api { service, name };
                    if !apis.contains(&api) {
                        apis.push(api);
                    }
                }
            }
        }
        let popularity = Weighted::zipf(apis.len(), 1.05);
        Catalog { apis, popularity }
    }

    /// Draws an API by popularity.
    pub(super) fn sample(&self, rng: &mut Rng) -> Api {
        self.apis[self.popularity.sample(rng)]
    }

    /// The number of APIs.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.apis.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_hundreds_of_apis_and_no_planted_attack_calls() {
        let catalog = Catalog::new();
        assert!(catalog.len() > 300, "{}", catalog.len());
        for forbidden in [
            "StopLogging",
            "DeleteTrail",
            "ScheduleKeyDeletion",
            "DeleteDetector",
        ] {
            assert!(
                catalog.apis.iter().all(|api| api.name != forbidden),
                "{forbidden}"
            );
        }
        assert_eq!(
            catalog.apis[0],
            Api {
                service: "sts",
                name: "AssumeRole"
            }
        );
    }
}
