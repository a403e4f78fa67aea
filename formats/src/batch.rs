//! `ConnectBatch`: decoded records as Arrow columns (design §2).
//!
//! Metadata columns cover every row of the batch; keys and values live in [`Segment`]s, each a run
//! of rows (not necessarily adjacent) that share one key schema and one value schema. A
//! [`Column`] is one side (key or value) of a segment: its Connect schema (`None` for schemaless
//! data, whose Arrow type then describes the inferred shape) and one Arrow array with a row per
//! segment row. A null row is a null key or value (a tombstone when the value is null).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, Int32Array, Int64Array};
use arrow_buffer::Buffer;
use arrow_schema::DataType;

use crate::array_cell::str_at;
use crate::raw::range_in;
use crate::schema::{SchemaKind, SchemaRef};
use crate::value::Value;
use crate::value_array::value_at;

/// One side (key or value) of a segment.
#[derive(Debug, Clone)]
pub struct Column {
    /// The Connect schema, or `None` for schemaless data.
    pub schema: Option<SchemaRef>,
    /// One entry per segment row.
    pub data: ArrayRef,
}

/// Rows of a batch that share a key schema and a value schema.
#[derive(Debug, Clone)]
pub struct Segment {
    /// The batch positions of this segment's rows, ascending.
    pub rows: Vec<u32>,
    /// The keys, one per row.
    pub key: Column,
    /// The values, one per row.
    pub value: Column,
}

/// A header after the header converter read it: its name and typed Connect value.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// The header name (shared: a batch's headers repeat a few names).
    pub name: Arc<str>,
    /// The schema the header converter gave the value (`None`: schemaless or null).
    pub schema: Option<SchemaRef>,
    /// The value.
    pub value: Value,
}

/// A column of header values: row `i` of `data` is the value of a header named `name` with
/// `schema` (see [`Headers::append_cells`]). Held once per batch, so a header copied from a
/// field is an entry, not a typed value, until something asks for it typed.
#[derive(Debug, Clone)]
pub struct HeaderColumn {
    /// The header name.
    pub name: Arc<str>,
    /// The header's schema (`None`: schemaless).
    pub schema: Option<SchemaRef>,
    /// The values, read as [`value_at`] reads them.
    pub data: ArrayRef,
    /// Whether the values are STRINGs held as text (Utf8 or Utf8View; not the JSON payloads
    /// LargeUtf8 holds), which views give as [`HeaderView::Text`].
    text: bool,
    /// The values when they are booleans (a flag copied to a header), read directly rather than
    /// through [`value_at`]'s dispatch on the array's type (160 instructions a header, a fifth
    /// of writing a record's headers out in the Avro benchmark chain, callgrind).
    booleans: Option<BooleanArray>,
}

impl HeaderColumn {
    /// The column of header `name` whose values are `data`, of `schema`.
    pub fn new(name: Arc<str>, schema: Option<SchemaRef>, data: ArrayRef) -> HeaderColumn {
        let is_string = matches!(&schema, Some(s) if matches!(s.kind, SchemaKind::String));
        let text = is_string && matches!(data.data_type(), DataType::Utf8 | DataType::Utf8View);
        let booleans = data.as_boolean_opt().cloned();
        HeaderColumn {
            name,
            schema,
            data,
            text,
            booleans,
        }
    }

    /// Row `row`'s value, as [`value_at`] reads it. Cost: a bit read for booleans; otherwise
    /// [`value_at`]'s.
    fn value(&self, row: usize) -> Value {
        match &self.booleans {
            Some(booleans) if row < booleans.len() && booleans.is_valid(row) => {
                Value::Boolean(booleans.value(row))
            }
            Some(_) => Value::Null,
            None => value_at(self.schema.as_ref(), self.data.as_ref(), row),
        }
    }

    /// Row `row` as text, where it is a non-null STRING held as text. Cost: a slice.
    fn text(&self, row: usize) -> Option<&str> {
        if self.text && self.data.is_valid(row) {
            str_at(self.data.as_ref(), row)
        } else {
            None
        }
    }

    /// Row `row` as a typed header. Cost: the value read out of the column.
    fn header(&self, row: usize) -> Header {
        Header {
            name: self.name.clone(),
            schema: self.schema.clone(),
            value: self.value(row),
        }
    }
}

/// Every row's headers, flattened: row `i` owns entries `ends[i-1]..ends[i]`, then what each
/// [`Layer`] that lists it adds.
///
/// Headers the header converter reads as text that is exactly their bytes (the common header:
/// names, ids, UUIDs) stay views of the input buffer until something asks for the typed
/// [`Header`]s ([`Headers::all`], [`Headers::row`], an edit); an output header converter that
/// writes text as it is then copies their bytes without a typed value ([`Headers::row_views`]).
/// So a batch whose headers no transform touches makes no allocation per header.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    ends: Vec<u32>,
    entries: Vec<Entry>,
    /// The typed headers pushed as such, which [`Entry::Typed`] entries index: out of line, so
    /// an entry takes 24 bytes, not a whole [`Header`]'s (a record of a million text headers
    /// then works in about 1.5× their bytes).
    pushed_typed: Vec<Header>,
    /// The buffer text entries point into (immutable while shared, so text checked once stays
    /// UTF-8).
    text_source: Option<Buffer>,
    /// The schemas the header converter gave text entries, which they index: a run of entries
    /// with the same schema shares one (held out of line so an entry is plain data, moved by a
    /// copy with no reference count to keep).
    text_schemas: Vec<Option<SchemaRef>>,
    /// The columns [`Entry::Cell`] entries and [`Added::Cell`]s index.
    columns: Vec<HeaderColumn>,
    /// Headers appended to many rows at once, after the rows' entries, in the order appended.
    layers: Vec<Layer>,
    /// Every row's headers typed, built on first use; once built it is the truth and
    /// `entries` and `layers` are stale.
    typed: OnceLock<Typed>,
}

/// Every row's headers as typed headers: row `i` owns `headers[ends[i-1]..ends[i]]`.
#[derive(Debug, Clone, Default)]
struct Typed {
    headers: Vec<Header>,
    ends: Vec<u32>,
}

/// Headers appended to a set of rows, the same ones (or the same header columns) for each, held
/// once for all of them rather than copied into every row's entries: appending to every row
/// then costs no pass over the batch's entries (that copy was 3% of the Avro benchmark chain's
/// time, perf), and DropHeaders decides once per layer, by name, whether a header stays.
#[derive(Debug, Clone)]
struct Layer {
    /// Per batch row, its position `k` among the rows the layer adds to (`NOT_LISTED`: none),
    /// or `None`: every row, at its own position. A row per entry rather than the list of rows,
    /// so a row's look-up is one read (a batch's segments each append their own layer).
    positions: Option<Vec<u32>>,
    /// How many rows it adds to.
    count: usize,
    /// For the `k`-th of those rows, the row of the header columns its [`Added::Cell`]s read.
    cells: Vec<u32>,
    /// What each of those rows gets, in order.
    added: Vec<Added>,
}

/// One header a [`Layer`] adds to each of its rows.
#[derive(Debug, Clone, Copy)]
enum Added {
    /// The same entry for every row.
    Entry(Entry),
    /// A header column (its index), read at the row the layer's `cells` give.
    Cell(u32),
}

/// The position of a row a [`Layer`] does not add to.
const NOT_LISTED: u32 = u32::MAX;

/// The most layers a batch holds; one more merges them into the entries first. A row's views
/// look at every layer and a layer of some rows holds a position per batch row, so a batch of
/// many segments (each appending its own layers) would otherwise pay per layer what one merge
/// pays once.
const MAX_LAYERS: usize = 16;

impl Layer {
    /// The position among the layer's rows of batch row `row`, if the layer adds to it. Cost:
    /// one read.
    #[inline]
    fn position(&self, row: usize) -> Option<usize> {
        match &self.positions {
            None => Some(row),
            Some(positions) => match positions.get(row) {
                Some(&k) if k != NOT_LISTED => Some(k as usize),
                _ => None,
            },
        }
    }

    /// The batch rows it adds to, ascending, of a batch of `len` rows.
    fn rows(&self, len: usize) -> impl Iterator<Item = u32> + '_ {
        (0..len as u32).filter(|&row| self.position(row as usize).is_some())
    }

    /// The entry `added` stands for at the `k`-th of the layer's rows.
    fn entry(&self, added: Added, k: usize) -> Entry {
        match added {
            Added::Entry(entry) => entry,
            Added::Cell(column) => Entry::Cell {
                column,
                row: self.cells[k],
            },
        }
    }
}

/// The rows an append applies to, as a layer lists them: `rows` (batch positions, ascending)
/// without repeats and rows past `len` (which the appends ignore), each with its position in
/// `rows`; `None` when that is every row in order. Cost: one pass over `rows`.
fn listed_rows(rows: &[u32], len: usize) -> Option<Vec<(u32, usize)>> {
    if rows.len() == len && rows.iter().enumerate().all(|(i, &row)| row as usize == i) {
        return None;
    }
    let mut listed: Vec<(u32, usize)> = Vec::with_capacity(rows.len().min(len));
    for (k, &row) in rows.iter().enumerate() {
        let after_last = listed.last().is_none_or(|&(last, _)| row > last);
        if after_last && (row as usize) < len {
            listed.push((row, k));
        }
    }
    Some(listed)
}

/// Whether every row of `listed` (ascending) is among `rows` (ascending, repeats allowed).
/// Cost: one pass over both.
fn covers(rows: &[u32], listed: impl IntoIterator<Item = u32>) -> bool {
    let mut rows = rows.iter().copied().peekable();
    listed.into_iter().all(|row| {
        while rows.next_if(|&r| r < row).is_some() {}
        rows.peek() == Some(&row)
    })
}

/// One stored header: typed (its index in `pushed_typed`; several entries may share one), name
/// and text held as spans of the text source with the index of their schema in `text_schemas`,
/// or a row of one of the header columns. Plain data (24 bytes): the edits move entries by copy.
#[derive(Debug, Clone, Copy)]
enum Entry {
    Typed(u32),
    Text {
        name: Span,
        bytes: Span,
        schema: u32,
    },
    Cell {
        column: u32,
        row: u32,
    },
}

/// A byte range of the text source.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
}

impl From<Range<u32>> for Span {
    fn from(range: Range<u32>) -> Span {
        Span {
            start: range.start,
            end: range.end,
        }
    }
}

/// A header as [`Headers::row_views`] gives it: typed, text still where it was read from, or a
/// row of a column of header values.
#[derive(Debug, Clone, Copy)]
pub enum HeaderView<'a> {
    /// A header with its typed value.
    Typed(&'a Header),
    /// A row of a column of header values that is not text (see [`HeaderView::Text`]).
    Cell {
        /// The column.
        column: &'a HeaderColumn,
        /// The row.
        row: usize,
    },
    /// A STRING header whose value is `text` (in the input bytes, or in a column), with the
    /// schema the header converter or the column gave it.
    Text {
        /// The header name.
        name: &'a str,
        /// The schema the header converter gave the value.
        schema: Option<&'a SchemaRef>,
        /// The value.
        text: &'a str,
    },
}

impl<'a> HeaderView<'a> {
    /// The header name.
    pub fn name(self) -> &'a str {
        match self {
            HeaderView::Typed(header) => &header.name,
            HeaderView::Cell { column, .. } => &column.name,
            HeaderView::Text { name, .. } => name,
        }
    }

    /// The header's text when its value is a string, held as text or typed. Cost: none.
    pub fn as_text(self) -> Option<&'a str> {
        match self {
            HeaderView::Text { text, .. } => Some(text),
            HeaderView::Typed(Header {
                value: Value::String(text),
                ..
            }) => Some(text),
            _ => None,
        }
    }

    /// The schema the header's value has (`None`: schemaless).
    pub fn schema(self) -> Option<&'a SchemaRef> {
        match self {
            HeaderView::Typed(header) => header.schema.as_ref(),
            HeaderView::Cell { column, .. } => column.schema.as_ref(),
            HeaderView::Text { schema, .. } => schema,
        }
    }

    /// The header's value. Cost: borrowed for a typed header; for a cell, its value read out
    /// of the column; for a text view, a copy of the text.
    pub fn value(self) -> Cow<'a, Value> {
        match self {
            HeaderView::Typed(header) => Cow::Borrowed(&header.value),
            HeaderView::Cell { column, row } => Cow::Owned(column.value(row)),
            HeaderView::Text { text, .. } => Cow::Owned(Value::String(text.to_string())),
        }
    }

    /// The typed header, its name shared through `names`. Cost: for a text view, a copy of the
    /// text (and of the name when `names` does not hold it yet); for a cell, its value read.
    pub fn to_header(&self, names: &mut NameCache) -> Header {
        match self {
            HeaderView::Typed(header) => (*header).clone(),
            HeaderView::Cell { column, row } => column.header(*row),
            HeaderView::Text { name, schema, text } => Header {
                name: names.get(name),
                schema: schema.cloned(),
                value: Value::String((*text).to_string()),
            },
        }
    }
}

/// Shares one `Arc<str>` per distinct header name among the first few names it sees (a batch
/// repeats a few names; records with many distinct names get one `Arc` each).
#[derive(Debug, Default)]
pub struct NameCache {
    names: Vec<Arc<str>>,
}

impl NameCache {
    /// How many names are kept for sharing.
    const KEPT: usize = 16;

    /// `name` as a shared string. Cost: a scan of at most [`NameCache::KEPT`] names, and an
    /// allocation for a name not kept.
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(known) = self.names.iter().find(|n| &***n == name) {
            return known.clone();
        }
        let shared: Arc<str> = Arc::from(name);
        if self.names.len() < Self::KEPT {
            self.names.push(shared.clone());
        }
        shared
    }
}

impl Headers {
    /// Empty headers whose text entries ([`Headers::push_text`]) point into `source`.
    pub fn over(source: Buffer) -> Headers {
        Headers {
            text_source: Some(source),
            ..Headers::default()
        }
    }

    /// Makes room for `rows` more rows holding `headers` headers in all: one allocation each
    /// instead of repeated growth (which can leave up to twice the room in use).
    pub fn reserve(&mut self, rows: usize, headers: usize) {
        self.entries_mut().reserve(headers);
        self.ends.reserve(rows);
    }

    /// Appends the headers of the next row.
    pub fn push_row(&mut self, headers: impl IntoIterator<Item = Header>) {
        for header in headers {
            self.push_header(header);
        }
        self.end_row();
    }

    /// Adds a typed header to the row being built (ended by [`Headers::end_row`]).
    pub fn push_header(&mut self, header: Header) {
        let entry = self.typed_entry(header);
        self.entries.push(entry);
    }

    /// Keeps `header` among the pushed typed headers; its entry.
    fn typed_entry(&mut self, header: Header) -> Entry {
        self.entries_mut();
        self.pushed_typed.push(header);
        Entry::Typed(self.pushed_typed.len() as u32 - 1)
    }

    /// Adds a STRING header to the row being built whose name and value are `name` and `text`,
    /// both borrowed from the source given to [`Headers::over`]: the entry keeps their ranges
    /// (the `&str`s prove them UTF-8 once, so views need no second check). Text from anywhere
    /// else is copied into a typed header instead. Cost: no allocation beyond the entry list's
    /// growth. Inlined into the pipeline's header-decoding loop (a call per header there was
    /// 0.3% of the Avro benchmark chain's instructions, callgrind).
    #[inline]
    pub fn push_text(&mut self, name: &str, schema: Option<&SchemaRef>, text: &str) {
        let ranges = self.text_source.as_ref().and_then(|source| {
            Some((
                range_in(source, name.as_bytes())?,
                range_in(source, text.as_bytes())?,
            ))
        });
        let entry = match ranges {
            Some((name, bytes)) => Entry::Text {
                name: name.into(),
                bytes: bytes.into(),
                schema: self.text_schema_index(schema),
            },
            None => self.typed_entry(Header {
                name: name.into(),
                schema: schema.cloned(),
                value: Value::String(text.to_string()),
            }),
        };
        self.entries_mut().push(entry);
    }

    /// The index of `schema` in `text_schemas`: the last one's when it is the same schema (the
    /// header converter hands out shared schemas), else a new one. Cost: a pointer compare.
    /// Inlined with [`Headers::push_text`].
    #[inline]
    fn text_schema_index(&mut self, schema: Option<&SchemaRef>) -> u32 {
        let same = match (self.text_schemas.last(), schema) {
            (Some(Some(last)), Some(schema)) => Arc::ptr_eq(last, schema),
            (Some(None), None) => true,
            _ => false,
        };
        if !same {
            self.text_schemas.push(schema.cloned());
        }
        self.text_schemas.len() as u32 - 1
    }

    /// Ends the row being built.
    pub fn end_row(&mut self) {
        let end = self.entries_mut().len() as u32;
        self.ends.push(end);
    }

    /// The entry list to append to; typed headers built earlier become its entries again, and
    /// layers are merged into it. Inlined with the test for either (decoders push every header
    /// through it, and a call each was 1% of the Avro benchmark chain's instructions, callgrind);
    /// the work itself is out of line in [`Headers::settle`].
    #[inline]
    fn entries_mut(&mut self) -> &mut Vec<Entry> {
        if self.typed.get().is_some() || !self.layers.is_empty() {
            self.settle();
        }
        &mut self.entries
    }

    /// Makes `entries` the truth again: typed headers built earlier become its entries, and
    /// layers are merged into it.
    #[inline(never)]
    fn settle(&mut self) {
        if let Some(typed) = self.typed.take() {
            self.entries = (0..typed.headers.len() as u32).map(Entry::Typed).collect();
            self.pushed_typed = typed.headers;
            self.ends = typed.ends;
        }
        self.merge_layers();
    }

    /// Moves what the layers add into the rows' entries, so the entry list alone holds every
    /// row's headers. Cost: one copy of every entry, and one per added header.
    fn merge_layers(&mut self) {
        if self.layers.is_empty() {
            return;
        }
        let layers = std::mem::take(&mut self.layers);
        let old = std::mem::take(&mut self.entries);
        let added: usize = layers
            .iter()
            .map(|layer| layer.count * layer.added.len())
            .sum();
        let mut out = Vec::with_capacity(old.len() + added);
        let mut start = 0;
        for (row, end) in self.ends.iter_mut().enumerate() {
            out.extend_from_slice(&old[start..*end as usize]);
            start = *end as usize;
            for layer in &layers {
                if let Some(k) = layer.position(row) {
                    out.extend(layer.added.iter().map(|&added| layer.entry(added, k)));
                }
            }
            *end = out.len() as u32;
        }
        self.entries = out;
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The number of headers of every row together.
    pub fn header_count(&self) -> usize {
        match self.typed.get() {
            Some(typed) => typed.headers.len(),
            None => {
                let added: usize = self
                    .layers
                    .iter()
                    .map(|layer| layer.count * layer.added.len())
                    .sum();
                self.ends.last().map_or(0, |&end| end as usize) + added
            }
        }
    }

    /// Every row's headers, back to back (row `i`'s are the `i`-th run; [`Headers::row`] gives
    /// them). Cost: the first call on headers holding anything but typed headers builds every
    /// typed header (a `String` each for text).
    pub fn all(&self) -> &[Header] {
        &self.typed().headers
    }

    /// Every row's headers typed, built on first use.
    fn typed(&self) -> &Typed {
        self.typed.get_or_init(|| {
            let mut names = NameCache::default();
            let mut typed = Typed {
                headers: Vec::with_capacity(self.header_count()),
                ends: Vec::with_capacity(self.ends.len()),
            };
            for row in 0..self.ends.len() {
                let headers = self.row_views(row).map(|view| view.to_header(&mut names));
                typed.headers.extend(headers);
                typed.ends.push(typed.headers.len() as u32);
            }
            typed
        })
    }

    /// Row `row`'s headers in order (see [`Headers::all`] for the cost).
    pub fn row(&self, row: usize) -> &[Header] {
        let typed = self.typed();
        &typed.headers[ends_range(&typed.ends, row)]
    }

    /// Row `row`'s headers as they are held: no typed header is built. Cost: none per header
    /// of the row's own; a look-up per layer of some rows (none for a layer of every row).
    pub fn row_views(&self, row: usize) -> impl Iterator<Item = HeaderView<'_>> + '_ {
        let (typed, entries, layers) = match self.typed.get() {
            Some(typed) => (
                &typed.headers[ends_range(&typed.ends, row)],
                &[][..],
                &[][..],
            ),
            None => (
                &[][..],
                &self.entries[ends_range(&self.ends, row)],
                &self.layers[..],
            ),
        };
        RowViews {
            headers: self,
            row,
            typed: typed.iter(),
            entries: entries.iter(),
            layers: layers.iter(),
            layer: None,
        }
    }

    /// The view of row `row` of header column `column`: text where it is a string.
    fn cell_view(&self, column: u32, row: usize) -> HeaderView<'_> {
        let column = &self.columns[column as usize];
        match column.text(row) {
            Some(text) => HeaderView::Text {
                name: &column.name,
                schema: column.schema.as_ref(),
                text,
            },
            None => HeaderView::Cell { column, row },
        }
    }

    /// The name of `entry`'s header. Cost: a slice, no look at the value.
    fn name<'a>(&'a self, entry: &Entry) -> &'a str {
        match entry {
            Entry::Typed(at) => &self.pushed_typed[*at as usize].name,
            Entry::Text { name, .. } => self.text_at(*name),
            Entry::Cell { column, .. } => &self.columns[*column as usize].name,
        }
    }

    /// The view of `entry`. Inlined: the output side views every header of a batch (out of
    /// line, the call was 2% of a schemaless passthrough, callgrind).
    #[inline]
    fn view<'a>(&'a self, entry: &Entry) -> HeaderView<'a> {
        match entry {
            Entry::Typed(at) => HeaderView::Typed(&self.pushed_typed[*at as usize]),
            Entry::Cell { column, row } => self.cell_view(*column, *row as usize),
            Entry::Text {
                name,
                bytes,
                schema,
            } => HeaderView::Text {
                name: self.text_at(*name),
                schema: self.text_schemas[*schema as usize].as_ref(),
                text: self.text_at(*bytes),
            },
        }
    }

    /// The text at `range` of the text source. Not checked again: the view of every header of a
    /// batch is read several times on the way out, and a UTF-8 check each time cost 3.5% of a
    /// schemaless passthrough (callgrind).
    fn text_at(&self, span: Span) -> &str {
        let bytes = self
            .text_source
            .as_ref()
            .and_then(|source| {
                source
                    .as_slice()
                    .get(span.start as usize..span.end as usize)
            })
            .unwrap_or_default();
        // SAFETY: text ranges are made only by `push_text`, from `&str`s (valid UTF-8) that lie
        // within `text_source`; that buffer is immutable while this `Headers` holds it.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// Every typed header, to edit: built first if needed (see [`Headers::all`]).
    fn typed_mut(&mut self) -> &mut Typed {
        if !self.layers.is_empty() {
            // The rows' ends now count what the layers added.
            self.ends = self.typed().ends.clone();
        }
        self.typed();
        self.entries = Vec::new();
        self.pushed_typed = Vec::new();
        self.columns = Vec::new();
        self.text_schemas = Vec::new();
        self.layers = Vec::new();
        self.typed.get_mut().expect("built by typed()")
    }

    /// Row `row`'s headers, to edit in place.
    pub fn row_mut(&mut self, row: usize) -> &mut [Header] {
        let typed = self.typed_mut();
        &mut typed.headers[ends_range(&typed.ends, row)]
    }

    /// Appends to each of `rows` (batch positions, ascending; others are ignored) the headers
    /// `add` pushes for it; every other row keeps its own. The header transforms (InsertHeader,
    /// DropHeaders, HeaderFrom) change the rows they are applied to through this and the three
    /// below.
    ///
    /// Cost: one pass copying every entry of the batch once (24 bytes each, a row's entries and
    /// the untouched rows before it in one copy; layers merged into them first); text headers stay
    /// views — nothing is typed (typing every text header of a batch, as [`Headers::edit_rows`]
    /// does, was 3% of a chain with three header transforms and two allocations per record,
    /// callgrind). Once typed headers are built, the same edit runs on them.
    pub fn append_typed(&mut self, rows: &[u32], mut add: impl FnMut(usize, &mut Vec<Header>)) {
        if self.typed.get().is_some() {
            return self.edit_rows(rows, add);
        }
        self.merge_layers();
        let mut added = Vec::new();
        let mut typed = Vec::new();
        let first = self.pushed_typed.len();
        self.rebuild_entries(rows, |row, out| {
            add(row, &mut added);
            for header in added.drain(..) {
                out.push(Entry::Typed((first + typed.len()) as u32));
                typed.push(header);
            }
        });
        self.pushed_typed.append(&mut typed);
    }

    /// Keeps in each of `rows` (batch positions, ascending; others are ignored) only the headers
    /// whose name `keep` accepts. Cost: one pass over the batch's entries in place — no new
    /// list, unlike [`Headers::append_typed`] — with one name read per header of `rows` and,
    /// once a header is gone, a 24-byte copy per header kept (untouched rows in one copy); a
    /// layer whose rows are all among `rows` is decided once by its names (any other is merged
    /// into the entries first).
    pub fn retain(&mut self, rows: &[u32], keep: impl Fn(&str) -> bool) {
        if self.typed.get().is_some() {
            return self.edit_rows(rows, |_, headers| headers.retain(|h| keep(&h.name)));
        }
        self.retain_in_layers(rows, &keep);
        let mut entries = std::mem::take(&mut self.entries);
        let mut ends = std::mem::take(&mut self.ends);
        // Entries before `kept` are final; `read..` are still to look at, and rows before
        // `done_rows` have their new ends.
        let (mut read, mut kept, mut done_rows) = (0, 0, 0);
        for &row in rows {
            let row = row as usize;
            if row < done_rows || row >= ends.len() {
                continue;
            }
            let start = if row > done_rows {
                ends[row - 1] as usize
            } else {
                read
            };
            shift_untouched(&mut entries, &mut ends[done_rows..row], read..start, kept);
            kept += start - read;
            for at in start..ends[row] as usize {
                let entry = entries[at];
                if keep(self.name(&entry)) {
                    entries[kept] = entry;
                    kept += 1;
                }
            }
            read = ends[row] as usize;
            ends[row] = kept as u32;
            done_rows = row + 1;
        }
        let rest = read..entries.len();
        shift_untouched(&mut entries, &mut ends[done_rows..], rest.clone(), kept);
        kept += rest.len();
        entries.truncate(kept);
        self.entries = entries;
        self.ends = ends;
    }

    /// The layers' part of [`Headers::retain`]: a layer whose rows are all among `rows` keeps
    /// only the headers `keep` accepts (and goes when none is left); if any other layer holds a
    /// header `keep` refuses, the layers are merged into the entries, which the caller then
    /// edits row by row.
    fn retain_in_layers(&mut self, rows: &[u32], keep: &impl Fn(&str) -> bool) {
        let mut layers = std::mem::take(&mut self.layers);
        let batch_rows = self.ends.len();
        let mut merge = false;
        for layer in &mut layers {
            let refused = |added: &Added| match added {
                Added::Entry(entry) => !keep(self.name(entry)),
                Added::Cell(column) => !keep(&self.columns[*column as usize].name),
            };
            if !layer.added.iter().any(refused) {
                continue;
            }
            if covers(rows, layer.rows(batch_rows)) {
                layer.added.retain(|added| !refused(added));
            } else {
                merge = true;
            }
        }
        layers.retain(|layer| !layer.added.is_empty());
        self.layers = layers;
        if merge {
            self.merge_layers();
        }
    }

    /// Appends `header` to each of `rows` (batch positions, ascending; others are ignored), held
    /// once for all of them, in a layer. Cost: one pass over `rows` (none over the entries) and
    /// one clone of `header` (one per row once typed headers are built).
    pub fn append_shared(&mut self, rows: &[u32], header: &Header) {
        if self.typed.get().is_some() {
            return self.edit_rows(rows, |_, headers| headers.push(header.clone()));
        }
        let shared = Entry::Typed(self.pushed_typed.len() as u32);
        self.pushed_typed.push(header.clone());
        self.push_layer(rows, &[], vec![Added::Entry(shared)]);
    }

    /// Appends to the `k`-th of `rows` (batch positions, ascending; others are ignored) one
    /// header per column of `columns`, in order: row `cells[k]` of the column. Cost: as
    /// [`Headers::append_shared`], with a copy of `cells`; a value is read out of its column
    /// only when something asks for it typed (a STRING column's text is written out as it is).
    pub fn append_cells(&mut self, rows: &[u32], cells: &[u32], columns: Vec<HeaderColumn>) {
        if self.typed.get().is_some() {
            return self.edit_typed_rows(rows, |_, k, headers| {
                let row = cells[k] as usize;
                headers.extend(columns.iter().map(|column| column.header(row)));
            });
        }
        let first = self.columns.len() as u32;
        let added = (first..first + columns.len() as u32).map(Added::Cell);
        let added = added.collect();
        self.columns.extend(columns);
        self.push_layer(rows, cells, added);
    }

    /// Adds the layer of `added` for `rows` (as the appends take them), the `k`-th of which reads
    /// row `cells[k]` of its header columns.
    fn push_layer(&mut self, rows: &[u32], cells: &[u32], added: Vec<Added>) {
        let reads_cells = added.iter().any(|added| matches!(added, Added::Cell(_)));
        let cell = |k: usize| cells.get(k).copied().unwrap_or_default();
        let len = self.ends.len();
        let layer = match listed_rows(rows, len) {
            None => Layer {
                positions: None,
                count: len,
                cells: if reads_cells {
                    cells.to_vec()
                } else {
                    Vec::new()
                },
                added,
            },
            Some(listed) => {
                let mut positions = vec![NOT_LISTED; len];
                for (k, &(row, _)) in listed.iter().enumerate() {
                    positions[row as usize] = k as u32;
                }
                Layer {
                    positions: Some(positions),
                    count: listed.len(),
                    cells: match reads_cells {
                        true => listed.iter().map(|&(_, k)| cell(k)).collect(),
                        false => Vec::new(),
                    },
                    added,
                }
            }
        };
        if layer.count > 0 {
            if self.layers.len() >= MAX_LAYERS {
                self.merge_layers();
            }
            self.layers.push(layer);
        }
    }

    /// The entry lists of `rows` rebuilt: their entries, then what `add` pushes (given the row).
    /// Cost: one copy of the entries up to each row's end (the row and the untouched rows before
    /// it), then `add`.
    fn rebuild_entries(&mut self, rows: &[u32], mut add: impl FnMut(usize, &mut Vec<Entry>)) {
        let old = std::mem::take(&mut self.entries);
        let ends = &mut self.ends;
        let mut out = Vec::with_capacity(old.len());
        // `old[..copied]` is in `out`, which is `added` entries longer.
        let (mut copied, mut added) = (0, 0);
        let mut done_rows = 0;
        for &row in rows {
            let row = row as usize;
            if row < done_rows || row >= ends.len() {
                continue;
            }
            let end = ends[row] as usize;
            out.extend_from_slice(&old[copied..end]);
            copied = end;
            for end in &mut ends[done_rows..row] {
                *end += added as u32;
            }
            add(row, &mut out);
            added = out.len() - copied;
            ends[row] = out.len() as u32;
            done_rows = row + 1;
        }
        out.extend_from_slice(&old[copied..]);
        for end in &mut ends[done_rows..] {
            *end += added as u32;
        }
        self.entries = out;
    }

    /// Rebuilds the header lists of `rows` (batch positions, ascending; others are ignored) with
    /// `edit`, which gets each such row's position and its headers to add to, remove from or
    /// reorder; every other row keeps its own. For the edits the ones above cannot express
    /// (reordering, replacing).
    ///
    /// Cost: one pass moving every header of the batch once (no clone; typed headers are built
    /// first if needed), plus `edit`; one scratch list reused across rows.
    pub fn edit_rows(&mut self, rows: &[u32], mut edit: impl FnMut(usize, &mut Vec<Header>)) {
        self.edit_typed_rows(rows, |row, _, headers| edit(row, headers));
    }

    /// [`Headers::edit_rows`], `edit` also given the row's position in `rows`.
    fn edit_typed_rows(
        &mut self,
        rows: &[u32],
        mut edit: impl FnMut(usize, usize, &mut Vec<Header>),
    ) {
        let old = std::mem::take(self.typed_mut());
        let mut scratch = Vec::new();
        let (headers, ends) = rebuild_rows(&old.ends, old.headers, rows, |row, k, headers, out| {
            scratch.clear();
            scratch.extend(headers);
            edit(row, k, &mut scratch);
            out.append(&mut scratch);
        });
        self.ends.clone_from(&ends);
        *self.typed_mut() = Typed { headers, ends };
    }
}

/// [`Headers::row_views`]: a row's typed headers, or its entries and then what each layer that
/// lists it adds. Written out rather than chained adapters: a chain with a flattened map over
/// the layers, with its closures out of line, was 4.5% of the Avro benchmark chain (perf).
struct RowViews<'a> {
    headers: &'a Headers,
    row: usize,
    typed: std::slice::Iter<'a, Header>,
    entries: std::slice::Iter<'a, Entry>,
    layers: std::slice::Iter<'a, Layer>,
    /// The layer being read: it, the row's position among its rows, what is left of its list.
    layer: Option<(&'a Layer, usize, std::slice::Iter<'a, Added>)>,
}

impl<'a> Iterator for RowViews<'a> {
    type Item = HeaderView<'a>;

    #[inline]
    fn next(&mut self) -> Option<HeaderView<'a>> {
        if let Some(header) = self.typed.next() {
            return Some(HeaderView::Typed(header));
        }
        if let Some(entry) = self.entries.next() {
            return Some(self.headers.view(entry));
        }
        loop {
            if let Some((layer, k, added)) = &mut self.layer {
                if let Some(&added) = added.next() {
                    return Some(self.headers.view(&layer.entry(added, *k)));
                }
            }
            let layer = self.layers.next()?;
            self.layer = layer
                .position(self.row)
                .map(|k| (layer, k, layer.added.iter()));
        }
    }
}

/// Where row `row`'s items are, in a list whose row `i` ends at `ends[i]`.
fn ends_range(ends: &[u32], row: usize) -> Range<usize> {
    let start = if row == 0 { 0 } else { ends[row - 1] as usize };
    start..ends[row] as usize
}

/// Moves the entries of untouched rows `moved` down to `to` (no further than where they are),
/// their rows' `ends` with them.
fn shift_untouched(entries: &mut [Entry], ends: &mut [u32], moved: Range<usize>, to: usize) {
    let shift = moved.start - to;
    if shift > 0 {
        if !moved.is_empty() {
            entries.copy_within(moved, to);
        }
        for end in ends {
            *end -= shift as u32;
        }
    }
}

/// One row's items, taken from the batch's: a concrete type, not `dyn Iterator`, so moving them
/// is a loop the compiler sees through rather than a virtual call per header.
type RowItems<'a, T> = std::iter::Take<&'a mut std::vec::IntoIter<T>>;

/// The per-row lists `old` (row `i` owns items `old_ends[i-1]..old_ends[i]`) rebuilt: each of
/// `rows` (ascending; others are ignored) through `edit_row`, which gets the row, its position
/// in `rows`, its items (to consume) and the output to push to; every other row's items moved
/// as they are. Returns the items and the new ends. Cost: one move of every item, with room for
/// one more item per edited row allocated up front.
fn rebuild_rows<T>(
    old_ends: &[u32],
    old: Vec<T>,
    rows: &[u32],
    mut edit_row: impl FnMut(usize, usize, &mut RowItems<'_, T>, &mut Vec<T>),
) -> (Vec<T>, Vec<u32>) {
    let mut old = old.into_iter();
    let mut out = Vec::with_capacity(old.len() + rows.len());
    let mut ends = Vec::with_capacity(old_ends.len());
    let mut targets = rows.iter().copied().enumerate().peekable();
    let mut start = 0;
    for (row, &end) in old_ends.iter().enumerate() {
        let mut items = old.by_ref().take((end - start) as usize);
        start = end;
        while targets.next_if(|&(_, t)| (t as usize) < row).is_some() {}
        if let Some((k, _)) = targets.next_if(|&(_, t)| t as usize == row) {
            edit_row(row, k, &mut items, &mut out);
            // Items the edit left unread go with their row, never into the next one.
            items.for_each(drop);
        } else {
            out.extend(items);
        }
        ends.push(out.len() as u32);
    }
    (out, ends)
}

/// A decoded batch: metadata columns for all rows, keys and values by segment.
#[derive(Debug, Clone)]
pub struct ConnectBatch {
    /// Each row's topic, as an index into `topics`.
    pub topic_ids: Vec<u32>,
    /// The distinct topic names: topic-level work runs over these, not over rows.
    pub topics: Vec<String>,
    /// Each row's partition.
    pub partition: Int32Array,
    /// Each row's offset.
    pub offset: Int64Array,
    /// Each row's timestamp in ms (null when the record has none).
    pub timestamp: Int64Array,
    /// Each row's headers.
    pub headers: Headers,
    /// The key/value segments; together they cover every row that decoded.
    pub segments: Vec<Segment>,
}

impl ConnectBatch {
    /// The number of rows (including rows that failed to decode and are in no segment).
    pub fn len(&self) -> usize {
        self.offset.len()
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.offset.is_empty()
    }

    /// Row `row`'s topic name.
    pub fn topic(&self, row: usize) -> &str {
        &self.topics[self.topic_ids[row] as usize]
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn header(name: &str) -> Header {
        Header {
            name: name.into(),
            schema: None,
            value: Value::Null,
        }
    }

    fn names(headers: &Headers, row: usize) -> Vec<String> {
        headers
            .row(row)
            .iter()
            .map(|h| h.name.to_string())
            .collect()
    }

    #[test]
    fn edit_rows_changes_only_the_given_rows() {
        let mut headers = Headers::default();
        headers.push_row([header("a"), header("b")]);
        headers.push_row([]);
        headers.push_row([header("c")]);
        headers.edit_rows(&[1, 2, 7], |row, list| {
            list.retain(|h| &*h.name != "c");
            list.push(header(&format!("new{row}")));
        });
        assert_eq!(names(&headers, 0), ["a", "b"]);
        assert_eq!(names(&headers, 1), ["new1"]);
        assert_eq!(names(&headers, 2), ["new2"]);
        assert_eq!(headers.len(), 3);
    }

    /// Row 0: text `id: abc` and a typed `n`; row 1: text `trace: xyzuv`.
    fn text_headers() -> Headers {
        let source = Buffer::from_vec(b"idabctracexyzuv".to_vec());
        let text = |range: Range<usize>| std::str::from_utf8(&source.as_slice()[range]).unwrap();
        let mut headers = Headers::over(source.clone());
        headers.push_text(text(0..2), None, text(2..5));
        headers.push_header(Header {
            name: "n".into(),
            schema: None,
            value: Value::Int32(7),
        });
        headers.end_row();
        headers.push_text(text(5..10), None, text(10..15));
        headers.end_row();
        headers
    }

    #[test]
    fn retain_and_append_typed_keep_text_views_and_edit_as_typed_headers_do() {
        let extra = |row: usize| Header {
            name: "added".into(),
            schema: None,
            value: Value::Int64(row as i64),
        };
        let edit = |headers: &mut Headers, rows: &[u32]| {
            headers.retain(rows, |name| name != "n");
            headers.append_typed(rows, |row, added| added.push(extra(row)))
        };
        for rows in [&[0u32, 1][..], &[1], &[0], &[]] {
            let mut by_views = text_headers();
            edit(&mut by_views, rows);
            assert!(by_views.typed.get().is_none(), "no header typed");
            let mut typed = text_headers();
            typed.all();
            edit(&mut typed, rows);
            assert!(typed.typed.get().is_some());
            assert_eq!(by_views.all(), typed.all(), "rows {rows:?}");
        }
        let mut headers = text_headers();
        edit(&mut headers, &[0]);
        let names: Vec<&str> = headers.row_views(0).map(HeaderView::name).collect();
        assert_eq!(names, ["id", "added"]);
        assert!(matches!(
            headers.row_views(1).next(),
            Some(HeaderView::Text { name: "trace", .. })
        ));
        assert_eq!(headers.row(0)[1].value, Value::Int64(0));
    }

    /// A STRING column `s` of `["x", null]` and an INT32 column `n` of `[null, 5]`.
    fn header_columns() -> Vec<HeaderColumn> {
        use crate::schema::Schema;
        let strings: ArrayRef = Arc::new(arrow_array::StringViewArray::from(vec![Some("x"), None]));
        let numbers: ArrayRef = Arc::new(Int32Array::from(vec![None, Some(5)]));
        let column = |name: &str, kind, data| {
            HeaderColumn::new(
                name.into(),
                Some(Schema::new(kind).optional().into_ref()),
                data,
            )
        };
        vec![
            column("s", SchemaKind::String, strings),
            column("n", SchemaKind::Int32, numbers),
        ]
    }

    #[test]
    fn as_text_is_the_text_of_string_values_only() {
        let mut headers = text_headers();
        headers.append_cells(&[0, 1], &[1, 0], header_columns());
        let literal = Header {
            name: "lit".into(),
            schema: None,
            value: Value::String("weir".into()),
        };
        headers.append_shared(&[0, 1], &literal);
        let mut texts = Vec::new();
        for row in 0..headers.len() {
            for view in headers.row_views(row) {
                let value = match view.value().into_owned() {
                    Value::String(text) => Some(text),
                    _ => None,
                };
                assert_eq!(view.as_text().map(str::to_string), value, "{}", view.name());
                texts.extend(value);
            }
        }
        assert_eq!(texts, ["abc", "weir", "xyzuv", "x", "weir"]);
    }

    #[test]
    fn cells_and_shared_headers_read_as_typed_headers_do() {
        let shared = header("shared");
        let edits: [&dyn Fn(&mut Headers); 6] = [
            &|headers| headers.retain(&[0, 1], |name| name != "n" && name != "trace"),
            &|headers| headers.retain(&[1, 4], |name| name != "trace"),
            &|headers| headers.retain(&[0], |name| name == "n"),
            &|headers| headers.append_cells(&[0, 1], &[1, 0], header_columns()),
            &|headers| headers.append_cells(&[1, 9], &[0, 1], header_columns()),
            &|headers| headers.append_shared(&[0, 1, 9], &shared),
        ];
        for edit in edits {
            let mut by_views = text_headers();
            edit(&mut by_views);
            assert!(by_views.typed.get().is_none(), "no header typed");
            let mut names = NameCache::default();
            let views: Vec<HeaderView> = (0..by_views.len())
                .flat_map(|row| by_views.row_views(row))
                .collect();
            let from_views: Vec<Header> = views.iter().map(|v| v.to_header(&mut names)).collect();
            let parts: Vec<_> = views.iter().map(|v| (v.schema(), v.value())).collect();
            let typed_parts: Vec<_> = from_views
                .iter()
                .map(|h| (h.schema.as_ref(), Cow::Borrowed(&h.value)))
                .collect();
            assert_eq!(parts, typed_parts, "schemas and values read from views");
            let mut typed = text_headers();
            typed.all();
            edit(&mut typed);
            assert_eq!(by_views.all(), typed.all());
            assert_eq!(from_views, typed.all());
        }
        let mut headers = text_headers();
        headers.append_cells(&[0, 1], &[1, 0], header_columns());
        let row: Vec<HeaderView> = headers.row_views(1).collect();
        assert!(matches!(
            row[1],
            HeaderView::Text {
                name: "s",
                text: "x",
                ..
            }
        ));
        assert!(matches!(row[2], HeaderView::Cell { row: 0, .. }));
        assert_eq!(headers.row(0)[2].value, Value::Null);
        assert_eq!(headers.row(0)[3].value, Value::Int32(5));
        assert_eq!(names(&headers, 1), ["trace", "s", "n"]);
        let mut headers = text_headers();
        headers.append_shared(&[0, 1], &shared);
        assert_eq!(
            headers.pushed_typed.len(),
            2,
            "held once: beside the one typed header"
        );
        assert_eq!(names(&headers, 1), ["trace", "shared"]);
        headers.retain(&[0, 1], |name| name != "id" && name != "shared");
        assert_eq!(names(&headers, 0), ["n"]);
        assert_eq!(names(&headers, 1), ["trace"]);
    }

    #[test]
    fn many_segments_appending_are_merged_past_the_most_layers() {
        let rows: Vec<Vec<(bool, u8)>> = (0..10).map(|i| vec![(i % 2 == 0, i)]).collect();
        let mut by_views = build_rows(&rows);
        let mut typed = build_rows(&rows);
        typed.all();
        for round in 0..3 * MAX_LAYERS as u32 {
            let segment: Vec<u32> = (0..10).filter(|row| row % 3 == round % 3).collect();
            for headers in [&mut by_views, &mut typed] {
                if round % 2 == 0 {
                    headers.append_shared(&segment, &header("shared"));
                } else {
                    let cells = vec![round % 2; segment.len()];
                    headers.append_cells(&segment, &cells, header_columns());
                }
            }
            assert!(by_views.layers.len() <= MAX_LAYERS);
        }
        assert!(by_views.typed.get().is_none(), "no header typed");
        assert_eq!(by_views.header_count(), typed.header_count());
        let mut names = NameCache::default();
        for row in 0..rows.len() {
            let views: Vec<Header> = by_views
                .row_views(row)
                .map(|v| v.to_header(&mut names))
                .collect();
            assert_eq!(views, typed.row(row), "row {row}");
        }
        assert_eq!(by_views.all(), typed.all());
    }

    #[test]
    fn an_entry_takes_24_bytes_not_a_whole_header() {
        assert!(std::mem::size_of::<Entry>() <= 24);
        assert!(std::mem::size_of::<Header>() > 24);
    }

    /// An edit of some rows (ascending, possibly repeated or past the end, as callers may give).
    #[derive(Debug, Clone)]
    enum Edit {
        Retain(Vec<u32>, &'static str),
        AppendShared(Vec<u32>),
        AppendCells(Vec<u32>),
        AppendTyped(Vec<u32>),
    }

    impl Edit {
        fn apply(&self, headers: &mut Headers) {
            match self {
                Edit::Retain(rows, gone) => headers.retain(rows, |name| name != *gone),
                Edit::AppendShared(rows) => headers.append_shared(rows, &header("shared")),
                Edit::AppendCells(rows) => {
                    let cells: Vec<u32> = (0..rows.len() as u32).map(|k| k % 2).collect();
                    headers.append_cells(rows, &cells, header_columns())
                }
                Edit::AppendTyped(rows) => headers.append_typed(rows, |row, added| {
                    for _ in 0..row % 3 {
                        added.push(header("t"));
                    }
                }),
            }
        }
    }

    fn arb_rows() -> impl Strategy<Value = Vec<u32>> {
        prop::collection::vec(0u32..7, 0..8).prop_map(|mut rows| {
            rows.sort_unstable();
            rows
        })
    }

    fn arb_edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (
                arb_rows(),
                prop::sample::select(vec!["a", "b", "s", "shared", "t"])
            )
                .prop_map(|(rows, gone)| Edit::Retain(rows, gone)),
            arb_rows().prop_map(Edit::AppendShared),
            arb_rows().prop_map(Edit::AppendCells),
            arb_rows().prop_map(Edit::AppendTyped),
        ]
    }

    /// Rows of headers named `a` or `b`: text views (of either of two schemas, or none) or typed.
    fn build_rows(rows: &[Vec<(bool, u8)>]) -> Headers {
        use crate::schema::Schema;
        let source = Buffer::from_vec(b"abvalue".to_vec());
        let text = |range: Range<usize>| std::str::from_utf8(&source.as_slice()[range]).unwrap();
        let schemas = [
            None,
            Some(Schema::new(SchemaKind::String).into_ref()),
            Some(Schema::new(SchemaKind::String).optional().into_ref()),
        ];
        let mut headers = Headers::over(source.clone());
        for row in rows {
            for &(is_text, which) in row {
                let name = text(usize::from(which % 2)..usize::from(which % 2) + 1);
                if is_text {
                    headers.push_text(name, schemas[usize::from(which % 3)].as_ref(), text(2..7));
                } else {
                    headers.push_header(header(name));
                }
            }
            headers.end_row();
        }
        headers
    }

    proptest::proptest! {
        /// A column's cells read as `value_at` reads them: booleans (with nulls, and rows past
        /// the end) through their own path, other types through `value_at`.
        #[test]
        fn cells_read_as_value_at_reads_them(
            flags in prop::collection::vec(any::<Option<bool>>(), 0..8),
            row in 0usize..10,
        ) {
            use crate::schema::Schema;
            let booleans: ArrayRef = Arc::new(BooleanArray::from(flags.clone()));
            let numbers: ArrayRef = Arc::new(Int32Array::from(
                flags.iter().map(|f| f.map(i32::from)).collect::<Vec<_>>(),
            ));
            for (kind, data) in [(SchemaKind::Boolean, booleans), (SchemaKind::Int32, numbers)] {
                let schema = Some(Schema::new(kind).optional().into_ref());
                let column = HeaderColumn::new("h".into(), schema.clone(), data.clone());
                prop_assert_eq!(column.value(row), value_at(schema.as_ref(), data.as_ref(), row));
            }
        }

        /// Edits on entries (text views, cells, shared headers) leave every row with the headers
        /// the same edits leave on typed headers.
        #[test]
        fn edited_entries_read_as_edited_typed_headers(
            rows in prop::collection::vec(prop::collection::vec((any::<bool>(), 0u8..6), 0..4), 0..6),
            edits in prop::collection::vec(arb_edit(), 0..5),
        ) {
            let mut by_views = build_rows(&rows);
            let mut typed = build_rows(&rows);
            typed.all();
            for edit in &edits {
                edit.apply(&mut by_views);
                edit.apply(&mut typed);
            }
            prop_assert!(by_views.typed.get().is_none(), "no header typed");
            prop_assert_eq!(by_views.len(), rows.len());
            prop_assert_eq!(by_views.header_count(), typed.header_count());
            let views: Vec<Vec<Header>> = (0..rows.len())
                .map(|row| {
                    let mut names = NameCache::default();
                    by_views.row_views(row).map(|v| v.to_header(&mut names)).collect()
                })
                .collect();
            for (row, views) in views.iter().enumerate() {
                prop_assert_eq!(views.as_slice(), typed.row(row), "row {}", row);
                prop_assert_eq!(by_views.row(row), typed.row(row), "row {}", row);
            }
            prop_assert_eq!(by_views.all(), typed.all());
        }
    }

    #[test]
    fn text_from_outside_the_source_becomes_a_typed_header() {
        let mut headers = Headers::over(Buffer::from_vec(b"id".to_vec()));
        let elsewhere = String::from("abc");
        headers.push_text("n", None, &elsewhere);
        headers.end_row();
        assert!(matches!(
            headers.row_views(0).next(),
            Some(HeaderView::Typed(_))
        ));
        assert_eq!(headers.row(0)[0].value, Value::String("abc".into()));
    }

    #[test]
    fn text_headers_are_views_until_typed_headers_are_asked_for() {
        let headers = text_headers();
        let mut names = NameCache::default();
        let views: Vec<_> = headers
            .row_views(0)
            .map(|v| v.to_header(&mut names))
            .collect();
        assert!(matches!(
            headers.row_views(1).next(),
            Some(HeaderView::Text {
                name: "trace",
                text: "xyzuv",
                ..
            })
        ));
        assert!(headers.typed.get().is_none(), "views build no typed header");
        assert_eq!(headers.row(0), views.as_slice());
        assert_eq!(headers.row(0)[0].value, Value::String("abc".into()));
        assert_eq!(headers.row(1)[0].value, Value::String("xyzuv".into()));
        assert_eq!(&*headers.row(1)[0].name, "trace");
        assert!(matches!(
            headers.row_views(1).next(),
            Some(HeaderView::Typed(_))
        ));
        assert_eq!(headers.header_count(), 3);
    }

    #[test]
    fn text_headers_can_be_edited_and_extended() {
        let mut headers = text_headers();
        headers.row_mut(1)[0].value = Value::Int8(1);
        headers.edit_rows(&[0], |_, list| list.retain(|h| &*h.name == "n"));
        headers.push_row([header("c")]);
        assert_eq!(names(&headers, 0), ["n"]);
        assert_eq!(headers.row(1)[0].value, Value::Int8(1));
        assert_eq!(names(&headers, 2), ["c"]);
    }
}
