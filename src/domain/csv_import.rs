//! CSV imports (issue 21, item 3), the pure part: reading a file into a table (byte-order mark dropped, the
//! delimiter a spreadsheet program chose, each row's line number) and each row into what it asks for, or the
//! reason it can't be taken, naming its line and column. The columns are the exports' (`services::csv_export`),
//! so an exported file, edited, imports back.

use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::errors::{ErrorCode, FieldError};
use super::inventory::MAX_QUANTITY;

/// Rows one import takes (a larger file is split by the merchant): the run applies them in one transaction.
pub const MAX_ROWS: usize = 20_000;
/// Columns a products import needs; the others of the products export are optional.
pub const PRODUCT_REQUIRED: [&str; 3] = ["product_title", "sku", "price"];
/// Columns a stock count needs. The warehouse is the row's `warehouse_code` (or `warehouse`, its name) when the
/// file has one, else the import's warehouse.
pub const STOCK_REQUIRED: [&str; 2] = ["sku", "on_hand"];

/// A file's rows under its header.
#[derive(Debug, Clone)]
pub struct Table {
    columns: HashMap<String, usize>,
    width: usize,
    rows: Vec<Row>,
}

#[derive(Debug, Clone)]
struct Row {
    line: u64,
    cells: Vec<String>,
}

/// Why a row is not taken: its line (the header is line 1), the column at fault if one is, a code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub code: ErrorCode,
    pub message: String,
}

impl RowError {
    pub fn new(line: u64, column: Option<&str>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { line, column: column.map(str::to_owned), code, message: message.into() }
    }
}

/// Reads a CSV file. Refused as a whole (a `FieldError` on `field`): no header, a column named twice, no row,
/// more than `MAX_ROWS` rows, or text the CSV reader can't split. Rows whose cells are all blank are skipped
/// (spreadsheet programs leave them at the end).
pub fn read(field: &str, content: &str) -> Result<Table, FieldError> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let refuse = |code, message: String| FieldError::new(&[field], code, message);
    let header_line = content.lines().next().unwrap_or_default();
    if header_line.trim().is_empty() {
        return Err(refuse(ErrorCode::Blank, "the file is empty: its first line must name the columns".into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(header_line))
        .flexible(true)
        .has_headers(true)
        .from_reader(content.as_bytes());
    let header = reader.headers().map_err(|e| refuse(ErrorCode::Invalid, format!("the header can't be read: {e}")))?;
    let mut columns = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_lowercase();
        if name.is_empty() {
            continue;
        }
        if columns.insert(name.clone(), i).is_some() {
            return Err(refuse(ErrorCode::DuplicateEntry, format!("column \"{name}\" appears twice in the header")));
        }
    }
    let width = header.len();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(csv::Position::line).unwrap_or_default();
            refuse(ErrorCode::Invalid, format!("line {line} can't be read as CSV: {e}"))
        })?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(refuse(
                ErrorCode::TooMany,
                format!("at most {MAX_ROWS} rows per import: split the file and import the parts"),
            ));
        }
        let line = record.position().map(csv::Position::line).unwrap_or_default();
        rows.push(Row { line, cells: record.iter().map(str::to_owned).collect() });
    }
    if rows.is_empty() {
        return Err(refuse(ErrorCode::Blank, "the file has a header but no rows".into()));
    }
    Ok(Table { columns, width, rows })
}

/// The delimiter of the header line: a comma unless it has more semicolons or tabs (spreadsheet programs in
/// locales writing decimal commas save with semicolons).
fn delimiter(header_line: &str) -> u8 {
    let count = |c: char| header_line.matches(c).count();
    [(b',', count(',')), (b';', count(';')), (b'\t', count('\t'))]
        .into_iter()
        .fold((b',', 0), |best, (d, n)| if n > best.1 { (d, n) } else { best })
        .0
}

impl Table {
    /// Refuses a table lacking any of `required` (all missing ones named at once).
    pub fn require(&self, field: &str, required: &[&str]) -> Result<(), FieldError> {
        let missing: Vec<&str> = required.iter().copied().filter(|c| !self.has(c)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(FieldError::new(
            &[field],
            ErrorCode::MissingColumn,
            format!("the header lacks the column{} {}", if missing.len() > 1 { "s" } else { "" }, missing.join(", ")),
        ))
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// Rows below the header (blank ones skipped).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The trimmed cell of `column` in `row`; `None` when the file has no such column (a short row's missing
    /// cells are blank).
    fn cell<'a>(&self, row: &'a Row, column: &str) -> Option<&'a str> {
        self.columns.get(column).map(|&i| row.cells.get(i).map(|c| c.trim()).unwrap_or_default())
    }

    fn too_wide(&self, row: &Row) -> Option<RowError> {
        (row.cells.len() > self.width && row.cells[self.width..].iter().any(|c| !c.trim().is_empty())).then(|| {
            RowError::new(
                row.line,
                None,
                ErrorCode::Invalid,
                format!(
                    "the row has {} cells, the header {}: a comma inside a cell needs quotes",
                    row.cells.len(),
                    self.width
                ),
            )
        })
    }
}

/// One row of a stock count: set on hand of the variant with this SKU to `on_hand` in its warehouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockCount {
    pub line: u64,
    pub sku: String,
    pub warehouse: WarehouseRef,
    pub on_hand: i64,
}

/// Which warehouse a stock row counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarehouseRef {
    /// The row's `warehouse_code`.
    Code(String),
    /// The row's `warehouse` (its name), where it has no code.
    Name(String),
    /// The row names none: the import's warehouse.
    OfTheImport,
}

/// The stock counts of a table (checked with `STOCK_REQUIRED`), and the rows that are not counts.
pub fn stock_counts(table: &Table) -> (Vec<StockCount>, Vec<RowError>) {
    let mut counts = Vec::new();
    let mut errors = Vec::new();
    for row in &table.rows {
        if let Some(e) = table.too_wide(row) {
            errors.push(e);
            continue;
        }
        let cell = |c| table.cell(row, c).unwrap_or_default();
        let sku = cell("sku");
        if sku.is_empty() {
            errors.push(RowError::new(row.line, Some("sku"), ErrorCode::Blank, "sku can't be blank"));
            continue;
        }
        let on_hand = match whole_units(cell("on_hand")) {
            Ok(n) => n,
            Err(message) => {
                errors.push(RowError::new(row.line, Some("on_hand"), ErrorCode::Invalid, message));
                continue;
            }
        };
        let warehouse = match (cell("warehouse_code"), cell("warehouse")) {
            (code, _) if !code.is_empty() => WarehouseRef::Code(code.to_owned()),
            (_, name) if !name.is_empty() => WarehouseRef::Name(name.to_owned()),
            _ => WarehouseRef::OfTheImport,
        };
        counts.push(StockCount { line: row.line, sku: sku.to_owned(), warehouse, on_hand });
    }
    (counts, errors)
}

fn whole_units(cell: &str) -> Result<i64, String> {
    if cell.is_empty() {
        return Err("on_hand can't be blank: write the units counted (0 for none)".into());
    }
    match cell.parse::<i64>() {
        Ok(n) if (0..=MAX_QUANTITY).contains(&n) => Ok(n),
        Ok(n) if n < 0 => Err(format!("on_hand can't be negative (got {n})")),
        Ok(_) => Err(format!("on_hand can't exceed {MAX_QUANTITY}")),
        Err(_) => Err(format!("on_hand must be a whole number of units, without separators (got \"{cell}\")")),
    }
}

/// One row of a products import: a variant, found by SKU (updated) or new (created), and its product's fields.
/// A field is `None` where the file has no such column (left as it is); `Some(None)` where its cell is blank
/// (cleared, as the export writes a missing value).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductRow {
    pub line: u64,
    pub product_title: String,
    pub vendor: Option<Option<String>>,
    pub product_type: Option<Option<String>>,
    /// Blank or absent: the options' values (a new variant) or the variant's title as it is.
    pub variant_title: Option<String>,
    pub sku: String,
    pub barcode: Option<Option<String>>,
    /// The option name/value pairs, where the file has option columns.
    pub options: Option<Vec<(String, String)>>,
    pub price: Decimal,
    pub list_price: Option<Option<Decimal>>,
    pub cost_price: Option<Option<Decimal>>,
    pub unit: Option<Option<String>>,
    pub track_inventory: Option<bool>,
    pub allow_oversell: Option<bool>,
}

/// The product rows of a table (checked with `PRODUCT_REQUIRED`), and the rows that can't be read.
pub fn product_rows(table: &Table) -> (Vec<ProductRow>, Vec<RowError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for row in &table.rows {
        if let Some(e) = table.too_wide(row) {
            errors.push(e);
            continue;
        }
        match product_row(table, row) {
            Ok(r) => rows.push(r),
            Err(e) => errors.push(e),
        }
    }
    (rows, errors)
}

fn product_row(table: &Table, row: &Row) -> Result<ProductRow, RowError> {
    let line = row.line;
    let cell = |c: &str| table.cell(row, c);
    let optional_text = |c: &str| cell(c).map(|v| (!v.is_empty()).then(|| v.to_owned()));
    let required = |c: &str| -> Result<String, RowError> {
        match cell(c) {
            Some(v) if !v.is_empty() => Ok(v.to_owned()),
            _ => Err(RowError::new(line, Some(c), ErrorCode::Blank, format!("{c} can't be blank"))),
        }
    };
    let product_title = required("product_title")?;
    let sku = required("sku")?;
    let price = amount(line, "price", &required("price")?)?;
    let optional_amount = |c: &str| -> Result<Option<Option<Decimal>>, RowError> {
        match cell(c) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(v) => amount(line, c, v).map(|a| Some(Some(a))),
        }
    };
    let flag = |c: &str| -> Result<Option<bool>, RowError> {
        match cell(c).unwrap_or_default() {
            "" => Ok(None),
            v => yes_or_no(v).map(Some).ok_or_else(|| {
                RowError::new(line, Some(c), ErrorCode::Invalid, format!("{c} must be true or false (got \"{v}\")"))
            }),
        }
    };
    Ok(ProductRow {
        line,
        vendor: optional_text("vendor"),
        product_type: optional_text("product_type"),
        variant_title: optional_text("variant_title").flatten(),
        barcode: optional_text("barcode"),
        options: options(table, row)?,
        list_price: optional_amount("list_price")?,
        cost_price: optional_amount("cost_price")?,
        unit: optional_text("unit"),
        track_inventory: flag("track_inventory")?,
        allow_oversell: flag("allow_oversell")?,
        product_title,
        sku,
        price,
    })
}

/// The option pairs of a row, where the file has option columns: a pair with a name needs a value and the other
/// way round; blank pairs are skipped.
fn options(table: &Table, row: &Row) -> Result<Option<Vec<(String, String)>>, RowError> {
    let mut any_column = false;
    let mut pairs = Vec::new();
    for i in 1..=3 {
        let (name_col, value_col) = (format!("option{i}_name"), format!("option{i}_value"));
        let (name, value) = (table.cell(row, &name_col), table.cell(row, &value_col));
        any_column |= name.is_some() || value.is_some();
        match (name.unwrap_or_default(), value.unwrap_or_default()) {
            ("", "") => {}
            (name, "") => {
                return Err(RowError::new(
                    row.line,
                    Some(&value_col),
                    ErrorCode::InvalidOptions,
                    format!("option \"{name}\" has no value"),
                ));
            }
            ("", _) => {
                return Err(RowError::new(
                    row.line,
                    Some(&name_col),
                    ErrorCode::InvalidOptions,
                    "the option has no name",
                ));
            }
            (name, value) => pairs.push((name.to_owned(), value.to_owned())),
        }
    }
    Ok(any_column.then_some(pairs))
}

/// A price in the shop's currency as a plain decimal (`129000`, `12.50`); a thousands separator is refused
/// rather than guessed (`1,500` may be one and a half).
fn amount(line: u64, column: &str, cell: &str) -> Result<Decimal, RowError> {
    Decimal::from_str(cell).ok().filter(|d| !d.is_sign_negative()).ok_or_else(|| {
        RowError::new(
            line,
            Some(column),
            ErrorCode::InvalidMoney,
            format!("{column} must be a number of 0 or more, without thousands separators (got \"{cell}\")"),
        )
    })
}

fn yes_or_no(cell: &str) -> Option<bool> {
    match cell.to_lowercase().as_str() {
        "true" | "yes" | "1" | "có" | "x" => Some(true),
        "false" | "no" | "0" | "không" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each error as (line, column, code).
    fn located(errors: &[RowError]) -> Vec<(u64, Option<&str>, ErrorCode)> {
        errors.iter().map(|e| (e.line, e.column.as_deref(), e.code)).collect()
    }

    fn table(text: &str) -> Table {
        read("content", text).expect("a readable table")
    }

    #[test]
    fn read_drops_the_bom_and_finds_the_delimiter() {
        for text in ["\u{feff}sku,on_hand\nA,1\n", "sku;on_hand\nA;1\n", "SKU\tOn_Hand\nA\t1\n"] {
            let (counts, errors) = stock_counts(&table(text));
            assert!(errors.is_empty(), "{text:?}: {errors:?}");
            assert_eq!(
                counts,
                [StockCount { line: 2, sku: "A".into(), warehouse: WarehouseRef::OfTheImport, on_hand: 1 }]
            );
        }
    }

    #[test]
    fn read_refuses_what_is_not_a_table() {
        let cases = [
            ("", ErrorCode::Blank),
            ("\u{feff}\n", ErrorCode::Blank),
            ("sku,on_hand\n", ErrorCode::Blank),
            ("sku,on_hand\n,\n , \n", ErrorCode::Blank),
            ("sku,SKU\nA,B\n", ErrorCode::DuplicateEntry),
        ];
        for (text, code) in cases {
            let refused = read("content", text).expect_err(text);
            assert_eq!((refused.code, refused.field.as_slice()), (code, ["content".to_owned()].as_slice()), "{text:?}");
        }
        let many = format!("sku,on_hand\n{}", "A,1\n".repeat(MAX_ROWS + 1));
        assert_eq!(read("content", &many).expect_err("too many").code, ErrorCode::TooMany);
    }

    #[test]
    fn require_names_every_missing_column() {
        let refused = table("sku,price\nA,1\n").require("content", &PRODUCT_REQUIRED).expect_err("missing");
        assert_eq!(refused.code, ErrorCode::MissingColumn);
        assert!(refused.message.ends_with("the column product_title"), "{}", refused.message);
        let refused = table("vendor\nA\n").require("content", &PRODUCT_REQUIRED).expect_err("missing");
        assert!(refused.message.ends_with("columns product_title, sku, price"), "{}", refused.message);
        assert!(table("on_hand,SKU\n1,A\n").require("content", &STOCK_REQUIRED).is_ok());
    }

    #[test]
    fn stock_rows_report_their_line_and_column() {
        let text = "warehouse,warehouse_code,sku,on_hand\n\
                    Kho HN,HN,A,5\n\
                    Kho HCM,,B,12.5\n\
                    ,,C,-1\n\
                    ,,,3\n\
                    \"Kho, mới\",,\"D\nE\",7\n\
                    ,,F,1,extra\n\
                    ,,G,\n\
                    ,,H,1 000\n";
        let (counts, errors) = stock_counts(&table(text));
        assert_eq!(
            counts,
            [
                StockCount { line: 2, sku: "A".into(), warehouse: WarehouseRef::Code("HN".into()), on_hand: 5 },
                StockCount {
                    line: 6,
                    sku: "D\nE".into(),
                    warehouse: WarehouseRef::Name("Kho, mới".into()),
                    on_hand: 7
                },
            ]
        );
        assert_eq!(
            located(&errors),
            [
                (3, Some("on_hand"), ErrorCode::Invalid),
                (4, Some("on_hand"), ErrorCode::Invalid),
                (5, Some("sku"), ErrorCode::Blank),
                (8, None, ErrorCode::Invalid),
                (9, Some("on_hand"), ErrorCode::Invalid),
                (10, Some("on_hand"), ErrorCode::Invalid),
            ]
        );
        assert!(errors[0].message.contains("12.5"), "{}", errors[0].message);
    }

    #[test]
    fn product_rows_tell_absent_columns_from_blank_cells() {
        let text = "product_title,sku,price,barcode,list_price,option1_name,option1_value,track_inventory\n\
                    Áo thun,AT-S,129000,,159000,Size,S,true\n\
                    Áo thun,AT-M,129000.50,893,,Size,M,không\n";
        let (rows, errors) = product_rows(&table(text));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows[0].barcode, Some(None));
        assert_eq!(rows[0].list_price, Some(Some(Decimal::from(159_000))));
        assert_eq!(rows[0].cost_price, None);
        assert_eq!(rows[0].vendor, None);
        assert_eq!(rows[0].options, Some(vec![("Size".to_owned(), "S".to_owned())]));
        assert_eq!(rows[1].price, Decimal::from_str("129000.50").expect("decimal"));
        assert_eq!(rows[1].barcode, Some(Some("893".to_owned())));
        assert_eq!((rows[0].track_inventory, rows[1].track_inventory), (Some(true), Some(false)));
        let (rows, _) = product_rows(&table("product_title,sku,price\nA,1,1\n"));
        assert_eq!(rows[0].options, None);
    }

    #[test]
    fn product_rows_refuse_bad_cells() {
        let text = "product_title,sku,price,cost_price,option1_name,option1_value,allow_oversell\n\
                    ,A,1,,,,\n\
                    T,,1,,,,\n\
                    T,B,,,,,\n\
                    T,C,1.500.000,,,,\n\
                    T,D,1,-5,,,\n\
                    T,E,1,,Size,,\n\
                    T,F,1,,,M,\n\
                    T,G,1,,,,maybe\n\
                    T,H,1,,,,\n";
        let (rows, errors) = product_rows(&table(text));
        assert_eq!(rows.iter().map(|r| r.sku.as_str()).collect::<Vec<_>>(), ["H"]);
        assert_eq!(
            located(&errors),
            [
                (2, Some("product_title"), ErrorCode::Blank),
                (3, Some("sku"), ErrorCode::Blank),
                (4, Some("price"), ErrorCode::Blank),
                (5, Some("price"), ErrorCode::InvalidMoney),
                (6, Some("cost_price"), ErrorCode::InvalidMoney),
                (7, Some("option1_value"), ErrorCode::InvalidOptions),
                (8, Some("option1_name"), ErrorCode::InvalidOptions),
                (9, Some("allow_oversell"), ErrorCode::Invalid),
            ]
        );
    }
}
