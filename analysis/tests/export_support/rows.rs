//! Reading the export files back and comparing them, cell by cell, with
//! the JSON documents they come from.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMillisecondType, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Value, json};

pub fn read(path: &Path) -> RecordBatch {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("parquet")
        .with_batch_size(1 << 20)
        .build()
        .expect("reader");
    let batches: Vec<RecordBatch> = reader.map(|b| b.expect("batch")).collect();
    assert!(batches.len() <= 1, "{}: one batch expected", path.display());
    batches.into_iter().next().unwrap_or_else(|| {
        // An empty table: its schema, no rows.
        let file = File::open(path).expect("open");
        let b = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
        RecordBatch::new_empty(b.schema().clone())
    })
}

/// One cell as JSON (a timestamp as its Unix ms).
pub fn cell(batch: &RecordBatch, name: &str, row: usize) -> Value {
    let col = batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"));
    if col.is_null(row) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Float64 => json!(col.as_primitive::<Float64Type>().value(row)),
        DataType::UInt32 => json!(col.as_primitive::<UInt32Type>().value(row)),
        DataType::UInt64 => json!(col.as_primitive::<UInt64Type>().value(row)),
        DataType::Utf8 => json!(col.as_string::<i32>().value(row)),
        DataType::Boolean => json!(col.as_boolean().value(row)),
        DataType::Timestamp(TimeUnit::Millisecond, Some(tz)) if tz.as_ref() == "UTC" => {
            json!(col.as_primitive::<TimestampMillisecondType>().value(row))
        }
        t => panic!("{name}: unexpected type {t}"),
    }
}

/// Equal as JSON values, numbers within 1e-9 (the JSON parser may differ
/// from the exact double by an ulp).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            (x - y).abs() <= 1e-9 * x.abs().max(1.0)
        }
        _ => a == b,
    }
}

/// Checks `columns` (column → JSON pointer in the item, or a computed
/// value) of every row of `batch` against `items` (file, item).
pub fn check_rows(
    table: &str,
    batch: &RecordBatch,
    items: &[(String, usize, Value)],
    expected: &dyn Fn(&str, &str, usize, &Value) -> Value,
) {
    assert_eq!(batch.num_rows(), items.len(), "{table}: row count");
    for (row, (file, index, item)) in items.iter().enumerate() {
        for field in batch.schema().fields() {
            let name = field.name();
            let got = cell(batch, name, row);
            let want = expected(name, file, *index, item);
            assert!(
                same(&got, &want),
                "{table} row {row} ({file} #{index}) column {name}: {got} != {want}"
            );
        }
    }
}

/// The item's field `name`, or `prefix_rest` under `/prefix/rest` (`null`
/// along a null parent).
pub fn field(item: &Value, name: &str, nested: &[(&str, &str)]) -> Value {
    for (prefix, key) in nested {
        if let Some(rest) = name.strip_prefix(prefix) {
            return match &item[*key] {
                Value::Null => Value::Null,
                v => v[rest].clone(),
            };
        }
    }
    item.get(name)
        .cloned()
        .unwrap_or_else(|| panic!("no {name} in the document"))
}
