//! The vocabulary of the reporting tool ("saisie unitaire"): themes, life situations, kinds
//! of help, and the themes each core partner usually covers (the suggestions of each step).

use async_graphql::Enum;
use strum::{EnumIter, EnumString, IntoStaticStr};

/// What the request was about.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ReportTheme {
    /// Family benefits, housing aid, RSA.
    Family,
    /// Jobs and unemployment benefits.
    Employment,
    /// Health insurance.
    Health,
    /// Retirement.
    Retirement,
    /// Taxes.
    Taxes,
    /// Identity documents (ID card, passport).
    IdentityDocuments,
    /// Driving licence, vehicle registration.
    Vehicle,
    /// Justice and legal aid.
    Justice,
    /// Housing and energy.
    HousingEnergy,
    /// Farming-sector social protection.
    Agriculture,
    /// Postal and banking services.
    PostalBanking,
    /// Creating or recovering an online account (FranceConnect…).
    DigitalAccount,
    /// Anything else.
    Other,
}

/// The citizen's life situation, when one applies.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum LifeSituation {
    /// "Je déménage".
    Moving,
    /// "Je vais avoir un enfant".
    HavingAChild,
    /// "Je perds mon emploi".
    LosingAJob,
    /// "Je pars à la retraite".
    Retiring,
    /// "Je perds un proche".
    Bereavement,
    /// "Je me sépare".
    Separating,
    /// "Je crée mon entreprise".
    StartingABusiness,
    /// "Je suis malade ou handicapé".
    IllnessOrDisability,
}

/// What the agent did.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, EnumString, IntoStaticStr, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum HelpKind {
    /// Information given.
    Information,
    /// Help with an online procedure.
    OnlineProcedure,
    /// Referral to the partner.
    Referral,
}

/// The themes a partner usually covers (suggestions), most frequent first; all themes for
/// a partner we know nothing about.
pub fn themes_of(partner: &str) -> Vec<ReportTheme> {
    use ReportTheme as T;
    match partner {
        "CAF" => vec![T::Family, T::HousingEnergy],
        "FRANCE_TRAVAIL" => vec![T::Employment],
        "ASSURANCE_MALADIE" => vec![T::Health],
        "ASSURANCE_RETRAITE" => vec![T::Retirement],
        "MSA" => vec![T::Agriculture, T::Family, T::Health, T::Retirement],
        "LA_POSTE" => vec![T::PostalBanking],
        "DGFIP" => vec![T::Taxes],
        "JUSTICE" => vec![T::Justice],
        "INTERIEUR" => vec![T::IdentityDocuments, T::Vehicle],
        "CHEQUE_ENERGIE" | "ANAH" => vec![T::HousingEnergy],
        _ => <T as strum::IntoEnumIterator>::iter().collect(),
    }
}
