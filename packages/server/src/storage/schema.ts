/**
 * The embedded store's on-disk layout, declared as data. docs/storage-format.md explains it.
 *
 *   <dataDir>/FORMAT                       {"format":"kiln-embedded","version":5}
 *   <dataDir>/meta.duckdb                  dictionaries: functions, stacks, series
 *   <dataDir>/rollup.json                  per level, how far compaction passed over empty ranges
 *   <dataDir>/retention.json               per level, where retention has deleted data up to
 *   <dataDir>/samples/<level>/<startMs>.duckdb   one partition of one resolution level
 */
export const FORMAT_NAME = 'kiln-embedded';
/**
 * Bump on any change a previous Kiln could misread; opening checks it. 3: sample blobs carry
 * a scale (the values' common factor) and a sign flag, and rollup cells may be BELOW
 * (sample-blob.ts). 4: a stack id mixes each half of its parent's id with the same half of its
 * function's id on its own (ids.ts), so every stored stack id changed. 5: a function's id hashes
 * its name's UTF-8 bytes four at a time (@kiln/model name-id.ts), so every id changed.
 */
export const FORMAT_VERSION = 5;

export interface Column {
  name: string;
  type: string;
  doc: string;
}

export interface Table {
  name: string;
  doc: string;
  columns: readonly Column[];
}

export const META_TABLES: readonly Table[] = [
  {
    name: 'functions',
    doc: 'Function names, stored once per tenant.',
    columns: [
      { name: 'tenant', type: 'VARCHAR NOT NULL', doc: 'tenant id' },
      { name: 'id', type: 'UBIGINT NOT NULL', doc: 'content id: hash of the name' },
      { name: 'name', type: 'VARCHAR NOT NULL', doc: 'function name as the flame graph shows it' },
    ],
  },
  {
    name: 'stacks',
    doc: 'Call stacks as a tree of parent pointers, stored once per tenant; a sample names its leaf.',
    columns: [
      { name: 'tenant', type: 'VARCHAR NOT NULL', doc: 'tenant id' },
      { name: 'id', type: 'UBIGINT NOT NULL', doc: 'content id: hash of parent_id and function_id' },
      { name: 'parent_id', type: 'UBIGINT NOT NULL', doc: 'the caller stack; 0 for a root frame' },
      { name: 'function_id', type: 'UBIGINT NOT NULL', doc: 'this frame' },
    ],
  },
  {
    name: 'series',
    doc: 'One row per series: a label set (with service_name and __profile_type__).',
    columns: [
      { name: 'tenant', type: 'VARCHAR NOT NULL', doc: 'tenant id' },
      { name: 'id', type: 'UBIGINT NOT NULL', doc: 'content id: hash of the sorted labels' },
      { name: 'profile_type', type: 'VARCHAR NOT NULL', doc: 'name:sample_type:sample_unit:period_type:period_unit' },
      { name: 'labels', type: 'VARCHAR NOT NULL', doc: 'the labels as a JSON object, keys sorted' },
    ],
  },
];

export const PARTITION_TABLES: readonly Table[] = [
  {
    name: 'samples',
    doc: 'The samples of one series in one cell, as one blob (sample-blob.ts). Rows add up when read: a cell may hold several rows.',
    columns: [
      { name: 'tenant', type: 'VARCHAR NOT NULL', doc: 'tenant id' },
      { name: 'series_id', type: 'UBIGINT NOT NULL', doc: 'series.id' },
      { name: 'ts', type: 'BIGINT NOT NULL', doc: 'cell start, Unix ms, a multiple of the level width' },
      {
        name: 'data',
        type: 'BLOB NOT NULL',
        doc: '(dense stack index, self value) pairs encoded by sample-blob.ts, or BELOW: what the level below holds over the cell',
      },
    ],
  },
  {
    name: 'rollup_state',
    doc: 'One row: cells of this partition starting before watermark_ms are summed from the level below.',
    columns: [{ name: 'watermark_ms', type: 'BIGINT NOT NULL', doc: 'Unix ms' }],
  },
];

export function createTableSql(table: Table, schema?: string): string {
  const name = schema ? `${schema}.${table.name}` : table.name;
  return `CREATE TABLE IF NOT EXISTS ${name} (${table.columns.map((c) => `${c.name} ${c.type}`).join(', ')})`;
}
