import { canonicalJson, contentHash, datasetId } from '../src/domain';
import { fileRows, toCsvText, weeklyOptions } from './fixtures';

describe('datasetId', () => {
  const text = toCsvText(fileRows(30));

  it('is ds_ and 20 hex digits, the same for the same file and roles', () => {
    const id = datasetId(text, weeklyOptions());
    expect(id).toMatch(/^ds_[0-9a-f]{20}$/);
    expect(datasetId(String(text), weeklyOptions())).toBe(id);
  });

  it('changes with one byte of the file', () => {
    expect(datasetId(text.replace('1000', '1001'), weeklyOptions())).not.toBe(
      datasetId(text, weeklyOptions()),
    );
  });

  it('changes with the roles or the options', () => {
    const base = datasetId(text, weeklyOptions());
    const conversions = weeklyOptions();
    conversions.roles.kpiType = 'CONVERSIONS';
    expect(datasetId(text, conversions)).not.toBe(base);
    expect(datasetId(text, weeklyOptions({ missingMediaAsZero: true }))).not.toBe(base);
    const fewer = weeklyOptions();
    fewer.roles.controls = [];
    expect(datasetId(text, fewer)).not.toBe(base);
  });

  it('ignores the order of channels and defaults written out', () => {
    const reordered = weeklyOptions();
    reordered.roles.paidMedia = [
      { spend: 'search', exposure: 'search_clicks', channel: 'search' },
      { spend: 'tv', exposure: null },
    ];
    expect(datasetId(text, reordered)).toBe(datasetId(text, weeklyOptions()));
  });

  it('hashes the raw content as SHA-256', () => {
    expect(contentHash('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined values', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: null }], c: undefined } })).toBe(
      '{"a":{"d":[2,{"y":null,"z":1}]},"b":1}',
    );
  });
});
