//! VPC Flow Logs: space-separated text, fields named by the header line of each file.
//!
//! Two flow logs: the first VPC's in the default format (version 2, [`V2_FIELDS`]), the second
//! VPC's in a custom format with version 5 fields ([`V5_FIELDS`]). Values missing for a record
//! are `-`; `NODATA` and `SKIPDATA` rows carry only the interface and times.
//!
//! Benign flows: east-west traffic between instances, DNS, egress to the internet, and rejected
//! inbound probes; each record stays under 200,000 bytes. Planted: an instance sending several
//! flows of more than 1,000,000 bytes each to the attacker's address within a few minutes.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::Arc;

use rand::Rng as _;

use crate::net::{attacker_ipv4, ephemeral_port, public_ipv4};
use crate::pick::{Rng, chance, log_normal, one, weighted};
use crate::scenario::Scenario;
use crate::stream::{Planted, SourceGen, StreamSpec};
use crate::time::Millis;
use crate::world::World;

/// Fields of the default (version 2) format.
pub const V2_FIELDS: &[&str] = &[
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
];

/// Fields of the custom format with version 5 fields, after the [`V2_FIELDS`].
const V5_EXTRA_FIELDS: &[&str] = &[
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
];

/// All fields of the custom version 5 format.
pub const V5_FIELDS: [&str; 29] = {
    let mut fields = [""; 29];
    let mut index = 0;
    while index < V2_FIELDS.len() {
        fields[index] = V2_FIELDS[index];
        index += 1;
    }
    while index < 29 {
        fields[index] = V5_EXTRA_FIELDS[index - V2_FIELDS.len()];
        index += 1;
    }
    fields
};

/// Largest benign record, in bytes.
const BENIGN_MAX_BYTES: u64 = 200_000;

/// One flow as a flow log records it on an interface.
struct Flow {
    /// Index into [`World::instances`] of the instance whose interface recorded the flow.
    instance: usize,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    src_port: u16,
    dst_port: u16,
    protocol: u8,
    packets: u64,
    bytes: u64,
    accept: bool,
    ingress: bool,
    tcp_flags: u8,
}

/// Generates VPC Flow Logs lines.
pub(crate) struct VpcFlowGen {
    world: Arc<World>,
    rng: Rng,
    /// Internet addresses that instances talk to.
    remote_hosts: Vec<Ipv4Addr>,
    /// Indices into [`World::instances`] per VPC.
    members: Vec<Vec<usize>>,
}

impl VpcFlowGen {
    pub(crate) fn new(world: Arc<World>, mut rng: Rng) -> Self {
        let remote_hosts = (0..500).map(|_| public_ipv4(&mut rng)).collect();
        let members = (0..world.vpcs.len())
            .map(|vpc| {
                let indices = world.instances.iter().enumerate();
                indices
                    .filter(|(_, i)| i.vpc == vpc)
                    .map(|(index, _)| index)
                    .collect()
            })
            .collect();
        VpcFlowGen {
            world,
            rng,
            remote_hosts,
            members,
        }
    }

    /// A benign flow seen on an interface of `vpc`.
    fn benign_flow(&mut self, vpc: usize) -> Flow {
        let rng = &mut self.rng;
        let instances = &self.world.instances;
        let members = &self.members[vpc];
        let index = *one(rng, members);
        let instance = &instances[index];
        let kind = *weighted(
            rng,
            &[
                ("east_west", 45),
                ("dns", 15),
                ("egress", 30),
                ("probe", 10),
            ],
        );
        let mut flow = Flow {
            instance: index,
            src: instance.ip,
            dst: instance.ip,
            src_port: ephemeral_port(rng),
            dst_port: 443,
            protocol: 6,
            packets: 0,
            bytes: log_normal(rng, 4_000.0, 1.2, BENIGN_MAX_BYTES),
            accept: true,
            ingress: false,
            tcp_flags: *one(rng, &[2, 3, 18, 19, 27]),
        };
        match kind {
            "east_west" => {
                let peer = *one(rng, members);
                flow.dst = instances[peer].ip;
                flow.dst_port = *one(rng, &[5432, 6379, 8080, 443, 9092]);
                if chance(rng, 0.5) {
                    // The reply direction, recorded on the server's interface.
                    flow.instance = peer;
                    flow.ingress = true;
                }
            }
            "dns" => {
                let second = instance.ip.octets()[1];
                flow.dst = Ipv4Addr::new(10, second, 0, 2);
                flow.dst_port = 53;
                flow.protocol = 17;
                flow.bytes = log_normal(rng, 180.0, 0.4, 2_000);
                flow.tcp_flags = 0;
            }
            "egress" => flow.dst = *one(rng, &self.remote_hosts),
            _ => {
                flow.src = public_ipv4(rng);
                flow.dst = instance.ip;
                flow.dst_port = *one(rng, &[22, 23, 3389, 445, 1433, 8443]);
                flow.bytes = rng.random_range(40..120);
                flow.accept = false;
                flow.ingress = true;
                flow.tcp_flags = 2;
            }
        }
        flow.packets = (flow.bytes / rng.random_range(60..1400)).max(1);
        flow
    }

    /// Writes one record of `flow` ending at `time` on the flow log of `vpc`.
    fn write(&mut self, vpc: usize, time: Millis, flow: Option<&Flow>, out: &mut String) {
        let rng = &mut self.rng;
        let world = &self.world;
        let end = time.epoch_seconds();
        let start = end - rng.random_range(4..60);
        let version = if vpc == 0 { 2 } else { 5 };
        let status = match flow {
            Some(_) => "OK",
            None if chance(rng, 0.85) => "NODATA",
            None => "SKIPDATA",
        };
        let instance = match flow {
            Some(flow) => &world.instances[flow.instance],
            None => &world.instances[*one(rng, &self.members[vpc])],
        };
        let _ = write!(out, "{version} {} {} ", world.account, instance.eni);
        match flow {
            Some(f) => {
                let _ = write!(
                    out,
                    "{} {} {} {} {} {} {} {start} {end} {} OK",
                    f.src,
                    f.dst,
                    f.src_port,
                    f.dst_port,
                    f.protocol,
                    f.packets,
                    f.bytes,
                    if f.accept { "ACCEPT" } else { "REJECT" }
                );
            }
            None => {
                let _ = write!(out, "- - - - - - - {start} {end} - {status}");
            }
        }
        if version == 2 {
            return;
        }
        let vpc_info = &world.vpcs[vpc];
        let _ = write!(out, " {} {} {} ", vpc_info.id, instance.subnet, instance.id);
        match flow {
            Some(f) => {
                let _ = write!(
                    out,
                    "{} IPv4 {} {} {} {} - - - - {} {}",
                    f.tcp_flags,
                    f.src,
                    f.dst,
                    vpc_info.region,
                    vpc_info.az_id,
                    if f.ingress { "ingress" } else { "egress" },
                    if f.ingress {
                        "-"
                    } else if f.dst.octets()[0] == 10 {
                        "1"
                    } else {
                        "8"
                    }
                );
            }
            None => {
                let _ = write!(
                    out,
                    "- - - - {} {} - - - - - -",
                    vpc_info.region, vpc_info.az_id
                );
            }
        }
    }
}

impl SourceGen for VpcFlowGen {
    fn streams(&self) -> Vec<StreamSpec> {
        self.world
            .vpcs
            .iter()
            .enumerate()
            .map(|(index, vpc)| {
                let fields: &[&str] = if index == 0 { V2_FIELDS } else { &V5_FIELDS };
                StreamSpec {
                    region: vpc.region,
                    resource: vpc.flow_log_id.clone(),
                    flat_file: if index == 0 {
                        "vpcflow-v2.log"
                    } else {
                        "vpcflow-v5.log"
                    },
                    header: Some(format!("{}\n", fields.join(" "))),
                }
            })
            .collect()
    }

    fn benign(&mut self, time: Millis, out: &mut String) -> usize {
        let vpc = usize::from(chance(&mut self.rng, 0.5));
        if chance(&mut self.rng, 0.01) {
            self.write(vpc, time, None, out);
            return vpc;
        }
        let flow = self.benign_flow(vpc);
        self.write(vpc, time, Some(&flow), out);
        vpc
    }

    fn plant(&mut self, _scenario: Scenario, time: Millis) -> Vec<Planted> {
        let vpc = usize::from(chance(&mut self.rng, 0.5));
        let index = *one(&mut self.rng, &self.members[vpc]);
        let source = self.world.instances[index].ip;
        let destination = if chance(&mut self.rng, 0.5) {
            self.world.attacker.ip
        } else {
            attacker_ipv4(&mut self.rng)
        };
        let src_port = ephemeral_port(&mut self.rng);
        let mut now = time;
        (0..3)
            .map(|_| {
                let bytes = self.rng.random_range(1_200_000..9_000_000);
                let flow = Flow {
                    instance: index,
                    src: source,
                    dst: destination,
                    src_port,
                    dst_port: 443,
                    protocol: 6,
                    packets: bytes / 1_300,
                    bytes,
                    accept: true,
                    ingress: false,
                    tcp_flags: 3,
                };
                let mut text = String::with_capacity(300);
                self.write(vpc, now, Some(&flow), &mut text);
                let record = Planted {
                    time: now,
                    stream: vpc,
                    key: text.clone(),
                    text,
                    detail: Some(format!("{source} -> {destination}")),
                };
                now = now.plus(self.rng.random_range(50..70) * Millis::SECOND);
                record
            })
            .collect()
    }
}
