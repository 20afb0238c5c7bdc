import type { Reporter, TestModule } from 'vitest/node';
import { writeReliabilityDoc, type TestFileOutcome } from './reliabilityDoc.js';

/** Every test of the file ran and passed: none failed, none was skipped or filtered out. */
export function moduleOutcome(module: TestModule): TestFileOutcome {
  const tests = [...module.children.allTests()];
  return {
    file: module.moduleId,
    allPassed:
      module.state() === 'passed' &&
      module.errors().length === 0 &&
      tests.length > 0 &&
      tests.every((test) => test.result().state === 'passed'),
  };
}

/**
 * Writes docs/reliability.md once the run is over, from the sections recorded by test files
 * whose tests all passed (see writeReliabilityDoc): a failed test never leaves figures behind.
 */
export class ReliabilityReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    const { withheld } = writeReliabilityDoc(
      testModules.map(moduleOutcome),
      unhandledErrors.length,
    );
    if (withheld.length > 0) {
      process.stderr.write(
        `docs/reliability.md: not rewriting ${withheld.join(', ')} (some of their tests failed or did not run)\n`,
      );
    }
  }
}
