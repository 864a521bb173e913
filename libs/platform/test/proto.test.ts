import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DatasetIngestedSchema,
  EVENTS,
  Frequency,
  KpiType,
  ModelTrainedSchema,
  create,
  decodeEvent,
  encodeEvent,
  fromBinary,
  timestampFromDate,
  toBinary,
} from '../src';

const ROOT = path.resolve(__dirname, '../../..');
const CHECK = path.join(ROOT, 'libs/platform/scripts/proto-check.js');

describe('event contracts', () => {
  it('name a subject mmm.v1.<entity>.<event> for every event', () => {
    for (const [name, { subject }] of Object.entries(EVENTS)) {
      expect(subject).toBe(`mmm.v1.${name}`);
    }
    expect(Object.keys(EVENTS).sort()).toEqual([
      'attribution.completed',
      'dataset.deleted',
      'dataset.ingested',
      'model.promoted',
      'model.trained',
      'optimization.completed',
      'report.generated',
      'training.completed',
      'training.failed',
      'training.progress',
      'training.requested',
    ]);
  });

  it('carry workspace_id as field 1 and keep 5-9 reserved in every event', () => {
    for (const { schema } of Object.values(EVENTS)) {
      const workspace = schema.fields.find((f) => f.name === 'workspace_id');
      expect(workspace?.number).toBe(1);
      expect(schema.fields.find((f) => f.name === 'occurred_at')?.number).toBe(3);
      expect(schema.fields.some((f) => f.number >= 5 && f.number <= 9)).toBe(false);
      expect(schema.typeName.startsWith('mmm.v1.')).toBe(true);
    }
  });

  it('encode and decode to the same message', () => {
    const message = {
      workspaceId: 'acme',
      datasetId: 'sha256-abc',
      occurredAt: timestampFromDate(new Date('2025-01-06T00:00:00Z')),
      frequency: Frequency.WEEKLY,
      kpiType: KpiType.CONVERSIONS,
      mediaChannels: ['tv', 'search', 'social'],
      periodCount: 156,
      startDate: '2022-01-03',
    };
    const decoded = decodeEvent('dataset.ingested', encodeEvent('dataset.ingested', message));
    expect(decoded).toMatchObject(message);
    const model = create(ModelTrainedSchema, {
      workspaceId: 'acme',
      modelId: 'm1',
      metrics: { r2: 0.91, nrmse: 0.07, decompRssd: 0.12 },
      channels: [{ channel: 'tv', roas: 2.4, marginalRoas: 1.1 }],
    });
    const back = fromBinary(ModelTrainedSchema, toBinary(ModelTrainedSchema, model));
    expect(back.metrics?.r2).toBeCloseTo(0.91);
    expect(back.channels[0].marginalRoas).toBeCloseTo(1.1);
    expect(fromBinary(DatasetIngestedSchema, new Uint8Array()).workspaceId).toBe('');
  });
});

describe('npm run proto:check', () => {
  jest.setTimeout(60_000);

  it('passes on the committed generated code', () => {
    const result = spawnSync(process.execPath, [CHECK], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/up to date/);
  });

  it('fails when a .proto changed without regenerating', () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'mmm-proto-check-'));
    try {
      for (const file of ['buf.yaml', 'buf.gen.yaml']) {
        fs.copyFileSync(path.join(ROOT, file), path.join(scratch, file));
      }
      fs.cpSync(path.join(ROOT, 'proto'), path.join(scratch, 'proto'), { recursive: true });
      fs.cpSync(
        path.join(ROOT, 'libs/platform/src/gen'),
        path.join(scratch, 'libs/platform/src/gen'),
        { recursive: true },
      );
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
      const proto = path.join(scratch, 'proto/mmm/v1/report.proto');
      fs.writeFileSync(
        proto,
        fs
          .readFileSync(proto, 'utf8')
          .replace(
            'repeated string objects = 13;',
            'repeated string objects = 13;\n  string title = 14;',
          ),
      );
      const result = spawnSync(process.execPath, [CHECK, scratch], { encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('generated protobuf code is stale (mmm/v1/report_pb.ts)');
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
