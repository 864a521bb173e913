import type { ChannelOutput, PosteriorChain, TrialCandidates } from '@mmm/core';

// What the parts of a split search hand each other through the object store: a small JSON
// header, then the typed arrays as raw bytes (little-endian, as every platform Node runs on).

function pack(header: object, arrays: Array<Float64Array | Int32Array>): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header));
  // Pad the header so the arrays start 8-byte aligned.
  const headLength = Math.ceil((4 + head.byteLength) / 8) * 8;
  const total = headLength + arrays.reduce((sum, a) => sum + a.byteLength, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, head.byteLength, true);
  out.set(head, 4);
  let at = headLength;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  return out;
}

function unpack(bytes: Uint8Array): { header: unknown; body: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length))) as unknown;
  const headLength = Math.ceil((4 + length) / 8) * 8;
  // A copy, so the arrays are aligned whatever the source buffer's offset.
  return { header, body: bytes.slice(headLength) };
}

interface TrialHeader {
  kind: 'trials';
  trialRange: { from: number; to: number };
  trials: number;
  iterations: number;
  populationSize: number;
  dimension: number;
  objectiveCount: number;
  count: number;
}

export function encodeTrials(c: TrialCandidates): Uint8Array {
  const header: TrialHeader = {
    kind: 'trials',
    trialRange: c.trialRange,
    trials: c.trials,
    iterations: c.iterations,
    populationSize: c.populationSize,
    dimension: c.dimension,
    objectiveCount: c.objectiveCount,
    count: c.trial.length,
  };
  return pack(header, [c.parameters, c.objectives, c.trial]);
}

export function decodeTrials(bytes: Uint8Array): TrialCandidates {
  const { header, body } = unpack(bytes);
  const h = header as TrialHeader;
  if (h.kind !== 'trials') throw new Error('not a trials result');
  const p = h.count * h.dimension;
  const o = h.count * h.objectiveCount;
  return {
    trialRange: h.trialRange,
    trials: h.trials,
    iterations: h.iterations,
    populationSize: h.populationSize,
    dimension: h.dimension,
    objectiveCount: h.objectiveCount,
    parameters: new Float64Array(body.buffer, 0, p),
    objectives: new Float64Array(body.buffer, p * 8, o),
    trial: new Int32Array(body.buffer, (p + o) * 8, h.count),
  };
}

interface ChainHeader {
  kind: 'chains';
  from: number;
  chains: Array<{ draws: number; accepted: number; proposed: number; u: number; roas: number }>;
}

/** Chains from..from + chains.length of a posterior. */
export function encodeChains(from: number, chains: readonly PosteriorChain[]): Uint8Array {
  const header: ChainHeader = {
    kind: 'chains',
    from,
    chains: chains.map((c) => ({
      draws: c.draws,
      accepted: c.accepted,
      proposed: c.proposed,
      u: c.u.length,
      roas: c.roas.length,
    })),
  };
  return pack(
    header,
    chains.flatMap((c) => [c.u, c.roas]),
  );
}

export function decodeChains(bytes: Uint8Array): { from: number; chains: PosteriorChain[] } {
  const { header, body } = unpack(bytes);
  const h = header as ChainHeader;
  if (h.kind !== 'chains') throw new Error('not a chains result');
  let at = 0;
  const take = (n: number) => {
    const out = new Float64Array(body.buffer, at, n);
    at += n * 8;
    return out;
  };
  return {
    from: h.from,
    chains: h.chains.map((c) => ({
      draws: c.draws,
      accepted: c.accepted,
      proposed: c.proposed,
      u: take(c.u),
      roas: take(c.roas),
    })),
  };
}

/** Per channel, what the fit found over the training periods (the engine's, without curves). */
export type ChannelSummary = Omit<ChannelOutput, 'responseCurve'>;

export interface ParetoMember {
  /** Candidate index over the whole search (trial-major). */
  index: number;
  /** 1-based, as Robyn numbers trials. */
  trial: number;
  objectives: Record<string, number>;
  hyperparameters: Record<string, number>;
}

/** The result of a FIT or FINISH part: the model and what the registry keeps beside it. */
export interface FittedModelResult {
  /** The serialized model (schema 3). */
  model: string;
  channels: ChannelSummary[];
  paretoFront: ParetoMember[];
  candidates: number;
  /** The search's own wall time, seconds (FIT: the whole search; FINISH: the last part). */
  searchSeconds: number;
  /** Every candidate as CSV, when the settings keep them. */
  candidatesCsv: string | null;
}

export function encodeModelResult(result: FittedModelResult): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(result));
}

export function decodeModelResult(bytes: Uint8Array): FittedModelResult {
  return JSON.parse(new TextDecoder().decode(bytes)) as FittedModelResult;
}
