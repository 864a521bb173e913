import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkSyntheticRequest,
  datasetId,
  generateSynthetic,
  prepareDataset,
  SYNTHETIC_DEFAULTS,
} from '../src/domain';
import { writeSynthetic } from '../src/scripts/generate-synthetic';

describe('generateSynthetic', () => {
  it('produces a file that passes validation, with its roles and the truth per channel', () => {
    const { generated } = generateSynthetic({});
    const { content, ...options } = generated.ingest;
    const prepared = prepareDataset(content, options);
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.issues));
    expect(prepared.dataset.periodCount).toBe(SYNTHETIC_DEFAULTS.weeks);
    expect(prepared.dataset.channels.map((c) => c.name)).toEqual(['tv', 'radio', 'ooh']);
    expect(generated.truth.channels.map((c) => [c.channel, c.spendColumn])).toEqual([
      ['tv', 'tv_spend'],
      ['radio', 'radio_spend'],
      ['ooh', 'ooh_spend'],
    ]);
    for (const channel of generated.truth.channels) {
      // The truth is consistent: ROAS is contribution over spend.
      expect(channel.contribution / channel.spend).toBeCloseTo(channel.roas, 9);
      const column = prepared.dataset.columns.find((c) => c.name === channel.spendColumn);
      expect(column?.summary?.sum).toBeCloseTo(channel.spend, 6);
    }
  });

  it('gives the same file, and so the same dataset id, for the same seed', () => {
    const a = generateSynthetic({ seed: 7, channels: 2, weeks: 60 }).generated.ingest;
    const b = generateSynthetic({ seed: 7, channels: 2, weeks: 60 }).generated.ingest;
    const c = generateSynthetic({ seed: 8, channels: 2, weeks: 60 }).generated.ingest;
    expect(datasetId(a.content, a)).toBe(datasetId(b.content, b));
    expect(c.content).not.toBe(a.content);
  });

  it('names each bad request field', () => {
    expect(() =>
      checkSyntheticRequest({ weeks: 10, channels: 0, noise: 2, startDate: 'x' }),
    ).toThrow(
      expect.objectContaining({
        issues: [
          { field: 'weeks', message: 'weeks must be an integer from 26 to 520.' },
          { field: 'channels', message: 'channels must be an integer from 1 to 12.' },
          { field: 'noise', message: 'noise must be from 0 to 1.' },
          { field: 'startDate', message: 'startDate must be a date written YYYY-MM-DD.' },
        ],
      }),
    );
  });

  it('asks for enough weeks for the channels requested', () => {
    expect(() => checkSyntheticRequest({ weeks: 40, channels: 8 })).toThrow(
      expect.objectContaining({
        issues: [
          {
            field: 'weeks',
            message: '8 channels need at least 50 weeks (5 per variable, the 2 controls included).',
          },
        ],
      }),
    );
  });
});

describe('the generate-synthetic script', () => {
  it('writes the CSV and a truth file with the roles to ingest it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-synthetic-'));
    try {
      const written = writeSynthetic([
        '--out',
        path.join(dir, 'demo.csv'),
        '--weeks',
        '52',
        '--seed',
        '3',
      ]);
      expect(written.truth).toBe(path.join(dir, 'demo.truth.json'));
      const csv = fs.readFileSync(written.csv, 'utf8');
      expect(csv.split('\n')[0]).toBe(
        'date,revenue,tv_spend,radio_spend,ooh_spend,promo,price_index',
      );
      expect(csv.trim().split('\n')).toHaveLength(53);
      const truth = JSON.parse(fs.readFileSync(written.truth, 'utf8'));
      expect(truth.ingest.roles.kpi).toBe('revenue');
      expect(truth.truth.seed).toBe(3);
      expect(truth.truth.channels).toHaveLength(3);
      expect(truth.generator.truth.channels[0].contribution).toHaveLength(52);
      const prepared = prepareDataset(csv, truth.ingest);
      expect(prepared.ok).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses arguments that are not numbers', () => {
    expect(() => writeSynthetic(['--out', 'x.csv', '--weeks', 'many'])).toThrow(
      '--weeks must be an integer, got "many"',
    );
  });
});
