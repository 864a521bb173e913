import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENGINE } from '../src';

it('records the version of libs/mmm-core/package.json in every model', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  expect(ENGINE).toEqual({ name: pkg.name, version: pkg.version });
});
