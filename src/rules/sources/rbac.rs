//! The role-based access control objects of a node's file realm or a cluster's security APIs:
//! roles, users, role mappings, API keys, service tokens.

use crate::evidence::Scope;
use crate::evidence::rbac::{self, RbacItem};
use crate::rules::item::{Item, Located, json_to_cel};
use cel::Value;

/// The items of the rbac scopes, for any subject: a node's file realm, or a cluster's security
/// APIs. A file-defined object points at its file, line and column; an API object has no path
/// (its `location.object` names it). Each part that could not be read (`missing`) becomes an
/// item in error, so every rule of that scope reports `error` with the reason — but for the
/// rules about anonymous access when no anonymous role is set: those do not apply.
pub fn rbac_items(analysed: Vec<RbacItem>, rbac: &rbac::Rbac) -> Vec<Item> {
    let mut items: Vec<Item> = analysed
        .into_iter()
        .map(|a| {
            let mut item = Item::new(a.scope, json_to_cel(&a.facts), a.name);
            item.hidden = a.hidden;
            let mut own = Located::object(&a.object, String::new());
            own.location = a.location.unwrap_or_default();
            item.own = Some(own);
            item.facts = Some(a.facts);
            item
        })
        .collect();
    let no_anonymous = rbac.anonymous_known && rbac.anonymous_roles.is_empty();
    for (scope, why) in &rbac.missing {
        let mut item = Item::new(*scope, Value::Null, format!("{}s", scope.variable()));
        item.own = Some(Located::object(
            &format!("{}:*", rbac_object_kind(*scope)),
            String::new(),
        ));
        item.error = Some(why.clone());
        if *scope == Scope::RbacRole && no_anonymous {
            item.value = json_to_cel(&serde_json::json!({ "anonymous": false }));
            item.partial = true;
        }
        items.push(item);
    }
    items
}

fn rbac_object_kind(scope: Scope) -> &'static str {
    match scope {
        Scope::RbacRole => "role",
        Scope::RbacUser => "user",
        Scope::RbacRoleMapping => "role_mapping",
        Scope::RbacApiKey => "api_key",
        Scope::RbacServiceToken => "service_token",
        _ => scope.variable(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Settings;
    use crate::results::{RuleResult, Status, Target};
    use crate::rules::Selection;
    use crate::rules::engine::Engine;
    use crate::rules::item::Subject;
    use crate::rules::item::{Presented, Source};
    use crate::rules::{Profile, Scope};

    /// A cluster's RBAC objects, alone: the rules of the rbac scopes judged on them.
    struct Objects {
        analysed: Vec<RbacItem>,
        data: rbac::Rbac,
        settings: Settings,
    }

    impl Source for Objects {
        fn target(&self) -> Target {
            unimplemented!("not listed")
        }
        fn present(&self, _selection: &Selection) -> Presented<'_> {
            Presented {
                subject: Subject {
                    id: "cluster:test",
                    object: "cluster:test".into(),
                    config_path: "",
                    settings: &self.settings,
                    version: None,
                },
                variables: vec![],
                items: rbac_items(self.analysed.clone(), &self.data),
                fips: false,
            }
        }
    }

    fn judged(analysed: Vec<RbacItem>, data: rbac::Rbac, profile: Profile) -> Vec<RuleResult> {
        let engine = Engine::compile(crate::rules::load(&[] as &[&str]).unwrap()).unwrap();
        let selection = Selection {
            profile,
            select: vec![],
            ignore: vec![],
            expiry_warning_days: 30,
            detail: crate::results::Detail::Items,
        };
        let source = Objects {
            analysed,
            data,
            settings: Settings::default(),
        };
        engine.judge_source(&source, &selection)
    }

    /// The rbac rules on API data: the API-only rules fire, built-ins and the least-privilege
    /// scanner role are not flagged, results carry no path, and nothing errors.
    #[test]
    fn rbac_rules_judge_api_items() {
        let data = rbac::from_api(&rbac::tests::spec_like());
        let analysed = rbac::analyse(&data, rbac::tests::NOW);
        let results = judged(analysed, data, Profile::Strict);
        let fails = |object: &str| -> Vec<&str> {
            results
                .iter()
                .filter(|r| r.location.object == object && r.status == Status::Fail)
                .map(|r| r.rule.as_str())
                .collect()
        };
        // Only what the roles that were not read decide is left unjudged: whether jacknich is a
        // superuser, and whether mapping1 (which matches everyone) maps an admin-level role.
        let errors: Vec<(&str, &str)> = results
            .iter()
            .filter(|r| r.status == Status::Error)
            .map(|r| (r.rule.as_str(), r.location.object.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                ("RBAC-USER-001", "user:jacknich"),
                ("RBAC-MAP-001", "role_mapping:mapping1")
            ]
        );
        assert!(results.iter().all(|r| r.location.path.is_none()));
        assert_eq!(
            fails("role:my_admin_role"),
            ["RBAC-ROLE-001", "RBAC-ROLE-005"]
        );
        assert!(fails("role:superuser").is_empty());
        assert!(fails("role:security_posture_scanner").is_empty());
        assert!(fails("user:scanner").is_empty());
        assert_eq!(fails("user:ops"), ["RBAC-USER-001"]);
        assert_eq!(fails("user:kibana"), ["RBAC-USER-003"]);
        assert_eq!(fails("user:elastic"), ["RBAC-USER-004"]);
        assert_eq!(fails("role_mapping:mapping1"), ["RBAC-MAP-002"]);
        assert_eq!(fails("role_mapping:admins_all"), ["RBAC-MAP-001"]);
        assert_eq!(fails("role_mapping:helpers_pattern"), ["RBAC-MAP-003"]);
        assert_eq!(fails("role_mapping:from_groups"), ["RBAC-MAP-004"]);
        assert!(fails("role_mapping:off").is_empty());
        assert!(fails("api_key:my-api-key").is_empty(), "expired");
        assert_eq!(
            fails("api_key:hadoop_myuser_key"),
            ["RBAC-KEY-001", "RBAC-KEY-002"]
        );
        assert_eq!(fails("api_key:ci-key"), ["RBAC-KEY-003", "RBAC-KEY-004"]);
        assert_eq!(fails("api_key:remote-search"), ["RBAC-KEY-005"]);
        assert_eq!(
            fails("service_token:elastic/fleet-server/token1"),
            ["RBAC-SVC-002"]
        );
        assert_eq!(
            fails("service_token:elastic/fleet-server/my-token"),
            ["RBAC-SVC-001"]
        );
        let m = results
            .iter()
            .find(|r| r.rule == "RBAC-USER-001" && r.location.object == "user:ops")
            .unwrap();
        assert_eq!(
            m.message,
            "User ops reaches superuser power: user:ops → role:my_admin_role → cluster privilege all"
        );
    }

    /// A refused call makes every rule of its scope an error naming the privilege.
    #[test]
    fn missing_rbac_data_is_an_error() {
        let data = rbac::Rbac {
            missing: vec![(Scope::RbacUser, "GET /_security/user was refused (HTTP 403): the scanner needs the read_security privilege".into())],
            ..Default::default()
        };
        let results = judged(vec![], data, Profile::Baseline);
        assert!(!results.is_empty());
        for r in &results {
            assert!(r.rule.starts_with("RBAC-USER-"));
            assert_eq!(r.status, Status::Error);
            assert!(r.message.contains("read_security"), "{}", r.message);
            assert_eq!(r.location.object, "user:*");
        }
    }

    /// Refused roles: the rule about anonymous roles does not apply when no anonymous role is
    /// set (and the setting was read); otherwise it cannot be judged, like the other role rules.
    #[test]
    fn refused_roles_leave_anonymous_access_judged_by_the_setting() {
        let verdicts = |anonymous_known: bool, anonymous_roles: &[&str]| {
            let data = rbac::Rbac {
                anonymous_known,
                anonymous_roles: anonymous_roles.iter().map(|r| r.to_string()).collect(),
                missing: vec![(Scope::RbacRole, "GET /_security/role was refused".into())],
                ..Default::default()
            };
            let results = judged(vec![], data, Profile::Strict);
            let anon = results
                .iter()
                .find(|r| r.rule == "RBAC-ANON-001")
                .unwrap()
                .status;
            let others: std::collections::BTreeSet<Status> = results
                .iter()
                .filter(|r| r.rule != "RBAC-ANON-001")
                .map(|r| r.status)
                .collect();
            (anon, others)
        };
        let errors = std::collections::BTreeSet::from([Status::Error]);
        assert_eq!(verdicts(true, &[]), (Status::NotApplicable, errors.clone()));
        assert_eq!(verdicts(false, &[]), (Status::Error, errors.clone()));
        assert_eq!(verdicts(true, &["viewer"]), (Status::Error, errors));
    }
}
