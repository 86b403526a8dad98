import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  function: string;
  location: string;
  selfPercent: number;
  /**
   * For native functions (socket writes, crypto): the nearest library or application frame that
   * called them, with its share of this entry's time, because the native frame alone says nothing.
   */
  calledFrom?: Array<{ caller: string; percent: number }>;
}

/**
 * Self time per function from a V8 `.cpuprofile`, counting only samples taken between `fromMicros` and
 * `toMicros` (the same monotonic clock as `process.hrtime`), so start-up compilation is left out.
 * Percentages are of the non-idle samples in that window; locations are made relative to `root`.
 */
export function summariseCpuProfile(
  file: string,
  fromMicros: number,
  toMicros: number,
  top: number,
  root: string,
): { samples: number; entries: SelfTimeEntry[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const describe = (frame: ProfileNode['callFrame']) => {
    const url = frame.url.replace(/^file:\/\//, '');
    const relative = url.startsWith(`${root}/`) ? url.slice(root.length + 1) : url;
    return `${frame.functionName || '(anonymous)'} ${relative.replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}`;
  };
  /** The nearest ancestor that is library or application code (not native, not node: internals). */
  const callerOf = (id: number): string => {
    let current = parents.get(id);
    while (current !== undefined) {
      const frame = nodes.get(current)?.callFrame;
      if (frame && frame.url && !frame.url.startsWith('node:')) return describe(frame);
      current = parents.get(current);
    }
    return '(unknown)';
  };
  const callers = new Map<string, Map<string, number>>();
  const selfTime = new Map<string, number>();
  let total = 0;
  let samples = 0;
  let timestamp = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    timestamp += profile.timeDeltas[index];
    if (timestamp < fromMicros || timestamp > toMicros) continue;
    const frame = nodes.get(profile.samples[index])?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    const weight = profile.timeDeltas[index + 1] ?? 0;
    const location = frame.url
      ? `${frame.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}`
      : '';
    const key = `${frame.functionName || '(anonymous)'}\u0000${location}`;
    selfTime.set(key, (selfTime.get(key) ?? 0) + weight);
    if (!frame.url || frame.url.startsWith('node:')) {
      const byCaller = callers.get(key) ?? new Map<string, number>();
      const caller = callerOf(profile.samples[index]);
      byCaller.set(caller, (byCaller.get(caller) ?? 0) + weight);
      callers.set(key, byCaller);
    }
    total += weight;
    samples += 1;
  }
  const entries = [...selfTime.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, micros]): SelfTimeEntry => {
      const [name, location] = key.split('\u0000');
      const byCaller = callers.get(key);
      return {
        function: name,
        location: location.startsWith(`${root}/`) ? location.slice(root.length + 1) : location,
        selfPercent: Number(((micros / Math.max(total, 1)) * 100).toFixed(1)),
        ...(byCaller
          ? {
              calledFrom: [...byCaller.entries()]
                .sort((a, b) => b[1] - a[1])
                .slice(0, 3)
                .map(([caller, callerMicros]) => ({
                  caller,
                  percent: Number(((callerMicros / Math.max(micros, 1)) * 100).toFixed(0)),
                })),
            }
          : {}),
      };
    });
  return { samples, entries };
}
