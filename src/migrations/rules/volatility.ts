/**
 * Built-in functions whose volatility decides whether `ADD COLUMN … DEFAULT f()` rewrites
 * the table. cutover has no catalog, so anything not listed here is "unknown".
 */
export const VOLATILE_FUNCTIONS: ReadonlySet<string> = new Set([
  'clock_timestamp', 'timeofday', 'random', 'random_normal', 'setseed',
  'gen_random_uuid', 'uuidv4', 'uuidv7', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4',
  'gen_random_bytes', 'nextval', 'setval', 'txid_current', 'pg_current_xact_id',
]);

/** Stable or immutable built-ins: evaluated once for the ALTER, so no rewrite (PG 11+). */
export const NON_VOLATILE_FUNCTIONS: ReadonlySet<string> = new Set([
  'now', 'transaction_timestamp', 'statement_timestamp', 'current_setting', 'current_database', 'current_schema',
  'lower', 'upper', 'btrim', 'ltrim', 'rtrim', 'length', 'concat', 'concat_ws', 'md5', 'replace', 'substr', 'substring',
  'abs', 'round', 'floor', 'ceil', 'greatest', 'least', 'make_date', 'make_time', 'make_timestamp', 'make_timestamptz',
  'make_interval', 'date_trunc', 'to_timestamp', 'to_date', 'to_char', 'array_fill',
  'jsonb_build_object', 'jsonb_build_array', 'json_build_object', 'json_build_array', 'to_jsonb', 'to_json',
]);
