//! The differences Confluent's JSON Schema `SchemaDiff` reports (`Difference.Type`), which of
//! them are compatible (`SchemaDiff.COMPATIBLE_CHANGES`), and one found difference with the JSON
//! path where it was found.

use std::fmt;

/// Declares [`DifferenceType`] with each variant's Java name and whether it is compatible.
macro_rules! difference_types {
    ($($variant:ident => $name:literal, $compatible:literal;)*) => {
        /// A kind of difference between two schemas (`Difference.Type`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum DifferenceType {
            $(
                #[doc = concat!("`", $name, "`.")]
                $variant,
            )*
        }

        impl DifferenceType {
            /// The Java enum constant's name (`TYPE_CHANGED`). Cost: a table look-up.
            pub fn name(self) -> &'static str {
                match self {
                    $(DifferenceType::$variant => $name,)*
                }
            }

            /// Whether Confluent counts this difference as compatible
            /// (`SchemaDiff.COMPATIBLE_CHANGES`). Cost: a table look-up.
            pub fn is_compatible(self) -> bool {
                match self {
                    $(DifferenceType::$variant => $compatible,)*
                }
            }
        }
    };
}

difference_types! {
    IdChanged => "ID_CHANGED", true;
    DescriptionChanged => "DESCRIPTION_CHANGED", true;
    TitleChanged => "TITLE_CHANGED", true;
    DefaultChanged => "DEFAULT_CHANGED", true;
    SchemaAdded => "SCHEMA_ADDED", false;
    SchemaRemoved => "SCHEMA_REMOVED", true;
    TypeExtended => "TYPE_EXTENDED", true;
    TypeNarrowed => "TYPE_NARROWED", false;
    TypeChanged => "TYPE_CHANGED", false;
    MaxLengthAdded => "MAX_LENGTH_ADDED", false;
    MaxLengthRemoved => "MAX_LENGTH_REMOVED", true;
    MaxLengthIncreased => "MAX_LENGTH_INCREASED", true;
    MaxLengthDecreased => "MAX_LENGTH_DECREASED", false;
    MinLengthAdded => "MIN_LENGTH_ADDED", false;
    MinLengthRemoved => "MIN_LENGTH_REMOVED", true;
    MinLengthIncreased => "MIN_LENGTH_INCREASED", false;
    MinLengthDecreased => "MIN_LENGTH_DECREASED", true;
    PatternAdded => "PATTERN_ADDED", false;
    PatternRemoved => "PATTERN_REMOVED", true;
    PatternChanged => "PATTERN_CHANGED", false;
    MaximumAdded => "MAXIMUM_ADDED", false;
    MaximumRemoved => "MAXIMUM_REMOVED", true;
    MaximumIncreased => "MAXIMUM_INCREASED", true;
    MaximumDecreased => "MAXIMUM_DECREASED", false;
    MinimumAdded => "MINIMUM_ADDED", false;
    MinimumRemoved => "MINIMUM_REMOVED", true;
    MinimumIncreased => "MINIMUM_INCREASED", false;
    MinimumDecreased => "MINIMUM_DECREASED", true;
    ExclusiveMaximumAdded => "EXCLUSIVE_MAXIMUM_ADDED", false;
    ExclusiveMaximumRemoved => "EXCLUSIVE_MAXIMUM_REMOVED", true;
    ExclusiveMaximumIncreased => "EXCLUSIVE_MAXIMUM_INCREASED", true;
    ExclusiveMaximumDecreased => "EXCLUSIVE_MAXIMUM_DECREASED", false;
    ExclusiveMinimumAdded => "EXCLUSIVE_MINIMUM_ADDED", false;
    ExclusiveMinimumRemoved => "EXCLUSIVE_MINIMUM_REMOVED", true;
    ExclusiveMinimumIncreased => "EXCLUSIVE_MINIMUM_INCREASED", false;
    ExclusiveMinimumDecreased => "EXCLUSIVE_MINIMUM_DECREASED", true;
    MultipleOfAdded => "MULTIPLE_OF_ADDED", false;
    MultipleOfRemoved => "MULTIPLE_OF_REMOVED", true;
    MultipleOfExpanded => "MULTIPLE_OF_EXPANDED", false;
    MultipleOfReduced => "MULTIPLE_OF_REDUCED", true;
    MultipleOfChanged => "MULTIPLE_OF_CHANGED", false;
    RequiredAttributeAdded => "REQUIRED_ATTRIBUTE_ADDED", false;
    RequiredAttributeWithDefaultAdded => "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", true;
    RequiredAttributeRemoved => "REQUIRED_ATTRIBUTE_REMOVED", true;
    MaxPropertiesAdded => "MAX_PROPERTIES_ADDED", false;
    MaxPropertiesRemoved => "MAX_PROPERTIES_REMOVED", true;
    MaxPropertiesIncreased => "MAX_PROPERTIES_INCREASED", true;
    MaxPropertiesDecreased => "MAX_PROPERTIES_DECREASED", false;
    MinPropertiesAdded => "MIN_PROPERTIES_ADDED", false;
    MinPropertiesRemoved => "MIN_PROPERTIES_REMOVED", true;
    MinPropertiesIncreased => "MIN_PROPERTIES_INCREASED", false;
    MinPropertiesDecreased => "MIN_PROPERTIES_DECREASED", true;
    AdditionalPropertiesAdded => "ADDITIONAL_PROPERTIES_ADDED", true;
    AdditionalPropertiesRemoved => "ADDITIONAL_PROPERTIES_REMOVED", false;
    AdditionalPropertiesExtended => "ADDITIONAL_PROPERTIES_EXTENDED", true;
    AdditionalPropertiesNarrowed => "ADDITIONAL_PROPERTIES_NARROWED", false;
    DependencyArrayAdded => "DEPENDENCY_ARRAY_ADDED", false;
    DependencyArrayRemoved => "DEPENDENCY_ARRAY_REMOVED", true;
    DependencyArrayExtended => "DEPENDENCY_ARRAY_EXTENDED", false;
    DependencyArrayNarrowed => "DEPENDENCY_ARRAY_NARROWED", true;
    DependencyArrayChanged => "DEPENDENCY_ARRAY_CHANGED", false;
    DependencySchemaAdded => "DEPENDENCY_SCHEMA_ADDED", false;
    DependencySchemaRemoved => "DEPENDENCY_SCHEMA_REMOVED", true;
    PropertyAddedToOpenContentModel => "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", false;
    PropertyWithEmptySchemaAddedToOpenContentModel =>
        "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", true;
    RequiredPropertyAddedToUnopenContentModel =>
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", false;
    RequiredPropertyWithDefaultAddedToUnopenContentModel =>
        "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", true;
    OptionalPropertyAddedToUnopenContentModel =>
        "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", true;
    PropertyRemovedFromOpenContentModel => "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", true;
    PropertyWithFalseRemovedFromClosedContentModel =>
        "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", true;
    PropertyRemovedFromClosedContentModel => "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", false;
    PropertyRemovedIsCoveredByPartiallyOpenContentModel =>
        "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true;
    PropertyRemovedNotCoveredByPartiallyOpenContentModel =>
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false;
    PropertyAddedIsCoveredByPartiallyOpenContentModel =>
        "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true;
    PropertyAddedNotCoveredByPartiallyOpenContentModel =>
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false;
    MaxItemsAdded => "MAX_ITEMS_ADDED", false;
    MaxItemsRemoved => "MAX_ITEMS_REMOVED", true;
    MaxItemsIncreased => "MAX_ITEMS_INCREASED", true;
    MaxItemsDecreased => "MAX_ITEMS_DECREASED", false;
    MinItemsAdded => "MIN_ITEMS_ADDED", false;
    MinItemsRemoved => "MIN_ITEMS_REMOVED", true;
    MinItemsIncreased => "MIN_ITEMS_INCREASED", false;
    MinItemsDecreased => "MIN_ITEMS_DECREASED", true;
    UniqueItemsAdded => "UNIQUE_ITEMS_ADDED", false;
    UniqueItemsRemoved => "UNIQUE_ITEMS_REMOVED", true;
    AdditionalItemsAdded => "ADDITIONAL_ITEMS_ADDED", true;
    AdditionalItemsRemoved => "ADDITIONAL_ITEMS_REMOVED", false;
    AdditionalItemsExtended => "ADDITIONAL_ITEMS_EXTENDED", true;
    AdditionalItemsNarrowed => "ADDITIONAL_ITEMS_NARROWED", false;
    ItemAddedToOpenContentModel => "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", false;
    ItemWithEmptySchemaAddedToOpenContentModel =>
        "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", true;
    ItemAddedToClosedContentModel => "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", true;
    ItemRemovedFromOpenContentModel => "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", true;
    ItemWithFalseRemovedFromClosedContentModel =>
        "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", true;
    ItemRemovedFromClosedContentModel => "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", false;
    ItemRemovedIsCoveredByPartiallyOpenContentModel =>
        "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true;
    ItemRemovedNotCoveredByPartiallyOpenContentModel =>
        "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false;
    ItemAddedIsCoveredByPartiallyOpenContentModel =>
        "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", true;
    ItemAddedNotCoveredByPartiallyOpenContentModel =>
        "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", false;
    EnumArrayExtended => "ENUM_ARRAY_EXTENDED", true;
    EnumArrayNarrowed => "ENUM_ARRAY_NARROWED", false;
    EnumArrayChanged => "ENUM_ARRAY_CHANGED", false;
    CombinedTypeExtended => "COMBINED_TYPE_EXTENDED", true;
    CombinedTypeChanged => "COMBINED_TYPE_CHANGED", false;
    ProductTypeExtended => "PRODUCT_TYPE_EXTENDED", false;
    ProductTypeNarrowed => "PRODUCT_TYPE_NARROWED", true;
    SumTypeExtended => "SUM_TYPE_EXTENDED", true;
    SumTypeNarrowed => "SUM_TYPE_NARROWED", false;
    CombinedTypeSubschemasChanged => "COMBINED_TYPE_SUBSCHEMAS_CHANGED", false;
    NotTypeExtended => "NOT_TYPE_EXTENDED", false;
    NotTypeNarrowed => "NOT_TYPE_NARROWED", true;
}

/// One difference found: its kind and the JSON path (`#/properties/a`) where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What differs.
    pub kind: DifferenceType,
    /// Where: `#/` and the path segments joined by `/`.
    pub path: String,
}

impl fmt::Display for Difference {
    /// `TYPE_CHANGED #/properties/a`, as Confluent's tests spell a difference.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.name(), self.path)
    }
}
