//! [`MetaColumn`]: a batch metadata column (partition, timestamp) that the chain reads in place
//! as the Arrow array it came in as, and copies only when a transform writes to it.

use arrow_array::types::ArrowPrimitiveType;
use arrow_array::{Array, PrimitiveArray};

/// One metadata column of a batch, one entry per batch row, null where the record has none.
/// Reads go to the Arrow array; the first write copies it into a `Vec` that later reads and
/// writes use, and [`MetaColumn::into_array`] builds the array back from it. A chain in which no
/// transform writes the column never copies it.
#[derive(Debug)]
pub struct MetaColumn<T: ArrowPrimitiveType> {
    array: PrimitiveArray<T>,
    edited: Option<Vec<Option<T::Native>>>,
}

// Not derived: a derive would ask `T` itself to be `Clone`, which Arrow's type markers are not.
impl<T: ArrowPrimitiveType> Clone for MetaColumn<T> {
    fn clone(&self) -> Self {
        MetaColumn {
            array: self.array.clone(),
            edited: self.edited.clone(),
        }
    }
}

impl<T: ArrowPrimitiveType> MetaColumn<T> {
    /// The column over `array`, shared, not copied. Cost: nothing.
    pub fn new(array: PrimitiveArray<T>) -> Self {
        MetaColumn {
            array,
            edited: None,
        }
    }

    /// Batch row `row`'s value, `None` where it is null. Cost: a bit test and a load.
    pub fn get(&self, row: usize) -> Option<T::Native> {
        match &self.edited {
            Some(values) => values[row],
            None => self.array.is_valid(row).then(|| self.array.value(row)),
        }
    }

    /// Sets batch row `row`'s value (`None`: null). Cost: the first write copies the column
    /// (one entry per batch row); every write after it is a store.
    pub fn set(&mut self, row: usize, value: Option<T::Native>) {
        let array = &self.array;
        let values = self.edited.get_or_insert_with(|| array.iter().collect());
        values[row] = value;
    }

    /// The column as an Arrow array. Cost: nothing when no row was written (the array it was
    /// made from), else one pass building a new array.
    pub fn into_array(self) -> PrimitiveArray<T> {
        match self.edited {
            Some(values) => values.into_iter().collect(),
            None => self.array,
        }
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::Int64Array;

    use super::*;

    #[test]
    fn reads_share_the_array_and_the_first_write_copies_it() {
        let array = Int64Array::from(vec![Some(1), None, Some(3)]);
        let column = MetaColumn::new(array.clone());
        assert_eq!((column.get(0), column.get(1)), (Some(1), None));
        let unchanged = column.clone().into_array();
        assert_eq!(unchanged.values().as_ptr(), array.values().as_ptr());

        let mut column = column;
        column.set(1, Some(2));
        column.set(2, None);
        assert_eq!((column.get(1), column.get(2)), (Some(2), None));
        assert_eq!(
            column.into_array(),
            Int64Array::from(vec![Some(1), Some(2), None])
        );
        assert_eq!(array, Int64Array::from(vec![Some(1), None, Some(3)]));
    }
}
