//! The small deterministic demo seeded into an empty database in demo mode: seven
//! structures in three departments (Nord, Creuse, Corse-du-Sud) and one user per role.
//! Tests use it as their fixture too.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};

use super::users::{self, ScopeArgs};
use crate::clock::{Clock, paris_date};
use crate::domain::enums::{
    Carrier, ConventionStatus, LabelStatus, Role, SiteType, StructureFormat, db_name,
};
use crate::domain::hours::{Weekday, WeeklyHours};
use crate::domain::text::{search_key, sort_key};
use entity::{
    agent, agent_structure, annex, canton, commune, convention, convention_signatory, partner,
    structure,
};

/// `(code, name, kind, department)` of the demo cantons.
const CANTONS: [(&str, &str, &str, &str); 7] = [
    ("5997", "Lille", "V", "59"),
    ("5939", "Valenciennes", "C", "59"),
    ("5930", "Maubeuge", "C", "59"),
    ("2399", "Guéret", "V", "23"),
    ("2309", "Felletin", "C", "23"),
    ("2315", "La Souterraine", "C", "23"),
    ("2A98", "Ajaccio", "V", "2A"),
];

/// `(code, name, department, canton, population)` of the demo communes.
const COMMUNES: [(&str, &str, &str, &str, i64); 7] = [
    ("59350", "Lille", "59", "5997", 238_246),
    ("59606", "Valenciennes", "59", "5939", 43_468),
    ("59392", "Maubeuge", "59", "5930", 28_767),
    ("23096", "Guéret", "23", "2399", 12_955),
    ("23079", "Felletin", "23", "2309", 1_577),
    ("23176", "La Souterraine", "23", "2315", 4_978),
    ("2A004", "Ajaccio", "2A", "2A98", 76_320),
];

const FULL_WEEK: &str = "09:00 - 12:00 / 13:30 - 17:00";

/// A demo structure.
struct DemoSite {
    matricule: &'static str,
    name: &'static str,
    department: &'static str,
    commune: &'static str,
    commune_name: &'static str,
    format: StructureFormat,
    antenna_of: Option<&'static str>,
    carrier: Carrier,
    /// Monday to Saturday.
    hours: [&'static str; 6],
    labelled_on: Option<(i32, u32, u32)>,
    /// Latitude and longitude (WGS84) of a site with premises; none for a bus.
    location: Option<(f64, f64)>,
}

const SITES: [DemoSite; 7] = [
    DemoSite {
        matricule: "DEMO-59-01",
        name: "France services Lille Moulins",
        department: "59",
        commune: "59350",
        commune_name: "Lille",
        format: StructureFormat::Fixed,
        antenna_of: None,
        carrier: Carrier::Commune,
        hours: [FULL_WEEK, FULL_WEEK, FULL_WEEK, FULL_WEEK, FULL_WEEK, ""],
        labelled_on: Some((2020, 1, 1)),
        location: Some((50.6190, 3.0690)),
    },
    DemoSite {
        matricule: "DEMO-59-02",
        name: "France services du Hainaut",
        department: "59",
        commune: "59606",
        commune_name: "Valenciennes",
        format: StructureFormat::Antenna,
        antenna_of: None,
        carrier: Carrier::Intercommunality,
        hours: [
            FULL_WEEK,
            FULL_WEEK,
            FULL_WEEK,
            FULL_WEEK,
            FULL_WEEK,
            "09:00 - 12:00",
        ],
        labelled_on: Some((2020, 6, 15)),
        location: Some((50.3580, 3.5230)),
    },
    DemoSite {
        matricule: "DEMO-59-03",
        name: "France services du Hainaut - antenne de Maubeuge",
        department: "59",
        commune: "59392",
        commune_name: "Maubeuge",
        format: StructureFormat::Antenna,
        antenna_of: Some("DEMO-59-02"),
        carrier: Carrier::Intercommunality,
        hours: [
            "09:00 - 12:00",
            "",
            "09:00 - 12:00",
            "",
            "13:30 - 17:00",
            "",
        ],
        labelled_on: Some((2021, 3, 1)),
        location: Some((50.2780, 3.9720)),
    },
    DemoSite {
        matricule: "DEMO-59-04",
        name: "Bus France services des Flandres",
        department: "59",
        commune: "59350",
        commune_name: "Lille",
        format: StructureFormat::Bus,
        antenna_of: None,
        carrier: Carrier::Association,
        hours: [FULL_WEEK, FULL_WEEK, "", FULL_WEEK, FULL_WEEK, ""],
        labelled_on: None,
        location: None,
    },
    DemoSite {
        matricule: "DEMO-23-01",
        name: "France services Guéret",
        department: "23",
        commune: "23096",
        commune_name: "Guéret",
        format: StructureFormat::Fixed,
        antenna_of: None,
        carrier: Carrier::LaPoste,
        hours: [FULL_WEEK, FULL_WEEK, FULL_WEEK, FULL_WEEK, FULL_WEEK, ""],
        labelled_on: Some((2020, 1, 1)),
        location: Some((46.1710, 1.8710)),
    },
    DemoSite {
        matricule: "DEMO-23-02",
        name: "France services Felletin",
        department: "23",
        commune: "23079",
        commune_name: "Felletin",
        format: StructureFormat::MultiSite,
        antenna_of: None,
        carrier: Carrier::Commune,
        hours: [
            "09:00 - 12:00",
            FULL_WEEK,
            "",
            FULL_WEEK,
            "09:00 - 12:00",
            "",
        ],
        labelled_on: Some((2022, 9, 1)),
        location: Some((45.8830, 2.1740)),
    },
    DemoSite {
        matricule: "DEMO-2A-01",
        name: "France services Ajaccio",
        department: "2A",
        commune: "2A004",
        commune_name: "Ajaccio",
        format: StructureFormat::Fixed,
        antenna_of: None,
        carrier: Carrier::State,
        hours: [FULL_WEEK, FULL_WEEK, FULL_WEEK, FULL_WEEK, FULL_WEEK, ""],
        labelled_on: Some((2020, 1, 1)),
        location: Some((41.9270, 8.7370)),
    },
];

/// A demo user and their one role assignment.
pub struct DemoUser {
    /// E-mail address.
    pub email: &'static str,
    /// Role.
    pub role: Role,
    /// Department code, for a prefect.
    pub department: Option<&'static str>,
    /// Partner code, for an operator.
    pub partner: Option<&'static str>,
    /// Structure matricule, for an agent.
    pub structure: Option<&'static str>,
}

const fn user(email: &'static str, role: Role) -> DemoUser {
    DemoUser {
        email,
        role,
        department: None,
        partner: None,
        structure: None,
    }
}

/// The demo users, one per role (two prefects, to show a department out of scope).
pub const USERS: [DemoUser; 6] = [
    user("anct@demo.maillage.fr", Role::Anct),
    DemoUser {
        department: Some("59"),
        ..user("prefet.nord@demo.maillage.fr", Role::Prefect)
    },
    DemoUser {
        department: Some("23"),
        ..user("prefet.creuse@demo.maillage.fr", Role::Prefect)
    },
    user("auditeur@demo.maillage.fr", Role::Auditor),
    DemoUser {
        partner: Some("CAF"),
        ..user("operateur.caf@demo.maillage.fr", Role::Operator)
    },
    DemoUser {
        structure: Some("DEMO-59-01"),
        ..user("agent.lille@demo.maillage.fr", Role::Agent)
    },
];

/// Seeds the demo if the database holds no user and no structure. Returns whether it did.
pub async fn seed_if_empty(db: &DatabaseConnection, clock: &Clock) -> anyhow::Result<bool> {
    let users = entity::app_user::Entity::find().count(db).await?;
    let structures = structure::Entity::find().count(db).await?;
    if users > 0 || structures > 0 {
        return Ok(false);
    }
    seed(db, clock).await?;
    Ok(true)
}

/// Seeds the demo (communes, cantons, structures, users) in one transaction, dated by `clock`.
pub async fn seed(db: &DatabaseConnection, clock: &Clock) -> anyhow::Result<()> {
    let now = clock.now();
    let txn = crate::db::begin(db).await?;
    for (code, name, kind, department) in CANTONS {
        canton::ActiveModel {
            code: Set(code.into()),
            name: Set(name.into()),
            kind: Set(kind.into()),
            department_code: Set(department.into()),
        }
        .insert(&txn)
        .await
        .context("Failed to seed demo cantons")?;
    }
    for (code, name, department, canton, population) in COMMUNES {
        commune::ActiveModel {
            code: Set(code.into()),
            kind: Set("COM".into()),
            name: Set(name.into()),
            parent_code: Set(None),
            department_code: Set(department.into()),
            canton_code: Set(Some(canton.into())),
            population: Set(Some(population)),
        }
        .insert(&txn)
        .await
        .context("Failed to seed demo communes")?;
    }
    let mut ids = std::collections::HashMap::new();
    for site in &SITES {
        let row = site_model(
            site,
            ids.get(site.antenna_of.unwrap_or_default()).copied(),
            now,
        )?
        .insert(&txn)
        .await
        .context("Failed to seed demo structures")?;
        ids.insert(site.matricule, row.id);
    }
    for demo_user in &USERS {
        let scope = ScopeArgs {
            department: demo_user.department.map(Into::into),
            partner: demo_user.partner.map(Into::into),
            structure: demo_user.structure.map(Into::into),
        };
        users::grant(&txn, demo_user.email, demo_user.role, &scope, now).await?;
    }
    seed_conventions(&txn, &ids, now).await?;
    seed_agent(&txn, &ids, now).await?;
    txn.commit()
        .await
        .context("Failed to commit the demo seed")?;
    Ok(())
}

/// Nord's convention signed by the nine core partners, with the annex of DEMO-59-01 (so the
/// CAF operator sees Nord's structures); Creuse's a draft signed by CAF only.
async fn seed_conventions(
    txn: &DatabaseTransaction,
    ids: &std::collections::HashMap<&str, i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let core = partner::Entity::find()
        .filter(partner::Column::Core.eq(true))
        .filter(partner::Column::DepartmentCode.is_null())
        .all(txn)
        .await?;
    let admin = users::find_by_email(txn, "prefet.nord@demo.maillage.fr")
        .await?
        .map_or(0, |u| u.id);
    for (department, signed) in [("59", true), ("23", false)] {
        let row = convention::ActiveModel {
            department_code: Set(department.into()),
            title: Set(format!("Convention-cadre France services ({department})")),
            status: Set(db_name(if signed {
                ConventionStatus::Signed
            } else {
                ConventionStatus::Draft
            })
            .into()),
            signed_on: Set(signed.then(|| paris_date(now))),
            created_by: Set(admin),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await
        .context("Failed to seed demo conventions")?;
        convention_signatory::Entity::insert_many(core.iter().map(|p| {
            let signs = signed || p.code == "CAF";
            convention_signatory::ActiveModel {
                convention_id: Set(row.id),
                partner_id: Set(p.id),
                signed_at: Set(signs.then_some(now)),
                signed_by: Set(signs.then_some(admin)),
                added_at: Set(now),
            }
        }))
        .exec_without_returning(txn)
        .await
        .context("Failed to seed demo signatures")?;
        if let (true, Some(structure_id)) = (signed, ids.get("DEMO-59-01")) {
            annex::ActiveModel {
                convention_id: Set(row.id),
                structure_id: Set(*structure_id),
                functioning: Set("Ouverte du lundi au vendredi; permanences CAF le mardi.".into()),
                carrier: Set(Some(db_name(Carrier::Commune).into())),
                signed_on: Set(Some(paris_date(now))),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await
            .context("Failed to seed the demo annex")?;
        }
    }
    Ok(())
}

/// The demo agent's person record, in DEMO-59-01.
async fn seed_agent(
    txn: &DatabaseTransaction,
    ids: &std::collections::HashMap<&str, i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let email = "agent.lille@demo.maillage.fr";
    let (Some(user), Some(structure_id)) = (
        users::find_by_email(txn, email).await?,
        ids.get("DEMO-59-01"),
    ) else {
        anyhow::bail!("the demo agent or DEMO-59-01 is missing");
    };
    let row = agent::ActiveModel {
        user_id: Set(user.id),
        full_name: Set("Léa Martin".into()),
        email: Set(email.into()),
        phone: Set(Some("03 20 00 00 01".into())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .context("Failed to seed the demo agent")?;
    agent_structure::ActiveModel {
        agent_id: Set(row.id),
        structure_id: Set(*structure_id),
        since: Set(now),
    }
    .insert(txn)
    .await
    .context("Failed to seed the demo agent's structure")?;
    Ok(())
}

fn site_model(
    site: &DemoSite,
    principal_id: Option<i64>,
    now: DateTime<Utc>,
) -> anyhow::Result<structure::ActiveModel> {
    let hours = WeeklyHours::parse_days(Weekday::ALL.into_iter().zip(site.hours))?;
    let label_date = site
        .labelled_on
        .and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d));
    let fixed = !matches!(
        site.format,
        StructureFormat::Bus | StructureFormat::Itinerant
    );
    Ok(structure::ActiveModel {
        matricule: Set(site.matricule.into()),
        name: Set(site.name.into()),
        department_code: Set(site.department.into()),
        commune_code: Set(Some(site.commune.into())),
        address: Set(Some("1 place de la Mairie".into())),
        address_complement: Set(None),
        postal_code: Set(None),
        latitude: Set(site.location.map(|(lat, _)| lat)),
        longitude: Set(site.location.map(|(_, lon)| lon)),
        email: Set(Some(format!(
            "{}@demo.maillage.fr",
            site.matricule.to_lowercase()
        ))),
        phone: Set(None),
        format: Set(db_name(site.format).into()),
        site_type: Set(db_name(if principal_id.is_some() {
            SiteType::Antenna
        } else {
            SiteType::Principal
        })
        .into()),
        principal_id: Set(principal_id),
        site_group: Set(None),
        carrier: Set(Some(db_name(site.carrier).into())),
        opening_hours: Set(serde_json::to_string(&hours)?),
        days_open: Set(hours.days_open()),
        weekly_minutes: Set(hours.weekly_minutes()),
        hours_comment: Set(None),
        appointment_booking: Set(true),
        reception_desk: Set(Some(true)),
        confidential_space: Set(Some(fixed)),
        pmr_access: Set(Some(fixed)),
        free_access_workstation: Set(Some(true)),
        webcam_computer: Set(Some(fixed)),
        printer: Set(Some(true)),
        label_status: Set(db_name(if label_date.is_some() {
            LabelStatus::Labelled
        } else {
            LabelStatus::Candidate
        })
        .into()),
        label_date: Set(label_date),
        search_text: Set(search_key(&format!("{} {}", site.name, site.commune_name))),
        name_key: Set(sort_key(site.name)),
        commune_key: Set(sort_key(site.commune_name)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
}
