import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { createSchema } from '../graphql/schema';

/** The committed schema.graphql text: generated, sorted, with a header saying so. */
export async function schemaSdl(): Promise<string> {
  const schema = await createSchema();
  return (
    '# Generated from the code by `npm run schema`. Do not edit: a test fails when this file is stale.\n\n' +
    printSchema(lexicographicSortSchema(schema)) +
    '\n'
  );
}

if (require.main === module) {
  schemaSdl().then(
    (sdl) => {
      const file = path.resolve(process.argv[2] ?? 'schema.graphql');
      fs.writeFileSync(file, sdl);
      process.stdout.write(`wrote ${file}\n`);
    },
    (e: unknown) => {
      process.stderr.write(String(e) + '\n');
      process.exit(1);
    },
  );
}
