import {
  encodeJourneyTable,
  JourneyContractError,
  parseJourneyDatasetDescriptor,
  parseJourneyTable,
  type StoredJourneyTable,
} from '../src';

// Two journeys: 'j1' (search then display, converted, 120) and 'é-2' (one display, no).
function table(): StoredJourneyTable {
  return {
    schemaVersion: 1,
    datasetId: 'jd_0123456789abcdef0123',
    channels: ['display', 'search'],
    journeyIds: ['j1', 'é-2'],
    offsets: Uint32Array.from([0, 2, 3]),
    timestamps: Float64Array.from([1_700_000_000_000, 1_700_000_360_000, 1_700_100_000_000]),
    channelIndex: Uint32Array.from([1, 0, 0]),
    cost: null,
    converted: Uint8Array.from([1, 0]),
    conversionValue: Float64Array.from([120, 0]),
  };
}

/** The bytes of a table with one section changed after encoding (what a bad writer would store). */
function tampered(edit: (t: StoredJourneyTable) => void): Uint8Array {
  const t = table();
  edit(t);
  return encodeJourneyTable(t);
}

describe('the journey contract', () => {
  it('reads back what it writes, with and without costs', () => {
    expect(parseJourneyTable(encodeJourneyTable(table()))).toEqual(table());
    const withCost = { ...table(), cost: Float64Array.from([0.5, 0, 2]) };
    expect(parseJourneyTable(encodeJourneyTable(withCost))).toEqual(withCost);
  });

  it('reads a table whose bytes do not start on an 8-byte boundary', () => {
    const bytes = encodeJourneyTable(table());
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(parseJourneyTable(shifted.subarray(3))).toEqual(table());
    // NATS hands out Node Buffers, whose slice is a view, not a copy.
    const buffer = Buffer.alloc(bytes.length + 5);
    buffer.set(bytes, 5);
    expect(parseJourneyTable(buffer.subarray(5))).toEqual(table());
  });

  it('stores a touchpoint in about 17 bytes', () => {
    const n = 10_000;
    const big: StoredJourneyTable = {
      ...table(),
      journeyIds: ['a'],
      offsets: Uint32Array.from([0, n]),
      timestamps: Float64Array.from({ length: n }, (_, i) => i),
      channelIndex: new Uint32Array(n),
      converted: Uint8Array.from([0]),
      conversionValue: Float64Array.from([0]),
    };
    const size = encodeJourneyTable(big).length;
    expect(size).toBeGreaterThan(12 * n);
    expect(size).toBeLessThan(13 * n);
  });

  it.each([
    [() => new TextEncoder().encode('{"journeys": 1}'), '(root): not a journey table'],
    [
      () => tampered((t) => (t.offsets = Uint32Array.from([0, 3, 2]))),
      'offsets[2]: expected the touchpoint count 3, got 2',
    ],
    [() => tampered((t) => (t.offsets = Uint32Array.from([0, 4, 3]))), 'offsets[2]: 3 is below'],
    [() => tampered((t) => (t.channelIndex[1] = 5)), 'channelIndex[1]: 5 is not one of the 2'],
    [
      () => tampered((t) => (t.timestamps[1] = 0)),
      "timestamps[1]: journey 0's touchpoints are not in time order",
    ],
    [() => tampered((t) => (t.converted[1] = 2)), 'converted[1]: expected 0 or 1, got 2'],
    [
      () => tampered((t) => (t.conversionValue[1] = 5)),
      'conversionValue[1]: a journey that did not convert has a value',
    ],
    [() => tampered((t) => (t.conversionValue[0] = -1)), 'conversionValue[0]: expected a finite'],
    [
      () => {
        const bytes = encodeJourneyTable(table());
        return bytes.subarray(0, bytes.length - 40);
      },
      '(root): expected at least',
    ],
  ])('names what is wrong in a malformed table (%#)', (bytes, message) => {
    expect(() => parseJourneyTable(bytes())).toThrow(JourneyContractError);
    expect(() => parseJourneyTable(bytes())).toThrow(message);
  });

  it('reads the contract fields of a journey record and leaves the others out', () => {
    const record = {
      schemaVersion: 1,
      id: 'jd_0123456789abcdef0123',
      workspaceId: 'w',
      name: 'n',
      status: 'ACTIVE',
      journeys: 2,
      touchpoints: 3,
      conversions: 1,
      value: 120,
      channels: [{ name: 'display', touchpoints: 2, journeys: 2, conversions: 1 }],
      firstTouchpointAt: '2023-11-14T22:13:20.000Z',
      lastTouchpointAt: '2023-11-16T02:00:00.000Z',
      startDate: '2023-11-14',
      endDate: '2023-11-16',
      cost: null,
      contentSha256: 'ab',
      tableFile: 'jd_x-1',
      rawFile: 'ingestion-only field',
    };
    const descriptor = parseJourneyDatasetDescriptor(record);
    expect(descriptor).not.toHaveProperty('rawFile');
    expect(descriptor.channels[0]).toEqual(record.channels[0]);
    expect(() => parseJourneyDatasetDescriptor({ ...record, value: -1 })).toThrow(
      'value: expected a finite number >= 0',
    );
    expect(() => parseJourneyDatasetDescriptor({ ...record, channels: [{ name: 'x' }] })).toThrow(
      'channels[0].touchpoints: expected an integer of 0 or more',
    );
  });
});
