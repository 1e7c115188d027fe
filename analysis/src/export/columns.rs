//! A column described once: its name, unit, meaning, nullability and how to
//! read it from a row. The Arrow schema, the arrays written and the
//! documentation (analysis/README.md, `hoofbeat analyze --help`) are all
//! derived from these descriptions, so they cannot drift apart.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, RecordBatch, StringArray, TimestampMillisecondArray,
    UInt32Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef, TimeUnit};

/// How a column's value is read from a row of type `R`; the variant fixes
/// the Arrow type and whether the column may hold nulls.
pub enum Get<R> {
    Str(for<'a> fn(&'a R) -> &'a str),
    OptStr(for<'a> fn(&'a R) -> Option<&'a str>),
    F64(fn(&R) -> f64),
    OptF64(fn(&R) -> Option<f64>),
    U32(fn(&R) -> u32),
    OptU32(fn(&R) -> Option<u32>),
    U64(fn(&R) -> u64),
    Bool(fn(&R) -> bool),
    OptBool(fn(&R) -> Option<bool>),
    /// Unix milliseconds, stored as a UTC timestamp.
    OptTimestampMs(fn(&R) -> Option<i64>),
}

/// One column of an export file.
pub struct Column<R> {
    pub name: &'static str,
    /// Unit of the values (`s`, `Hz`, `mm`, …); empty when unitless.
    pub unit: &'static str,
    /// One sentence: what the value is, and where it comes from in the
    /// analysis document.
    pub doc: &'static str,
    pub get: Get<R>,
}

impl<R> std::fmt::Debug for Column<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("name", &self.name)
            .field("type", &self.type_name())
            .finish()
    }
}

/// Shorthand for a column description.
pub fn col<R>(name: &'static str, unit: &'static str, get: Get<R>, doc: &'static str) -> Column<R> {
    Column {
        name,
        unit,
        doc,
        get,
    }
}

impl<R> Column<R> {
    /// The Arrow type written.
    pub fn data_type(&self) -> DataType {
        match self.get {
            Get::Str(_) | Get::OptStr(_) => DataType::Utf8,
            Get::F64(_) | Get::OptF64(_) => DataType::Float64,
            Get::U32(_) | Get::OptU32(_) => DataType::UInt32,
            Get::U64(_) => DataType::UInt64,
            Get::Bool(_) | Get::OptBool(_) => DataType::Boolean,
            Get::OptTimestampMs(_) => {
                DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
            }
        }
    }

    /// The Arrow type as the documentation names it.
    pub fn type_name(&self) -> &'static str {
        match self.get {
            Get::Str(_) | Get::OptStr(_) => "Utf8",
            Get::F64(_) | Get::OptF64(_) => "Float64",
            Get::U32(_) | Get::OptU32(_) => "UInt32",
            Get::U64(_) => "UInt64",
            Get::Bool(_) | Get::OptBool(_) => "Boolean",
            Get::OptTimestampMs(_) => "Timestamp(ms, UTC)",
        }
    }

    /// True when the column may hold nulls.
    pub fn nullable(&self) -> bool {
        matches!(
            self.get,
            Get::OptStr(_)
                | Get::OptF64(_)
                | Get::OptU32(_)
                | Get::OptBool(_)
                | Get::OptTimestampMs(_)
        )
    }

    /// The Arrow field, with the unit and meaning as field metadata (pyarrow
    /// shows them as `field.metadata`).
    pub fn field(&self) -> Field {
        let mut meta = HashMap::from([("description".to_owned(), self.doc.to_owned())]);
        if !self.unit.is_empty() {
            meta.insert("unit".to_owned(), self.unit.to_owned());
        }
        Field::new(self.name, self.data_type(), self.nullable()).with_metadata(meta)
    }

    /// The column's values over `rows`.
    pub fn array(&self, rows: &[R]) -> ArrayRef {
        let it = rows.iter();
        match self.get {
            Get::Str(f) => Arc::new(StringArray::from_iter_values(it.map(f))),
            Get::OptStr(f) => Arc::new(it.map(f).collect::<StringArray>()),
            Get::F64(f) => Arc::new(Float64Array::from_iter_values(it.map(f))),
            Get::OptF64(f) => Arc::new(it.map(f).collect::<Float64Array>()),
            Get::U32(f) => Arc::new(UInt32Array::from_iter_values(it.map(f))),
            Get::OptU32(f) => Arc::new(it.map(f).collect::<UInt32Array>()),
            Get::U64(f) => Arc::new(UInt64Array::from_iter_values(it.map(f))),
            Get::Bool(f) => Arc::new(it.map(|r| Some(f(r))).collect::<BooleanArray>()),
            Get::OptBool(f) => Arc::new(it.map(f).collect::<BooleanArray>()),
            Get::OptTimestampMs(f) => Arc::new(
                it.map(f)
                    .collect::<TimestampMillisecondArray>()
                    .with_timezone("UTC"),
            ),
        }
    }
}

/// The schema of a table of `columns`.
pub fn schema<R>(columns: &[Column<R>]) -> SchemaRef {
    Arc::new(Schema::new(
        columns.iter().map(Column::field).collect::<Vec<_>>(),
    ))
}

/// The rows as one record batch.
pub fn batch<R>(columns: &[Column<R>], rows: &[R]) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(
        schema(columns),
        columns.iter().map(|c| c.array(rows)).collect(),
    )
}
