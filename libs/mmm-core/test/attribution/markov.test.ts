import { attributeJourneys, type AttributionResult, type JourneyTable } from '../../src';
import { byChannel, journeyTable, type JourneySpec } from './journeys';

function markov(table: JourneyTable, options = {}) {
  const run = attributeJourneys(table, ['markov'], options);
  const result = run.results[0] as Extract<AttributionResult, { method: 'markov' }>;
  return {
    ...result,
    credit: byChannel(run.channels, result.conversions),
    value: byChannel(run.channels, result.value),
    effects: byChannel(run.channels, result.removalEffects),
  };
}

/*
 * Worked example, first order, with a cycle (so the chain must be solved, not walked):
 *   j1: A B   -> conversion (value 100)
 *   j2: B A B -> conversion (value 50)
 *   j3: A     -> null
 *   j4: B A   -> null
 * Transition counts: start->A 2 (j1, j3), start->B 2 (j2, j4); A->B 2 (j1, j2), A->null 2
 * (j3, j4); B->conv 2 (j1, j2), B->A 2 (j2, j4). Probabilities: start: A 1/2, B 1/2;
 * A: B 1/2, null 1/2; B: conv 1/2, A 1/2.
 * Conversion probabilities x (x = N r): x_A = x_B / 2, x_B = 1/2 + x_A / 2
 *   -> x_B = 2/3, x_A = 1/3, P = x_start = (1/3 + 2/3) / 2 = 1/2.
 * Remove A (into A -> null): x_B = 1/2, P = 1/4 -> RE_A = 1 - (1/4)/(1/2) = 1/2.
 * Remove B: x_A = 0, P = 0 -> RE_B = 1.
 * Credit = RE / sum RE x 2 conversions: A = (1/2)/(3/2) x 2 = 2/3, B = 4/3;
 * value (150): A = 50, B = 100.
 */
const cycle: JourneySpec[] = [
  { id: 'j1', path: ['A', 'B'], converted: true, value: 100 },
  { id: 'j2', path: ['B', 'A', 'B'], converted: true, value: 50 },
  { id: 'j3', path: ['A'], converted: false },
  { id: 'j4', path: ['B', 'A'], converted: false },
];

/*
 * A second case where the order matters (j3 has a self-loop A -> A):
 *   j1: A B -> conv, j2: B A -> null, j3: A A -> null, j4: B A B -> conv, j5: A -> conv.
 * First order: start: A 3/5, B 2/5; A (6 out): B 2, null 2, A 1, conv 1; B (4 out): conv 2, A 2.
 *   x_A = (2 x_B + x_A + 1)/6, x_B = (2 + 2 x_A)/4 -> x_A = 1/2, x_B = 3/4, P = 3/10 + 3/10 = 3/5.
 *   Remove A: x_B = 1/2, P = 2/5 x 1/2 = 1/5 -> RE_A = 2/3.
 *   Remove B: x_A = (x_A + 1)/6 -> 1/5, P = 3/5 x 1/5 = 3/25 -> RE_B = 4/5.
 *   Credit of 3 conversions: A = (2/3)/(22/15) x 3 = 15/11, B = (4/5)/(22/15) x 3 = 18/11.
 * Second order (a state is the last two channels): start: (A) 3/5, (B) 2/5;
 *   (A): (A,B) 1/3, (A,A) 1/3, conv 1/3; (B): (B,A) 1; (B,A): null 1/2, (A,B) 1/2;
 *   (A,B): conv 1; (A,A): null 1.
 *   x_(A) = 2/3, x_(B) = x_(B,A) = 1/2, P = 3/5 x 2/3 + 2/5 x 1/2 = 3/5 (the same P).
 *   Remove A (every state holding A): P = 0 -> RE_A = 1.
 *   Remove B ((B), (B,A), (A,B)): x_(A) = 1/3, P = 1/5 -> RE_B = 2/3.
 *   Credit: A = 1/(5/3) x 3 = 9/5, B = (2/3)/(5/3) x 3 = 6/5.
 */
const ordered: JourneySpec[] = [
  { id: 'j1', path: ['A', 'B'], converted: true, value: 10 },
  { id: 'j2', path: ['B', 'A'], converted: false },
  { id: 'j3', path: ['A', 'A'], converted: false },
  { id: 'j4', path: ['B', 'A', 'B'], converted: true, value: 10 },
  { id: 'j5', path: ['A'], converted: true, value: 10 },
];

describe('Markov chain removal effect', () => {
  it('solves the worked example with a cycle exactly', () => {
    const m = markov(journeyTable(cycle));
    expect(m.conversionProbability).toBeCloseTo(1 / 2, 14);
    expect(m.effects).toEqual({ A: expect.closeTo(1 / 2, 14), B: expect.closeTo(1, 14) });
    expect(m.credit).toEqual({ A: expect.closeTo(2 / 3, 14), B: expect.closeTo(4 / 3, 14) });
    expect(m.value).toEqual({ A: expect.closeTo(50, 12), B: expect.closeTo(100, 12) });
    expect(m.order).toBe(1);
    expect(m.states).toBe(3); // start, A, B
  });

  it('without the journeys that did not convert (nonConverting: exclude)', () => {
    // Only j1, j2: start: A 1/2, B 1/2; A: B 1; B (3 out): conv 2/3, A 1/3.
    // x_A = x_B, x_B = 2/3 + x_A/3 -> 1: P = 1. Remove A: x_B = 2/3, P = 1/3, RE_A = 2/3.
    // Remove B: P = 0, RE_B = 1. Credit: A = (2/3)/(5/3) x 2 = 4/5, B = 6/5; value 60, 90.
    const m = markov(journeyTable(cycle), { nonConverting: 'exclude' });
    expect(m.conversionProbability).toBeCloseTo(1, 14);
    expect(m.effects).toEqual({ A: expect.closeTo(2 / 3, 14), B: expect.closeTo(1, 14) });
    expect(m.credit).toEqual({ A: expect.closeTo(0.8, 14), B: expect.closeTo(1.2, 14) });
    expect(m.value).toEqual({ A: expect.closeTo(60, 12), B: expect.closeTo(90, 12) });
  });

  it('first and second order on the case where the order matters', () => {
    const table = journeyTable(ordered);
    const first = markov(table);
    expect(first.conversionProbability).toBeCloseTo(3 / 5, 14);
    expect(first.effects).toEqual({ A: expect.closeTo(2 / 3, 14), B: expect.closeTo(4 / 5, 14) });
    expect(first.credit).toEqual({
      A: expect.closeTo(15 / 11, 14),
      B: expect.closeTo(18 / 11, 14),
    });
    const second = markov(table, { markovOrder: 2 });
    expect(second.states).toBe(6); // start, (A), (B), (A,B), (B,A), (A,A)
    expect(second.conversionProbability).toBeCloseTo(3 / 5, 14);
    expect(second.effects).toEqual({ A: expect.closeTo(1, 14), B: expect.closeTo(2 / 3, 14) });
    expect(second.credit).toEqual({ A: expect.closeTo(9 / 5, 14), B: expect.closeTo(6 / 5, 14) });
    expect(second.value).toEqual({ A: expect.closeTo(18, 12), B: expect.closeTo(12, 12) });
  });

  it('agrees with the chain run forward step by step on a random table (independent check)', () => {
    // Journeys over 4 channels from a fixed pseudo-random sequence.
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const names = ['a', 'b', 'c', 'd'];
    const specs: JourneySpec[] = Array.from({ length: 60 }, (_, k) => ({
      id: `u${k}`,
      path: Array.from({ length: 1 + Math.floor(next() * 5) }, () => names[Math.floor(next() * 4)]),
      converted: next() < 0.4,
      value: 1,
    }));
    const table = journeyTable(specs);
    const m = markov(table);
    // The same chain by transition counts, absorption by 5,000 steps of the distribution
    // (converges geometrically; the library never uses powers).
    const conversionFrom = (removed: number | null): number => {
      const n = table.channels.length;
      const start = n; // states 0..n-1 channels, n start, n+1 conv, n+2 null
      const counts = Array.from({ length: n + 3 }, () => new Array<number>(n + 3).fill(0));
      for (let j = 0; j < table.journeyIds.length; j++) {
        let from = start;
        for (let k = table.offsets[j]; k < table.offsets[j + 1]; k++) {
          counts[from][table.channelIndex[k]]++;
          from = table.channelIndex[k];
        }
        counts[from][table.converted[j] ? n + 1 : n + 2]++;
      }
      let p = new Array<number>(n + 3).fill(0);
      p[start] = 1;
      for (let step = 0; step < 5000; step++) {
        const q = new Array<number>(n + 3).fill(0);
        q[n + 1] = p[n + 1];
        q[n + 2] = p[n + 2];
        for (let i = 0; i <= n; i++) {
          const out = counts[i].reduce((a, b) => a + b, 0);
          if (out === 0 || p[i] === 0) continue;
          for (let t = 0; t < n + 3; t++) {
            const target = t === removed ? n + 2 : t;
            q[target] += (p[i] * counts[i][t]) / out;
          }
        }
        p = q;
      }
      return p[n + 1];
    };
    const P = conversionFrom(null);
    expect(m.conversionProbability).toBeCloseTo(P, 10);
    table.channels.forEach((name, c) => {
      expect(m.effects[name]).toBeCloseTo(1 - conversionFrom(c) / P, 10);
    });
  });

  it('credits nothing when nothing converted, and names a channel never touched at 0', () => {
    const none = markov(
      journeyTable([
        { id: 'x', path: ['A', 'B'], converted: false },
        { id: 'y', path: ['B'], converted: false },
      ]),
    );
    expect(none.conversionProbability).toBe(0);
    expect(none.credit).toEqual({ A: 0, B: 0 });
  });
});
