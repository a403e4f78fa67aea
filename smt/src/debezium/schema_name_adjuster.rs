//! Debezium's `SchemaNameAdjuster`: makes a schema or field name a valid Avro name by replacing
//! the characters Avro does not allow (`schema.name.adjustment.mode`,
//! `field.name.adjustment.mode`: `none`, `avro`, `avro_unicode`). Java works on UTF-16 units, so a
//! character outside the BMP is two replacements.

use crate::config::ConfigProblem;

/// How names are adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// `none`: names are kept.
    None,
    /// `avro`: each invalid character becomes `_` (a leading digit is kept after the `_`).
    Avro,
    /// `avro_unicode`: each invalid character (and `_`) becomes `_uXXXX`.
    AvroUnicode,
}

/// Whether the adjuster is for schema names (`.` allowed) or field names (no `.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A full schema name: dots separate namespaces.
    Schema,
    /// A field name.
    Field,
}

/// A configured adjuster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaNameAdjuster {
    adjustment: Adjustment,
    kind: NameKind,
}

impl SchemaNameAdjuster {
    /// The adjuster of mode `value` (matched ignoring case and surrounding blanks; `None` → `none`)
    /// for `key`, or Debezium's enum validation problem.
    pub fn parse(key: &str, value: Option<&str>, kind: NameKind) -> Result<Self, ConfigProblem> {
        let adjustment = match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("none") => Adjustment::None,
            Some("avro") => Adjustment::Avro,
            Some("avro_unicode") => Adjustment::AvroUnicode,
            Some(_) => {
                return Err(ConfigProblem::invalid(
                    key,
                    value.unwrap_or(""),
                    &format!(
                    "The '{key}' value is invalid: Value must be one of none, avro, avro_unicode"
                ),
                ))
            }
        };
        Ok(SchemaNameAdjuster { adjustment, kind })
    }

    /// `adjust(name)`. Cost: one pass over the name; no allocation when nothing changes.
    pub fn adjust<'a>(&self, name: &'a str) -> std::borrow::Cow<'a, str> {
        if self.adjustment == Adjustment::None || name.is_empty() {
            return name.into();
        }
        let units: Vec<u16> = name.encode_utf16().collect();
        let mut out = String::with_capacity(name.len());
        let mut changed = false;
        for (i, &unit) in units.iter().enumerate() {
            let valid = if i == 0 {
                self.valid_first(unit)
            } else {
                self.valid_first(unit) || self.valid_later(unit)
            };
            if valid {
                out.push(char::from(unit as u8));
                continue;
            }
            changed = true;
            match self.adjustment {
                Adjustment::AvroUnicode => {
                    let hex = format!("{unit:x}");
                    out.push_str("_u");
                    if hex.len() <= 2 {
                        out.push_str("00");
                    }
                    out.push_str(&hex);
                }
                _ => {
                    out.push('_');
                    if i == 0 && (b'0' as u16..=b'9' as u16).contains(&unit) {
                        out.push(char::from(unit as u8));
                    }
                }
            }
        }
        if changed {
            out.into()
        } else {
            name.into()
        }
    }

    fn valid_first(&self, unit: u16) -> bool {
        let letter = unit < 128 && (unit as u8).is_ascii_alphabetic();
        letter || (unit == u16::from(b'_') && self.adjustment == Adjustment::Avro)
    }

    fn valid_later(&self, unit: u16) -> bool {
        let digit = unit < 128 && (unit as u8).is_ascii_digit();
        digit || (unit == u16::from(b'.') && self.kind == NameKind::Schema)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adjuster(mode: &str, kind: NameKind) -> SchemaNameAdjuster {
        SchemaNameAdjuster::parse("m", Some(mode), kind).unwrap()
    }

    #[test]
    fn avro_replaces_invalid_characters() {
        let avro = adjuster("avro", NameKind::Schema);
        assert_eq!(avro.adjust("all-orders.3.Key"), "all_orders.3.Key");
        assert_eq!(avro.adjust("1abc"), "_1abc");
        assert_eq!(avro.adjust("ok_name.Value"), "ok_name.Value");
        assert_eq!(adjuster("avro", NameKind::Field).adjust("a.b"), "a_b");
        assert_eq!(adjuster("none", NameKind::Field).adjust("a-b"), "a-b");
    }

    #[test]
    fn avro_unicode_escapes_with_code_units() {
        let unicode = adjuster("avro_unicode", NameKind::Schema);
        assert_eq!(unicode.adjust("a-b_c"), "a_u002db_u005fc");
        assert_eq!(unicode.adjust("é"), "_u00e9");
        assert_eq!(unicode.adjust("a😀"), "a_ud83d_ude00");
    }

    #[test]
    fn bad_mode_is_a_config_problem() {
        assert!(SchemaNameAdjuster::parse("m", Some("x"), NameKind::Schema).is_err());
    }
}
