//! The evidence sources, each presenting its subjects to the engine through
//! [`Source`]: the engine knows nothing of nodes, clusters, components or endpoints, and a new
//! source is a new module here.

mod client;
mod cluster;
mod component;
mod endpoint;
mod node;
mod rbac;

use super::item::Source;
use crate::evidence::Deployment;

/// The subjects of a deployment, in the order the report lists them: nodes, probed endpoints,
/// clusters read through their APIs, Kibana, Logstash, Beats and Agent instances, then the
/// clients' connections.
pub fn of(deployment: &Deployment) -> Vec<Box<dyn Source + '_>> {
    let clusters = crate::evidence::cluster::cluster_facts(&deployment.nodes);
    let mut out: Vec<Box<dyn Source + '_>> = Vec::new();
    for (node, cluster) in deployment.nodes.iter().zip(clusters) {
        out.push(Box::new(node::NodeSource {
            node,
            files: &deployment.files,
            cluster,
        }));
    }
    for endpoint in &deployment.endpoints {
        out.push(Box::new(endpoint::EndpointSource { endpoint }));
    }
    for c in &deployment.clusters {
        out.push(Box::new(cluster::ClusterSource::new(c)));
    }
    for comp in &deployment.components {
        out.push(Box::new(component::ComponentSource::new(comp)));
    }
    // Only a scan with clients needs to know which hosts reach which target (a fleet of
    // nodes has none).
    let reachable = if deployment.clients.is_empty() {
        Default::default()
    } else {
        client::reachable_targets(deployment)
    };
    for c in &deployment.clients {
        out.push(Box::new(client::ClientSource::new(c, &reachable)));
    }
    out
}
