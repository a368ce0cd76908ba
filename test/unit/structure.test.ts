import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// What issue 9 "must show", held so it stays true: no source file over 400 lines, every export of the engine
// has a caller outside it, services are constructed in one place (src/services.ts), and no module writes a
// table another module owns. Each test fails with the list of what breaks the rule.

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');
const MAX_LINES = 400;

const rel = (file: string) => relative(ROOT, file).split(sep).join('/');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
  );
}

const sourceFiles = walk(SRC).filter((f) => f.endsWith('.ts'));
const parsed = new Map<string, ts.SourceFile>();
function parse(file: string): ts.SourceFile {
  let sf = parsed.get(file);
  if (!sf) {
    sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    parsed.set(file, sf);
  }
  return sf;
}

function visit(node: ts.Node, fn: (n: ts.Node) => void): void {
  fn(node);
  ts.forEachChild(node, (c) => visit(c, fn));
}

/** The file or folder an import specifier points at, or null for a package. */
function target(file: string, spec: string): string | null {
  return spec.startsWith('.') ? resolve(dirname(file), spec) : null;
}

const isUnder = (path: string, dir: string) => path === dir || path.startsWith(dir + sep);

describe('structure (issue 9)', () => {
  it(`no file under src/ is over ${MAX_LINES} lines`, () => {
    const over = walk(SRC)
      .map((file) => {
        const text = readFileSync(file, 'utf8');
        const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        return { file: rel(file), lines };
      })
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines`);
    expect(over).toEqual([]);
  });

  it('every export of src/engine/index.ts is used by a file under src/ outside src/engine', () => {
    const ENGINE = join(SRC, 'engine');
    const exported: string[] = [];
    visit(parse(join(ENGINE, 'index.ts')), (n) => {
      if (ts.isExportDeclaration(n)) {
        if (!n.exportClause) exported.push('* (name the exports, so each is checked)');
        else if (ts.isNamedExports(n.exportClause))
          for (const e of n.exportClause.elements) exported.push(e.name.text);
      } else if (
        (ts.isFunctionDeclaration(n) || ts.isClassDeclaration(n) || ts.isVariableStatement(n)) &&
        n.parent.kind === ts.SyntaxKind.SourceFile &&
        ts.getModifiers(n)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      ) {
        if (ts.isVariableStatement(n))
          for (const d of n.declarationList.declarations) exported.push(d.name.getText());
        else if (n.name) exported.push(n.name.text);
      }
    });
    expect(exported.length).toBeGreaterThan(10);

    // a name counts when a file outside the engine imports it and uses it (or re-exports it for callers)
    const used = new Set<string>();
    for (const file of sourceFiles.filter((f) => !isUnder(f, ENGINE))) {
      const sf = parse(file);
      const locals = new Map<string, string>(); // local name → engine name
      const namespaces = new Set<string>();
      for (const st of sf.statements) {
        const spec =
          (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) &&
          st.moduleSpecifier &&
          ts.isStringLiteral(st.moduleSpecifier)
            ? target(file, st.moduleSpecifier.text)
            : null;
        if (!spec || !isUnder(spec, ENGINE)) continue;
        if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
          for (const e of st.exportClause.elements) used.add((e.propertyName ?? e.name).text);
        }
        const bindings = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
        if (bindings && ts.isNamedImports(bindings))
          for (const e of bindings.elements) locals.set(e.name.text, (e.propertyName ?? e.name).text);
        if (bindings && ts.isNamespaceImport(bindings)) namespaces.add(bindings.name.text);
      }
      if (locals.size === 0 && namespaces.size === 0) continue;
      visit(sf, (n) => {
        if (ts.isIdentifier(n) && locals.has(n.text) && !ts.isImportSpecifier(n.parent))
          used.add(locals.get(n.text)!);
        if (
          ts.isPropertyAccessExpression(n) &&
          ts.isIdentifier(n.expression) &&
          namespaces.has(n.expression.text)
        )
          used.add(n.name.text);
        if (ts.isQualifiedName(n) && ts.isIdentifier(n.left) && namespaces.has(n.left.text))
          used.add(n.right.text);
      });
    }
    const unused = exported
      .filter((name) => !used.has(name))
      .map((name) => `${name}: no caller outside src/engine`);
    expect(unused).toEqual([]);
  });

  it('services are constructed only in the composition root (src/services.ts)', () => {
    const ROOT_FILE = join(SRC, 'services.ts');
    const found: string[] = [];
    for (const file of sourceFiles.filter((f) => f !== ROOT_FILE)) {
      const sf = parse(file);
      visit(sf, (n) => {
        if (!ts.isNewExpression(n)) return;
        const callee = ts.isPropertyAccessExpression(n.expression) ? n.expression.name : n.expression;
        if (ts.isIdentifier(callee) && /Service$/.test(callee.text)) {
          const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
          found.push(`${rel(file)}:${line}: new ${callee.text}(`);
        }
      });
    }
    expect(found).toEqual([]);
  });

  describe('table ownership', () => {
    const MODULES = join(SRC, 'modules');
    const moduleOf = (file: string): string | null =>
      isUnder(file, MODULES) ? relative(MODULES, file).split(sep)[0]! : null;

    // every table the migrations create
    const tables = new Set(
      walk(join(ROOT, 'migrations'))
        .filter((f) => f.endsWith('.ts'))
        .flatMap((f) => [
          ...readFileSync(f, 'utf8').matchAll(/create table (?:if not exists )?"?([a-z_]+)"?/gi),
        ])
        .map((m) => m[1]!.toLowerCase()),
    );

    // owners, from three sources that must agree: where a table's entity is declared, what a module README's
    // "What it owns" section claims ("Table: `x`" / "Tables: `a`, `b` and `c`"), and, for tables that have
    // neither yet, this list
    const NO_ENTITY_NOR_README: Record<string, string> = {
      app_setting: 'settings',
      credit_alert_threshold: 'alerts',
      idempotency_key: 'shared',
    };
    const claims: { table: string; module: string; by: string }[] = [];
    const entityTable = new Map<string, string>(); // entity class → table
    for (const file of sourceFiles) {
      const module = moduleOf(file);
      visit(parse(file), (n) => {
        if (!ts.isClassDeclaration(n) || !n.name) return;
        for (const d of ts.getDecorators(n) ?? []) {
          const m = /tableName:\s*'([a-z_]+)'/.exec(d.getText());
          if (!m || !d.getText().startsWith('@Entity')) continue;
          entityTable.set(n.name.text, m[1]!);
          if (module) claims.push({ table: m[1]!, module, by: `entity ${n.name.text} in ${rel(file)}` });
        }
      });
    }
    for (const dir of readdirSync(MODULES, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      let readme: string;
      try {
        readme = readFileSync(join(MODULES, dir.name, 'README.md'), 'utf8');
      } catch {
        continue;
      }
      const owns = /## What it owns\n+(Tables?:[\s\S]*?)(?:\.\s|\n\n)/.exec(readme);
      if (!owns) continue;
      for (const m of owns[1]!.matchAll(/`([a-z_]+)`/g))
        if (tables.has(m[1]!))
          claims.push({ table: m[1]!, module: dir.name, by: `src/modules/${dir.name}/README.md` });
    }
    for (const [table, module] of Object.entries(NO_ENTITY_NOR_README))
      claims.push({ table, module, by: 'structure.test.ts' });
    const owner = new Map<string, string>();
    for (const c of claims) if (!owner.has(c.table)) owner.set(c.table, c.module);

    it('every table has one owning module', () => {
      const problems = [...tables].filter((t) => !owner.has(t)).map((t) => `${t}: no owner`);
      for (const c of claims)
        if (owner.get(c.table) !== c.module)
          problems.push(`${c.table}: ${c.by} says ${c.module}, elsewhere ${owner.get(c.table)}`);
      expect(problems).toEqual([]);
    });

    it('no code outside a table’s module inserts, updates or deletes its rows', () => {
      const WRITE =
        /\b(?:insert\s+into|delete\s+from)\s+"?([a-z_]+)"?|\bupdate\s+"?([a-z_]+)"?(?:\s+(?:as\s+)?[a-z_]+)?\s+set\b/gi;
      const ORM_WRITE =
        /^(?:create|persist|nativeInsert|nativeUpdate|nativeDelete|upsert|upsertMany|insertMany)$/;
      const found: string[] = [];
      for (const file of sourceFiles) {
        const module = moduleOf(file) ?? '(outside the modules)';
        const sf = parse(file);
        const wrote = (table: string, n: ts.Node, how: string) => {
          const own = owner.get(table);
          if (own === undefined || own === module) return;
          const line = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
          found.push(`${rel(file)}:${line}: ${how} (${table} is owned by ${own})`);
        };
        visit(sf, (n) => {
          // SQL in string and template literals (comments are not nodes, so prose is never matched)
          if (
            ts.isStringLiteralLike(n) ||
            ts.isTemplateHead(n) ||
            ts.isTemplateMiddle(n) ||
            ts.isTemplateTail(n)
          ) {
            for (const m of n.text.matchAll(WRITE)) {
              const table = (m[1] ?? m[2])!.toLowerCase();
              wrote(table, n, m[0].replace(/\s+/g, ' '));
            }
          }
          // ORM writes: em.create(XEntity, ...), em.nativeUpdate(XEntity, ...) and the like
          if (
            ts.isCallExpression(n) &&
            ts.isPropertyAccessExpression(n.expression) &&
            ORM_WRITE.test(n.expression.name.text)
          ) {
            const first = n.arguments[0];
            if (first && ts.isIdentifier(first) && entityTable.has(first.text))
              wrote(entityTable.get(first.text)!, n, `${n.expression.name.text}(${first.text})`);
          }
        });
      }
      expect(found).toEqual([]);
    });
  });
});
