/**
 * A process that hammers one lock, for tests/unit/lock.test.ts:
 *   node --import tsx tests/helpers/lock-worker.ts DIR NAME COUNTER N  increment COUNTER N times
 *   node --import tsx tests/helpers/lock-worker.ts DIR NAME - hold     take the lock, say "held", never let go
 *   node --import tsx tests/helpers/lock-worker.ts DIR NAME LOG once   say "trying", take the lock once for 400 ms,
 *                                                                      appending "<pid> enter" / "<pid> exit" to LOG
 * The increment is deliberately not atomic (read, yield, write): two holders at once lose counts.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { withLock } from '../../sdk/state/lock.ts';

const [dir, name, counter, n] = process.argv.slice(2);
if (!dir || !name || !counter || !n) {
  process.stderr.write('usage: lock-worker.ts DIR NAME COUNTER N|hold\n');
  process.exit(2);
}
const tick = () => new Promise((r) => setImmediate(r));
if (n === 'hold') {
  await withLock(dir, name, async () => {
    process.stdout.write('held\n');
    await new Promise(() => setInterval(() => {}, 1 << 30));
  });
} else if (n === 'once') {
  process.stdout.write('trying\n');
  await withLock(dir, name, async () => {
    appendFileSync(counter, `${process.pid} enter\n`);
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(counter, `${process.pid} exit\n`);
  });
} else {
  for (let i = 0; i < Number(n); i++) {
    await withLock(dir, name, async () => {
      const v = Number(readFileSync(counter, 'utf8'));
      await tick();
      writeFileSync(counter, String(v + 1));
    });
  }
}
