//! Reading the label statement of the open data ("Espace labellisé 01/01/2020").

use chrono::NaiveDate;

/// The date of an "Espace labellisé DD/MM/YYYY" statement, or `None` when the text is not
/// such a statement.
pub fn parse_label_statement(text: &str) -> Option<NaiveDate> {
    let date = text.trim().strip_prefix("Espace labellisé")?.trim();
    NaiveDate::parse_from_str(date, "%d/%m/%Y").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_date_of_a_label_statement() {
        assert_eq!(
            parse_label_statement("Espace labellisé 15/01/2021"),
            NaiveDate::from_ymd_opt(2021, 1, 15)
        );
        assert_eq!(parse_label_statement("En cours"), None);
        assert_eq!(parse_label_statement("Espace labellisé 31/02/2021"), None);
    }
}
