use super::*;

fn time(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn range(from: &str, to: &str) -> Filter {
    Filter {
        from: Some(time(from)),
        to: Some(time(to)),
        ..Filter::default()
    }
}

const TRAIL: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/";

#[test]
fn digest_folders_are_skipped_at_any_depth() {
    let none = Filter::default();
    let digest = Err(Pruned::Skip(SkipReason::CloudTrailDigest));
    for path in [
        "AWSLogs/111122223333/CloudTrail-Digest/",
        "AWSLogs/o-abcdef1234/111122223333/CloudTrail-Digest/",
        "trails/prod/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/",
    ] {
        assert_eq!(judge_folder(path, &none), digest, "{path}");
    }
    assert_eq!(
        judge_folder("AWSLogs/111122223333/CloudTrail/", &none),
        Ok(Listing::Flat)
    );
}

#[test]
fn accounts_are_pruned_where_the_layout_names_them() {
    let filter = Filter {
        accounts: vec!["111122223333".into()],
        ..Filter::default()
    };
    assert_eq!(judge_folder("AWSLogs/", &filter), Ok(Listing::Explore));
    assert_eq!(
        judge_folder("AWSLogs/111122223333/", &filter),
        Ok(Listing::Explore)
    );
    assert_eq!(
        judge_folder("AWSLogs/444455556666/", &filter),
        Err(Pruned::Account)
    );
    // Organisation trails, and trails under a custom prefix.
    assert_eq!(
        judge_folder("AWSLogs/o-abcdef1234/", &filter),
        Ok(Listing::Explore)
    );
    assert_eq!(
        judge_folder("AWSLogs/o-abcdef1234/444455556666/", &filter),
        Err(Pruned::Account)
    );
    assert_eq!(
        judge_folder(
            "org/trail/AWSLogs/o-abcdef1234/111122223333/CloudTrail/",
            &filter
        ),
        Ok(Listing::Flat)
    );
    // Folders that are not account ids are not judged as accounts.
    assert_eq!(
        judge_folder("AWSLogs/12345/", &filter),
        Ok(Listing::Explore)
    );
    assert_eq!(
        judge_folder("backup/444455556666/", &filter),
        Ok(Listing::Explore)
    );
    assert_eq!(
        judge_folder("AWSLogs/o-SHORT/444455556666/", &filter),
        Ok(Listing::Explore)
    );
}

#[test]
fn regions_are_pruned_below_regional_services_only() {
    let filter = Filter {
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        ..Filter::default()
    };
    for service in REGIONAL_SERVICES {
        let folder = format!("AWSLogs/111122223333/{service}/");
        assert_eq!(
            judge_folder(&folder, &filter),
            Ok(Listing::Explore),
            "{folder}"
        );
        let kept = format!("{folder}eu-west-1/");
        let pruned = format!("{folder}ap-south-1/");
        assert_eq!(judge_folder(&kept, &filter), Ok(Listing::Flat), "{kept}");
        assert_eq!(
            judge_folder(&pruned, &filter),
            Err(Pruned::Region),
            "{pruned}"
        );
    }
    // An unknown service's next level is not taken for a region.
    assert_eq!(
        judge_folder("AWSLogs/111122223333/network-firewall/flow/", &filter),
        Ok(Listing::Explore)
    );
    // Without a region filter, a service is listed flat unless a time filter applies.
    let none = Filter::default();
    assert_eq!(
        judge_folder("AWSLogs/111122223333/vpcflowlogs/", &none),
        Ok(Listing::Flat)
    );
}

#[test]
fn date_folders_are_pruned_by_delivery_time() {
    let filter = range("2026-11-02T10:00:00Z", "2026-11-02T12:00:00Z");
    let cases = [
        ("2025/", Err(Pruned::Time)),
        ("2026/", Ok(Listing::Explore)),
        ("2027/", Err(Pruned::Time)),
        ("2026/10/", Err(Pruned::Time)),
        ("2026/11/", Ok(Listing::Explore)),
        ("2026/12/", Err(Pruned::Time)),
        ("2026/11/01/", Err(Pruned::Time)),
        ("2026/11/02/", Ok(Listing::Explore)),
        ("2026/11/03/", Err(Pruned::Time)),
    ];
    for (date, expected) in cases {
        let folder = format!("{TRAIL}{date}");
        assert_eq!(judge_folder(&folder, &filter), expected, "{folder}");
    }
    // A day that starts within an hour after --to may still hold events up to --to.
    let evening = range("2026-11-01T20:00:00Z", "2026-11-01T23:30:00Z");
    assert_eq!(
        judge_folder(&format!("{TRAIL}2026/11/02/"), &evening),
        Ok(Listing::Explore)
    );
    let earlier = range("2026-11-01T20:00:00Z", "2026-11-01T22:59:59Z");
    assert_eq!(
        judge_folder(&format!("{TRAIL}2026/11/02/"), &earlier),
        Err(Pruned::Time)
    );
    // A day that ended within an hour before --from is kept too (Firehose's early records).
    let morning = range("2026-11-02T00:30:00Z", "2026-11-02T03:00:00Z");
    assert_eq!(
        judge_folder(&format!("{TRAIL}2026/11/01/"), &morning),
        Ok(Listing::Explore)
    );
    let later = range("2026-11-02T01:00:00Z", "2026-11-02T03:00:00Z");
    assert_eq!(
        judge_folder(&format!("{TRAIL}2026/11/01/"), &later),
        Err(Pruned::Time)
    );
}

#[test]
fn open_ended_ranges_prune_one_side() {
    let from = Filter {
        from: Some(time("2026-11-02T00:00:00Z")),
        ..Filter::default()
    };
    assert_eq!(
        judge_folder(&format!("{TRAIL}2025/"), &from),
        Err(Pruned::Time)
    );
    assert_eq!(
        judge_folder(&format!("{TRAIL}2030/"), &from),
        Ok(Listing::Explore)
    );
    let to = Filter {
        to: Some(time("2026-11-02T00:00:00Z")),
        ..Filter::default()
    };
    assert_eq!(
        judge_folder(&format!("{TRAIL}2025/"), &to),
        Ok(Listing::Explore)
    );
    assert_eq!(
        judge_folder(&format!("{TRAIL}2026/11/03/"), &to),
        Err(Pruned::Time)
    );
}

#[test]
fn delivery_delays_depend_on_the_service() {
    let filter = range("2026-11-01T00:00:00Z", "2026-11-01T20:00:00Z");
    let next_day = "us-east-1/2026/11/02/";
    let folder = |service: &str| format!("AWSLogs/111122223333/{service}/{next_day}");
    // 2026-11-02T00:00Z is four hours after --to.
    assert_eq!(
        judge_folder(&folder("CloudTrail"), &filter),
        Err(Pruned::Time)
    );
    assert_eq!(
        judge_folder(&folder("GuardDuty"), &filter),
        Ok(Listing::Explore)
    );
    // Config snapshots hold items captured long before: never pruned by --to ...
    let config = "AWSLogs/111122223333/Config/us-east-1/2027/1/5/";
    assert_eq!(judge_folder(config, &filter), Ok(Listing::Explore));
    // ... but a delivery before --from holds nothing later.
    let old = "AWSLogs/111122223333/Config/us-east-1/2026/9/5/ConfigHistory/";
    assert_eq!(judge_folder(old, &filter), Err(Pruned::Time));
}

#[test]
fn firehose_hours_and_waf_minutes_are_recognised() {
    let filter = range("2026-10-01T01:20:00Z", "2026-10-01T01:40:00Z");
    let cases = [
        ("waf/2026/10/01/", Ok(Listing::Explore)),
        // Hour 00 ends 40 minutes before --from, within the early margin.
        ("waf/2026/10/01/00/", Ok(Listing::Flat)),
        ("waf/2026/10/01/01/", Ok(Listing::Flat)),
        ("waf/2026/10/01/02/", Ok(Listing::Flat)),
        ("waf/2026/10/01/03/", Err(Pruned::Time)),
        ("2026/09/30/23/", Err(Pruned::Time)),
        (
            "AWSLogs/111122223333/WAFLogs/us-east-1/acl/2026/10/01/01/",
            Ok(Listing::Explore),
        ),
        (
            "AWSLogs/111122223333/WAFLogs/us-east-1/acl/2026/10/01/01/35/",
            Ok(Listing::Flat),
        ),
        (
            "AWSLogs/111122223333/WAFLogs/us-east-1/acl/2026/10/01/03/35/",
            Err(Pruned::Time),
        ),
    ];
    for (folder, expected) in cases {
        assert_eq!(judge_folder(folder, &filter), expected, "{folder}");
    }
}

#[test]
fn names_that_are_no_dates_stop_the_date() {
    let filter = range("2026-11-02T10:00:00Z", "2026-11-02T12:00:00Z");
    // Not a year: four digits out of range, or not four digits.
    assert_eq!(judge_folder("1234/", &filter), Ok(Listing::Explore));
    assert_eq!(judge_folder("20261/", &filter), Ok(Listing::Explore));
    // A year, then a name that is no month: the year still prunes.
    assert_eq!(judge_folder("reports/2025/q1/", &filter), Err(Pruned::Time));
    assert_eq!(judge_folder("reports/2026/q1/", &filter), Ok(Listing::Flat));
    // 30 February is no day: the month is the date.
    assert_eq!(
        judge_folder(&format!("{TRAIL}2026/02/30/"), &filter),
        Err(Pruned::Time)
    );
    assert_eq!(
        judge_folder(&format!("{TRAIL}2026/11/31/"), &filter),
        Ok(Listing::Flat)
    );
    // Month 13 is no month.
    assert_eq!(
        judge_folder(&format!("{TRAIL}2026/13/"), &filter),
        Ok(Listing::Flat)
    );
}

#[test]
fn listings_explore_only_where_something_can_be_pruned() {
    let none = Filter::default();
    assert_eq!(root_listing("", &none), Listing::Explore);
    assert_eq!(root_listing("AWSLogs/", &none), Listing::Explore);
    assert_eq!(
        root_listing("AWSLogs/111122223333/", &none),
        Listing::Explore
    );
    assert_eq!(root_listing(TRAIL, &none), Listing::Flat);
    assert_eq!(root_listing("waf/2026/", &none), Listing::Flat);
    // A prefix that ends inside a name is explored, to judge what it matches.
    assert_eq!(
        root_listing("AWSLogs/111122223333/CloudTrail/us-", &none),
        Listing::Explore
    );
    let time = range("2026-11-02T10:00:00Z", "2026-11-02T12:00:00Z");
    assert_eq!(root_listing(TRAIL, &time), Listing::Explore);
    assert_eq!(
        root_listing(&format!("{TRAIL}2026/11/02/"), &time),
        Listing::Explore
    );
    // The given prefix is never pruned itself.
    assert_eq!(
        root_listing(&format!("{TRAIL}2020/"), &time),
        Listing::Explore
    );
}

#[test]
fn keys_are_skipped_as_the_local_walker_skips_files() {
    let none = Filter::default();
    let skip = |reason| Err(Pruned::Skip(reason));
    let cases = [
        (
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/02/x.json.gz",
            skip(SkipReason::CloudTrailDigest),
        ),
        (
            "AWSLogs/111122223333_CloudTrail-Digest_us-east-1_x.json.gz",
            skip(SkipReason::CloudTrailDigest),
        ),
        ("AWSLogs/aws-logs-write-test", skip(SkipReason::WriteTest)),
        (
            "AWSLogs/111122223333/CloudTrail/ConfigWritabilityCheckFile",
            skip(SkipReason::ConfigWritabilityCheck),
        ),
        ("flows/2026/11/02/part-0.parquet", Ok(())),
        (&format!("{TRAIL}2026/11/02/a.json.gz"), Ok(())),
        (
            "waf/2026/10/01/00/aws-waf-logs-acl-1-2026-10-01-00-08-55-x.gz",
            Ok(()),
        ),
    ];
    for (key, expected) in cases {
        assert_eq!(judge_key(key, &none), expected, "{key}");
    }
}

#[test]
fn cloudtrail_keys_are_judged_by_their_delivery_time() {
    let filter = range("2026-11-02T10:00:00Z", "2026-11-02T12:00:00Z");
    let key = |stamp: &str| {
        format!(
            "{TRAIL}2026/11/02/111122223333_CloudTrail_us-east-1_{stamp}_abcdefghijklmnop.json.gz"
        )
    };
    let before = Err(Pruned::Skip(SkipReason::DeliveredBeforeFrom));
    let after = Err(Pruned::Skip(SkipReason::DeliveredAfterTo));
    assert_eq!(judge_key(&key("20261102T0955Z"), &filter), before);
    assert_eq!(judge_key(&key("20261102T1000Z"), &filter), Ok(()));
    assert_eq!(judge_key(&key("20261102T1300Z"), &filter), Ok(()));
    assert_eq!(judge_key(&key("20261102T1301Z"), &filter), after);
}

#[test]
fn keys_of_flat_listings_are_judged_by_their_folders() {
    let filter = Filter {
        accounts: vec!["111122223333".into()],
        regions: vec!["us-east-1".into()],
        ..range("2026-11-02T10:00:00Z", "2026-11-02T12:00:00Z")
    };
    let cases = [
        (
            "AWSLogs/444455556666/vpcflowlogs/us-east-1/2026/11/02/f.log.gz",
            Err(Pruned::Account),
        ),
        (
            "AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/11/02/f.log.gz",
            Err(Pruned::Region),
        ),
        (
            "AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/05/f.log.gz",
            Err(Pruned::Time),
        ),
        (
            "AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/11/02/f.log.gz",
            Ok(()),
        ),
        ("other/eu-west-1/f.log.gz", Ok(())),
    ];
    for (key, expected) in cases {
        assert_eq!(judge_key(key, &filter), expected, "{key}");
    }
}

/// Every event a pruned hour folder could hold lies outside the range: for folders of every
/// hour over four days and ranges of many starts and lengths, a folder is pruned only if no
/// event time in `[start - delay, end + early margin)` is within `[from, to]`, and kept if one
/// delivered within the folder's own hour is.
#[test]
fn time_pruning_is_sound_and_tight() {
    let base = time("2026-10-30T00:00:00Z");
    let hour = SignedDuration::from_hours(1);
    for from_hours in (0..96).step_by(5) {
        for length_minutes in [0, 1, 59, 60, 61, 180, 1440, 3000] {
            let from = base + hour * from_hours;
            let to = from + SignedDuration::from_mins(length_minutes);
            let filter = Filter {
                from: Some(from),
                to: Some(to),
                ..Filter::default()
            };
            for folder_hour in 0..96 {
                let start = base + hour * folder_hour;
                let end = start + hour;
                let name = start.strftime("waf/%Y/%m/%d/%H/").to_string();
                let verdict = judge_folder(&name, &filter);
                let may_hold = start - DELIVERY_MARGIN <= to && end + EARLY_MARGIN > from;
                assert_eq!(verdict.is_ok(), may_hold, "{name} for {from}..{to}");
                if start <= to && end > from {
                    assert!(verdict.is_ok(), "{name} for {from}..{to}");
                }
            }
        }
    }
}
