//! The .proto files a registry schema may import without registering them: Google's
//! `google/protobuf/*` (served by protox), `google/type/*` and Confluent's `confluent/meta.proto`
//! and `confluent/type/decimal.proto` (embedded here), and the full names ProtobufData maps
//! specially.

/// `google/type/date.proto`.
const DATE_PROTO: &str = r#"syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
"#;

/// `google/type/timeofday.proto`.
const TIME_OF_DAY_PROTO: &str = r#"syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
"#;

/// `google/type/dayofweek.proto`.
const DAY_OF_WEEK_PROTO: &str = r#"syntax = "proto3";
package google.type;
enum DayOfWeek {
  DAY_OF_WEEK_UNSPECIFIED = 0;
  MONDAY = 1;
  TUESDAY = 2;
  WEDNESDAY = 3;
  THURSDAY = 4;
  FRIDAY = 5;
  SATURDAY = 6;
  SUNDAY = 7;
}
"#;

/// `google/type/money.proto`.
const MONEY_PROTO: &str = r#"syntax = "proto3";
package google.type;
message Money {
  string currency_code = 1;
  int64 units = 2;
  int32 nanos = 3;
}
"#;

/// `google/type/latlng.proto`.
const LATLNG_PROTO: &str = r#"syntax = "proto3";
package google.type;
message LatLng {
  double latitude = 1;
  double longitude = 2;
}
"#;

/// `confluent/meta.proto`: the `(confluent.*_meta)` options.
const META_PROTO: &str = r#"syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions {
  Meta file_meta = 1088;
}
extend google.protobuf.MessageOptions {
  Meta message_meta = 1088;
}
extend google.protobuf.FieldOptions {
  Meta field_meta = 1088;
}
extend google.protobuf.EnumOptions {
  Meta enum_meta = 1088;
}
extend google.protobuf.EnumValueOptions {
  Meta enum_value_meta = 1088;
}
"#;

/// `confluent/type/decimal.proto`.
const DECIMAL_PROTO: &str = r#"syntax = "proto3";
package confluent.type;
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
"#;

/// The embedded source of `name`, if it is one of the files embedded here.
pub fn embedded_source(name: &str) -> Option<&'static str> {
    Some(match name {
        "google/type/date.proto" => DATE_PROTO,
        "google/type/timeofday.proto" => TIME_OF_DAY_PROTO,
        "google/type/dayofweek.proto" => DAY_OF_WEEK_PROTO,
        "google/type/money.proto" => MONEY_PROTO,
        "google/type/latlng.proto" => LATLNG_PROTO,
        "confluent/meta.proto" => META_PROTO,
        "confluent/type/decimal.proto" => DECIMAL_PROTO,
        _ => return None,
    })
}

/// Whether an import of `name` is never registered as a subject (Confluent skips these).
pub fn is_well_known(name: &str) -> bool {
    name.starts_with("google/protobuf/")
        || name.starts_with("google/type/")
        || name.starts_with("confluent/")
}

/// `google.protobuf.Timestamp`.
pub const TIMESTAMP: &str = "google.protobuf.Timestamp";
/// `google.type.Date`.
pub const DATE: &str = "google.type.Date";
/// `google.type.TimeOfDay`.
pub const TIME_OF_DAY: &str = "google.type.TimeOfDay";
/// `confluent.type.Decimal`.
pub const DECIMAL: &str = "confluent.type.Decimal";
/// The `(confluent.field_meta)` extension.
pub const FIELD_META: &str = "confluent.field_meta";

/// The wrapper messages of `google/protobuf/wrappers.proto`.
pub fn is_wrapper(full_name: &str) -> bool {
    matches!(
        full_name,
        "google.protobuf.DoubleValue"
            | "google.protobuf.FloatValue"
            | "google.protobuf.Int64Value"
            | "google.protobuf.UInt64Value"
            | "google.protobuf.Int32Value"
            | "google.protobuf.UInt32Value"
            | "google.protobuf.BoolValue"
            | "google.protobuf.StringValue"
            | "google.protobuf.BytesValue"
    )
}
