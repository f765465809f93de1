import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintMigrationSet, type LintInput } from './lint.ts';
import { loadSqlParser } from './sql-file.ts';
import { FILE_RULES, RULES } from './rules/index.ts';
import type { MigrationPhase } from './finding.ts';

/**
 * The fixture corpus: every file under fixtures/bad and fixtures/good declares, in its
 * header, exactly the findings it must produce (`-- expect: <rule> <severity> <line>:<col>`)
 * and optionally the phase, PostgreSQL version and runner lock_timeout to lint it with.
 * A good fixture declares no error findings at all.
 */
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

interface Fixture {
  name: string;
  kind: 'bad' | 'good';
  text: string;
  phase: MigrationPhase;
  pgVersion: number;
  lockTimeoutMs: number;
  expected: string[];
}

function readFixtures(): Fixture[] {
  return (['bad', 'good'] as const).flatMap((kind) => readdirSync(join(FIXTURES, kind)).filter((n) => n.endsWith('.sql')).sort().map((name) => {
    const text = readFileSync(join(FIXTURES, kind, name), 'utf8');
    const header = (key: string): string | undefined => new RegExp(`^-- ${key}: (.+)$`, 'm').exec(text)?.[1].trim();
    const expected = [...text.matchAll(/^-- expect: (\S+) (error|warning) (\d+):(\d+)\s*$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}:${m[4]}`);
    return {
      name: `${kind}/${name}`,
      kind,
      text,
      phase: (header('phase') ?? 'expand') as MigrationPhase,
      pgVersion: Number(header('pg-version') ?? 17),
      lockTimeoutMs: Number(header('lock-timeout') ?? 5000),
      expected: expected.sort(),
    };
  }));
}

const fixtures = readFixtures();
const ruleOf = (fixtureName: string): string => fixtureName.replace(/^(bad|good)\//, '').replace(/\.sql$/, '');

before(async () => {
  await loadSqlParser();
});

describe('fixture corpus', () => {
  for (const fixture of fixtures) {
    test(`${fixture.name} reports exactly its declared findings`, () => {
      const input: LintInput = { file: fixture.name, text: fixture.text, phase: fixture.phase };
      const actual = lintMigrationSet([input], { pgVersion: fixture.pgVersion, lockTimeoutMs: fixture.lockTimeoutMs })
        .map((f) => `${f.rule} ${f.severity} ${f.line}:${f.column}`)
        .sort();
      assert.deepEqual(actual, fixture.expected);
    });
  }

  test('every bad fixture expects its own rule, and every good one expects no error', () => {
    for (const f of fixtures) {
      if (f.kind === 'bad') {
        assert.ok(f.expected.some((e) => ruleOf(f.name).startsWith(e.split(' ')[0])), `${f.name} should expect a finding of the rule it is named after`);
      } else {
        assert.ok(!f.expected.some((e) => e.includes(' error ')), `${f.name} should not expect errors`);
      }
    }
  });

  test('every rule has at least one bad and one good fixture', () => {
    const ids = [...RULES.map((r) => r.id), ...FILE_RULES.map((r) => r.id)];
    for (const id of ids) {
      const named = (kind: string) => fixtures.filter((f) => f.kind === kind && (ruleOf(f.name) === id || ruleOf(f.name).startsWith(`${id}-`)));
      assert.ok(named('bad').length > 0, `no bad fixture for ${id}`);
      assert.ok(named('good').length > 0, `no good fixture for ${id}`);
    }
  });
});

describe('lint', () => {
  const lint = (text: string, phase: MigrationPhase = 'expand', pgVersion = 17) =>
    lintMigrationSet([{ file: 'm.sql', text, phase }], { pgVersion, lockTimeoutMs: 5000 });

  test('columns count characters, not UTF-8 bytes', () => {
    const [finding] = lint('-- naïve ünïcode ✓\nALTER TABLE "tä€" /* é */ DROP COLUMN c;\n');
    assert.equal(finding.rule, 'drop-column');
    assert.equal(finding.line, 2);
    assert.equal(finding.column, '\u0041LTER TABLE "tä€" /* é */ '.length + 1);
  });

  test('an astral character counts once in a column', () => {
    const [finding] = lint('SELECT \'😀\'; ALTER TABLE t DROP COLUMN c;');
    assert.equal(finding.column, "SELECT '😀'; ALTER TABLE t ".length - 1 + 1);
  });

  test('CRLF line endings give the same lines and columns', () => {
    const [finding] = lint('SELECT 1;\r\nALTER TABLE t\r\n  DROP COLUMN c;\r\n');
    assert.deepEqual([finding.line, finding.column], [3, 3]);
  });

  test('breaking changes are errors in expand and allowed in contract; blocking ones are errors in both', () => {
    const sql = 'ALTER TABLE t DROP COLUMN a;\nCREATE INDEX i ON t (b);\n';
    assert.deepEqual(lint(sql, 'expand').map((f) => `${f.rule}:${f.severity}`), ['drop-column:error', 'create-index-not-concurrently:error']);
    assert.deepEqual(lint(sql, 'contract').map((f) => `${f.rule}:${f.severity}`), ['create-index-not-concurrently:error']);
  });

  test('a suppression needs a reason and only covers the statement right below it', () => {
    const findings = lint([
      '-- cutover:ignore drop-column retired in v40',
      'ALTER TABLE t DROP COLUMN a;',
      'ALTER TABLE t DROP COLUMN b;',
    ].join('\n'));
    assert.deepEqual(findings.map((f) => `${f.rule}@${f.line}`), ['drop-column@3']);
  });

  test('a type widening is allowed when an earlier linted file declares the current type', () => {
    const files: LintInput[] = [
      { file: '001.sql', text: 'CREATE TABLE people (id bigint, name varchar(40));', phase: 'expand' },
      { file: '002.sql', text: 'ALTER TABLE people ALTER COLUMN name TYPE varchar(80);', phase: 'expand' },
      { file: '003.sql', text: 'ALTER TABLE people ALTER COLUMN name TYPE varchar(10);', phase: 'expand' },
    ];
    const findings = lintMigrationSet(files, { pgVersion: 17, lockTimeoutMs: 5000 });
    assert.deepEqual(findings.map((f) => `${f.file}:${f.rule}`), ['003.sql:change-column-type']);
    assert.match(findings[0].message, /from varchar\(80\)/);
    // Linted alone, the same widening cannot be proven.
    assert.equal(lintMigrationSet([files[1]], { pgVersion: 17, lockTimeoutMs: 5000 })[0]?.rule, 'change-column-type');
  });

  test('every finding carries a message and a hint that name the table', () => {
    const findings = lint('ALTER TABLE invoices ALTER COLUMN total SET NOT NULL;');
    assert.equal(findings.length, 1);
    assert.match(findings[0].message, /invoices\.total/);
    assert.match(findings[0].message, /ACCESS EXCLUSIVE/);
    assert.match(findings[0].hint, /NOT VALID/);
  });

  test('SET NOT NULL proven by a validated check still needs PostgreSQL 12', () => {
    const text = [
      'CREATE INDEX CONCURRENTLY i ON t (a);',
      'ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL) NOT VALID;',
      'ALTER TABLE t VALIDATE CONSTRAINT a_nn;',
      'ALTER TABLE t ALTER COLUMN a SET NOT NULL;',
    ].join('\n');
    assert.deepEqual(lint(text, 'expand', 12).map((f) => f.rule), []);
    assert.deepEqual(lint(text, 'expand', 11).map((f) => f.rule), ['set-not-null']);
  });

  test('an empty file or one with only comments has no findings', () => {
    assert.deepEqual(lint(''), []);
    assert.deepEqual(lint('-- nothing yet\n/* still nothing */\n'), []);
  });
});

describe('lint inside DO blocks and PL/pgSQL functions', () => {
  const lint = (text: string, phase: MigrationPhase = 'expand') =>
    lintMigrationSet([{ file: 'm.sql', text, phase }], { pgVersion: 17, lockTimeoutMs: 5000 })
      .map((f) => `${f.rule} ${f.severity} ${f.line}:${f.column}`);

  test('statements nested in IF, loops and exception blocks are found at their line and column', () => {
    const text = [
      'DO $$',
      'BEGIN',
      '  FOR i IN 1..2 LOOP',
      '    IF i = 1 THEN',
      '      BEGIN',
      '        ALTER TABLE t DROP COLUMN a;',
      '      EXCEPTION WHEN undefined_column THEN NULL;',
      '      END;',
      '    ELSE',
      '      CREATE INDEX i ON t (b);',
      '    END IF;',
      '  END LOOP;',
      'END $$;',
    ].join('\n');
    assert.deepEqual(lint(text), ['drop-column error 6:23', 'create-index-not-concurrently error 10:7']);
  });

  test('columns count characters after non-ASCII text in the body, and a single-quoted body is read too', () => {
    assert.deepEqual(lint("DO $$ BEGIN PERFORM 'ünï€'; ALTER TABLE t DROP COLUMN a; END $$;"), ['drop-column error 1:43']);
    assert.deepEqual(lint("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS 'BEGIN ALTER TABLE t DROP COLUMN z; END';"), ['drop-column error 1:75']);
  });

  test('a suppression above the block covers its statements; one inside covers the statement below it', () => {
    const outer = '-- cutover:ignore drop-column the column left the app in v12\nDO $$ BEGIN ALTER TABLE t DROP COLUMN a; END $$;';
    assert.deepEqual(lint(outer), []);
    const inner = [
      'DO $$',
      'BEGIN',
      '  -- cutover:ignore drop-column the column left the app in v12',
      '  ALTER TABLE t DROP COLUMN a;',
      '  ALTER TABLE t DROP COLUMN b;',
      'END $$;',
    ].join('\n');
    assert.deepEqual(lint(inner), ['drop-column error 5:17']);
  });

  test('a finding inside a block says which block, and does not advise CONCURRENTLY where it cannot run', () => {
    const [finding] = lintMigrationSet([{ file: 'm.sql', text: 'SELECT 1;\nDO $$ BEGIN CREATE INDEX i ON t (a); END $$;', phase: 'expand' }], { pgVersion: 17, lockTimeoutMs: 5000 });
    assert.equal(finding.rule, 'create-index-not-concurrently');
    assert.match(finding.message, /inside the DO block at line 2/);
    assert.match(finding.hint, /move the statement out of the block/);
  });

  test('a DO block inside a DO block is linted too', () => {
    assert.deepEqual(lint('DO $a$ BEGIN\n  DO $b$ BEGIN ALTER TABLE t DROP COLUMN a; END $b$;\nEND $a$;'), ['drop-column error 2:30']);
  });

  test('CONCURRENTLY inside a DO block is refused: a DO block always runs in a transaction', () => {
    assert.deepEqual(lint('DO $$ BEGIN CREATE INDEX CONCURRENTLY i ON t (a); END $$;'), ['concurrently-in-transaction error 1:13']);
  });

  test('what a DO block creates counts for later statements; what a function body would create does not', () => {
    assert.deepEqual(lint('DO $$ BEGIN CREATE TABLE n (a int); END $$;\nCREATE INDEX i ON n (a);'), []);
    assert.deepEqual(lint('CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $f$ BEGIN CREATE TABLE n (a int); END $f$;\nCREATE INDEX i ON n (a);'),
      ['create-index-not-concurrently error 2:1']);
  });

  test('only what cannot be known stays a warning: computed EXECUTE, another language, a body that does not parse', () => {
    assert.deepEqual(lint("DO $$ BEGIN EXECUTE 'ALTER TABLE ' || 't' || ' DROP COLUMN a'; END $$;"), ['do-block warning 1:21']);
    assert.deepEqual(lint('DO LANGUAGE plpython3u $$ plpy.execute("ALTER TABLE t DROP COLUMN a") $$;'), ['do-block warning 1:1']);
    assert.deepEqual(lint('DO $$ BEGIN ALTER TABLE t DROP COLUMN a END $$;'), ['do-block warning 1:1']);
    // A plain query in an SQL-language function has nothing to report.
    assert.deepEqual(lint("CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';"), []);
  });

  test('a statement inside a block is graded by the file\'s phase like a top-level one', () => {
    const text = 'DO $$ BEGIN ALTER TABLE t DROP COLUMN a; ALTER TABLE t ADD COLUMN c int NOT NULL; END $$;';
    assert.deepEqual(lint(text, 'expand'), ['drop-column error 1:27', 'add-column-not-null-no-default error 1:56']);
    assert.deepEqual(lint(text, 'contract'), ['add-column-not-null-no-default error 1:56']);
  });
});

describe('lint inside LANGUAGE sql function bodies', () => {
  const lint = (text: string, phase: MigrationPhase = 'expand') =>
    lintMigrationSet([{ file: 'm.sql', text, phase }], { pgVersion: 17, lockTimeoutMs: 5000 })
      .map((f) => `${f.rule} ${f.severity} ${f.line}:${f.column}`);

  test('a dollar-quoted body is linted statement by statement, at its line and column', () => {
    const text = [
      'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $body$',
      '  ALTER TABLE t DROP COLUMN a;',
      '  CREATE INDEX i ON t (b);',
      '$body$;',
    ].join('\n');
    assert.deepEqual(lint(text), ['drop-column error 2:17', 'create-index-not-concurrently error 3:3']);
  });

  test('a single-quoted body is read through its doubled quotes, and LANGUAGE may come after AS', () => {
    const text = "CREATE PROCEDURE p() AS 'SELECT ''it''''s''; ALTER TABLE t DROP COLUMN a' LANGUAGE sql;";
    assert.deepEqual(lint(text), [`drop-column error 1:${text.indexOf('DROP') + 1}`]);
  });

  test('a finding says which function, and a suppression inside the body covers the statement below it', () => {
    const [finding] = lintMigrationSet([{ file: 'm.sql', text: 'SELECT 1;\nCREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ CREATE INDEX i ON t (a) $$;', phase: 'expand' }], { pgVersion: 17, lockTimeoutMs: 5000 });
    assert.equal(finding.rule, 'create-index-not-concurrently');
    assert.match(finding.message, /inside the function at line 2/);
    const text = [
      'CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$',
      '  -- cutover:ignore drop-column the column left the app in v12',
      '  ALTER TABLE t DROP COLUMN a;',
      '  ALTER TABLE t DROP COLUMN b;',
      '$$;',
    ].join('\n');
    assert.deepEqual(lint(text), ['drop-column error 4:17']);
  });

  test('what an SQL function would create does not count for later statements: it runs only when called', () => {
    assert.deepEqual(lint('CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ CREATE TABLE n (a int) $$;\nCREATE INDEX i ON n (a);'),
      ['create-index-not-concurrently error 2:1']);
  });

  test('a body that does not parse stays a warning; plain queries have no findings', () => {
    assert.deepEqual(lint('CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ ALTER TABLE t DROP COLUMN $$;'), ['do-block warning 1:1']);
    assert.deepEqual(lint('CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS $$ SELECT x + 1; $$;'), []);
  });

  test('a BEGIN ATOMIC body: its queries are checked, and DDL there is refused as PostgreSQL refuses it', () => {
    const text = [
      'CREATE FUNCTION f() RETURNS void LANGUAGE sql',
      'BEGIN ATOMIC',
      '  UPDATE t SET a = 1;',
      '  ALTER TABLE t DROP COLUMN a;',
      'END;',
    ].join('\n');
    // PostgreSQL 15: "ERROR: ALTER TABLE is not yet supported in unquoted SQL function body".
    assert.deepEqual(lint(text), ['parse-error error 4:3']);
    const [refused] = lintMigrationSet([{ file: 'm.sql', text, phase: 'contract' }], { pgVersion: 17, lockTimeoutMs: 5000 });
    assert.match(refused.message, /ALTER TABLE .*BEGIN ATOMIC/);
    assert.deepEqual(lint('CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;'), []);
    assert.deepEqual(lint('CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql RETURN a + 1;'), []);
  });

  test('any body: never throws, and every finding points inside the file', () => {
    const fragment = fc.constantFrom(
      'ALTER TABLE t DROP COLUMN a;', 'CREATE INDEX i ON t (a);', 'UPDATE t SET a = 1;', 'SELECT 1;', "SELECT 'ü€😀';",
      "SELECT ''it''''s'';", '-- cutover:ignore drop-column why\n', '/* c */', ';', '$$', "'", '\n', '\r\n', 'BEGIN', 'END', 'ATOMIC',
    );
    fc.assert(fc.property(fc.array(fragment, { maxLength: 10 }), fc.constantFrom('dollar', 'quoted', 'atomic'), (parts, form) => {
      const body = parts.join(' ');
      const head = 'SELECT 1;\nCREATE FUNCTION f() RETURNS void LANGUAGE sql';
      const text = form === 'dollar' ? `${head} AS $fn$ ${body} $fn$;\n` : form === 'quoted' ? `${head} AS '${body}';\n` : `${head} BEGIN ATOMIC ${body} END;\n`;
      const lines = text.split('\n');
      for (const f of lintMigrationSet([{ file: 'm.sql', text, phase: 'expand' }], { pgVersion: 17, lockTimeoutMs: 5000 })) {
        assert.ok(f.line >= 1 && f.line <= lines.length, `line ${f.line} of ${lines.length}`);
        assert.ok(f.column >= 1 && f.column <= [...lines[f.line - 1]].length + 1, `column ${f.column} on line ${f.line}`);
      }
    }), { seed: 9, numRuns: 300 });
  });
});

describe('lint inside DO blocks: any body', () => {
  test('never throws, and every finding points inside the file', () => {
    const fragment = fc.constantFrom(
      'ALTER TABLE t DROP COLUMN a;', 'CREATE INDEX i ON t (a);', "EXECUTE 'ALTER TABLE t DROP COLUMN b';", "EXECUTE 'x' || y;",
      'IF true THEN', 'END IF;', 'BEGIN', 'END;', 'LOOP', 'END LOOP;', 'PERFORM 1;', "RAISE NOTICE 'ü€😀';", '-- cutover:ignore drop-column why',
      '/* c */', "SELECT 'it''s' INTO v;", 'EXCEPTION WHEN others THEN NULL;', ';', '$$', "'", '\n', '\r\n', 'ünï', 'DECLARE v int;',
    );
    fc.assert(fc.property(fc.array(fragment, { maxLength: 12 }), fc.boolean(), (parts, asFunction) => {
      const body = `BEGIN\n${parts.join(' ')}\nEND`;
      const text = asFunction
        ? `SELECT 1;\nCREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $fn$ ${body} $fn$;\n`
        : `SELECT 1;\nDO $body$ ${body} $body$;\n`;
      const lines = text.split('\n');
      for (const f of lintMigrationSet([{ file: 'm.sql', text, phase: 'expand' }], { pgVersion: 17, lockTimeoutMs: 5000 })) {
        assert.ok(f.line >= 1 && f.line <= lines.length, `line ${f.line} of ${lines.length}`);
        assert.ok(f.column >= 1 && f.column <= [...lines[f.line - 1]].length + 1, `column ${f.column} on line ${f.line}`);
      }
    }), { seed: 9, numRuns: 300 });
  });
});
