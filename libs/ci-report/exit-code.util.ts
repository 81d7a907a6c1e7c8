import { VerdictOutcome } from '#contracts';

/** `mlfarm ci` exit codes: what a CI job branches on. */
export const CI_EXIT = { pass: 0, regression: 1, error: 2, inconclusive: 3 } as const;
export type CiExitCode = (typeof CI_EXIT)[keyof typeof CI_EXIT];

/** A verdict that is not decided (pending, unknown to this build) is an error for CI: nothing was proven. */
export function exitCodeOf(outcome: VerdictOutcome): CiExitCode {
  switch (outcome) {
    case VerdictOutcome.VERDICT_OUTCOME_PASS:
      return CI_EXIT.pass;
    case VerdictOutcome.VERDICT_OUTCOME_REGRESSED:
      return CI_EXIT.regression;
    case VerdictOutcome.VERDICT_OUTCOME_INCONCLUSIVE:
      return CI_EXIT.inconclusive;
    case VerdictOutcome.VERDICT_OUTCOME_ERROR:
    case VerdictOutcome.VERDICT_OUTCOME_PENDING:
    case VerdictOutcome.VERDICT_OUTCOME_UNSPECIFIED:
    case VerdictOutcome.UNRECOGNIZED:
      return CI_EXIT.error;
  }
  // A number outside the enum (a newer coordinator): not a pass.
  return CI_EXIT.error;
}
