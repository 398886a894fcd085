import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { errorsDocPath, renderErrorsDoc } from './gen-docs.js';

test('docs/errors.md matches the catalogs in code (npm run gen:docs)', () => {
  assert.equal(readFileSync(errorsDocPath, 'utf8'), renderErrorsDoc());
});
